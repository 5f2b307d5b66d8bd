// Upload and download through the library API against a real server with its embedded posix RSEs
// (LOCAL_DISK1, LOCAL_DISK2): paths and checksums as Rucio's, re-runs, clashes, escapes, rollback,
// corrupt replicas, resume, and a file placed and registered the way `rucio upload` does it.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import t from 'tap';
import { downloadDids, type TransferEvent, uploadFiles } from '../src/index.js';
import { rootClient, startTestServer, TEST_ROOT_PASSWORD } from './helpers.js';
import {
  md5,
  posixPrefix,
  referenceAdler32,
  rucioPath,
  tempDir,
  walkFiles,
  writeBytes,
} from './transfer-support.js';

const server = await startTestServer();
t.teardown(() => server.close());
const { client } = rootClient(server.url, TEST_ROOT_PASSWORD);
t.teardown(() => client.close());
await client.scopes.add('user.root', 'root');
await client.scopes.add('foo', 'root');
const disk1 = await posixPrefix(client, 'LOCAL_DISK1');
const disk2 = await posixPrefix(client, 'LOCAL_DISK2');

t.test("Rucio's pinned paths and checksums", async (t) => {
  // tests/test_rse_lfn2path.py of Rucio: foo:bar -> foo/4e/99/bar, user.foo:bar -> user/foo/13/7f/bar.
  t.equal(rucioPath('foo', 'bar'), 'foo/4e/99/bar');
  t.equal(rucioPath('user.foo', 'bar'), 'user/foo/13/7f/bar');
  // adler32 of "Wikipedia" is 0x11E60398 (the textbook value; Rucio writes '%08x').
  t.equal(referenceAdler32(Buffer.from('Wikipedia')), '11e60398');
  const dir = tempDir('pin');
  writeFileSync(join(dir, 'bar'), 'Wikipedia');
  const s = await uploadFiles(client, [join(dir, 'bar')], { rse: 'LOCAL_DISK1', scope: 'foo' });
  t.equal(s.uploaded, 1, JSON.stringify(s.files));
  const f = s.files[0]!;
  t.equal(f.adler32, '11e60398');
  t.equal(f.md5, md5('Wikipedia'));
  // posix PFN as Rucio's lfns2pfns builds it: scheme://hostname + prefix + path.
  t.equal(f.pfn, `file://localhost${disk1.replace(/\/$/, '')}/foo/4e/99/bar`);
  t.equal(readFileSync(join(disk1, 'foo/4e/99/bar'), 'utf8'), 'Wikipedia');
  const meta = await client.dids.meta('foo', 'bar');
  t.match(meta, { bytes: 9, adler32: '11e60398', md5: md5('Wikipedia') });
  t.match(meta.guid, /^[0-9a-f]{32}$/, 'a GUID is registered, as Rucio does');
});

