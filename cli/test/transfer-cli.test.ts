// `oxbow upload` / `oxbow download` end to end: the real command against a real server (embedded
// posix RSEs) and a real XRootD server started here; JSON output, exit codes, re-runs and failures.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@oxbow/client';
import t from 'tap';
import type * as RseServers from '../../rse-adapters/test/servers.js';
import { baseEnv, oxbow, reason, startTestServer, TEST_ROOT_PASSWORD } from './helpers.js';

const servers = (await import(
  new URL('../../../rse-adapters/dist/test/servers.js', import.meta.url).href
)) as typeof RseServers;
const xrd = await servers.startXrootd({ tag: 'cli-transfer' });
t.teardown(() => xrd.stop());
const server = await startTestServer();
t.teardown(() => server.close());
const client = createClient({ url: server.url, username: 'root', password: TEST_ROOT_PASSWORD });
t.teardown(() => client.close());
await client.scopes.add('user.root', 'root');
await client.rses.add('XRD', { deterministic: true });
await client.rses.addProtocol('XRD', {
  scheme: 'root',
  hostname: '127.0.0.1',
  port: xrd.rootPort,
  prefix: '//rucio/',
  impl: 'rucio.rse.protocols.xrootd.Default',
  domains: { wan: { read: 1, write: 1, delete: 1 }, lan: { read: 1, write: 1, delete: 1 } },
});
await client.rses.add('DEADXRD', { deterministic: true });
await client.rses.addProtocol('DEADXRD', {
  scheme: 'root',
  hostname: '127.0.0.1',
  port: await servers.freePort(),
  prefix: '//rucio/',
  impl: 'rucio.rse.protocols.xrootd.Default',
  domains: { wan: { read: 1, write: 1, delete: 1 } },
});
const disk1 = (await client.rses.protocols('LOCAL_DISK1')).find((p) => p.scheme === 'file')!.prefix;
const env = baseEnv({ OXBOW_URL: server.url, OXBOW_USERNAME: 'root', OXBOW_PASSWORD: TEST_ROOT_PASSWORD });

