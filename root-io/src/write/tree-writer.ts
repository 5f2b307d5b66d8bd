import { compress } from '../compression/codec.js';
import { WriteError } from '../errors.js';
import { keyLength } from '../io/key.js';
import type { RObj } from '../io/types.js';
import { WBuffer } from '../io/wbuffer.js';
import { type BasketHeader, writeBasketHeader } from '../tree/baskets.js';
import type { RootFileWriter } from './file-writer.js';
import { builtinStreamers } from './streamers.js';

/** ROOT leaf type codes: B/b 8-bit, S/s 16-bit, I/i 32-bit, L/l 64-bit (lower case unsigned), F, D, O bool. */
export type LeafType = 'B' | 'b' | 'S' | 's' | 'I' | 'i' | 'L' | 'l' | 'F' | 'D' | 'O';

/** Element types of `std::vector<T>` branches. */
export type VectorElement =
  | 'char'
  | 'unsigned char'
  | 'short'
  | 'unsigned short'
  | 'int'
  | 'unsigned int'
  | 'long'
  | 'Long64_t'
  | 'ULong64_t'
  | 'float'
  | 'double'
  | 'bool';

/**
 * A branch to create. `type` is a leaf type (scalar), `'C'` (string) or `vector<T>`; `length` makes a
 * fixed-size array per entry; `counter` names an earlier `I`/`i` branch holding each entry's array size.
 */
export interface BranchSpec {
  name: string;
  type: LeafType | 'C' | `vector<${VectorElement}>`;
  length?: number;
  counter?: string;
  title?: string;
}

/** A value of one entry of one branch. */
export type EntryValue = number | bigint | boolean | string | ArrayLike<number | bigint | boolean>;

/** Columns for TreeWriter.extend: per branch, one value per entry (arrays per entry for array branches). */
export type Columns = Record<string, ArrayLike<EntryValue>>;

/** Options of a new tree. */
export interface TreeOptions {
  title?: string;
  /** Bytes of entry data per basket before it is compressed and written (ROOT's default 32000). */
  basketSize?: number;
  /** Compression of this tree's baskets (defaults to the file's). */
  compression?: number;
}

interface LeafInfo {
  cls: string;
  size: number;
  unsigned: boolean;
  write: (w: WBuffer, v: number | bigint | boolean) => void;
}

const num = (v: number | bigint | boolean) => (typeof v === 'number' ? v : Number(v));
const big = (v: number | bigint | boolean) =>
  typeof v === 'bigint' ? v : BigInt(Math.trunc(typeof v === 'boolean' ? Number(v) : v));

const LEAVES: Record<LeafType, LeafInfo> = {
  B: { cls: 'TLeafB', size: 1, unsigned: false, write: (w, v) => w.i8(num(v)) },
  b: { cls: 'TLeafB', size: 1, unsigned: true, write: (w, v) => w.u8(num(v)) },
  S: { cls: 'TLeafS', size: 2, unsigned: false, write: (w, v) => w.i16(num(v)) },
  s: { cls: 'TLeafS', size: 2, unsigned: true, write: (w, v) => w.u16(num(v)) },
  I: { cls: 'TLeafI', size: 4, unsigned: false, write: (w, v) => w.i32(num(v)) },
  i: { cls: 'TLeafI', size: 4, unsigned: true, write: (w, v) => w.u32(num(v)) },
  L: { cls: 'TLeafL', size: 8, unsigned: false, write: (w, v) => w.i64big(big(v)) },
  l: { cls: 'TLeafL', size: 8, unsigned: true, write: (w, v) => w.u64big(big(v)) },
  F: { cls: 'TLeafF', size: 4, unsigned: false, write: (w, v) => w.f32(num(v)) },
  D: { cls: 'TLeafD', size: 8, unsigned: false, write: (w, v) => w.f64(num(v)) },
  O: { cls: 'TLeafO', size: 1, unsigned: false, write: (w, v) => w.u8(v ? 1 : 0) },
};

const VECTOR_LEAF: Record<VectorElement, LeafType> = {
  char: 'B',
  'unsigned char': 'b',
  short: 'S',
  'unsigned short': 's',
  int: 'I',
  'unsigned int': 'i',
  long: 'L',
  Long64_t: 'L',
  ULong64_t: 'l',
  float: 'F',
  double: 'D',
  bool: 'O',
};

