import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { adler32 } from '../src/checksum.js';
import { createAdapter } from '../src/registry.js';
import type { RseProtocol } from '../src/types.js';
import { expectError, runConformance } from './conformance.js';
import { walkFiles } from './helpers/walk.js';
import { isRoot, tempDir } from './servers.js';

const here = dirname(fileURLToPath(import.meta.url));
const base = tempDir('posix');
chmodSync(base, 0o755);
const prefix = join(base, 'rse');
const outside = join(base, 'outside');
mkdirSync(prefix, { recursive: true });
mkdirSync(outside, { recursive: true });
t.teardown(() => rmSync(base, { recursive: true, force: true }));

const protocol: RseProtocol = {
  scheme: 'file',
  hostname: '',
  port: 0,
  prefix,
  impl: 'rucio.rse.protocols.posix.Default',
  domains: { lan: { read: 1, write: 1, delete: 1 }, wan: { read: 1, write: 1, delete: 1 } },
};

t.test('posix conformance', (t) =>
  runConformance(t, {
    make: () => createAdapter(protocol),
    spec: { protocol },
    partialWritesStay: true,
    expectedPfn: `file://${prefix}/dir/file.bin`,
    rawFiles: () => walkFiles(base),
    serverAdler32: false,
    realDirs: true,
    largeSize: 64 * 1024 * 1024,
    deniedProbe: async () => {
      // A directory the writer may not write into. Root bypasses modes, so the write runs as nobody.
      const ro = join(prefix, 'readonly');
      mkdirSync(ro, { recursive: true });
      chmodSync(prefix, 0o755);
      chmodSync(ro, 0o555);
      if (!isRoot) {
        const a = createAdapter(protocol);
        const d = Buffer.from('x');
        const e = await a.write('readonly/x.bin', Readable.from([d]), { size: 1 }).then(
          () => undefined,
          (err) => err,
        );
        return { code: e?.code ?? 'NO_ERROR', retryable: e?.retryable ?? false, message: e?.message ?? '' };
      }
      try {
        const { stdout } = await promisify(execFile)(
          process.execPath,
          [join(here, 'helpers/denied-write.js'), prefix, 'readonly/x.bin'],
          { uid: 65534, gid: 65534 },
        );
        return JSON.parse(stdout.trim());
      } catch (err) {
        // The checkout may not be readable by nobody (e.g. a 0700 CI clone): make the directory
        // immutable instead, which stops root too (ext4/xfs; not on every file system).
        t.comment(
          `unprivileged child unavailable (${(err as Error).message.split('\n')[0]}); using chattr +i`,
        );
        await promisify(execFile)('chattr', ['+i', ro]);
        try {
          const a = createAdapter(protocol);
          const d = Buffer.from('x');
          const e = await a.write('readonly/x.bin', Readable.from([d]), { size: 1 }).then(
            () => undefined,
            (e2) => e2,
          );
          return { code: e?.code ?? 'NO_ERROR', retryable: e?.retryable ?? false, message: e?.message ?? '' };
        } finally {
          await promisify(execFile)('chattr', ['-i', ro]);
        }
      }
    },
  }),
);

t.test('posix: symlinks cannot lead out of the prefix', async (t) => {
  const a = createAdapter(protocol);
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  symlinkSync(outside, join(prefix, 'link'));
  symlinkSync(join(outside, 'secret.txt'), join(prefix, 'file-link'));
  const d = Buffer.from('escape');
  await expectError(t, a.read('link/secret.txt'), 'PATH_ESCAPE', 'read through a directory symlink');
  await expectError(t, a.stat('file-link'), 'PATH_ESCAPE', 'stat of a file symlink pointing outside');
  await expectError(
    t,
    a.write('link/new.bin', Readable.from([d]), { size: d.length, adler32: adler32(d) }),
    'PATH_ESCAPE',
    'write through a directory symlink',
  );
  await expectError(
    t,
    a.write('link/deeper/new.bin', Readable.from([d]), { size: d.length, adler32: adler32(d) }),
    'PATH_ESCAPE',
    'write below a symlinked directory',
  );
  await expectError(
    t,
    a.write('file-link', Readable.from([d]), { size: d.length, adler32: adler32(d) }),
    'PATH_ESCAPE',
    'overwrite of a symlink',
  );
  await expectError(t, a.delete('link/secret.txt'), 'PATH_ESCAPE', 'delete through a symlink');
  t.same(await walkFiles(outside), ['secret.txt'], 'nothing created or removed outside');
  // A symlink that stays inside the prefix is fine.
  mkdirSync(join(prefix, 'real'), { recursive: true });
  symlinkSync(join(prefix, 'real'), join(prefix, 'inner-link'));
  await a.write('inner-link/ok.bin', Readable.from([d]), { size: d.length, adler32: adler32(d) });
  t.equal((await a.stat('real/ok.bin')).size, d.length, 'inside-prefix symlink works');
  await a.close();
});

t.test('posix: PFN with a hostname and Rucio lazy prefixes', async (t) => {
  const a = createAdapter({ ...protocol, hostname: 'localhost', prefix: prefix.slice(1) });
  t.equal(a.pfn('x/y'), `file://localhost${prefix}/x/y`, 'prefix without leading slash gets one');
  await a.close();
});
