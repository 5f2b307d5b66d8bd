import { decompress } from '../compression/codec.js';
import type { CompressPool } from '../compression/pool.js';
import { BranchMismatchError, CorruptFileError, UnsupportedError } from '../errors.js';
import type { RootFile } from '../io/file.js';
import { keyLength, readKey } from '../io/key.js';
import { RBuffer } from '../io/rbuffer.js';
import type { RObj } from '../io/types.js';
import { WBuffer } from '../io/wbuffer.js';
import {
  type BasketHeader,
  type BasketLoc,
  basketLocations,
  decodeEmbedded,
  readBasketHeader,
  writeBasketHeader,
} from '../tree/baskets.js';
import { allBranches, branchSignature, items } from '../tree/branches.js';
import type { RootFileWriter } from '../write/file-writer.js';

/** Largest span read at once when copying neighbouring baskets. */
const RUN_BYTES = 16 << 20;
const RUN_GAP = 256 << 10;

/** Per-tree merge statistics. */
export interface TreeMergeStats {
  entries: number;
  fastBaskets: number;
  recompressedBaskets: number;
}

/** A tree being merged: the output tree object and its flattened branches. */
export interface TreeMerge {
  tree: RObj;
  branches: { path: string; branch: RObj; sig: string }[];
  dirPath: string;
  dirSeek: number;
  stats: TreeMergeStats;
  firstPath: string;
}

/** Starts a merged tree from the first input's tree object, emptied of baskets and entries. */
export function startTreeMerge(
  template: RObj,
  dirPath: string,
  dirSeek: number,
  firstPath: string,
): TreeMerge {
  if (template.fBranchRef)
    throw new UnsupportedError(`tree ${template.fName}: TBranchRef (TRef tables) is not supported`);
  const t = template;
  t.fEntries = 0;
  t.fTotBytes = 0;
  t.fZipBytes = 0;
  t.fSavedBytes = 0;
  t.fFlushedBytes = 0;
  t.fNClusterRange = 0;
  t.fClusterRangeEnd = null;
  t.fClusterSize = null;
  const branches = allBranches(t).map(({ path, branch }) => {
    const sig = branchSignature(branch);
    branch.fWriteBasket = 0;
    branch.fEntries = 0;
    branch.fEntryNumber = 0;
    branch.fTotBytes = 0;
    branch.fZipBytes = 0;
    branch.fFirstEntry = 0;
    branch.fBasketBytes = [];
    branch.fBasketEntry = [];
    branch.fBasketSeek = [];
    if (branch.fBaskets) (branch.fBaskets as RObj).arr = [];
    return { path, branch, sig };
  });
  return {
    tree: t,
    branches,
    dirPath,
    dirSeek,
    stats: { entries: 0, fastBaskets: 0, recompressedBaskets: 0 },
    firstPath,
  };
}

/**
 * Matches an input tree's branches to the merged tree's by path. Returns, per input branch, the index
 * of the output branch; or `{ missing }` naming the first branch present in one tree only (ROOT's
 * TTreeCloner then skips the input with a warning). A branch whose layout differs (leaf types, array
 * sizes, vector class) throws BranchMismatchError: ROOT would convert it in a slow copy, we refuse.
 */
export function matchBranches(
  m: TreeMerge,
  input: RObj,
  inputPath: string,
): number[] | { missing: string; why: string } {
  const other = allBranches(input);
  const index = new Map(m.branches.map((b, i) => [b.path, i]));
  const map: number[] = [];
  for (const b of other) {
    const i = index.get(b.path);
    if (i === undefined) return { missing: b.path, why: `branch ${b.path} is only in ${inputPath}` };
    const a = m.branches[i]!;
    const sig = branchSignature(b.branch);
    if (a.sig !== sig)
      throw new BranchMismatchError(
        `tree ${m.tree.fName}: branch ${b.path} has layout ${a.sig} in ${m.firstPath} but ${sig} in ${inputPath}`,
        b.path,
      );
    map.push(i);
  }
  if (other.length !== m.branches.length) {
    const have = new Set(other.map((b) => b.path));
    const miss = m.branches.find((b) => !have.has(b.path))!;
    return { missing: miss.path, why: `branch ${miss.path} is missing in ${inputPath}` };
  }
  return map;
}

