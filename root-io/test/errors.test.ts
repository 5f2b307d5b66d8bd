import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import {
  BranchMismatchError,
  createRootFile,
  createTH1,
  createTH2,
  fillTH1,
  fillTH2,
  HistogramAxesError,
  InputError,
  merge,
  RootFile,
  RootFileWriter,
  runHadd,
  writeHistograms,
} from '../src/index.js';
import type { RObj } from '../src/io/types.js';
import { corpus, jsrootDump } from './support/jsroot.js';

async function tmp(t: Test): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'rootio-err-'));
  t.teardown(() => rm(d, { recursive: true, force: true }));
  return d;
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

t.test('an input whose branch list differs is skipped with a warning, as ROOT does', async (t) => {
  const d = await tmp(t);
  const out = join(d, 'skip.root');
  const warnings: string[] = [];
  const inputs = [corpus('uproot-HZZ.root'), corpus('uproot-Zmumu.root'), corpus('uproot-HZZ-zlib.root')];
  const r = await merge(out, inputs, { onWarning: (m) => warnings.push(m) });
  t.equal(r.trees[0]!.entries, 2 * 2421, 'the two HZZ trees are merged');
  t.equal(r.skippedTrees.length, 1);
  t.equal(r.skippedTrees[0]!.input, inputs[1]);
  t.match(r.skippedTrees[0]!.reason, /branch \w+ is (only in|missing in) .*Zmumu/);
  t.match(warnings.join('\n'), /skipping events of .*Zmumu/);
  const got = await jsrootDump({ files: [out], tree: 'events' });
  const want = await jsrootDump({ files: [inputs[0]!, inputs[2]!], tree: 'events' });
  t.same(got.branches, want.branches, 'output = the inputs that were kept');
});