t.test('upload a directory into a dataset, then re-run, clash and download', async (t) => {
  const dir = tempDir('up');
  const data: Record<string, Buffer> = {};
  for (let i = 0; i < 5; i++)
    data[`f${i}.root`] = writeBytes(join(dir, `f${i}.root`), 1000 + i * 70_001, i + 1);
  const events: TransferEvent[] = [];
  const s = await uploadFiles(client, [dir], {
    rse: 'LOCAL_DISK1',
    dataset: 'user.root:ds.posix',
    threads: 3,
    onProgress: (e) => events.push(e),
  });
  t.equal(s.scope, 'user.root', 'scope defaults to user.<account>');
  t.match(s, { uploaded: 5, skipped: 0, failed: 0, dataset: 'user.root:ds.posix' });
  const plan = events.find((e) => e.type === 'plan');
  t.same(plan, { type: 'plan', files: 5, bytes: Object.values(data).reduce((a, b) => a + b.length, 0) });
  const moved = events.reduce((n, e) => n + (e.type === 'bytes' ? e.bytes : 0), 0);
  t.equal(moved, plan?.type === 'plan' ? plan.bytes : -1, 'byte events add up to the plan');
  t.equal(events.filter((e) => e.type === 'file' && e.status === 'done').length, 5);
  for (const [name, buf] of Object.entries(data)) {
    const onDisk = join(disk1, rucioPath('user.root', name));
    t.ok(readFileSync(onDisk).equals(buf), `${name} at Rucio's deterministic path`);
    const r = s.files.find((f) => f.name === name)!;
    t.equal(r.adler32, referenceAdler32(buf));
    t.equal(r.md5, md5(buf));
  }
  t.same(
    (await walkFiles(disk1)).filter((p) => p.includes('oxbow-part')),
    [],
    'no temp files left',
  );
  const content = [];
  for await (const c of client.dids.content('user.root', 'ds.posix')) content.push(c.name);
  t.same(content.sort(), Object.keys(data).sort());
  for await (const r of client.replicas.list({ dids: [{ scope: 'user.root', name: 'ds.posix' }] })) {
    t.equal(r.states.LOCAL_DISK1, 'AVAILABLE');
    t.equal(r.adler32, referenceAdler32(data[r.name]!));
  }

  // Re-run: nothing is written again.
  const mtimes = Object.keys(data).map((n) => statSync(join(disk1, rucioPath('user.root', n))).mtimeMs);
  const again = await uploadFiles(client, [dir], { rse: 'LOCAL_DISK1', dataset: 'user.root:ds.posix' });
  t.match(again, { uploaded: 0, skipped: 5, failed: 0 });
  t.same(
    Object.keys(data).map((n) => statSync(join(disk1, rucioPath('user.root', n))).mtimeMs),
    mtimes,
    'files untouched',
  );

  // Same name, other content: a loud failure, nothing touched.
  const other = tempDir('clash');
  writeBytes(join(other, 'f1.root'), data['f1.root']!.length, 99);
  writeBytes(join(other, 'g.root'), 10, 98);
  const clash = await uploadFiles(client, [other], { rse: 'LOCAL_DISK1', dataset: 'user.root:ds.posix' });
  t.match(clash, { uploaded: 1, failed: 1 });
  const bad = clash.files.find((f) => f.name === 'f1.root')!;
  t.equal(bad.errorCode, 'DataIdentifierAlreadyExists');
  t.match(bad.reason, /name clash/);
  t.ok(
    readFileSync(join(disk1, rucioPath('user.root', 'f1.root'))).equals(data['f1.root']!),
    'stored file kept',
  );
  // Different size: refused without reading.
  writeFileSync(join(other, 'f2.root'), 'short');
  const clash2 = await uploadFiles(client, [join(other, 'f2.root')], { rse: 'LOCAL_DISK1' });
  t.match(clash2.files[0], { status: 'failed', errorCode: 'DataIdentifierAlreadyExists' });

  // Same content to a second RSE: uploaded there, registered as a second replica.
  const second = await uploadFiles(client, [join(dir, 'f0.root')], { rse: 'LOCAL_DISK2' });
  t.match(second, { uploaded: 1 });
  t.ok(existsSync(join(disk2, rucioPath('user.root', 'f0.root'))));

  // Download the dataset: Rucio's layout DIR/<dataset name>/<file>.
  const out = tempDir('down');
  const d = await downloadDids(client, ['user.root:ds.posix'], { dir: out, ndownloader: 2 });
  t.match(d, { downloaded: 6, failed: 0 });
  for (const [name, buf] of Object.entries(data))
    t.ok(readFileSync(join(out, 'ds.posix', name)).equals(buf), `${name} downloaded`);
  t.same(
    (await walkFiles(out)).filter((p) => p.includes('oxbow-part')),
    [],
  );
  // Resume: complete files are skipped, a damaged one is fetched again.
  writeFileSync(join(out, 'ds.posix', 'f3.root'), Buffer.alloc(data['f3.root']!.length, 1));
  const d2 = await downloadDids(client, ['user.root:ds.posix'], { dir: out });
  t.match(d2, { downloaded: 1, skipped: 5, failed: 0 });
  t.ok(readFileSync(join(out, 'ds.posix', 'f3.root')).equals(data['f3.root']!));
  // A file DID lands in DIR/scope/name; --no-subdir puts it in DIR.
  const single = await downloadDids(client, ['user.root:f4.root'], { dir: out });
  t.equal(single.files[0]?.localPath, join(out, 'user.root', 'f4.root'));
  const flat = await downloadDids(client, ['user.root:f4.root'], { dir: out, noSubdir: true });
  t.equal(flat.files[0]?.localPath, join(out, 'f4.root'));
  t.ok(readFileSync(join(out, 'f4.root')).equals(data['f4.root']!));
});

t.test('a corrupt replica is rejected and another one used', async (t) => {
  const dir = tempDir('corrupt');
  const buf = writeBytes(join(dir, 'c.root'), 200_000, 7);
  t.match(await uploadFiles(client, [join(dir, 'c.root')], { rse: 'LOCAL_DISK1' }), { uploaded: 1 });
  t.match(await uploadFiles(client, [join(dir, 'c.root')], { rse: 'LOCAL_DISK2' }), { uploaded: 1 });
  // Same size, other bytes: only the checksum can tell.
  const stored = join(disk1, rucioPath('user.root', 'c.root'));
  const bad = Buffer.from(buf);
  bad[100_000] ^= 0xff;
  writeFileSync(stored, bad);
  const out = tempDir('corrupt-out');
  const warnings: string[] = [];
  const d = await downloadDids(client, ['user.root:c.root'], {
    dir: out,
    onProgress: (e) => e.type === 'warning' && warnings.push(e.message),
  });
  t.match(d, { downloaded: 1, failed: 0 });
  const f = d.files[0]!;
  t.equal(f.rse, 'LOCAL_DISK2');
  t.match(f.attempts, [{ rse: 'LOCAL_DISK1', errorCode: 'CHECKSUM_MISMATCH' }]);
  t.match(warnings.join('\n'), /LOCAL_DISK1 failed \(CHECKSUM_MISMATCH\)/);
  t.ok(readFileSync(join(out, 'user.root', 'c.root')).equals(buf));
  // Only the corrupt replica: the download fails and leaves nothing.
  const only = await downloadDids(client, ['user.root:c.root'], { dir: tempDir('x'), rse: 'LOCAL_DISK1' });
  t.match(only, { downloaded: 0, failed: 1 });
  t.match(only.files[0], { status: 'failed', errorCode: 'CHECKSUM_MISMATCH' });
  t.same(await walkFiles(dirname(dirname(only.files[0]!.localPath))), [], 'no partial file');
});