interface Job {
  /** Index of the output branch. */
  bi: number;
  /** Index of the input branch. */
  ii: number;
  slot: number;
  loc: BasketLoc;
  entryStart: number;
}

/** A basket ready to be appended: its key fields and bytes, possibly still being compressed. */
interface ReadyBasket {
  className: string;
  name: string;
  title: string;
  cycle: number;
  objlen: number;
  header: Uint8Array;
  stored: Uint8Array;
  recompressed: boolean;
}

/**
 * An input tree read ahead of its turn: the tree object, its on-disk baskets in file order with the
 * first run of them already being read, and its embedded baskets already being compressed (on worker
 * threads when the merge has several), so the next input's work overlaps the current one's writes.
 */
export interface PreparedTree {
  rf: RootFile;
  tree: RObj;
  disk: { ii: number; loc: BasketLoc }[];
  firstRun: Run | undefined;
  embedded: Map<number, Promise<ReadyBasket>>;
  fast: boolean;
}

/** Work shared by the stages of one merge: codec threads and the output setting. */
export interface MergeEngine {
  setting: number | 'keep';
  pool: CompressPool;
  /** Baskets being recompressed at once (recompressing mode). */
  parallel: number;
}

/** Reads an input tree's bookkeeping and starts its I/O and compression (see PreparedTree). */
export function prepareInputTree(rf: RootFile, tree: RObj, engine: MergeEngine): PreparedTree {
  const { setting } = engine;
  const fast = setting === 'keep' || setting === rf.header.compress;
  const disk: { ii: number; loc: BasketLoc }[] = [];
  const embedded = new Map<number, Promise<ReadyBasket>>();
  allBranches(tree).forEach(({ branch }, ii) => {
    for (const loc of basketLocations(branch)) {
      if (!loc.embedded) disk.push({ ii, loc });
      else {
        const s = setting === 'keep' ? Number(branch.fCompress ?? rf.header.compress) : setting;
        const p = prepareEmbedded(branch, String(tree.fName), loc.embedded, s, engine.pool);
        p.catch(() => {}); // surfaces when appended
        embedded.set(ii, p);
      }
    }
  });
  disk.sort((a, b) => a.loc.seek - b.loc.seek);
  const firstRun = disk.length ? startRun(rf, disk, 0) : undefined;
  return { rf, tree, disk, firstRun, embedded, fast };
}

