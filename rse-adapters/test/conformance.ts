// The one conformance suite every adapter runs against a real server (see test/*.test.ts).
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Test } from 'tap';
import { adler32, checksumStream } from '../src/checksum.js';
import { StorageError, type StorageErrorCode } from '../src/errors.js';
import type { AnyAdapterOptions } from '../src/registry.js';
import type { RseProtocol, StorageAdapter } from '../src/types.js';
import { TEMP_MARK } from '../src/verify.js';
import { collect, randomBuffer, randomStream, randomSums } from './data.js';
import { pidsMentioning } from './helpers/procs.js';

// A real gc() lets the memory probe see live buffers only, not garbage awaiting collection.
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

/** The child process of the killed-writer case (compiled next to this file). */
const killedWriter = fileURLToPath(new URL('./helpers/killed-writer.js', import.meta.url));

/** Bytes held in live ArrayBuffers right now (after a full collection). */
function liveArrayBuffers(): number {
  gc();
  return process.memoryUsage().arrayBuffers;
}

/** What a backend test provides to the suite. */
export interface ConformanceTarget {
  /** Adapter on the endpoint under test (called once per subtest; closed by the suite). */
  make(): StorageAdapter;
  /** Adapter for the same kind of endpoint with nothing listening (absent for posix: no endpoint). */
  makeDown?(): StorageAdapter;
  /** PFN the adapter must build for `dir/file.bin` (Rucio's lfns2pfns result). */
  expectedPfn: string;
  /** Every file under the storage's data directory, seen behind the adapter's back. */
  rawFiles(): Promise<string[]>;
  /** stat()/checksum() give adler32 from the server itself. */
  serverAdler32: boolean;
  /** Directories are real (mkdir/list show them; S3 has only key prefixes). */
  realDirs: boolean;
  /** A write the storage refuses for lack of permission: adapter and path. */
  denied?: () =>
    | { adapter: StorageAdapter; path: string }
    | Promise<{ adapter: StorageAdapter; path: string }>;
  /** Custom permission probe (posix as root): runs the denied write and returns what it threw. */
  deniedProbe?: () => Promise<{ code: string; retryable: boolean; message: string }>;
  /** Another endpoint this one can copy from server-to-server. */
  tpc?: { source: () => StorageAdapter; modes: Array<'pull' | 'push'> };
  /**
   * The server leaves names starting with a dot out of directory listings (nginx's dav_ext module
   * does, without a setting), so removeOrphanTemps() cannot find temporaries there.
   */
  hidesDotNames?: boolean;
  /** A write killed mid-stream leaves its temporary with the bytes received (file-based servers). */
  partialWritesStay?: boolean;
  /** The endpoint as data, so a child process can build the same adapter (the killed-writer case). */
  spec?: { protocol: RseProtocol; options?: AnyAdapterOptions };
  /** Size of the large-file case (default 64 MiB). */
  largeSize?: number;
}

/** Awaits a promise that must reject with a StorageError of `code`; returns the error. */
export async function expectError(t: Test, p: Promise<unknown>, code: StorageErrorCode, what: string) {
  try {
    await p;
  } catch (err) {
    t.ok(err instanceof StorageError, `${what}: throws StorageError`);
    t.equal((err as StorageError).code, code, `${what}: code ${code} (${(err as Error).message})`);
    return err as StorageError;
  }
  t.fail(`${what}: should have thrown ${code}`);
  return undefined;
}

/** Every path below a local directory (files and directories). */
async function walkLocal(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    out.push(join(dir, e.name));
    if (e.isDirectory()) out.push(...(await walkLocal(join(dir, e.name))));
  }
  return out;
}