/** Offsets array size ROOT records for variable-size branches (TTree::fDefaultEntryOffsetLen). */
const ENTRY_OFFSET_LEN = 1000;
/** Version written before each std::vector entry (what ROOT 6 writes for STL collections). */
const VECTOR_ENTRY_VERSION = 9;
const kByteCountMask = 0x40000000;

type Kind = 'scalar' | 'fixed' | 'jagged' | 'string' | 'vector';

interface BranchState {
  spec: BranchSpec;
  kind: Kind;
  leafType: LeafType | undefined;
  leaf: LeafInfo | undefined;
  branch: RObj;
  leafObj: RObj;
  counter: BranchState | undefined;
  data: WBuffer;
  /** Start of each entry in the current basket (variable-size branches). */
  offsets: number[];
  nev: number;
  entryStart: number;
}

function objArray(arr: RObj[] = []): RObj {
  return { _typename: 'TObjArray', name: '', arr, fLowerBound: 0, fUniqueID: 0, fBits: 0x03000000 };
}

function ioFeatures(): RObj {
  return {
    _typename: 'ROOT::TIOFeatures',
    _v: { 'ROOT::TIOFeatures': 0 },
    _cs: { 'ROOT::TIOFeatures': 0x1aa12f10 },
    fIOBits: 0,
  };
}

function kindOf(spec: BranchSpec): Kind {
  if (spec.type.startsWith('vector<')) return 'vector';
  if (spec.type === 'C') return 'string';
  if (spec.counter !== undefined) return 'jagged';
  if (spec.length !== undefined) return 'fixed';
  return 'scalar';
}

/**
 * Writes one TTree: entries are buffered per branch and each branch's basket is compressed and written
 * as soon as it holds `basketSize` bytes, so memory stays bounded by (branches × basket size). The TTree
 * object itself is written by finish(). Await every fill/extend before the next call.
 */
export class TreeWriter {
  private readonly branches: BranchState[] = [];
  private readonly byName = new Map<string, BranchState>();
  private entries = 0;
  private totBytes = 0;
  private zipBytes = 0;
  private finished = false;
  readonly basketSize: number;
  readonly compression: number;

  constructor(
    private readonly out: RootFileWriter,
    readonly dirPath: string,
    readonly name: string,
    specs: BranchSpec[],
    readonly opts: TreeOptions = {},
  ) {
    this.basketSize = Math.max(64, opts.basketSize ?? 32000);
    this.compression = opts.compression ?? out.compression;
    if (specs.length === 0) throw new WriteError(`tree ${name}: no branches`);
    for (const spec of specs) this.addBranch(spec);
  }

  /** Classes whose streamer infos the file must carry for this tree. */
  classes(): string[] {
    const out = new Set<string>(['TTree', 'TBranch']);
    for (const b of this.branches) {
      out.add(b.leafObj._typename);
      if (b.kind === 'vector') {
        out.add('TBranchElement');
        out.add(String(b.branch.fClassName));
      }
    }
    return [...out];
  }