t.test('a branch whose leaf type differs is refused, naming it; nothing written', async (t) => {
  const d = await tmp(t);
  const mk = async (name: string, type: 'F' | 'D') => {
    const p = join(d, name);
    const f = await createRootFile(p);
    const tree = await f.createTree('t', [
      { name: 'a', type: 'I' },
      { name: 'x', type },
    ]);
    await tree.extend({ a: [1, 2], x: [0.5, 1.5] });
    await f.close();
    return p;
  };
  const a = await mk('a.root', 'F');
  const b = await mk('b.root', 'D');
  const out = join(d, 'bad.root');
  const err = await merge(out, [a, b]).catch((e) => e);
  t.type(err, BranchMismatchError);
  t.equal((err as BranchMismatchError).branch, 'x', 'the differing branch is named');
  t.match((err as Error).message, /branch x has layout TBranch\[TLeafF.*but TBranch\[TLeafD/);
  t.same((await readdir(d)).sort(), ['a.root', 'b.root'], 'no output and no temporary file');
});

t.test('histograms with different but aligned ranges merge onto the union axis, as ROOT does', async (t) => {
  const d = await tmp(t);
  const a = createTH1('h', 'h', { bins: 10, min: 0, max: 10 });
  const b = createTH1('h', 'h', { bins: 15, min: 5, max: 20 });
  for (const x of [-1, 0.5, 5.5, 9.5]) fillTH1(a, x);
  for (const x of [5.5, 12.5, 19.5, 25]) fillTH1(b, x, 2);
  const g = createTH2('g', 'g', { bins: 2, min: 0, max: 2 }, { bins: 2, min: 0, max: 2 });
  const g2 = createTH2('g', 'g', { bins: 2, min: 1, max: 3 }, { bins: 2, min: 0, max: 2 });
  fillTH2(g, 0.5, 1.5);
  fillTH2(g2, 2.5, 0.5, 3);
  await writeHistograms(join(d, 'a.root'), { h: a, g });
  await writeHistograms(join(d, 'b.root'), { h: b, g: g2 });
  const out = join(d, 'sum.root');
  await merge(out, [join(d, 'a.root'), join(d, 'b.root')]);
  const got = await jsrootDump({ files: [out], objects: ['h', 'g'] });
  const h = got.objects.h!;
  t.equal(h.fNbins, 20);
  t.equal(h.fXmin, 0);
  t.equal(h.fXmax, 20);
  const want = new Array<number>(22).fill(0);
  want[0] = 1; // underflow of a (its range starts at the union's lower edge)
  want[1] = 1; // 0.5
  want[6] = 1 + 2; // 5.5 from both
  want[10] = 1; // 9.5
  want[13] = 2; // 12.5
  want[20] = 2; // 19.5
  want[21] = 2; // overflow of b (its range ends at the union's upper edge)
  t.same(h.fArray, want, 'cells moved onto the union axis');
  t.equal(h.fEntries, 8);
  t.same(
    h.fSumw2,
    want.map((c, i) => (i === 0 || i === 1 || i === 10 ? c : i === 6 ? 1 + 4 : c * 2)),
  );
  const gg = got.objects.g!;
  t.equal(gg.fNbins, 3, '2D: x axis extended, y unchanged');
  t.equal(
    (gg.fArray as number[]).reduce((x, y) => x + y, 0),
    4,
  );
  t.equal((gg.fArray as number[])[2 * 5 + 1], 1, '(0.5, 1.5) in bin (1, 2)');
  t.equal((gg.fArray as number[])[1 * 5 + 3], 3, '(2.5, 0.5) in bin (3, 1)');

  // Overflow content of an input whose range ends inside the union has no bin to go to.
  const c = createTH1('h', 'h', { bins: 10, min: 0, max: 10 });
  fillTH1(c, 15);
  await writeHistograms(join(d, 'c.root'), { h: c });
  const err = await merge(join(d, 'bad.root'), [join(d, 'c.root'), join(d, 'b.root')]).catch((e) => e);
  t.type(err, HistogramAxesError);
  t.match((err as Error).message, /under\/overflow/);
});

t.test('incompatible histogram axes are an error naming the object', async (t) => {
  const d = await tmp(t);
  // A copy of histogram "one" with a different x range, written by root-io.
  const src = await RootFile.open(corpus('uproot-histograms.root'));
  const h = await src.get('one');
  (h.fXaxis as RObj).fXmax = Number((h.fXaxis as RObj).fXmax) * 2;
  const other = join(d, 'other.root');
  const w = await RootFileWriter.create(other, { compression: 101 });
  await w.writeObject('', h, await src.streamers());
  await w.close(await src.streamerList(), await src.streamers());
  await src.close();
  const back = await jsrootDump({ files: [other], objects: ['one'] });
  t.equal(back.objects.one!._typename, 'TH1F', 'modified histogram readable by JSROOT');
  const out = join(d, 'sum.root');
  const err = await merge(out, [corpus('uproot-histograms.root'), other]).catch((e) => e);
  t.type(err, HistogramAxesError);
  t.equal((err as HistogramAxesError).object, 'one');
  t.match((err as Error).message, /histogram one/);
  t.same((await readdir(d)).sort(), ['other.root'], 'no output and no temporary file');
});

t.test('corrupt inputs: error without -k, skipped and named with -k', async (t) => {
  const d = await tmp(t);
  const garbage = join(d, 'garbage.root');
  await writeFile(garbage, Buffer.from('this is not a ROOT file at all'.repeat(10)));
  const truncated = join(d, 'truncated.root');
  const full = await readFile(corpus('uproot-HZZ.root'));
  await writeFile(truncated, full.subarray(0, 50_000));
  const good = join(d, 'good.root');
  await copyFile(corpus('uproot-HZZ.root'), good);
  const out = join(d, 'out.root');

  const e1 = await merge(out, [good, garbage]).catch((e) => e);
  t.type(e1, InputError);
  t.equal((e1 as InputError).path, garbage);
  const e2 = await merge(out, [good, truncated]).catch((e) => e);
  t.type(e2, InputError, 'truncated file detected');

  const c = capture();
  t.equal(await runHadd([out, good, garbage, truncated], c.io), 1, 'hadd fails without -k');
  t.match(c.err(), /garbage\.root/);
  t.notOk((await readdir(d)).includes('out.root'), 'no half-written output');

  const c2 = capture();
  t.equal(await runHadd(['-k', out, good, garbage, truncated], c2.io), 0, 'hadd -k succeeds');
  t.match(c2.err(), /skipped .*garbage\.root/);
  t.match(c2.err(), /skipped .*truncated\.root/);
  const dump = await jsrootDump({ files: [out], tree: 'events' });
  t.equal(dump.entries, 2421, 'only the good input merged');
  t.notOk(
    (await readdir(d)).some((f) => f.includes('.tmp-')),
    'no temporary files',
  );
});

t.test('hadd command line', async (t) => {
  const d = await tmp(t);
  const out = join(d, 'h.root');
  const c = capture();
  t.equal(await runHadd([], c.io), 2, 'usage error');
  t.match(c.err(), /usage: hadd/);
  const c1 = capture();
  t.equal(await runHadd(['-f505', out, corpus('uproot-HZZ.root'), corpus('uproot-HZZ-zlib.root')], c1.io), 0);
  t.match(c1.out(), /tree events: 4842 entries/);
  const f = await RootFile.open(out);
  t.equal(f.header.compress, 505, '-f505 sets the output compression');
  await f.close();
  const c2 = capture();
  t.equal(await runHadd([out, corpus('uproot-HZZ.root')], c2.io), 1, 'existing target without -f refused');
  t.match(c2.err(), /exists/);
  const c3 = capture();
  t.equal(
    await runHadd(
      ['-fk', '-n', '1', '-j', '2', out, corpus('uproot-HZZ-lz4.root'), corpus('uproot-HZZ-lz4.root')],
      c3.io,
    ),
    0,
  );
  t.match(c3.out(), /114 baskets copied, 0 recompressed/, '-fk copies baskets without recompressing');
  const list = join(d, 'inputs.txt');
  await writeFile(list, `${corpus('uproot-HZZ.root')}\n${corpus('uproot-HZZ-zstd.root')}\n`);
  const c4 = capture();
  t.equal(await runHadd(['-ff', out, `@${list}`], c4.io), 0, '@listfile inputs');
  const g = await RootFile.open(out);
  t.equal(g.header.compress, 1, '-ff uses the first input compression');
  await g.close();
  const dump = await jsrootDump({ files: [out], tree: 'events' });
  t.equal(dump.entries, 4842);
});
