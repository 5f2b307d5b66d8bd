import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import t, { type Test } from 'tap';
import {
  type BranchSpec,
  createRootFile,
  createTH1,
  createTH2,
  fillTH1,
  fillTH2,
  merge,
  RootFile,
  readColumn,
  setBinContents,
  WriteError,
  writeHistograms,
} from '../src/index.js';
import { captureStreamers, encodeStreamerSet } from '../src/write/capture-streamers.js';
import { streamerChecksum } from '../src/write/checksum.js';
import { STREAMER_SET_B64 } from '../src/write/streamer-set.js';
import { builtinStreamers } from '../src/write/streamers.js';
import { jsrootDump } from './support/jsroot.js';

async function tmp(t: Test): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'rootio-write-'));
  t.teardown(() => rm(d, { recursive: true, force: true }));
  return d;
}

const SPECS: BranchSpec[] = [
  { name: 'b', type: 'B' },
  { name: 'ub', type: 'b' },
  { name: 's', type: 'S' },
  { name: 'us', type: 's' },
  { name: 'n', type: 'I' },
  { name: 'ui', type: 'i' },
  { name: 'l', type: 'L' },
  { name: 'ul', type: 'l' },
  { name: 'f', type: 'F' },
  { name: 'd', type: 'D' },
  { name: 'o', type: 'O' },
  { name: 'str', type: 'C' },
  { name: 'fa', type: 'F', length: 3 },
  { name: 'ia', type: 'S', length: 2 },
  { name: 'ja', type: 'D', counter: 'n' },
  { name: 'jb', type: 'I', counter: 'n' },
  { name: 'vf', type: 'vector<float>' },
  { name: 'vd', type: 'vector<double>' },
  { name: 'vi', type: 'vector<int>' },
  { name: 'vs', type: 'vector<short>' },
];

/** Deterministic values for entry i of every branch, covering each type's extremes. */
function entry(i: number): Record<string, unknown> {
  const n = i % 6;
  const edge = i % 50 === 0;
  return {
    b: edge ? -128 : (i % 256) - 128,
    ub: edge ? 255 : i % 256,
    s: edge ? -32768 : i * 7 - 1000,
    us: edge ? 65535 : i * 3,
    n,
    ui: edge ? 4294967295 : i * 1000003,
    // JSROOT misreads some negative 64-bit values (e.g. -2^32); this one it reads right. The full
    // range is checked with our own reader below.
    l: edge ? -1099511640121 : i * 10000000019,
    ul: edge ? 2 ** 53 - 1 : i * 3,
    f: i / 3,
    d: edge ? -1e300 : i / 7,
    o: i % 3 === 0,
    str: i % 97 === 0 ? 'y'.repeat(300) : 'ab'.repeat(i % 5),
    fa: [i, -i, i / 2],
    ia: [i % 1000, -(i % 1000)],
    ja: Array.from({ length: n }, (_, k) => i + k / 10),
    jb: Array.from({ length: n }, (_, k) => i * k),
    vf: Array.from({ length: i % 4 }, (_, k) => k * 0.25 + i),
    vd: Array.from({ length: (i + 1) % 3 }, (_, k) => -k - i / 9),
    vi: Array.from({ length: i % 2 }, () => -i),
    vs: [i % 300],
  };
}

/** What JSROOT should report for an entry value (floats rounded to single precision). */
function expected(name: string, v: unknown): unknown {
  const f32 = name === 'f' || name === 'fa' || name === 'vf';
  const conv = (x: unknown) => (f32 ? Math.fround(Number(x)) : x);
  return Array.isArray(v) ? v.map(conv) : conv(v);
}

const N = 700;

