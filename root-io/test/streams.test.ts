import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import t, { type Test } from 'tap';
import {
  bufferSource,
  fileSource,
  type MergeProgress,
  merge,
  RootFile,
  rangeSource,
  streamSource,
} from '../src/index.js';
import { corpus, jsrootDump } from './support/jsroot.js';

async function tmp(t: Test): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'rootio-streams-'));
  t.teardown(() => rm(d, { recursive: true, force: true }));
  return d;
}

t.test('merge from byte-range sources and a Readable into a Writable, with progress', async (t) => {
  const d = await tmp(t);
  const zlib = corpus('uproot-HZZ-zlib.root');
  const lz4 = corpus('uproot-HZZ-lz4.root');
  const zstd = corpus('uproot-HZZ-zstd.root');
  // 1) any byte-range reader: here one over a local file that counts the ranges asked for.
  const f = await fileSource(zlib);
  const ranges: [number, number][] = [];
  const counted = rangeSource(
    'counted:zlib',
    f.size,
    (o, l) => {
      ranges.push([o, l]);
      return f.read(o, l);
    },
    () => f.close(),
  );
  // 2) bytes in memory; 3) a sequential stream (spooled to a temporary file in d).
  const mem = bufferSource(await readFile(lz4), 'memory:lz4');
  const spooled = await streamSource(createReadStream(zstd), { name: 'stream:zstd', tmpDir: d });

  const outPath = join(d, 'merged.root');
  const sink = new PassThrough();
  const written = pipeline(sink, createWriteStream(outPath));
  const events: MergeProgress[] = [];
  const r = await merge(sink, [counted, mem, spooled], {
    compression: 505,
    tmpDir: d,
    streamName: 'merged.root',
    onProgress: (p) => events.push(p),
  });
  await written;
  t.equal(r.trees[0]!.entries, 3 * 2421);
  t.ok(
    ranges.length > 3 && ranges.some(([o]) => o > 1000),
    'inputs read by random access through the source',
  );
  t.same(
    [...new Set(events.filter((e) => e.phase === 'tree').map((e) => e.input))],
    [0, 1, 2],
    'a progress event per input tree',
  );
  const piped = events.filter((e) => e.phase === 'pipe');
  const size = (await stat(outPath)).size;
  t.equal(piped.at(-1)?.bytesWritten, size, 'pipe progress reaches the output size');
  t.equal(r.bytes, size);
  t.same((await readdir(d)).sort(), ['merged.root'], 'temporary files (spool, output) removed');

  const want = await jsrootDump({ files: [zlib, lz4, zstd], tree: 'events' });
  const got = await jsrootDump({ files: [outPath], tree: 'events' });
  t.equal(got.entries, want.entries);
  t.same(got.branches, want.branches, 'every entry of every branch equals the inputs’ concatenation');
});

t.test('RootFile reads from any ByteSource; a failing stream output leaves no temporary file', async (t) => {
  const d = await tmp(t);
  const rf = await RootFile.open(bufferSource(await readFile(corpus('uproot-Zmumu.root')), 'zmumu'));
  t.equal(rf.path, 'zmumu');
  t.equal((await rf.get('events')).fEntries, 2304);
  await rf.close();

  const sink = new PassThrough();
  sink.resume();
  const hzz = await readFile(corpus('uproot-HZZ.root'));
  const truncated = bufferSource(hzz.subarray(0, hzz.length - 5000), 'truncated');
  await t.rejects(merge(sink, [corpus('uproot-HZZ.root'), truncated], { tmpDir: d }), /truncated/);
  t.ok(sink.destroyed, 'the stream is destroyed, not ended, so it cannot pass for a complete file');
  t.same(await readdir(d), [], 'no temporary file left');
});
