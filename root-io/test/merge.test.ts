import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { merge } from '../src/index.js';
import { corpus, type JsrootDump, jsrootDump } from './support/jsroot.js';

const HZZ_SUM = 773945.4286165655;

async function tmp(t: Test): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'rootio-merge-'));
  t.teardown(() => rm(d, { recursive: true, force: true }));
  return d;
}

/** JSROOT's reading of the same inputs is computed once per test file. */
const wantMemo = new Map<string, Promise<JsrootDump>>();

/** Asserts that JSROOT reads from `out` exactly the concatenation of the inputs' entries. */
async function sameAsConcatenation(
  t: Test,
  out: string,
  inputs: string[],
  tree: string,
): Promise<JsrootDump> {
  const memoKey = JSON.stringify([inputs, tree]);
  let wantP = wantMemo.get(memoKey);
  if (!wantP) wantMemo.set(memoKey, (wantP = jsrootDump({ files: inputs, tree })));
  const want = await wantP;
  const got = await jsrootDump({ files: [out], tree });
  t.equal(got.entries, want.entries, `${tree}: entries`);
  t.same(Object.keys(got.branches), Object.keys(want.branches), `${tree}: branch names`);
  let differing = 0;
  for (const [name, w] of Object.entries(want.branches)) {
    const g = got.branches[name];
    if (!g || g.hash !== w.hash || g.count !== w.count) {
      differing++;
      t.fail(`branch ${name} differs`, { want: w, got: g });
    }
  }
  t.equal(differing, 0, `${tree}: every entry of every branch equals the inputs' concatenation`);
  t.equal(got.className, want.className, 'tree class preserved');
  t.equal(got.title, want.title, 'tree title preserved');
  return got;
}

t.test('HZZ in five compressions, fast (-fk) and recompressing (-f101, -f505)', async (t) => {
  const d = await tmp(t);
  const inputs = [
    'uproot-HZZ.root',
    'uproot-HZZ-zlib.root',
    'uproot-HZZ-lz4.root',
    'uproot-HZZ-zstd.root',
    'uproot-HZZ-lzma.root',
  ].map(corpus);
  for (const compression of ['keep', 101, 505] as const) {
    const out = join(d, `hzz-${compression}.root`);
    const r = await merge(out, inputs, { compression });
    t.equal(r.trees[0]!.entries, 5 * 2421);
    if (compression === 'keep') t.equal(r.trees[0]!.recompressedBaskets, 0, 'fast mode copies every basket');
    const got = await sameAsConcatenation(t, out, inputs, 'events');
    const sum = Object.values(got.branches).reduce((s, b) => s + b.sum, 0);
    t.ok(Math.abs(sum - 5 * HZZ_SUM) < 1e-5, `checksum ${sum} = 5 x HZZ`);
  }
});

t.test('fast mode when the compression matches (-f1 on zlib-1 inputs)', async (t) => {
  const d = await tmp(t);
  const inputs = [corpus('uproot-HZZ.root'), corpus('uproot-HZZ.root'), corpus('uproot-HZZ.root')];
  const out = join(d, 'hzz3.root');
  const r = await merge(out, inputs, { compression: 1 });
  t.equal(r.trees[0]!.recompressedBaskets, 0);
  t.ok(r.trees[0]!.fastBaskets > 0);
  await sameAsConcatenation(t, out, inputs, 'events');
});

t.test('NanoAOD (embedded baskets, 947 branches, unsigned types)', async (t) => {
  const d = await tmp(t);
  const inputs = [
    corpus('nanoAOD_2015_CMS_Open_Data_ttbar.root'),
    corpus('nanoAOD_2015_CMS_Open_Data_ttbar.root'),
  ];
  const out = join(d, 'nano.root');
  await merge(out, inputs, { compression: 'keep' });
  await sameAsConcatenation(t, out, inputs, 'Events');
});

