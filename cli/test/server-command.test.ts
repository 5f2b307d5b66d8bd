/** `oxbow server` as a child process: URL and generated root password, login, graceful SIGTERM/SIGINT. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import t from 'tap';
import { baseEnv, OXBOW_BIN, oxbow, reason } from './helpers.js';

function startOxbowServer(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [OXBOW_BIN, 'server', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, lines, exited, stderr: () => stderr };
}

t.test('first start prints a generated root password once; SIGTERM closes gracefully', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'oxbow-srv-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = baseEnv({});
  const s = startOxbowServer(['--data-dir', dataDir, '--port', '0', '--daemons', 'none', '--json'], env);
  const first = await s.lines.next();
  const info = JSON.parse(first.value as string) as { url: string; rootPassword: string | null };
  t.match(info.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.type(info.rootPassword, 'string');
  t.ok((info.rootPassword ?? '').length >= 16);
  const who = await oxbow(
    ['whoami', '--json'],
    baseEnv({ OXBOW_URL: info.url, OXBOW_USERNAME: 'root', OXBOW_PASSWORD: info.rootPassword! }),
  );
  t.equal(who.code, 0, reason(who));
  t.match(who.json(), { account: 'root' });
  s.child.kill('SIGTERM');
  const end = await s.exited;
  t.equal(end.code, 0, `exit after SIGTERM (${s.stderr().slice(-300)})`);
  t.match(s.stderr(), /SIGTERM received, closing/);

  // Second start on the same data: no password is printed any more (human output this time).
  const again = startOxbowServer(['--data-dir', dataDir, '--port', '0'], env);
  const l1 = (await again.lines.next()).value as string;
  t.match(l1, /^Oxbow server listening on http:\/\/127\.0\.0\.1:\d+$/);
  const l2 = (await again.lines.next()).value as string;
  t.match(l2, /^Catalog: SQLite in /);
  again.child.kill('SIGINT');
  t.equal((await again.exited).code, 0);
  let rest = '';
  for (let n = await again.lines.next(); !n.done; n = await again.lines.next()) rest += n.value;
  t.notMatch(rest, /password/, 'no password block on later starts');
});

t.test('human output shows the generated password in a block', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'oxbow-srv-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const s = startOxbowServer(['--data-dir', dataDir, '--port', '0'], baseEnv({}));
  let text = '';
  for (let n = await s.lines.next(); !n.done; n = await s.lines.next()) {
    text += `${n.value}\n`;
    if (/OXBOW_PASSWORD=/.test(n.value as string)) break;
  }
  t.match(text, /={20,}\n\s+The root account was created with this generated password\./);
  t.match(text, /export OXBOW_URL=http:\/\/127\.0\.0\.1:\d+ OXBOW_USERNAME=root OXBOW_PASSWORD='[^']{16,}'/);
  s.child.kill('SIGTERM');
  t.equal((await s.exited).code, 0);
});

t.test('a fixed root password is not printed; bad settings are usage errors', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'oxbow-srv-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const s = startOxbowServer(
    ['--data-dir', dataDir, '--port', '0', '--json'],
    baseEnv({ OXBOW_ROOT_PASSWORD: 'fixed-secret-pw' }),
  );
  const info = JSON.parse((await s.lines.next()).value as string);
  t.equal(info.rootPassword, null);
  s.child.kill('SIGTERM');
  t.equal((await s.exited).code, 0);

  const bad = await oxbow(['server', '--port', 'eighty'], baseEnv({}));
  t.equal(bad.code, 2);
  t.match(reason(bad), /--port must be a non-negative integer/);
  const badEnv = await oxbow(['server', '--data-dir', dataDir], baseEnv({ OXBOW_PORT: '99999' }));
  t.equal(badEnv.code, 2);
  t.match(reason(badEnv), /invalid port/);
});
