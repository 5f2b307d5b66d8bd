import { compress, decompress } from '../compression/codec.js';
import { BranchMismatchError, CorruptFileError, UnsupportedError } from '../errors.js';
import type { RootFile } from '../io/file.js';
import { type Key, keyLength, readKey } from '../io/key.js';
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

/** Appends one input tree's baskets to the merged tree and updates all bookkeeping. */
export async function appendInputTree(
  m: TreeMerge,
  out: RootFileWriter,
  rf: RootFile,
  input: RObj,
  setting: number | 'keep',
  map: number[],
): Promise<void> {
  const t = m.tree;
  const before = Number(t.fEntries);
  const inBranches = allBranches(input);
  const fast = setting === 'keep' || setting === rf.header.compress;
  importClusters(t, input);
  const jobs: Job[] = [];
  inBranches.forEach(({ branch }, ii) => {
    const bi = map[ii]!;
    const outB = m.branches[bi]!.branch;
    const locs = basketLocations(branch);
    locs.forEach((loc, j) => {
      jobs.push({ bi, ii, slot: Number(outB.fWriteBasket) + j, loc, entryStart: before + loc.entryStart });
    });
  });
  const disk = jobs.filter((j) => !j.loc.embedded).sort((a, b) => a.loc.seek - b.loc.seek);
  for await (const { job, raw } of readRuns(rf, disk)) {
    const outB = m.branches[job.bi]!.branch;
    const { key, nbytes, objlen, recompressed } = await copyBasket(out, m.dirSeek, raw, setting, fast);
    record(m, outB, job, key, nbytes, objlen);
    if (recompressed) m.stats.recompressedBaskets++;
    else m.stats.fastBaskets++;
  }
  for (const job of jobs.filter((j) => j.loc.embedded)) {
    const inB = inBranches[job.ii]!.branch;
    const outB = m.branches[job.bi]!.branch;
    const s = setting === 'keep' ? Number(inB.fCompress ?? rf.header.compress) : setting;
    const { key, nbytes, objlen } = await writeEmbedded(out, m, inB, job.loc.embedded!, s);
    record(m, outB, job, key, nbytes, objlen);
    m.stats.recompressedBaskets++;
  }
  inBranches.forEach(({ branch }, ii) => {
    const bi = map[ii]!;
    const outB = m.branches[bi]!.branch;
    const count = jobs.filter((j) => j.bi === bi).length;
    outB.fWriteBasket = Number(outB.fWriteBasket) + count;
    outB.fEntries = Number(outB.fEntries) + Number(branch.fEntries);
    outB.fEntryNumber = Number(outB.fEntryNumber) + Number(branch.fEntries);
    widenMaxima(outB, branch);
  });
  t.fEntries = before + Number(input.fEntries);
  t.fFlushedBytes = Number(t.fFlushedBytes ?? 0) + Number(input.fFlushedBytes ?? 0);
  m.stats.entries = Number(t.fEntries);
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

/** Reads on-disk baskets in file order, coalescing neighbours into large reads. */
async function* readRuns(rf: RootFile, jobs: Job[]): AsyncGenerator<{ job: Job; raw: Buffer }> {
  let i = 0;
  let prefetch: { start: number; data: Promise<Buffer> } | undefined;
  while (i < jobs.length) {
    const start = jobs[i]!.loc.seek;
    let end = start + jobs[i]!.loc.bytes;
    let j = i + 1;
    while (j < jobs.length) {
      const l = jobs[j]!.loc;
      if (l.seek < end || l.seek - end > RUN_GAP || l.seek + l.bytes - start > RUN_BYTES) break;
      end = l.seek + l.bytes;
      j++;
    }
    const buf = await (prefetch?.start === start ? prefetch.data : rf.read(start, end - start));
    // Start reading the next run while the caller writes this one.
    prefetch = j < jobs.length ? nextRun(rf, jobs, j) : undefined;
    for (let k = i; k < j; k++) {
      const l = jobs[k]!.loc;
      yield { job: jobs[k]!, raw: buf.subarray(l.seek - start, l.seek - start + l.bytes) };
    }
    i = j;
  }
}

function nextRun(rf: RootFile, jobs: Job[], i: number): { start: number; data: Promise<Buffer> } {
  const start = jobs[i]!.loc.seek;
  let end = start + jobs[i]!.loc.bytes;
  for (let j = i + 1; j < jobs.length; j++) {
    const l = jobs[j]!.loc;
    if (l.seek < end || l.seek - end > RUN_GAP || l.seek + l.bytes - start > RUN_BYTES) break;
    end = l.seek + l.bytes;
  }
  const data = rf.read(start, end - start);
  data.catch(() => {}); // errors surface when the run is consumed
  return { start, data };
}

/** Copies one on-disk basket: header rewritten, payload as is (fast) or recompressed. */
async function copyBasket(
  out: RootFileWriter,
  dirSeek: number,
  raw: Buffer,
  setting: number | 'keep',
  fast: boolean,
): Promise<{ key: number; nbytes: number; objlen: number; recompressed: boolean }> {
  const b = new RBuffer(raw);
  const key = readKey(b);
  const afterKey = b.pos;
  const header = readBasketHeader(b);
  const headerLen = b.pos - afterKey;
  if (key.nbytes !== raw.length) throw new CorruptFileError(`basket ${key.name}: byte count mismatch`);
  if (fast && key.version > 1000) {
    // Only the seeks in the key header change; the rest (and the compressed payload) is copied.
    const head = Buffer.from(raw.subarray(0, 34));
    head.writeBigInt64BE(BigInt(out.sink.pos), 18);
    head.writeBigInt64BE(BigInt(dirSeek), 26);
    const at = await out.sink.append(head, raw.subarray(34));
    return { key: at, nbytes: key.nbytes, objlen: key.objlen + key.keylen, recompressed: false };
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
  const s = setting === 'keep' ? 101 : setting;
  const stored = await compress(payload, s);
  const w = new WBuffer(0, 32);
  writeBasketHeader(w, h);
  const k = await out.writeStored(
    '',
    { className: key.className, name: key.name, title: key.title, objlen: payload.length, cycle: key.cycle },
    stored,
    () => w.result(),
    false,
  );
  return { key: k.seekKey, nbytes: k.nbytes, objlen: payload.length + k.keylen, recompressed: true };
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

/** Writes an embedded (unflushed) basket of an input tree as a real basket. */
async function writeEmbedded(
  out: RootFileWriter,
  m: TreeMerge,
  inB: RObj,
  obj: RObj,
  setting: number,
): Promise<{ key: number; nbytes: number; objlen: number }> {
  const e = decodeEmbedded(obj);
  const name = String(inB.fName);
  const title = String(m.tree.fName);
  const h: BasketHeader = { ...e.header, flag: 0 };
  const hb = new WBuffer(0, 32);
  writeBasketHeader(hb, h);
  const keylen = keyLength('TBasket', name, title, true) + hb.pos;
  h.last = keylen + e.data.length;
  const w = new WBuffer(0, e.data.length + 64);
  w.bytes(e.data);
  if (e.entryOffsets && Number(inB.fEntryOffsetLen) > 0) {
    w.i32(e.nevBuf + 1);
    for (let i = 0; i < e.nevBuf; i++) w.i32(e.entryOffsets[i]! - e.key.keylen + keylen);
    w.i32(0);
  }
  const payload = w.result();
  const stored = await compress(payload, setting);
  const hw = new WBuffer(0, 32);
  writeBasketHeader(hw, h);
  const k: Key = await out.writeStored(
    m.dirPath,
    { className: 'TBasket', name, title, objlen: payload.length, cycle: 1 },
    stored,
    () => hw.result(),
    false,
  );
  return { key: k.seekKey, nbytes: k.nbytes, objlen: payload.length + k.keylen };
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
