import { readdirSync } from 'node:fs';
import t from 'tap';
import { allBranches, RootFile, readColumn } from '../src/index.js';
import { decodeObject, encodeObject } from '../src/io/file.js';
import { readKey } from '../src/io/key.js';
import { RBuffer } from '../src/io/rbuffer.js';
import { corpus } from './support/jsroot.js';

const HZZ_SUM = 773945.4286165655;

t.test('every object of every corpus file decodes and re-encodes byte for byte', async (t) => {
  const files = readdirSync('/work/shared/data/root').filter((f) => f.endsWith('.root'));
  t.ok(files.length >= 15, 'corpus present');
  for (const f of files) {
    const rf = await RootFile.open(corpus(f));
    const reg = await rf.streamers();
    const kb = await rf.read(rf.header.seekInfo, 300);
    const siKey = readKey(new RBuffer(kb));
    const si = await rf.payload(siKey);
    t.same(encodeObject(await rf.streamerList(), siKey.keylen, reg), si, `${f}: streamer info list`);
    const walk = async (d: typeof rf.top): Promise<void> => {
      for (const k of d.keys) {
        if (k.className.startsWith('TDirectory')) continue;
        const payload = await rf.payload(k);
        const obj = decodeObject(payload, k.keylen, k.className, reg);
        t.ok(encodeObject(obj, k.keylen, reg).equals(payload), `${f}: ${k.name} (${k.className})`);
      }
      for (const s of d.subdirs.values()) await walk(s);
    };
    await walk(rf.top);
    await rf.close();
  }
});

t.test('HZZ in every compression gives the reference checksum', async (t) => {
  for (const f of [
    'uproot-HZZ.root',
    'uproot-HZZ-zlib.root',
    'uproot-HZZ-lzma.root',
    'uproot-HZZ-lz4.root',
    'uproot-HZZ-zstd.root',
  ]) {
    const rf = await RootFile.open(corpus(f));
    const tree = await rf.get('events');
    let sum = 0;
    for (const { path } of allBranches(tree)) {
      const c = await readColumn(rf, tree, path);
      t.equal(c.entries, 2421, `${f} ${path} entries`);
      for (const v of Array.from(c.values as ArrayLike<number>)) sum += Number(v);
    }
    t.ok(Math.abs(sum - HZZ_SUM) < 1e-6, `${f}: sum ${sum}`);
    await rf.close();
  }
});

t.test('columns: jagged, strings, vectors, unsigned, embedded baskets', async (t) => {
  const z = await RootFile.open(corpus('uproot-Zmumu.root'));
  const zt = await z.get('events');
  const type = await readColumn(z, zt, 'Type');
  t.same((type.values as string[]).slice(0, 3), ['GT', 'TT', 'GT'], 'TLeafC strings');
  await z.close();

  const h = await RootFile.open(corpus('uproot-HZZ.root'));
  const ht = await h.get('events');
  const njet = await readColumn(h, ht, 'NJet');
  const px = await readColumn(h, ht, 'Jet_Px');
  const counts = Array.from(njet.values as Int32Array);
  t.equal(px.offsets!.length, 2422, 'one offset per entry + 1');
  t.ok(
    counts.every((n, i) => px.offsets![i + 1]! - px.offsets![i]! === n),
    'jagged offsets agree with the counter branch',
  );
  await h.close();

  const v = await RootFile.open(corpus('uproot-issue-816.root'));
  const vt = await v.get('AnalysisMiniTree');
  const w = await readColumn(v, vt, 'mcEventWeights');
  t.equal(w.entries, 100);
  t.type(w.values, Float32Array, 'vector<float> decoded to Float32Array');
  t.ok(w.offsets![100]! > 0, 'vector entries hold values');
  await v.close();

  const n = await RootFile.open(corpus('nanoAOD_2015_CMS_Open_Data_ttbar.root'));
  const nt = await n.get('Events');
  const run = await readColumn(n, nt, 'run');
  t.type(run.values, Uint32Array, 'unsigned leaf');
  t.equal(run.entries, 200, 'embedded basket read');
  await n.close();
});

t.test('large-entry tree (issue79): on-disk + embedded basket', async (t) => {
  const f = await RootFile.open(corpus('uproot-issue79.root'));
  const tree = await f.get('taus');
  const pt = await readColumn(f, tree, 'pt');
  t.equal(pt.entries, 1_000_000);
  t.equal(pt.values.length, 1_000_000);
  await f.close();
});