/** Runs every conformance case against a target. */
export async function runConformance(t: Test, target: ConformanceTarget): Promise<void> {
  let n = 0;
  /** Unique directory per subtest so cases never see each other's files. */
  const fresh = (tag: string) => `conf${process.pid}x${n++}-${tag}`;

  async function withAdapter(_t: Test, fn: (a: StorageAdapter) => Promise<void>) {
    const a = target.make();
    try {
      await fn(a);
    } finally {
      await a.close();
    }
  }

  async function rawContains(name: string): Promise<string[]> {
    return (await target.rawFiles()).filter((f) => f.includes(name));
  }

  t.test('pfn follows Rucio lfns2pfns', async (t) =>
    withAdapter(t, async (a) => {
      t.equal(a.pfn('dir/file.bin'), target.expectedPfn);
      t.equal(a.pfn('/dir/file.bin'), target.expectedPfn, 'leading slash stripped as Rucio does');
      t.equal(a.pfn(target.expectedPfn), target.expectedPfn, 'a PFN of this protocol is accepted as path');
    }),
  );

  t.test('write, stat, read, exists, list, delete', async (t) =>
    withAdapter(t, async (a) => {
      const dir = fresh('basic');
      const data = randomBuffer(100_003, 11);
      const sum = adler32(data);
      const w = await a.write(`${dir}/sub/f1.bin`, Readable.from([data]), {
        size: data.length,
        adler32: sum,
      });
      t.equal(w.size, data.length);
      t.equal(w.adler32, sum);
      t.equal(w.pfn, a.pfn(`${dir}/sub/f1.bin`));
      if (target.serverAdler32)
        t.equal(w.verifiedBy, 'server-checksum', 'verified against the server checksum');
      const st = await a.stat(`${dir}/sub/f1.bin`);
      t.equal(st.size, data.length, 'stat size');
      t.equal(st.isDir, false);
      if (target.serverAdler32) t.equal(st.adler32, sum, 'stat adler32 from the server');
      const back = await collect(await a.read(`${dir}/sub/f1.bin`));
      t.ok(back.equals(data), 'read gives the same bytes');
      t.equal(await a.exists(`${dir}/sub/f1.bin`), true);
      t.equal(await a.exists(`${dir}/sub/nope.bin`), false);
      await a.write(`${dir}/sub/f2.bin`, Readable.from([Buffer.from('x')]), {
        size: 1,
        adler32: adler32(Buffer.from('x')),
      });
      const ls = await a.list(`${dir}/sub`);
      t.same(
        ls.map((e) => [e.name, e.path, e.isDir, e.size]),
        [
          ['f1.bin', `${dir}/sub/f1.bin`, false, data.length],
          ['f2.bin', `${dir}/sub/f2.bin`, false, 1],
        ],
        'list shows both files, no temp files',
      );
      const top = await a.list(dir);
      t.same(
        top.map((e) => [e.name, e.isDir]),
        [['sub', true]],
        'sub-directory listed as directory',
      );
      if (target.realDirs) t.equal((await a.stat(`${dir}/sub`)).isDir, true, 'stat of a directory');
      await a.delete(`${dir}/sub/f1.bin`);
      t.equal(await a.exists(`${dir}/sub/f1.bin`), false, 'deleted');
      const e = await expectError(t, a.stat(`${dir}/sub/f1.bin`), 'NOT_FOUND', 'stat after delete');
      t.equal(e?.retryable, false, 'not found is permanent');
      await expectError(t, a.read(`${dir}/sub/f1.bin`), 'NOT_FOUND', 'read missing');
      await expectError(t, a.delete(`${dir}/sub/f1.bin`), 'NOT_FOUND', 'delete missing');
      await a.delete(`${dir}/sub/f2.bin`);
    }),
  );

  t.test('empty file and overwrite semantics', async (t) =>
    withAdapter(t, async (a) => {
      const dir = fresh('empty');
      const w = await a.write(`${dir}/empty.bin`, Readable.from([]), { size: 0, adler32: '00000001' });
      t.equal(w.adler32, '00000001', 'adler32 of nothing is 00000001');
      t.equal((await a.stat(`${dir}/empty.bin`)).size, 0);
      t.equal((await collect(await a.read(`${dir}/empty.bin`))).length, 0);
      const d2 = Buffer.from('second version');
      await expectError(
        t,
        a.write(`${dir}/empty.bin`, Readable.from([d2]), {
          size: d2.length,
          adler32: adler32(d2),
          overwrite: false,
        }),
        'ALREADY_EXISTS',
        'overwrite:false on an existing file',
      );
      t.equal((await a.stat(`${dir}/empty.bin`)).size, 0, 'existing file untouched');
      await a.write(`${dir}/empty.bin`, Readable.from([d2]), { size: d2.length, adler32: adler32(d2) });
      t.ok((await collect(await a.read(`${dir}/empty.bin`))).equals(d2), 'default overwrite replaces');
      await a.delete(`${dir}/empty.bin`);
    }),
  );

  t.test('range reads', async (t) =>
    withAdapter(t, async (a) => {
      const dir = fresh('range');
      const data = randomBuffer(300_000, 5);
      await a.write(`${dir}/r.bin`, Readable.from([data]), { size: data.length, adler32: adler32(data) });
      const mid = await collect(await a.read(`${dir}/r.bin`, { offset: 1000, length: 5000 }));
      t.ok(mid.equals(data.subarray(1000, 6000)), 'offset+length');
      const tail = await collect(await a.read(`${dir}/r.bin`, { offset: 299_990 }));
      t.ok(tail.equals(data.subarray(299_990)), 'offset to the end');
      const head = await collect(await a.read(`${dir}/r.bin`, { length: 10 }));
      t.ok(head.equals(data.subarray(0, 10)), 'first bytes');
      t.equal(
        (await collect(await a.read(`${dir}/r.bin`, { offset: 5, length: 0 }))).length,
        0,
        'zero length',
      );
      await a.delete(`${dir}/r.bin`);
    }),
  );

  t.test('a slow reader gets every byte, whole and in ranges', async (t) =>
    withAdapter(t, async (a) => {
      // The producer (server, tool) finishes long before the consumer: the stream must not end or
      // fail while bytes are still queued inside it.
      const dir = fresh('slow');
      const data = randomBuffer(3 * 1024 * 1024 + 7, 9);
      await a.write(`${dir}/s.bin`, Readable.from([data]), { size: data.length, adler32: adler32(data) });
      const slowly = async (r: Readable) => {
        const parts: Buffer[] = [];
        await pipeline(
          r,
          new Writable({
            highWaterMark: 1024,
            write(chunk: Buffer, _e, cb) {
              parts.push(chunk);
              setTimeout(cb, 2);
            },
          }),
        );
        return Buffer.concat(parts);
      };
      t.ok((await slowly(await a.read(`${dir}/s.bin`))).equals(data), 'whole file');
      t.ok(
        (await slowly(await a.read(`${dir}/s.bin`, { offset: 100_001, length: 2_000_000 }))).equals(
          data.subarray(100_001, 2_100_001),
        ),
        'range',
      );
      await a.delete(`${dir}/s.bin`);
    }),
  );

  t.test('checksum query', async (t) =>
    withAdapter(t, async (a) => {
      const dir = fresh('cksum');
      const data = randomBuffer(65_537, 3);
      const sums = await checksumStream(Readable.from([data]), { md5: true });
      await a.write(`${dir}/c.bin`, Readable.from([data]), { size: data.length, adler32: sums.adler32 });
      const c = await a.checksum(`${dir}/c.bin`);
      t.equal(c.algorithm, 'adler32');
      t.equal(c.value, sums.adler32, 'adler32 value');
      if (target.serverAdler32) t.equal(c.source, 'server', 'computed by the server');
      const m = await a.checksum(`${dir}/c.bin`, 'md5');
      t.equal(m.value, sums.md5, 'md5 value');
      await expectError(t, a.checksum(`${dir}/missing.bin`), 'NOT_FOUND', 'checksum of a missing file');
      await a.delete(`${dir}/c.bin`);
    }),
  );

  t.test('wrong expected checksum fails and leaves nothing', async (t) =>
    withAdapter(t, async (a) => {
      const dir = fresh('badsum');
      const data = randomBuffer(50_000, 9);
      const wrong = ((Number.parseInt(adler32(data), 16) ^ 1) >>> 0).toString(16).padStart(8, '0');
      const e = await expectError(
        t,
        a.write(`${dir}/bad.bin`, Readable.from([data]), { size: data.length, adler32: wrong }),
        'CHECKSUM_MISMATCH',
        'write with wrong adler32',
      );
      t.equal(e?.retryable, false, 'a source that does not match its checksum is not retryable');
      t.equal(await a.exists(`${dir}/bad.bin`), false, 'no file at the target');
      t.same(await rawContains('bad.bin'), [], 'no temp file left on the storage');
    }),
  );

  t.test('wrong size and failing source leave nothing', async (t) =>
    withAdapter(t, async (a) => {
      const dir = fresh('badsize');
      const data = randomBuffer(20_000, 4);
      await expectError(
        t,
        a.write(`${dir}/short.bin`, Readable.from([data]), {
          size: data.length + 10,
          adler32: adler32(data),
        }),
        'SIZE_MISMATCH',
        'source shorter than promised',
      );
      t.equal(await a.exists(`${dir}/short.bin`), false);
      async function* broken() {
        yield data;
        throw new Error('disk read error');
      }
      const err = await a.write(`${dir}/broken.bin`, Readable.from(broken()), { size: 2 * data.length }).then(
        () => undefined,
        (e) => e as Error,
      );
      t.ok(err instanceof StorageError, `failing source rejects (${err?.message})`);
      t.equal(await a.exists(`${dir}/broken.bin`), false);
      const ac = new AbortController();
      async function* slow() {
        yield data;
        ac.abort();
        await new Promise((r) => setTimeout(r, 200));
        yield data;
      }
      const ab = await a
        .write(`${dir}/aborted.bin`, Readable.from(slow()), { size: 2 * data.length, signal: ac.signal })
        .then(
          () => undefined,
          (e) => e as Error,
        );
      t.ok(ab instanceof StorageError, `aborted write rejects (${(ab as StorageError)?.code})`);
      t.equal(await a.exists(`${dir}/aborted.bin`), false);
      // Give servers a moment to finish tearing down the aborted upload before looking.
      await new Promise((r) => setTimeout(r, 300));
      t.same(await rawContains(`short.bin`), [], 'no leftovers of the short write');
      t.same(await rawContains(`broken.bin`), [], 'no leftovers of the failed source');
      t.same(await rawContains(`aborted.bin`), [], 'no leftovers of the aborted write');
    }),
  );

  t.test('orphan temporary files of a path are removed, nothing else', async (t) =>
    withAdapter(t, async (a) => {
      const dir = fresh('orphans');
      // Real files on the server under the names a killed writer of f.bin leaves, plus neighbours
      // that must survive: the file itself, another name's temporaries, a name that only shares a
      // prefix, a temporary-like name one directory down.
      const names = {
        orphan1: `.f.bin${TEMP_MARK}dead1`,
        orphan2: `.f.bin${TEMP_MARK}dead2`,
        file: 'f.bin',
        prefixTwin: `.f.binx${TEMP_MARK}z`,
        other: 'g.bin',
        otherTemp: `.g.bin${TEMP_MARK}q`,
        deeper: `sub/.f.bin${TEMP_MARK}deep`,
      };
      const datas = new Map<string, Buffer>();
      let seed = 40;
      for (const n of Object.values(names)) {
        const d = randomBuffer(1000 + seed, seed++);
        datas.set(n, d);
        await a.write(`${dir}/${n}`, Readable.from([d]), { size: d.length, adler32: adler32(d) });
      }
      const onServer = async (n: string) => (await rawContains(`${dir}/${n}`)).length > 0;
      t.ok((await onServer(names.orphan1)) && (await onServer(names.orphan2)), 'two orphans on the server');
      if (target.hidesDotNames) {
        // What really happens there: the listing does not show them, so nothing is removed.
        t.equal(await a.removeOrphanTemps(`${dir}/f.bin`), 0, 'dot names are not listed: none found');
        t.ok(await onServer(names.orphan1), 'the orphan stays (known limit of this server)');
        for (const n of [names.orphan1, names.orphan2, names.otherTemp]) await a.delete(`${dir}/${n}`);
      } else {
        t.equal(await a.removeOrphanTemps(`${dir}/f.bin`), 2, 'both orphans removed');
        t.notOk(
          (await onServer(names.orphan1)) || (await onServer(names.orphan2)),
          'orphans gone from the server',
        );
        t.equal(await a.removeOrphanTemps(`${dir}/f.bin`), 0, 'second call: nothing left to remove');
      }
      for (const n of [names.file, names.prefixTwin, names.other, names.deeper])
        t.ok((await collect(await a.read(`${dir}/${n}`))).equals(datas.get(n)!), `${n} untouched`);
      if (!target.hidesDotNames) {
        t.ok((await collect(await a.read(`${dir}/${names.otherTemp}`))).equals(datas.get(names.otherTemp)!));
        t.equal(await a.removeOrphanTemps(`${dir}/g.bin`), 1, "g.bin's own temporary removed");
        t.notOk(await onServer(names.otherTemp), "g.bin's temporary gone from the server");
      }
      t.equal(await a.exists(`${dir}/g.bin`), true, 'g.bin itself kept');
      t.equal(await a.removeOrphanTemps(`${fresh('missing')}/x/f.bin`), 0, 'missing directory: 0');
      t.equal(await a.removeOrphanTemps(`${dir}/nothing.bin`), 0, 'no temporaries: 0');
      await expectError(t, a.removeOrphanTemps('../f.bin'), 'PATH_ESCAPE', 'escape refused');
      for (const n of [names.file, names.prefixTwin, names.other, names.deeper])
        await a.delete(`${dir}/${n}`);
    }),
  );

  const spec = target.spec;
  if (spec)
    t.test('a writer killed mid-write: what it leaves is found and removed', async (t) =>
      withAdapter(t, async (a) => {
        const dir = fresh('killed');
        const size = 64 * 1024 * 1024;
        const tempsOnServer = () => rawContains(`${dir}/.k.bin${TEMP_MARK}`);
        const child = spawn(
          process.execPath,
          [killedWriter, JSON.stringify({ ...spec, path: `${dir}/k.bin`, size })],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let out = '';
        let err = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
        const exited = new Promise((ok) => child.once('exit', ok));
        const fed = () => Number(out.trim().split('\n').pop() || 0);
        // Kill once 8 MiB went in and the storage shows a temporary (or 1.5 s later where none shows).
        const deadline = Date.now() + 30_000;
        let since = 0;
        while (Date.now() < deadline && child.exitCode === null) {
          if (fed() >= 8 * 1024 * 1024) {
            since ||= Date.now();
            if ((await tempsOnServer()).length || Date.now() - since > 1500) break;
          }
          await new Promise((r) => setTimeout(r, 25));
        }
        child.kill('SIGKILL');
        await exited;
        const atKill = fed();
        t.ok(
          atKill >= 8 * 1024 * 1024 && atKill < size && !out.includes('done'),
          `killed mid-write (${err})`,
        );
        // Helper processes of the writer (root://: xrdcp) outlive it; they end once their input
        // does. Wait for that, and kill by pid whatever would not end.
        let helpers = pidsMentioning(`${dir}/`);
        for (let i = 0; helpers.length && i < 200; i++) {
          await new Promise((r) => setTimeout(r, 50));
          helpers = pidsMentioning(`${dir}/`);
        }
        for (const pid of helpers) process.kill(pid, 'SIGKILL');
        t.same(helpers, [], 'no helper process of the writer outlives it for long');
        t.equal(await a.exists(`${dir}/k.bin`), false, 'nothing at the final name');
        const left = await tempsOnServer();
        t.comment(
          `${a.kind}: killed after ${atKill / 1048576} MiB fed; left on the storage: ${JSON.stringify(left)}`,
        );
        if (target.partialWritesStay)
          t.ok(left.length >= 1, 'the killed write left its temporary on the storage');
        const removed = await a.removeOrphanTemps(`${dir}/k.bin`);
        t.equal(
          removed,
          target.hidesDotNames ? 0 : left.length > 0 ? 1 : 0,
          `removeOrphanTemps removed ${removed}`,
        );
        if (!target.hidesDotNames) t.same(await tempsOnServer(), [], 'no temporary left on the storage');
        else t.same(left, [], 'this server never stores a partial upload, so nothing is hidden there');
      }),
    );

  t.test('large file streamed with bounded memory', async (t) =>
    withAdapter(t, async (a) => {
      const size = target.largeSize ?? 64 * 1024 * 1024;
      const dir = fresh('large');
      const sums = randomSums(size, 21);
      let peak = 0;
      const base = liveArrayBuffers();
      const probe = setInterval(() => {
        peak = Math.max(peak, liveArrayBuffers() - base);
      }, 300);
      try {
        const t0 = Date.now();
        const w = await a.write(`${dir}/big.bin`, randomStream(size, 21), {
          size,
          adler32: sums.adler32,
          md5: sums.md5,
        });
        const t1 = Date.now();
        t.equal(w.adler32, sums.adler32);
        t.equal(w.md5, sums.md5, 'md5 computed in the same pass');
        const back = await checksumStream(await a.read(`${dir}/big.bin`), { md5: true });
        const t2 = Date.now();
        t.same(back, sums, 'read back: same size and checksums');
        t.comment(
          `${size / 1e6} MB: write ${((size / 1e6) * 1000) / Math.max(1, t1 - t0)} MB/s, read ${((size / 1e6) * 1000) / Math.max(1, t2 - t1)} MB/s`,
        );
      } finally {
        clearInterval(probe);
      }
      // Buffering the file whole would show at least `size`; the margin absorbs freed-but-unreclaimed
      // buffers (backing stores are released asynchronously) on a busy machine.
      t.ok(
        peak < size * 0.75,
        `memory stayed bounded (peak +${(peak / 1e6).toFixed(1)} MB for ${size / 1e6} MB)`,
      );
      await a.delete(`${dir}/big.bin`);
    }),
  );

  t.test('many small files in parallel', async (t) =>
    withAdapter(t, async (a) => {
      const dir = fresh('many');
      const files = Array.from({ length: 24 }, (_, i) => ({
        path: `${dir}/d${i % 3}/f${i}.bin`,
        data: randomBuffer(100 + i * 37, i + 1),
      }));
      await Promise.all(
        files.map((f) =>
          a.write(f.path, Readable.from([f.data]), { size: f.data.length, adler32: adler32(f.data) }),
        ),
      );
      const stats = await Promise.all(files.map((f) => a.stat(f.path)));
      t.same(
        stats.map((s) => s.size),
        files.map((f) => f.data.length),
        'all sizes right',
      );
      const back = await Promise.all(
        files.map(async (f) => (await collect(await a.read(f.path))).equals(f.data)),
      );
      t.ok(back.every(Boolean), 'all contents right');
      // Deleted one by one: s3rver answers 500 to concurrent deletes in one directory (its own race).
      for (const f of files) await a.delete(f.path);
    }),
  );

  t.test('batch upload and download of local files', async (t) =>
    withAdapter(t, async (a) => {
      const dir = fresh('batch');
      const local = await mkdtemp(join(tmpdir(), 'oxbow-conf-batch-'));
      try {
        const files = Array.from({ length: 30 }, (_, i) => ({
          name: `b${i}.bin`,
          data: randomBuffer(50 + i * 101, 100 + i),
        }));
        for (const f of files) await writeFile(join(local, f.name), f.data);
        const items = files.map((f, i) => ({
          localPath: join(local, f.name),
          // Several directories and two top-level names, as deterministic paths would give.
          path: i < 2 ? `${dir}-top${i}.bin` : `${dir}/${i % 3}/${i % 2}/${f.name}`,
          size: f.data.length,
          adler32: adler32(f.data),
        }));
        items[5] = { ...items[5], adler32: '0badc0de' };
        const put = await a.putFiles(items, { computeMd5: true });
        t.equal(put.filter((r) => r.ok).length, 29, '29 uploaded');
        const bad = put[5];
        t.ok(!bad.ok && bad.error.code === 'CHECKSUM_MISMATCH', 'the lying item fails alone');
        t.equal(await a.exists(items[5].path), false, 'and leaves nothing');
        const first = put[0];
        t.ok(
          first.ok && first.value.md5 && first.value.adler32 === items[0].adler32,
          'results carry checksums',
        );
        const out = join(local, 'out');
        const gets = items.map((it, i) => ({
          path: it.path,
          localPath: join(out, i % 2 ? 'odd' : 'even', `${i}-${files[i].name}`),
          size: files[i].data.length,
          adler32: adler32(files[i].data),
        }));
        gets.push({
          path: `${dir}/missing.bin`,
          localPath: join(out, 'missing.bin'),
          size: 1,
          adler32: '00000001',
        });
        const got = await a.getFiles(gets);
        t.equal(got.filter((r) => r.ok).length, 29, '29 downloaded');
        const missing = got[got.length - 1];
        t.ok(
          !missing.ok && missing.error.code === 'NOT_FOUND',
          `missing file reported (${!missing.ok && missing.error.code})`,
        );
        const notUp = got[5];
        t.ok(!notUp.ok, 'the file that was never uploaded fails');
        let same = 0;
        for (let i = 0; i < files.length; i++) {
          if (i === 5) continue;
          if ((await readFile(gets[i].localPath)).equals(files[i].data)) same++;
        }
        t.equal(same, 29, 'downloaded bytes identical');
        const leftovers = (await walkLocal(out)).filter((f) => /oxbow-(part|get)/.test(f.slice(out.length)));
        t.same(leftovers, [], 'no temporary files left locally');
      } finally {
        await rm(local, { recursive: true, force: true });
      }
    }),
  );

  const makeDown = target.makeDown;
  if (makeDown)
    t.test('endpoint down fails fast with a retryable error', async (t) => {
      const a = makeDown();
      try {
        const t0 = Date.now();
        const e = await a.stat('x/y.bin').then(
          () => undefined,
          (err) => err as StorageError,
        );
        const dt = Date.now() - t0;
        t.ok(e instanceof StorageError, 'StorageError');
        t.ok(
          e && ['CONNECTION', 'TIMEOUT'].includes(e.code),
          `connection-type code (${e?.code}: ${e?.message})`,
        );
        t.equal(e?.retryable, true, 'retryable');
        t.ok(dt < 5000, `failed in ${dt} ms`);
        const d = Buffer.from('data');
        const t1 = Date.now();
        const we = await a.write('x/z.bin', Readable.from([d]), { size: d.length, adler32: adler32(d) }).then(
          () => undefined,
          (err) => err as StorageError,
        );
        t.equal(we?.retryable, true, `write to a dead endpoint is retryable (${we?.code})`);
        t.ok(Date.now() - t1 < 5000, 'write failed fast too');
      } finally {
        await a.close();
      }
    });

  t.test('permission denied is a permanent error with the server message', async (t) => {
    if (target.deniedProbe) {
      const r = await target.deniedProbe();
      t.equal(r.code, 'PERMISSION_DENIED', r.message);
      t.equal(r.retryable, false);
      return;
    }
    if (!target.denied) return t.fail('backend gives no way to test permission errors');
    const { adapter, path } = await target.denied();
    try {
      const d = Buffer.from('not allowed');
      const e = await expectError(
        t,
        adapter.write(path, Readable.from([d]), { size: d.length, adler32: adler32(d) }),
        'PERMISSION_DENIED',
        'write into a read-only area',
      );
      t.equal(e?.retryable, false, 'not retryable');
      t.ok(e?.serverMessage, `server message kept: ${e?.serverMessage}`);
      const check = target.make();
      t.equal(await check.exists(path), false, 'nothing written');
      await check.close();
    } finally {
      await adapter.close();
    }
  });

  t.test('names that try to escape the prefix are refused', async (t) =>
    withAdapter(t, async (a) => {
      const d = Buffer.from('escape');
      const opts = { size: d.length, adler32: adler32(d) };
      await expectError(t, a.write('../escape.bin', Readable.from([d]), opts), 'PATH_ESCAPE', 'write ../');
      await expectError(
        t,
        a.write('a/../../escape.bin', Readable.from([d]), opts),
        'PATH_ESCAPE',
        'write a/../../',
      );
      await expectError(t, a.read('/../../../etc/passwd'), 'PATH_ESCAPE', 'read /../../');
      await expectError(t, a.stat('a/..'), 'PATH_ESCAPE', 'stat a/..');
      await expectError(t, a.delete('x/../../y'), 'PATH_ESCAPE', 'delete x/../../y');
      await expectError(t, a.list('..'), 'PATH_ESCAPE', 'list ..');
      await expectError(t, a.write('bad\\..\\name', Readable.from([d]), opts), 'PATH_ESCAPE', 'backslashes');
      const foreign = target.expectedPfn.replace(/\/\/[^/]+/, '//other.example.org:1');
      await expectError(t, a.stat(foreign), 'PATH_ESCAPE', 'PFN of another host');
      t.same(await rawContains('escape.bin'), [], 'nothing written anywhere');
    }),
  );

  if (target.realDirs)
    t.test('mkdir and list of missing directory', async (t) =>
      withAdapter(t, async (a) => {
        const dir = fresh('mkdir');
        await a.mkdir(`${dir}/a/b/c`);
        t.equal((await a.stat(`${dir}/a/b/c`)).isDir, true, 'nested directory created');
        t.same(
          (await a.list(`${dir}/a/b`)).map((e) => [e.name, e.isDir]),
          [['c', true]],
        );
        await a.mkdir(`${dir}/a/b/c`);
        t.pass('mkdir of an existing directory is fine');
        await expectError(t, a.list(`${dir}/missing`), 'NOT_FOUND', 'list of a missing directory');
      }),
    );

  if (target.tpc) {
    const tpc = target.tpc;
    t.test('third-party copy', async (t) => {
      const src = tpc.source();
      const dst = target.make();
      try {
        const dir = fresh('tpc');
        const data = randomBuffer(2_000_000, 17);
        const sum = adler32(data);
        await src.write(`${dir}/src.bin`, Readable.from([data]), { size: data.length, adler32: sum });
        t.ok(dst.canThirdPartyCopy(src.pfn(`${dir}/src.bin`)), 'destination can copy from the source PFN');
        for (const mode of tpc.modes) {
          const r = await dst.thirdPartyCopy(src.pfn(`${dir}/src.bin`), `${dir}/${mode}/copy.bin`, {
            size: data.length,
            adler32: sum,
            mode,
          });
          t.equal(r.adler32, sum, `${mode}: adler32 verified at the destination`);
          t.ok(
            (await collect(await dst.read(`${dir}/${mode}/copy.bin`))).equals(data),
            `${mode}: same bytes`,
          );
          await dst.delete(`${dir}/${mode}/copy.bin`);
        }
        await expectError(
          t,
          dst.thirdPartyCopy(src.pfn(`${dir}/nope.bin`), `${dir}/nope-copy.bin`, { mode: tpc.modes[0] }),
          'NOT_FOUND',
          'copy of a missing source',
        );
        t.equal(await dst.exists(`${dir}/nope-copy.bin`), false, 'nothing left after a failed copy');
        await expectError(
          t,
          dst.thirdPartyCopy(src.pfn(`${dir}/src.bin`), `${dir}/badsum.bin`, {
            adler32: '0badc0de',
            mode: tpc.modes[0],
          }),
          'CHECKSUM_MISMATCH',
          'copy with a wrong expected checksum',
        );
        t.equal(await dst.exists(`${dir}/badsum.bin`), false, 'mismatching copy removed');
        t.same(await rawContains('badsum.bin'), [], 'no temp file left');
        await src.delete(`${dir}/src.bin`);
      } finally {
        await src.close();
        await dst.close();
      }
    });
  }
}
