import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { createRootFile, createTH1, fillTH1, merge, RootFile } from '../src/index.js';
import { corpus, jsrootDump } from './support/jsroot.js';

const GiB = 2 ** 30;

async function tmp(t: Test): Promise<string> {
  const d = await mkdtemp(join(process.env.OXBOW_BIG_TMP ?? tmpdir(), 'rootio-big-'));
  t.teardown(() => rm(d, { recursive: true, force: true }));
  return d;
}

/** Reads the header fields that tell the small and the large layout apart. */
async function header(path: string): Promise<{ version: number; units: number }> {
  const fh = await open(path, 'r');
  const b = Buffer.alloc(64);
  await fh.read(b, 0, 64, 0);
  await fh.close();
  const version = b.readInt32BE(4);
  return {
    version,
    units: b[version > 1000000 ? 4 + 4 + 4 + 8 + 8 + 4 + 4 + 4 : 4 + 4 + 4 + 4 + 4 + 4 + 4 + 4]!,
  };
}

t.test('records beyond 4 GiB (sparse hole): large header layout, 64-bit seeks read by JSROOT', async (t) => {
  const d = await tmp(t);
  const out = join(d, 'beyond4g.root');
  const inputs = [corpus('uproot-HZZ-zlib.root')];
  // Every record but the header and the top directory lands past 4.5 GiB; the hole is never written.
  await merge(out, [inputs[0]!, inputs[0]!], { compression: 'keep', leadingGap: 4.5 * GiB });
  const st = await stat(out);
  t.ok(st.size > 4.5 * GiB, `file size ${st.size} > 4.5 GiB`);
  t.ok(st.blocks * 512 < 64 << 20, 'sparse on disk');
  const h = await header(out);
  t.equal(h.version, 1062208, 'large layout: fVersion + 1000000');
  t.equal(h.units, 8, 'fUnits 8');
  const rf = await RootFile.open(out);
  t.ok(rf.header.seekInfo > 4 * GiB && rf.header.end > 4 * GiB, 'seeks above 2^32');
  const tree = await rf.get('events');
  const seeks = ((tree.fBranches as { arr: { fBasketSeek: number[] }[] }).arr[0]!.fBasketSeek ?? []).filter(
    Boolean,
  );
  t.ok(seeks.length > 0 && seeks.every((s) => s > 4 * GiB), 'basket seeks above 2^32');
  await rf.close();
  const want = await jsrootDump({ files: [inputs[0]!, inputs[0]!], tree: 'events' });
  const got = await jsrootDump({ files: [out], tree: 'events' });
  t.equal(got.entries, 2 * 2421);
  t.same(got.branches, want.branches, 'JSROOT reads every entry through 64-bit offsets');
});

t.test('the header switches layout at the kStartBigFile threshold (here lowered)', async (t) => {
  const d = await tmp(t);
  const small = join(d, 'small.root');
  const large = join(d, 'large.root');
  for (const [p, threshold] of [
    [small, undefined],
    [large, 1000],
  ] as const) {
    const f = await createRootFile(p, { bigFileThreshold: threshold });
    const h = createTH1('h', 'h', { bins: 3, min: 0, max: 3 });
    fillTH1(h, 1.5);
    await f.writeObject('dir/h', h);
    const tree = await f.createTree('dir/t', [{ name: 'x', type: 'I' }]);
    await tree.extend({ x: [1, 2, 3] });
    await f.close();
  }
  t.equal((await header(small)).version, 62208, 'small layout below the threshold');
  t.equal((await header(large)).version, 1062208, 'large layout above it');
  const got = await jsrootDump({ files: [large], tree: 'dir/t', objects: ['dir/h'], values: true });
  t.same(got.values.x, [1, 2, 3]);
  t.same(got.objects['dir/h']!.fArray, [0, 0, 1, 0, 0]);
});

// A real > 4 GiB output: about 4.3 GB written, minutes on a small machine, so opt-in.
t.test(
  'a real merge beyond 4 GiB (OXBOW_ROOTIO_BIG_TEST=1)',
  { skip: !process.env.OXBOW_ROOTIO_BIG_TEST },
  async (t) => {
    const d = await tmp(t);
    const src = corpus('uproot-issue79.root');
    const copies = Math.ceil((4.3 * GiB) / (await stat(src)).size);
    const out = join(d, 'real4g.root');
    const r = await merge(out, Array(copies).fill(src), { compression: 'keep' });
    t.ok(r.bytes > 4 * GiB, `${r.bytes} bytes`);
    t.equal(r.trees[0]!.entries, copies * 1_000_000);
    // JSROOT reads the tree and the last input's entries, whose baskets lie beyond 4 GiB.
    const last = await jsrootDump({
      files: [out],
      tree: 'taus',
      firstEntry: (copies - 1) * 1_000_000,
      numEntries: 1_000_000,
    });
    const one = await jsrootDump({ files: [src], tree: 'taus' });
    t.equal(last.entries, copies * 1_000_000);
    for (const [name, b] of Object.entries(one.branches))
      t.equal(last.branches[name]!.hash, b.hash, `${name}: last copy intact`);
  },
);