/** Appends one prepared input tree's baskets to the merged tree and updates all bookkeeping. */
export async function appendInputTree(
  m: TreeMerge,
  out: RootFileWriter,
  prep: PreparedTree,
  engine: MergeEngine,
  map: number[],
): Promise<void> {
  const { rf, tree: input, fast } = prep;
  const t = m.tree;
  const before = Number(t.fEntries);
  const inBranches = allBranches(input);
  importClusters(t, input);
  const counts = new Array<number>(inBranches.length).fill(0);
  const slotOf = (ii: number) => Number(m.branches[map[ii]!]!.branch.fWriteBasket) + counts[ii]++;
  // Slots follow entry order within each branch: basketLocations lists baskets in entry order, and
  // disk baskets come before the (last) embedded one.
  const byBranch = new Map<number, Job[]>();
  for (const { ii, loc } of [...prep.disk].sort(
    (a, b) => a.ii - b.ii || a.loc.entryStart - b.loc.entryStart,
  )) {
    const job: Job = { bi: map[ii]!, ii, slot: slotOf(ii), loc, entryStart: before + loc.entryStart };
    let l = byBranch.get(ii);
    if (!l) byBranch.set(ii, (l = []));
    l.push(job);
  }
  const diskJobs = new Map<BasketLoc, Job>();
  for (const l of byBranch.values()) for (const j of l) diskJobs.set(j.loc, j);
  // Recompression runs `parallel` baskets ahead of the writes; writes stay in file order.
  const queue: { job: Job; ready: Promise<ReadyBasket> }[] = [];
  const drain = async (limit: number) => {
    while (queue.length > limit) {
      const { job, ready } = queue.shift()!;
      const b = await ready;
      await writeReady(m, out, job, b);
    }
  };
  for await (const { loc, raw } of readRuns(rf, prep.disk, prep.firstRun)) {
    const job = diskJobs.get(loc)!;
    const ready = copyOrRecompress(raw, engine, fast);
    ready.catch(() => {});
    queue.push({ job, ready });
    await drain(fast ? 0 : engine.parallel);
  }
  await drain(0);
  for (const [ii, ready] of prep.embedded) {
    const loc = basketLocations(inBranches[ii]!.branch).find((l) => l.embedded)!;
    const job: Job = { bi: map[ii]!, ii, slot: slotOf(ii), loc, entryStart: before + loc.entryStart };
    await writeReady(m, out, job, await ready);
  }
  inBranches.forEach(({ branch }, ii) => {
    const outB = m.branches[map[ii]!]!.branch;
    outB.fWriteBasket = Number(outB.fWriteBasket) + counts[ii]!;
    outB.fEntries = Number(outB.fEntries) + Number(branch.fEntries);
    outB.fEntryNumber = Number(outB.fEntryNumber) + Number(branch.fEntries);
    widenMaxima(outB, branch);
  });
  t.fEntries = before + Number(input.fEntries);
  t.fFlushedBytes = Number(t.fFlushedBytes ?? 0) + Number(input.fFlushedBytes ?? 0);
  m.stats.entries = Number(t.fEntries);
}

/** Writes a ready basket in the tree's directory and records it in its branch. */
async function writeReady(m: TreeMerge, out: RootFileWriter, job: Job, b: ReadyBasket): Promise<void> {
  const k = await out.writeStored(
    m.dirPath,
    { className: b.className, name: b.name, title: b.title, objlen: b.objlen, cycle: b.cycle },
    b.stored,
    () => b.header,
    false,
  );
  record(m, m.branches[job.bi]!.branch, job, k.seekKey, k.nbytes, b.objlen + k.keylen);
  if (b.recompressed) m.stats.recompressedBaskets++;
  else m.stats.fastBaskets++;
}

function record(m: TreeMerge, outB: RObj, job: Job, seek: number, nbytes: number, objlen: number): void {
  (outB.fBasketBytes as number[])[job.slot] = nbytes;
  (outB.fBasketEntry as number[])[job.slot] = job.entryStart;
  (outB.fBasketSeek as number[])[job.slot] = seek;
  const keylenPlusObj = objlen;
  outB.fTotBytes = Number(outB.fTotBytes) + keylenPlusObj;
  outB.fZipBytes = Number(outB.fZipBytes) + nbytes;
  m.tree.fTotBytes = Number(m.tree.fTotBytes) + keylenPlusObj;
  m.tree.fZipBytes = Number(m.tree.fZipBytes) + nbytes;
}

/** Counter leaves (and TBranchElement counters) keep the largest maximum seen. */
function widenMaxima(outB: RObj, inB: RObj): void {
  const ol = items(outB.fLeaves);
  const il = items(inB.fLeaves);
  ol.forEach((leaf, i) => {
    const other = il[i];
    if (other && typeof leaf.fMaximum === 'number' && typeof other.fMaximum === 'number')
      leaf.fMaximum = Math.max(leaf.fMaximum, other.fMaximum);
  });
  if (typeof outB.fMaximum === 'number' && typeof inB.fMaximum === 'number')
    outB.fMaximum = Math.max(outB.fMaximum, inB.fMaximum);
}