t.test('names that try to escape, and registrations that fail, leave nothing', async (t) => {
  const dir = tempDir('esc');
  writeFileSync(join(dir, 'x'), 'escape attempt');
  const before = await walkFiles(disk1);
  const esc = await uploadFiles(client, [join(dir, 'x')], {
    rse: 'LOCAL_DISK1',
    name: 'a/../../../../../../../tmp/oxbow-escaped',
  });
  t.match(esc.files[0], { status: 'failed', errorCode: 'PATH_ESCAPE' });
  t.match(await client.dids.meta('user.root', 'a/../../../../../../../tmp/oxbow-escaped').catch((e) => e), {
    exceptionClass: 'DataIdentifierNotFound',
  });
  t.notOk(existsSync('/tmp/oxbow-escaped'));
  // Registration refused by the catalog (scope does not exist): the written bytes are removed again.
  const noScope = await uploadFiles(client, [join(dir, 'x')], { rse: 'LOCAL_DISK1', scope: 'nosuchscope' });
  t.match(noScope.files[0], { status: 'failed', errorCode: 'ScopeNotFound' });
  t.match(noScope.files[0]?.reason, /stored bytes removed/);
  t.notOk(existsSync(join(disk1, rucioPath('nosuchscope', 'x'))));
  t.same(await walkFiles(disk1), before, 'RSE unchanged');
  // Download side: a registered name with '..' would be written outside --dir.
  await client.replicas.add('LOCAL_DISK2', [
    { scope: 'user.root', name: 'up/../../../../outside', bytes: 1, adler32: '00620062' },
  ]);
  const out = tempDir('esc-out');
  const d = await downloadDids(client, ['user.root:up/../../../../outside'], { dir: join(out, 'a') });
  t.match(d.files[0], { status: 'failed', errorCode: 'PATH_ESCAPE' });
  t.same(await walkFiles(out), []);
});

t.test('a file placed and registered as `rucio upload` does is downloaded', async (t) => {
  // rucio upload (default, not register-after-upload): POST /replicas state C, copy to the
  // deterministic path, PUT /replicas state A. Done here with the same calls and bytes.
  const payload = Buffer.from('written by rucio upload\n'.repeat(4096));
  const path = join(disk2, rucioPath('user.root', 'from-rucio.txt'));
  await client.replicas.add('LOCAL_DISK2', [
    {
      scope: 'user.root',
      name: 'from-rucio.txt',
      bytes: payload.length,
      adler32: referenceAdler32(payload),
      md5: md5(payload),
      state: 'C',
      meta: { guid: 'a5d6f0e3b1c24f7e9d8c7b6a59483726' },
    },
  ]);
  await mkdir(dirname(path), { recursive: true });
  writeFileSync(path, payload);
  await client.replicas.updateStates('LOCAL_DISK2', [
    { scope: 'user.root', name: 'from-rucio.txt', state: 'A' },
  ]);
  const out = tempDir('rucio');
  const d = await downloadDids(client, ['user.root:from-rucio.txt'], { dir: out });
  t.match(d, { downloaded: 1, failed: 0 });
  t.equal(d.files[0]?.pfn, `file://localhost${disk2}/${rucioPath('user.root', 'from-rucio.txt')}`);
  t.ok(readFileSync(join(out, 'user.root', 'from-rucio.txt')).equals(payload));
  // And oxbow upload of the same bytes under that name recognises it: nothing to do.
  writeFileSync(join(out, 'from-rucio.txt'), payload);
  const up = await uploadFiles(client, [join(out, 'from-rucio.txt')], { rse: 'LOCAL_DISK2' });
  t.match(up, { skipped: 1, uploaded: 0 });
});

t.test('unknown DIDs and missing local files', async (t) => {
  const d = await downloadDids(client, ['user.root:nothing-here'], { dir: tempDir('none') });
  t.match(d, { downloaded: 0, failed: 1 });
  t.match(d.inputErrors, [{ did: 'user.root:nothing-here', errorCode: 'DataIdentifierNotFound' }]);
  await t.rejects(uploadFiles(client, ['/nonexistent/file'], { rse: 'LOCAL_DISK1' }), {
    name: 'TransferInputError',
  });
  await t.rejects(uploadFiles(client, [tempDir('e')], { rse: 'LOCAL_DISK1' }), {
    name: 'TransferInputError',
  });
  const one = join(tempDir('f'), 'one');
  writeFileSync(one, '1');
  t.match(await uploadFiles(client, [one], { rse: 'NO_SUCH_RSE' }).catch((e) => e), {
    exceptionClass: 'RSENotFound',
  });
});