  private addBranch(spec: BranchSpec): void {
    const { name } = spec;
    if (!name || /[/[\]]/.test(name)) throw new WriteError(`tree ${this.name}: bad branch name '${name}'`);
    if (this.byName.has(name)) throw new WriteError(`tree ${this.name}: duplicate branch ${name}`);
    const kind = kindOf(spec);
    let leafType: LeafType | undefined;
    let counter: BranchState | undefined;
    if (kind === 'vector') {
      const elem = spec.type.slice(7, -1) as VectorElement;
      leafType = VECTOR_LEAF[elem];
      if (!leafType) throw new WriteError(`branch ${name}: unsupported vector element type ${elem}`);
    } else if (kind !== 'string') {
      leafType = spec.type as LeafType;
      if (!LEAVES[leafType]) throw new WriteError(`branch ${name}: unknown leaf type ${spec.type}`);
    }
    if (kind === 'fixed' && !(Number.isInteger(spec.length) && spec.length! > 0))
      throw new WriteError(`branch ${name}: length must be a positive integer`);
    if (kind === 'jagged') {
      counter = this.byName.get(spec.counter!);
      if (counter?.kind !== 'scalar' || (counter.leafType !== 'I' && counter.leafType !== 'i'))
        throw new WriteError(
          `branch ${name}: counter ${spec.counter} must be an earlier I or i scalar branch`,
        );
    }
    const leaf = leafType ? LEAVES[leafType] : undefined;
    const dims = kind === 'fixed' ? `[${spec.length}]` : kind === 'jagged' ? `[${spec.counter}]` : '';
    const leafObj: RObj =
      kind === 'vector'
        ? {
            _typename: 'TLeafElement',
            fUniqueID: 0,
            fBits: 0x03000000,
            fName: name,
            fTitle: name,
            fLen: 1,
            fLenType: 0,
            fOffset: 0,
            fIsRange: false,
            fIsUnsigned: false,
            fLeafCount: null,
            fID: -1,
            fType: -1,
          }
        : {
            _typename: kind === 'string' ? 'TLeafC' : leaf!.cls,
            fUniqueID: 0,
            fBits: 0x03000000,
            fName: name,
            fTitle: `${name}${dims}`,
            fLen: kind === 'fixed' ? spec.length : 1,
            fLenType: kind === 'string' ? 1 : leaf!.size,
            fOffset: 0,
            fIsRange: false,
            fIsUnsigned: leaf?.unsigned ?? false,
            fLeafCount: counter ? counter.leafObj : null,
            fMinimum: 0,
            fMaximum: 0,
          };
    const variable = kind === 'jagged' || kind === 'string' || kind === 'vector';
    const branch: RObj = {
      _typename: kind === 'vector' ? 'TBranchElement' : 'TBranch',
      fUniqueID: 0,
      fBits: kind === 'vector' ? 0x03500000 : 0x03400000,
      fName: name,
      fTitle: spec.title ?? (kind === 'vector' ? name : `${name}${dims}/${spec.type}`),
      fFillColor: 0,
      fFillStyle: 1001,
      fCompress: this.compression,
      fBasketSize: this.basketSize,
      fEntryOffsetLen: variable ? ENTRY_OFFSET_LEN : 0,
      fWriteBasket: 0,
      fEntryNumber: 0,
      fIOFeatures: ioFeatures(),
      fOffset: 0,
      fMaxBaskets: 10,
      fSplitLevel: kind === 'vector' ? 99 : 0,
      fEntries: 0,
      fFirstEntry: 0,
      fTotBytes: 0,
      fZipBytes: 0,
      fBranches: objArray(),
      fLeaves: objArray([leafObj]),
      fBaskets: objArray(),
      fBasketBytes: [] as number[],
      fBasketEntry: [] as number[],
      fBasketSeek: [] as number[],
      fFileName: '',
    };
    if (kind === 'vector') {
      const info = builtinStreamers().find(spec.type);
      Object.assign(branch, {
        fClassName: spec.type,
        fParentName: '',
        fClonesName: '',
        fCheckSum: info?.fCheckSum ?? 0,
        fClassVersion: info?.fClassVersion ?? 6,
        fID: -1,
        fType: 0,
        fStreamerType: -1,
        fMaximum: 0,
        fBranchCount: null,
        fBranchCount2: null,
      });
    }
    const state: BranchState = {
      spec,
      kind,
      leafType,
      leaf,
      branch,
      leafObj,
      counter,
      data: new WBuffer(0, Math.min(this.basketSize, 1 << 16) + 64),
      offsets: [],
      nev: 0,
      entryStart: 0,
    };
    this.branches.push(state);
    this.byName.set(name, state);
  }

  /** Number of entries filled so far. */
  get entryCount(): number {
    return this.entries;
  }

  /** Adds one entry: a value for every branch. A bad value throws WriteError before anything is added. */
  async fill(entry: Record<string, EntryValue>): Promise<void> {
    this.checkOpen();
    for (const b of this.branches) {
      if (!(b.spec.name in entry))
        throw new WriteError(`tree ${this.name}: entry has no value for ${b.spec.name}`);
      this.validate(b, entry[b.spec.name]!, b.counter ? entry[b.counter.spec.name] : undefined, this.entries);
    }
    for (const b of this.branches) this.appendValue(b, entry[b.spec.name]!);
    this.entries++;
    for (const b of this.branches) if (b.data.pos >= this.basketSize) await this.flushBasket(b);
  }