t.test('trees of every branch kind round-trip through JSROOT in every compression', async (t) => {
  const d = await tmp(t);
  const compressions = [0, 101, 207, 404, 505];
  const paths: string[] = [];
  for (const compression of compressions) {
    const path = join(d, `all-${compression}.root`);
    paths.push(path);
    const f = await createRootFile(path, { compression });
    // Small baskets: every branch spans several baskets, so basket bookkeeping is exercised.
    const tree = await f.createTree('sub/events', SPECS, { title: 'all kinds', basketSize: 2000 });
    for (let i = 0; i < N / 2; i++) await tree.fill(entry(i) as never);
    // The second half as columns.
    const cols: Record<string, unknown[]> = {};
    for (let i = N / 2; i < N; i++) for (const [k, v] of Object.entries(entry(i))) (cols[k] ??= []).push(v);
    await tree.extend(cols as never);
    await f.close();

    // Our own reader agrees and the baskets really were split.
    const rf = await RootFile.open(path);
    const tr = await rf.get('sub/events');
    const ja = await readColumn(rf, tr, 'ja');
    t.equal(ja.entries, N);
    const br = (tr.fBranches as { arr: { fName: string; fWriteBasket: number; fCompress: number }[] }).arr;
    t.ok(br.find((b) => b.fName === 'd')!.fWriteBasket >= 2, 'several baskets per branch');
    t.equal(rf.header.compress, compression, 'header records the compression setting');
    await rf.close();
  }
  // One JSROOT run reads the five files; their entries come back concatenated in file order.
  const got = await jsrootDump({ files: paths, tree: 'sub/events', values: true });
  t.equal(got.entries, N * compressions.length, 'entries');
  t.equal(got.title, 'all kinds');
  let bad = 0;
  for (const s of SPECS) {
    const want = Array.from({ length: N }, (_, i) => JSON.stringify(expected(s.name, entry(i)[s.name])));
    const g = got.values[s.name] ?? [];
    compressions.forEach((c, fi) => {
      const at = want.findIndex((w, i) => JSON.stringify(g[fi * N + i]) !== w);
      if (at >= 0) {
        bad++;
        t.fail(`${c}: branch ${s.name} differs at entry ${at}`, { got: g[fi * N + at], want: want[at] });
      }
    });
  }
  t.equal(bad, 0, 'JSROOT reads every value of every branch kind in every compression');
});

t.test('64-bit integers keep their full range (BigInt in, BigInt out)', async (t) => {
  const d = await tmp(t);
  const path = join(d, 'int64.root');
  const f = await createRootFile(path);
  const tree = await f.createTree('t', [
    { name: 'l', type: 'L' },
    { name: 'ul', type: 'l' },
  ]);
  const l = [-(2n ** 63n), -(2n ** 53n) - 1n, -1n, 0n, 2n ** 63n - 1n];
  const ul = [0n, 1n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n];
  await tree.extend({ l, ul });
  await f.close();
  const rf = await RootFile.open(path);
  const tr = await rf.get('t');
  t.same(Array.from((await readColumn(rf, tr, 'l')).values as BigInt64Array), l);
  t.same(Array.from((await readColumn(rf, tr, 'ul')).values as BigUint64Array), ul);
  await rf.close();
});

t.test('baskets are flushed at the configured size (bounded memory)', async (t) => {
  const d = await tmp(t);
  const path = join(d, 'big.root');
  const f = await createRootFile(path, { compression: 404 });
  const tree = await f.createTree('t', [{ name: 'x', type: 'D' }], { basketSize: 8000 });
  const n = 200_000;
  const chunk = new Float64Array(10_000);
  for (let start = 0; start < n; start += chunk.length) {
    for (let i = 0; i < chunk.length; i++) chunk[i] = start + i;
    await tree.extend({ x: chunk });
  }
  await f.close();
  const rf = await RootFile.open(path);
  const tr = await rf.get('t');
  const x = (tr.fBranches as { arr: Record<string, unknown>[] }).arr[0]!;
  t.equal(x.fWriteBasket, n / 1000, '8000-byte baskets of 1000 doubles');
  t.equal(x.fEntries, n);
  const col = await readColumn(rf, tr, 'x');
  const v = col.values as Float64Array;
  t.equal(v.length, n);
  t.equal(v[123456], 123456);
  await rf.close();
});

