// Child-process script: reads ROOT files with JSROOT (an independent reader) and prints a JSON summary.
// Run in a child process because malformed input can make JSROOT throw asynchronously.
import { createHash } from 'node:crypto';

interface Spec {
  files: string[];
  tree?: string;
  objects?: string[];
  listKeys?: boolean;
  /** Also return every entry's value per branch (small trees only). */
  values?: boolean;
  /** Process only these entries of the tree. */
  firstEntry?: number;
  numEntries?: number;
}

interface BranchSummary {
  count: number;
  hash: string;
  sum: number;
}

// biome-ignore lint/suspicious/noExplicitAny: JSROOT objects are untyped
type Any = any;

function canon(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, (x) => canon(x));
  if (Array.isArray(v)) return v.map(canon);
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v))
      if (k === '_typename' || (!k.startsWith('_') && !k.startsWith('$'))) o[k] = canon(x);
    return o;
  }
  return v;
}

function sumOf(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (ArrayBuffer.isView(v) || Array.isArray(v)) {
    let s = 0;
    for (const x of Array.from(v as unknown as ArrayLike<unknown>)) s += sumOf(x);
    return s;
  }
  return 0;
}

async function main(): Promise<string> {
  const spec = JSON.parse(process.argv[2]!) as Spec;
  const jsroot: Any = await import('jsroot');
  const treeMod: Any = await import('jsroot/tree');
  const out: Any = { entries: 0, branches: {}, objects: {}, keys: [], values: {} };
  const hashes = new Map<string, ReturnType<typeof createHash>>();
  for (const [fi, path] of spec.files.entries()) {
    const file = await jsroot.openFile(path);
    if (spec.listKeys && fi === 0) {
      const walk = async (dir: Any, prefix: string) => {
        for (const k of dir.fKeys) {
          if (k.fClassName === 'TList' && k.fName === 'StreamerInfo') continue;
          if (k.fName === '' && k.fClassName === 'TFile') continue;
          out.keys.push({
            path: prefix + k.fName,
            className: k.fClassName,
            cycle: k.fCycle,
            title: k.fTitle,
          });
          if (k.fClassName.startsWith('TDirectory')) {
            const sub = await file.readDirectory(prefix + k.fName, k.fCycle);
            await walk(sub, `${prefix}${k.fName}/`);
          }
        }
      };
      await walk(file, '');
    }
    if (fi === 0)
      for (const p of spec.objects ?? []) {
        const o = await file.readObject(p);
        out.objects[p] = canon({
          _typename: o._typename,
          fName: o.fName,
          fTitle: o.fTitle,
          fEntries: o.fEntries,
          fArray: o.fArray,
          fSumw2: o.fSumw2,
          fTsumw: o.fTsumw,
          fTsumw2: o.fTsumw2,
          fTsumwx: o.fTsumwx,
          fTsumwx2: o.fTsumwx2,
          fTsumwy: o.fTsumwy,
          fTsumwxy: o.fTsumwxy,
          fBinEntries: o.fBinEntries,
          fString: o.fString,
          fNbins: o.fXaxis?.fNbins,
          fXmin: o.fXaxis?.fXmin,
          fXmax: o.fXaxis?.fXmax,
          fXbins: o.fXaxis?.fXbins,
          fYNbins: o.fYaxis?.fNbins,
          fYbins: o.fYaxis?.fXbins,
          fTsumwy2: o.fTsumwy2,
          fNcells: o.fNcells,
        });
      }
    if (spec.tree) {
      const tree = await file.readObject(spec.tree);
      out.entries += tree.fEntries;
      out.className = tree._typename;
      out.title = tree.fTitle;
      if (tree.fEntries === 0) continue;
      const names: string[] = tree.fBranches.arr.map((b: Any) => b.fName);
      const sel = new treeMod.TSelector();
      for (const n of names) sel.addBranch(n, `b_${n}`);
      for (const n of names) {
        if (!hashes.has(n)) hashes.set(n, createHash('sha1'));
        out.branches[n] ??= { count: 0, hash: '', sum: 0 } satisfies BranchSummary;
      }
      sel.Process = function (this: Any) {
        for (const n of names) {
          const v = this.tgtobj[`b_${n}`];
          hashes.get(n)!.update(`${JSON.stringify(canon(v))}\n`);
          if (spec.values) (out.values[n] ??= []).push(canon(v));
          const s = out.branches[n];
          s.count++;
          s.sum += sumOf(v);
        }
      };
      const args: Any = {};
      if (spec.firstEntry !== undefined) args.firstentry = spec.firstEntry;
      if (spec.numEntries !== undefined) args.numentries = spec.numEntries;
      await treeMod.treeProcess(tree, sel, args);
    }
  }
  for (const [n, h] of hashes) out.branches[n].hash = h.digest('hex');
  return JSON.stringify(out);
}

main().then(
  // Exit only once the pipe has taken all the output (large dumps are written asynchronously).
  (json) => process.stdout.write(json, () => process.exit(0)),
  (err) => {
    process.stderr.write(String(err?.stack ?? err));
    process.exit(2);
  },
);