const made: string[] = [];
t.teardown(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
const tmp = (tag: string) => {
  const d = mkdtempSync(join(tmpdir(), `oxbow-cli-transfer-${tag}-`));
  made.push(d);
  return d;
};
const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');
const rucioPath = (scope: string, name: string) => {
  const h = md5(`${scope}:${name}`);
  return `${scope.replaceAll('.', '/')}/${h.slice(0, 2)}/${h.slice(2, 4)}/${name}`;
};
interface Summary {
  uploaded?: number;
  downloaded?: number;
  skipped: number;
  failed: number;
  files: { name: string; status: string; pfn?: string; rse?: string; adler32?: string; errorCode?: string }[];
}

t.test('upload and download against the embedded default (LOCAL_DISK1)', async (t) => {
  const dir = tmp('in');
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < 4; i++) {
    files[`cli${i}.dat`] = Buffer.from(`payload ${i}\n`.repeat(1000 * (i + 1)));
    writeFileSync(join(dir, `cli${i}.dat`), files[`cli${i}.dat`]!);
  }
  const up = await oxbow(
    ['upload', '--rse', 'LOCAL_DISK1', '--dataset', 'user.root:cli.ds', dir, '--json'],
    env,
  );
  t.equal(up.code, 0, reason(up));
  const s = up.json() as Summary;
  t.match(s, { uploaded: 4, skipped: 0, failed: 0 });
  for (const [name, buf] of Object.entries(files)) {
    const f = s.files.find((x) => x.name === name)!;
    t.equal(f.pfn, `file://localhost${disk1}/${rucioPath('user.root', name)}`);
    t.ok(readFileSync(join(disk1, rucioPath('user.root', name))).equals(buf));
  }
  t.equal(up.stderr.includes('\u001b['), false, 'no progress bars when stderr is not a terminal');

  // Human output of a re-run: everything skipped, exit 0.
  const again = await oxbow(['upload', '--rse', 'LOCAL_DISK1', '--dataset', 'user.root:cli.ds', dir], env);
  t.equal(again.code, 0, reason(again));
  t.match(
    again.stdout,
    /^Uploaded 0, skipped 4, failed 0 of 4 file\(s\) to LOCAL_DISK1 \(dataset user\.root:cli\.ds\)/,
  );
  t.match(again.stdout, /skipped {3}user\.root:cli0\.dat/);

  const out = tmp('out');
  const down = await oxbow(
    ['download', 'user.root:cli.ds', '--dir', out, '--ndownloader', '2', '--json'],
    env,
  );
  t.equal(down.code, 0, reason(down));
  t.match(down.json(), { downloaded: 4, failed: 0 });
  for (const [name, buf] of Object.entries(files)) t.ok(readFileSync(join(out, 'cli.ds', name)).equals(buf));
  const resume = await oxbow(['download', 'user.root:cli.ds', '--dir', out], env);
  t.equal(resume.code, 0);
  t.match(resume.stdout, /^Downloaded 0, skipped 4, failed 0 of 4 file\(s\)/);
  const flat = await oxbow(['download', 'user.root:cli1.dat', '--dir', out, '--no-subdir'], env);
  t.equal(flat.code, 0, reason(flat));
  t.match(flat.stdout, /downloaded {2}user\.root:cli1\.dat .* from LOCAL_DISK1 \(file:\/\//);
  t.ok(readFileSync(join(out, 'cli1.dat')).equals(files['cli1.dat']!));
});

t.test('upload and download through XRootD', async (t) => {
  const dir = tmp('xin');
  const buf = Buffer.alloc(3 * 1024 * 1024 + 5, 7);
  for (let i = 0; i < buf.length; i += 4096) buf[i] = i & 0xff;
  writeFileSync(join(dir, 'x.root'), buf);
  writeFileSync(join(dir, 'y.root'), 'small file\n');
  const up = await oxbow(['upload', '--rse', 'XRD', '--scope', 'user.root', dir, '--json'], env);
  t.equal(up.code, 0, reason(up));
  const s = up.json() as Summary;
  t.match(s, { uploaded: 2, failed: 0 });
  t.equal(
    s.files.find((f) => f.name === 'x.root')?.pfn,
    `root://127.0.0.1:${xrd.rootPort}//rucio/${rucioPath('user.root', 'x.root')}`,
  );
  t.ok(readFileSync(join(xrd.dataDir, 'rucio', rucioPath('user.root', 'x.root'))).equals(buf));
  const out = tmp('xout');
  const down = await oxbow(
    ['download', 'user.root:x.root', 'user.root:y.root', '--rse', 'XRD', '--dir', out],
    env,
  );
  t.equal(down.code, 0, reason(down));
  t.match(down.stdout, /from XRD \(root:\/\/127\.0\.0\.1:\d+\/\/rucio\/user\/root\//);
  t.ok(readFileSync(join(out, 'user.root', 'x.root')).equals(buf));
  t.equal(readFileSync(join(out, 'user.root', 'y.root'), 'utf8'), 'small file\n');
});

t.test('failures: exit codes and one-line reasons', async (t) => {
  const dir = tmp('bad');
  writeFileSync(join(dir, 'cli0.dat'), 'other content, same name\n');
  const clash = await oxbow(['upload', '--rse', 'LOCAL_DISK1', join(dir, 'cli0.dat')], env);
  t.equal(clash.code, 1);
  t.match(
    reason(clash),
    /^oxbow: NoFilesUploaded: 1 of 1 file\(s\) failed; first: user\.root:cli0\.dat: DataIdentifierAlreadyExists: .*name clash/,
  );
  t.equal(reason(clash).split('\n').length, 1);
  t.match(clash.stdout, /FAILED {4}user\.root:cli0\.dat/);

  writeFileSync(join(dir, 'dead.dat'), 'to a dead endpoint\n');
  const t0 = Date.now();
  const dead = await oxbow(['upload', '--rse', 'DEADXRD', join(dir, 'dead.dat'), '--json'], env);
  t.equal(dead.code, 1);
  t.ok(Date.now() - t0 < 15_000, 'fails fast');
  t.match(dead.json(), { uploaded: 0, failed: 1, files: [{ errorCode: 'CONNECTION' }] });
  t.match(reason(dead), /CONNECTION: DEADXRD root:\/\/127\.0\.0\.1:\d+: .*Connection/);
  t.match(await client.dids.meta('user.root', 'dead.dat').catch((e) => e), {
    exceptionClass: 'DataIdentifierNotFound',
  });

  const missing = await oxbow(['upload', '--rse', 'LOCAL_DISK1', join(dir, 'nope.dat')], env);
  t.equal(missing.code, 2, 'a missing local file is a usage error');
  t.match(reason(missing), /nope\.dat: no such file or directory/);
  const noRse = await oxbow(['upload', join(dir, 'dead.dat')], env);
  t.equal(noRse.code, 2);

  const unknown = await oxbow(['download', 'user.root:not-there', '--dir', tmp('x')], env);
  t.equal(unknown.code, 1);
  t.match(
    reason(unknown),
    /NoFilesDownloaded: 1 of 1 file\(s\) failed; first: user\.root:not-there: .*not-there/,
  );
});
