/** Plugins add subcommands; runCli in-process with captured output and exit codes. */
import { PassThrough } from 'node:stream';
import t from 'tap';
import { type CliPlugin, registerPlugin, runCli, UsageError } from '../src/index.js';

function io() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d));
  stderr.on('data', (d: Buffer) => (err += d));
  return { io: { stdout, stderr, env: {} }, out: () => out, err: () => err };
}

const hello: CliPlugin = {
  name: 'test:hello',
  register(program, ctx) {
    const cmd = program.command('hello').argument('<who>').option('--json');
    cmd.action(async (who: string) => {
      if (who === 'nobody') throw new UsageError('say hello to someone');
      await ctx.output(cmd).doc({ hello: who }, () => `Hello, ${who}`);
    });
  },
};

t.test('extra plugin passed to runCli', async (t) => {
  const a = io();
  t.equal(await runCli(['node', 'oxbow', 'hello', 'world'], a.io, [hello]), 0);
  t.equal(a.out(), 'Hello, world\n');
  const b = io();
  t.equal(await runCli(['node', 'oxbow', 'hello', 'world', '--json'], b.io, [hello]), 0);
  t.same(JSON.parse(b.out()), { hello: 'world' });
  const c = io();
  t.equal(await runCli(['node', 'oxbow', 'hello', 'nobody'], c.io, [hello]), 2);
  t.equal(c.err(), 'oxbow: say hello to someone\n');
});

t.test('registered plugin is part of every later program', async (t) => {
  const before = io();
  t.equal(await runCli(['node', 'oxbow', 'hello', 'x'], before.io), 2, 'unknown before registration');
  registerPlugin(hello);
  const after = io();
  t.equal(await runCli(['node', 'oxbow', 'hello', 'x'], after.io), 0);
  t.equal(after.out(), 'Hello, x\n');
});