/** Cluster ranges as TTree::ImportClusterRanges keeps them. */
function importClusters(t: RObj, from: RObj): void {
  const entries = Number(t.fEntries);
  const fromN = Number(from.fNClusterRange ?? 0);
  const fromEnd = (from.fClusterRangeEnd as number[] | null) ?? [];
  const fromSize = (from.fClusterSize as number[] | null) ?? [];
  if (entries === 0) {
    t.fNClusterRange = fromN;
    t.fClusterRangeEnd = fromN ? [...fromEnd.slice(0, fromN)] : null;
    t.fClusterSize = fromN ? [...fromSize.slice(0, fromN)] : null;
    t.fAutoFlush = from.fAutoFlush;
    return;
  }
  const n = Number(t.fNClusterRange ?? 0);
  if (fromN === 0 && from.fAutoFlush === t.fAutoFlush) return;
  const ends = ((t.fClusterRangeEnd as number[] | null) ?? []).slice(0, n);
  const sizes = ((t.fClusterSize as number[] | null) ?? []).slice(0, n);
  const af = Number(t.fAutoFlush);
  ends.push(entries - 1);
  sizes.push(Math.max(0, af));
  for (let i = 0; i < fromN; i++) {
    ends.push(entries + fromEnd[i]!);
    sizes.push(fromSize[i]!);
  }
  t.fNClusterRange = ends.length;
  t.fClusterRangeEnd = ends;
  t.fClusterSize = sizes;
  t.fAutoFlush = from.fAutoFlush;
}

/** A span of the input file holding neighbouring baskets, being read. */
interface Run {
  from: number;
  to: number;
  start: number;
  data: Promise<Buffer>;
}

/** Starts reading the run of baskets beginning at disk[i] (neighbours coalesced, at most RUN_BYTES). */
function startRun(rf: RootFile, disk: { loc: BasketLoc }[], i: number): Run {
  const start = disk[i]!.loc.seek;
  let end = start + disk[i]!.loc.bytes;
  let j = i + 1;
  for (; j < disk.length; j++) {
    const l = disk[j]!.loc;
    if (l.seek < end || l.seek - end > RUN_GAP || l.seek + l.bytes - start > RUN_BYTES) break;
    end = l.seek + l.bytes;
  }
  const data = rf.read(start, end - start);
  data.catch(() => {}); // errors surface when the run is consumed
  return { from: i, to: j, start, data };
}

/** Yields on-disk baskets in file order, reading the next run while the caller writes this one. */
async function* readRuns(
  rf: RootFile,
  disk: { loc: BasketLoc }[],
  first: Run | undefined,
): AsyncGenerator<{ loc: BasketLoc; raw: Buffer }> {
  let run = first ?? (disk.length ? startRun(rf, disk, 0) : undefined);
  while (run) {
    const buf = await run.data;
    const next = run.to < disk.length ? startRun(rf, disk, run.to) : undefined;
    for (let k = run.from; k < run.to; k++) {
      const l = disk[k]!.loc;
      yield { loc: l, raw: buf.subarray(l.seek - run.start, l.seek - run.start + l.bytes) };
    }
    run = next;
  }
}