  /**
   * Adds many entries given as columns (all of the same length; typed arrays welcome). Every value is
   * checked before anything is added, so a bad column leaves the tree unchanged.
   */
  async extend(columns: Columns): Promise<void> {
    this.checkOpen();
    let n: number | undefined;
    for (const b of this.branches) {
      const col = columns[b.spec.name];
      if (!col) throw new WriteError(`tree ${this.name}: no column for branch ${b.spec.name}`);
      if (n !== undefined && col.length !== n)
        throw new WriteError(
          `tree ${this.name}: column ${b.spec.name} has ${col.length} entries, expected ${n}`,
        );
      n = col.length;
    }
    for (const b of this.branches) {
      const col = columns[b.spec.name]!;
      const cnt = b.counter ? columns[b.counter.spec.name] : undefined;
      for (let i = 0; i < n!; i++) this.validate(b, col[i]!, cnt?.[i], this.entries + i);
    }
    // Branch by branch, so each branch fills and flushes whole baskets in turn.
    for (const b of this.branches) {
      const col = columns[b.spec.name]!;
      for (let i = 0; i < n!; i++) {
        this.appendValue(b, col[i]!);
        if (b.data.pos >= this.basketSize) await this.flushBasket(b);
      }
    }
    this.entries += n!;
  }

  /** Throws WriteError unless `v` fits branch `b` (for jagged branches, with the counter's value). */
  private validate(b: BranchState, v: EntryValue, count: EntryValue | undefined, at: number): void {
    const where = () => `branch ${b.spec.name}, entry ${at}`;
    switch (b.kind) {
      case 'scalar':
        if (typeof v !== 'number' && typeof v !== 'bigint' && typeof v !== 'boolean')
          throw new WriteError(`${where()}: expected a number, got ${typeof v}`);
        return;
      case 'string':
        if (typeof v !== 'string') throw new WriteError(`${where()}: expected a string, got ${typeof v}`);
        return;
      default: {
        const len = typeof v === 'object' && v !== null ? (v as ArrayLike<unknown>).length : undefined;
        if (typeof len !== 'number') throw new WriteError(`${where()}: expected an array, got ${typeof v}`);
        if (b.kind === 'fixed' && len !== b.spec.length)
          throw new WriteError(`${where()}: ${len} values, expected ${b.spec.length}`);
        if (b.kind === 'jagged' && len !== Number(count))
          throw new WriteError(`${where()}: ${len} values but ${b.counter!.spec.name} = ${count}`);
      }
    }
  }

  private checkOpen(): void {
    if (this.finished) throw new WriteError(`tree ${this.name} is already written`);
  }

  /** Serializes one entry of a branch into its basket buffer. */
  private appendValue(b: BranchState, v: EntryValue): void {
    const w = b.data;
    if (b.kind !== 'scalar' && b.kind !== 'fixed') b.offsets.push(w.pos);
    switch (b.kind) {
      case 'scalar': {
        b.leaf!.write(w, v as number);
        const leaf = b.leafObj;
        // Counter leaves (and any I/i leaf used as one) record the largest value as fMaximum.
        if ((b.leafType === 'I' || b.leafType === 'i') && num(v as number) > Number(leaf.fMaximum))
          leaf.fMaximum = num(v as number);
        break;
      }
      case 'fixed': {
        const arr = v as ArrayLike<number>;
        for (let i = 0; i < arr.length; i++) b.leaf!.write(w, arr[i]!);
        break;
      }
      case 'jagged': {
        const arr = v as ArrayLike<number>;
        for (let i = 0; i < arr.length; i++) b.leaf!.write(w, arr[i]!);
        break;
      }
      case 'string': {
        const bytes = Buffer.from(v as string, 'latin1');
        w.tstring(v as string);
        const leaf = b.leafObj;
        // TLeafC: fLen/fMaximum hold the longest string seen (+1 for ROOT's NUL).
        if (bytes.length + 1 > Number(leaf.fLen)) leaf.fLen = bytes.length + 1;
        if (bytes.length + 1 > Number(leaf.fMaximum)) leaf.fMaximum = bytes.length + 1;
        break;
      }
      case 'vector': {
        const arr = v as ArrayLike<number>;
        w.u32((6 + arr.length * b.leaf!.size) | kByteCountMask);
        w.i16(VECTOR_ENTRY_VERSION);
        w.i32(arr.length);
        for (let i = 0; i < arr.length; i++) b.leaf!.write(w, arr[i]!);
        break;
      }
    }
    b.nev++;
  }