t.test('histograms TH1/TH2 in F, D, I from values and from bin contents', async (t) => {
  const d = await tmp(t);
  const path = join(d, 'hists.root');
  const values = Array.from({ length: 1000 }, (_, i) => ((i * 37) % 113) / 10 - 0.5);
  const hists: Record<string, ReturnType<typeof createTH1>> = {};
  for (const s of ['F', 'D', 'I'] as const) {
    const h = createTH1(`h1${s}`, `1D ${s}`, { bins: 10, min: 0, max: 10 }, s);
    for (const v of values) fillTH1(h, v);
    hists[`one/h1${s}`] = h;
    const h2 = createTH2(`h2${s}`, `2D ${s}`, { bins: 3, min: 0, max: 3 }, { edges: [0, 1, 5, 10] }, s);
    for (const v of values) fillTH2(h2, v / 3, v, 2);
    hists[`two/deeper/h2${s}`] = h2;
  }
  const hc = createTH1('fromBins', 'from bins', { edges: [0, 1, 2, 4, 8] }, 'D');
  setBinContents(hc, [1, 2, 3, 4], { sumw2: [1, 4, 9, 16] });
  hists.fromBins = hc;
  await writeHistograms(path, hists);
  t.ok((await stat(path)).size < 100_000, 'a small file');

  const got = await jsrootDump({ files: [path], objects: Object.keys(hists), listKeys: true });
  // Expected 1D contents computed independently of the library.
  const bins = new Array<number>(12).fill(0);
  let sw = 0;
  let swx = 0;
  let swx2 = 0;
  for (const v of values) {
    const b = v < 0 ? 0 : v >= 10 ? 11 : Math.floor(v) + 1;
    bins[b]!++;
    if (b >= 1 && b <= 10) {
      sw += 1;
      swx += v;
      swx2 += v * v;
    }
  }
  for (const s of ['F', 'D', 'I']) {
    const o = got.objects[`one/h1${s}`]!;
    t.equal(o._typename, `TH1${s}`);
    t.equal(o.fTitle, `1D ${s}`);
    t.same(o.fArray, bins, `TH1${s} bins incl. under/overflow`);
    t.equal(o.fEntries, values.length, `TH1${s} entries`);
    t.equal(o.fTsumw, sw);
    t.ok(
      Math.abs((o.fTsumwx as number) - swx) < 1e-9 && Math.abs((o.fTsumwx2 as number) - swx2) < 1e-6,
      'moments',
    );
    const o2 = got.objects[`two/deeper/h2${s}`]!;
    t.equal(o2._typename, `TH2${s}`);
    t.equal(o2.fNcells, 5 * 5);
    t.same(o2.fYbins, [0, 1, 5, 10], 'variable y edges');
    const sum2 = (o2.fArray as number[]).reduce((a, b) => a + b, 0);
    t.equal(sum2, 2 * values.length, `TH2${s}: every weight-2 fill lands in a cell`);
    t.equal(o2.fEntries, values.length);
    if (s !== 'I')
      t.equal(
        (o2.fSumw2 as number[]).reduce((a, b) => a + b, 0),
        4 * values.length,
        'sumw2 of weight 2',
      );
  }
  const fb = got.objects.fromBins!;
  t.same(fb.fArray, [0, 1, 2, 3, 4, 0]);
  t.same(fb.fSumw2, [0, 1, 4, 9, 16, 0]);
  t.equal(fb.fTsumw, 10);
  t.equal(fb.fTsumwx, 1 * 0.5 + 2 * 1.5 + 3 * 3 + 4 * 6);
  t.equal(fb.fEntries, 100 / 30, 'effective entries (sum w)^2 / sum w^2');
  t.same(
    got.keys.map((k) => k.path).sort(),
    [
      'fromBins',
      'one',
      'one/h1D',
      'one/h1F',
      'one/h1I',
      'two',
      'two/deeper',
      'two/deeper/h2D',
      'two/deeper/h2F',
      'two/deeper/h2I',
    ],
    'directories and names',
  );
});