t.test('std::vector branches, every leaf type, strings, offsets, TNtuple, large entry counts', async (t) => {
  const d = await tmp(t);
  const cases: [string[], string, number | 'keep'][] = [
    [['uproot-issue-816.root', 'uproot-issue-816.root'], 'AnalysisMiniTree', 'keep'],
    [['uproot-sample-6.20.04-zlib.root', 'uproot-sample-6.20.04-uncompressed.root'], 'sample', 404],
    [['uproot-Zmumu.root', 'uproot-Zmumu-zstd.root'], 'events', 101],
    [['uproot-small-dy-withoffsets.root', 'uproot-small-dy-withoffsets.root'], 'tree', 101],
    [['uproot-issue79.root', 'uproot-issue79.root'], 'taus', 'keep'],
  ];
  for (const [names, tree, compression] of cases) {
    const out = join(d, `${tree}.root`);
    const inputs = names.map(corpus);
    await merge(out, inputs, { compression, force: true });
    await sameAsConcatenation(t, out, inputs, tree);
  }
});

t.test('nested directories merged recursively', async (t) => {
  const d = await tmp(t);
  const inputs = [corpus('uproot-nesteddirs.root'), corpus('uproot-nesteddirs.root')];
  const out = join(d, 'nested.root');
  await merge(out, inputs);
  for (const tree of ['one/tree', 'one/two/tree', 'three/tree'])
    await sameAsConcatenation(t, out, inputs, tree);
  const keys = await jsrootDump({ files: [out], listKeys: true });
  t.same(
    keys.keys.map((k) => `${k.path}:${k.className}`).sort(),
    [
      'one/tree:TTree',
      'one/two/tree:TTree',
      'one/two:TDirectory',
      'one:TDirectory',
      'three/tree:TTree',
      'three:TDirectory',
    ].sort(),
  );
});

t.test('histograms added bin by bin with sumw2 and statistics', async (t) => {
  const d = await tmp(t);
  const inputs = [
    corpus('uproot-hepdata-example.root'),
    corpus('uproot-hepdata-example.root'),
    corpus('uproot-histograms.root'),
  ];
  const out = join(d, 'hists.root');
  const r = await merge(out, inputs);
  t.same(r.histograms.sort(), ['hprof', 'hpx', 'hpxpy', 'one', 'three', 'two'].sort());
  const objs = ['hpx', 'hpxpy', 'hprof'];
  const one = await jsrootDump({ files: [inputs[0]!], objects: objs });
  const got = await jsrootDump({ files: [out], objects: [...objs, 'one', 'two'], listKeys: true });
  for (const name of objs) {
    const a = one.objects[name]!;
    const b = got.objects[name]!;
    t.equal(b._typename, a._typename, `${name} class`);
    t.equal(b.fTitle, a.fTitle, `${name} title`);
    t.equal(b.fEntries, 2 * (a.fEntries as number), `${name} entries doubled`);
    t.same(
      b.fArray,
      (a.fArray as number[]).map((x) => 2 * x),
      `${name} bins doubled`,
    );
    for (const s of ['fTsumw', 'fTsumw2', 'fTsumwx', 'fTsumwx2'])
      t.ok(
        Math.abs((b[s] as number) - 2 * (a[s] as number)) <= 1e-9 * Math.abs(a[s] as number),
        `${name} ${s}`,
      );
    if (Array.isArray(a.fSumw2) && a.fSumw2.length)
      t.same(
        b.fSumw2,
        (a.fSumw2 as number[]).map((x) => 2 * x),
        `${name} sumw2 doubled`,
      );
  }
  const h = await jsrootDump({ files: [corpus('uproot-histograms.root')], objects: ['one'] });
  t.same(got.objects.one!.fArray, h.objects.one!.fArray, 'histogram only in one input copied as is');
  await sameAsConcatenation(t, out, inputs.slice(0, 2), 'ntuple');
});

t.test('trees with 0 entries and -T', async (t) => {
  const d = await tmp(t);
  const out = join(d, 'empty.root');
  const r = await merge(out, [corpus('uproot-empty.root'), corpus('uproot-empty.root')]);
  t.equal(r.trees[0]!.entries, 0);
  const keys = await jsrootDump({ files: [out], listKeys: true });
  t.same(
    keys.keys.map((k) => k.path),
    ['tree'],
  );
  const out2 = join(d, 'notrees.root');
  const r2 = await merge(out2, [corpus('uproot-hepdata-example.root')], { skipTrees: true });
  t.equal(r2.trees.length, 0);
  const k2 = await jsrootDump({ files: [out2], listKeys: true });
  t.notOk(
    k2.keys.some((k) => k.path === 'ntuple'),
    'tree skipped',
  );
  t.same(await readdir(d).then((f) => f.filter((x) => x.includes('.tmp-'))), [], 'no temporary files left');
});