  /** Compresses and writes a branch's current basket, then records it in the branch. */
  private async flushBasket(b: BranchState): Promise<void> {
    if (b.nev === 0) return;
    const variable = b.kind === 'jagged' || b.kind === 'string' || b.kind === 'vector';
    const title = this.name;
    const hdr: BasketHeader = {
      version: 3,
      bufferSize: Math.max(this.basketSize, b.data.pos),
      nevBufSize: variable ? ENTRY_OFFSET_LEN : entrySize(b),
      ioBits: 0,
      nevBuf: b.nev,
      last: 0,
      flag: 0,
    };
    const hw = new WBuffer(0, 32);
    writeBasketHeader(hw, hdr);
    const keylen = keyLength('TBasket', b.spec.name, title, true) + hw.pos;
    hdr.last = keylen + b.data.pos;
    if (variable) {
      // Entry offsets count from the key start; ROOT ends the array with one extra zero word.
      b.data.i32(b.nev + 1);
      for (const o of b.offsets) b.data.i32(o + keylen);
      b.data.i32(0);
    }
    const payload = b.data.result();
    let stored = await compress(payload, this.compression);
    // Stored raw: copy, since the sink owns what it is given and this basket buffer is reused.
    if (stored === payload) stored = Buffer.from(payload);
    const hb = new WBuffer(0, 32);
    writeBasketHeader(hb, hdr);
    const key = await this.out.writeStored(
      this.dirPath,
      { className: 'TBasket', name: b.spec.name, title, objlen: payload.length, cycle: 0 },
      stored,
      () => hb.result(),
      false,
    );
    const br = b.branch;
    const slot = Number(br.fWriteBasket);
    (br.fBasketBytes as number[])[slot] = key.nbytes;
    (br.fBasketEntry as number[])[slot] = b.entryStart;
    (br.fBasketSeek as number[])[slot] = key.seekKey;
    br.fWriteBasket = slot + 1;
    br.fTotBytes = Number(br.fTotBytes) + payload.length + key.keylen;
    br.fZipBytes = Number(br.fZipBytes) + key.nbytes;
    this.totBytes += payload.length + key.keylen;
    this.zipBytes += key.nbytes;
    b.entryStart += b.nev;
    b.nev = 0;
    b.offsets = [];
    b.data.pos = 0;
  }

  /** Flushes every basket and writes the TTree object (as ROOT's TTree::Write). */
  async finish(): Promise<void> {
    if (this.finished) return;
    for (const b of this.branches) await this.flushBasket(b);
    this.finished = true;
    for (const b of this.branches) {
      const br = b.branch;
      const wb = Number(br.fWriteBasket);
      const max = Math.max(10, wb + 1);
      for (const k of ['fBasketBytes', 'fBasketEntry', 'fBasketSeek']) {
        const arr = br[k] as number[];
        for (let i = 0; i < max; i++) arr[i] ??= 0;
      }
      (br.fBasketEntry as number[])[wb] = this.entries;
      br.fMaxBaskets = max;
      br.fEntries = this.entries;
      br.fEntryNumber = this.entries;
      if (b.kind === 'jagged') b.counter!.leafObj.fIsRange = true;
    }
    const tree: RObj = {
      _typename: 'TTree',
      fUniqueID: 0,
      fBits: 0x03000008,
      fName: this.name,
      fTitle: this.opts.title ?? '',
      fLineColor: 602,
      fLineStyle: 1,
      fLineWidth: 1,
      fFillColor: 0,
      fFillStyle: 1001,
      fMarkerColor: 1,
      fMarkerStyle: 1,
      fMarkerSize: 1,
      fEntries: this.entries,
      fTotBytes: this.totBytes,
      fZipBytes: this.zipBytes,
      fSavedBytes: this.zipBytes,
      fFlushedBytes: this.zipBytes,
      fWeight: 1,
      fTimerInterval: 0,
      fScanField: 25,
      fUpdate: 0,
      fDefaultEntryOffsetLen: ENTRY_OFFSET_LEN,
      fNClusterRange: 0,
      fMaxEntries: 1e12,
      fMaxEntryLoop: 1e12,
      fMaxVirtualSize: 0,
      fAutoSave: -300000000,
      // Baskets are flushed per branch when full, not in aligned clusters: no cluster size to declare.
      fAutoFlush: 0,
      fEstimate: 1000000,
      fClusterRangeEnd: null,
      fClusterSize: null,
      fIOFeatures: ioFeatures(),
      fBranches: objArray(this.branches.map((b) => b.branch)),
      fLeaves: objArray(this.branches.map((b) => b.leafObj)),
      fAliases: null,
      fIndexValues: [],
      fIndex: [],
      fTreeIndex: null,
      fFriends: null,
      fUserInfo: null,
      fBranchRef: null,
    };
    await this.out.writeObject(this.dirPath, tree, builtinStreamers(), {
      name: this.name,
      title: this.opts.title ?? '',
    });
  }
}

function entrySize(b: BranchState): number {
  return b.leaf!.size * (b.kind === 'fixed' ? b.spec.length! : 1);
}