t.test('written files merge (fast and recompressing) and JSROOT reads the result', async (t) => {
  const d = await tmp(t);
  const a = join(d, 'a.root');
  const f = await createRootFile(a, { compression: 505 });
  const tree = await f.createTree('events', SPECS.slice(0, 16), { basketSize: 1500 });
  for (let i = 0; i < 300; i++) await tree.fill(entry(i) as never);
  const h = createTH1('h', 'h', { bins: 4, min: 0, max: 4 });
  fillTH1(h, 1.5, 3);
  await f.writeObject('h', h);
  await f.close();
  const want = await jsrootDump({ files: [a, a], tree: 'events' });
  for (const compression of ['keep', 101] as const) {
    const out = join(d, `m-${compression}.root`);
    const r = await merge(out, [a, a], { compression });
    t.equal(r.trees[0]!.entries, 600);
    const got = await jsrootDump({ files: [out], tree: 'events', objects: ['h'] });
    t.same(got.branches, want.branches, `${compression}: merged entries equal the inputs'`);
    t.same(got.objects.h!.fArray, [0, 0, 6, 0, 0, 0], 'histogram added');
  }
});

t.test('stream output: the file is piped into a Writable', async (t) => {
  const d = await tmp(t);
  const path = join(d, 'from-stream.root');
  const sink = new PassThrough();
  const done = pipeline(sink, createWriteStream(path));
  let piped = 0;
  const f = await createRootFile(sink, { tmpDir: d, streamName: 'x.root', onPipe: (n) => (piped = n) });
  const tree = await f.createTree('t', [{ name: 'v', type: 'vector<double>' }]);
  await tree.extend({ v: [[1, 2], [], [3]] });
  await f.close();
  await done;
  t.equal(piped, (await stat(path)).size, 'progress reports every byte piped');
  const got = await jsrootDump({ files: [path], tree: 't', values: true });
  t.same(got.values.v, [[1, 2], [], [3]]);
  t.same(await readdir(d), ['from-stream.root'], 'temporary file removed');
});

t.test('bad input is refused with WriteError and leaves nothing behind', async (t) => {
  const d = await tmp(t);
  const path = join(d, 'bad.root');
  await t.rejects(
    createRootFile(path).then((f) => f.createTree('t', [{ name: 'x', type: 'F', counter: 'nope' }])),
    WriteError,
  );
  const f = await createRootFile(path);
  const tree = await f.createTree('t', [
    { name: 'n', type: 'I' },
    { name: 'x', type: 'F', counter: 'n' },
  ]);
  await t.rejects(tree.fill({ n: 2, x: [1] }), /1 values but n = 2/);
  t.equal(tree.entryCount, 0, 'a refused entry adds nothing');
  await f.abort();
  const f2 = await createRootFile(path);
  const t2 = await f2.createTree('t', [{ name: 'x', type: 'I' }]);
  await t.rejects(t2.extend({ y: [1] }), /no column for branch x/);
  await t.rejects(t2.extend({ x: [1, 'a'] }), /entry 1: expected a number/);
  await t2.extend({ x: [7] });
  t.equal(t2.entryCount, 1, 'refused columns added nothing');
  await f2.abort();
  t.same(await readdir(d), [], 'no output and no temporary file');
});

t.test('builtin streamer infos: captured from the corpus, checksums as ROOT computes them', async (t) => {
  const captured = await captureStreamers('/work/shared/data/root');
  t.equal(
    encodeStreamerSet(captured).toString('base64'),
    STREAMER_SET_B64,
    'streamer-set.ts is the corpus capture',
  );
  const reg = builtinStreamers();
  for (const info of captured)
    if (!info.fName.startsWith('TH2') && info.fName !== 'THashList' && info.fName !== 'TSeqCollection')
      t.equal(
        streamerChecksum(info),
        info.fCheckSum >>> 0,
        `checksum of ${info.fName} v${info.fClassVersion}`,
      );
  for (const cls of ['TH1D', 'TH1I', 'TH2D', 'TH2I', 'vector<double>', 'vector<bool>'])
    t.ok(reg.find(cls), `derived ${cls}`);
});