/** One on-disk basket made ready: copied as is (fast: only the key's seeks change) or recompressed. */
async function copyOrRecompress(raw: Buffer, engine: MergeEngine, fast: boolean): Promise<ReadyBasket> {
  const b = new RBuffer(raw);
  const key = readKey(b);
  const afterKey = b.pos;
  const header = readBasketHeader(b);
  const headerLen = b.pos - afterKey;
  if (key.nbytes !== raw.length) throw new CorruptFileError(`basket ${key.name}: byte count mismatch`);
  if (fast) {
    // The TBasket fields after the key are kept byte for byte; the key is rewritten by the writer with
    // the same strings, so entry offsets (which count from the key start) stay valid only if the key
    // length is unchanged: 64-bit keys (version > 1000) already have the output's length.
    const newKeylen = keyLength(key.className, key.name, key.title, true) + headerLen;
    if (newKeylen === key.keylen)
      return {
        className: key.className,
        name: key.name,
        title: key.title,
        cycle: key.cycle,
        objlen: key.objlen,
        header: raw.subarray(afterKey, key.keylen),
        stored: raw.subarray(key.keylen),
        recompressed: false,
      };
  }
  let payload = await decompress(raw.subarray(key.keylen), key.objlen);
  const newKeylen = keyLength(key.className, key.name, key.title, true) + headerLen;
  const shift = newKeylen - key.keylen;
  const h: BasketHeader = { ...header };
  if (shift !== 0) {
    // Entry offsets and fLast count from the start of the key: move them with the longer header.
    h.last += shift;
    payload = shiftOffsets(payload, header.last - key.keylen, shift);
  }
  const s = engine.setting === 'keep' ? 101 : engine.setting;
  const stored = await engine.pool.compress(payload, s);
  const w = new WBuffer(0, 32);
  writeBasketHeader(w, h);
  return {
    className: key.className,
    name: key.name,
    title: key.title,
    cycle: key.cycle,
    objlen: payload.length,
    header: w.result(),
    stored,
    recompressed: true,
  };
}

function shiftOffsets(payload: Buffer, dataLen: number, shift: number): Buffer {
  if (payload.length < dataLen + 4) return payload;
  const copy = Buffer.from(payload);
  const n = copy.readInt32BE(dataLen);
  for (let i = 0; i < n; i++) {
    const at = dataLen + 4 + 4 * i;
    if (at + 4 > copy.length) break;
    const v = copy.readInt32BE(at);
    if (v !== 0) copy.writeInt32BE(v + shift, at);
  }
  return copy;
}

/** An embedded (unflushed) basket of an input tree, turned into a real basket and compressed. */
async function prepareEmbedded(
  inB: RObj,
  treeName: string,
  obj: RObj,
  setting: number,
  pool: CompressPool,
): Promise<ReadyBasket> {
  const e = decodeEmbedded(obj);
  const name = String(inB.fName);
  const h: BasketHeader = { ...e.header, flag: 0 };
  const hb = new WBuffer(0, 32);
  writeBasketHeader(hb, h);
  const keylen = keyLength('TBasket', name, treeName, true) + hb.pos;
  h.last = keylen + e.data.length;
  let payload: Uint8Array = e.data;
  if (e.entryOffsets && Number(inB.fEntryOffsetLen) > 0) {
    const w = new WBuffer(0, e.data.length + 8 + 4 * e.nevBuf);
    w.bytes(e.data);
    w.i32(e.nevBuf + 1);
    for (let i = 0; i < e.nevBuf; i++) w.i32(e.entryOffsets[i]! - e.key.keylen + keylen);
    w.i32(0);
    payload = w.result();
  }
  let stored = await pool.compress(payload, setting);
  // Stored raw: a copy of its own, as the sink owns what it writes and `payload` views the tree's bytes.
  if (stored === payload) stored = Buffer.from(payload);
  const hw = new WBuffer(0, 32);
  writeBasketHeader(hw, h);
  return {
    className: 'TBasket',
    name,
    title: treeName,
    cycle: 1,
    objlen: payload.length,
    header: hw.result(),
    stored,
    recompressed: true,
  };
}

/** Pads basket arrays to fMaxBaskets and closes each branch's entry list, as TBranch::Streamer writes them. */
export function finishTreeMerge(m: TreeMerge): RObj {
  for (const { branch } of m.branches) {
    const wb = Number(branch.fWriteBasket);
    const max = Math.max(10, wb + 1);
    for (const k of ['fBasketBytes', 'fBasketEntry', 'fBasketSeek']) {
      const arr = branch[k] as number[];
      for (let i = 0; i < max; i++) arr[i] ??= 0;
      arr.length = max;
    }
    (branch.fBasketEntry as number[])[wb] = Number(branch.fEntries);
    branch.fMaxBaskets = max;
  }
  m.tree.fSavedBytes = m.tree.fZipBytes;
  return m.tree;
}
