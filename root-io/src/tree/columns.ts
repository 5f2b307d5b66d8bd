import { UnsupportedError } from '../errors.js';
import type { RootFile } from '../io/file.js';
import { RBuffer } from '../io/rbuffer.js';
import type { RObj } from '../io/types.js';
import { type BasketData, basketLocations, readBasket } from './baskets.js';
import { allBranches, items } from './branches.js';

/** Typed arrays a column can be decoded into. */
export type NumericArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/** One basket's worth of a column. */
export interface ColumnChunk {
  entryStart: number;
  entries: number;
  /** Flat values of all entries in the chunk (strings for TLeafC branches). */
  values: NumericArray | string[];
  /** For array-valued entries: entries + 1 indices into `values`; absent for scalars and strings. */
  offsets?: Int32Array;
}

/** Element kinds that a leaf or an std::vector holds. */
export type ElementKind =
  | 'i8'
  | 'u8'
  | 'i16'
  | 'u16'
  | 'i32'
  | 'u32'
  | 'i64'
  | 'u64'
  | 'f32'
  | 'f64'
  | 'bool';

const SIZE: Record<ElementKind, number> = {
  i8: 1,
  u8: 1,
  bool: 1,
  i16: 2,
  u16: 2,
  i32: 4,
  u32: 4,
  f32: 4,
  i64: 8,
  u64: 8,
  f64: 8,
};

/** How a branch's entries are laid out in its baskets. */
export type ColumnLayout =
  | { type: 'fixed'; kind: ElementKind; perEntry: number }
  | { type: 'jagged'; kind: ElementKind; counter: string }
  | { type: 'string' }
  | { type: 'vector'; kind: ElementKind };

const LEAF_KIND: Record<string, [ElementKind, ElementKind]> = {
  TLeafB: ['i8', 'u8'],
  TLeafS: ['i16', 'u16'],
  TLeafI: ['i32', 'u32'],
  TLeafL: ['i64', 'u64'],
  TLeafF: ['f32', 'f32'],
  TLeafD: ['f64', 'f64'],
  TLeafO: ['bool', 'bool'],
};

const VECTOR_KIND: Record<string, ElementKind> = {
  char: 'i8',
  'unsigned char': 'u8',
  bool: 'bool',
  short: 'i16',
  'unsigned short': 'u16',
  int: 'i32',
  'unsigned int': 'u32',
  long: 'i64',
  'long long': 'i64',
  Long64_t: 'i64',
  'unsigned long': 'u64',
  'unsigned long long': 'u64',
  ULong64_t: 'u64',
  float: 'f32',
  double: 'f64',
};

/** Works out how a branch stores its entries; throws UnsupportedError for layouts root-io cannot decode. */
export function columnLayout(branch: RObj): ColumnLayout {
  const leaves = items(branch.fLeaves);
  if (leaves.length !== 1)
    throw new UnsupportedError(
      `branch ${branch.fName} has ${leaves.length} leaves (only single-leaf branches)`,
    );
  const leaf = leaves[0]!;
  if (branch._typename === 'TBranchElement') {
    const m = /^(?:std::)?vector<\s*([^<>]+?)\s*>$/.exec(String(branch.fClassName ?? ''));
    const kind = m ? VECTOR_KIND[m[1]!] : undefined;
    if (kind && Number(branch.fType) === 0) return { type: 'vector', kind };
    throw new UnsupportedError(`branch ${branch.fName} of class ${branch.fClassName} is not supported`);
  }
  if (leaf._typename === 'TLeafC') return { type: 'string' };
  const kinds = LEAF_KIND[leaf._typename];
  if (!kinds)
    throw new UnsupportedError(`leaf type ${leaf._typename} of branch ${branch.fName} is not supported`);
  const kind = leaf.fIsUnsigned ? kinds[1] : kinds[0];
  const counter = leaf.fLeafCount as RObj | null;
  if (counter) return { type: 'jagged', kind, counter: String(counter.fName) };
  return { type: 'fixed', kind, perEntry: Number(leaf.fLen ?? 1) };
}

/** Decodes big-endian values into a native typed array. */
export function decodeValues(bytes: Uint8Array, kind: ElementKind): NumericArray {
  const size = SIZE[kind];
  const n = Math.floor(bytes.length / size);
  const ab = new ArrayBuffer(n * size);
  const u8 = new Uint8Array(ab);
  u8.set(bytes.subarray(0, n * size));
  const buf = Buffer.from(ab);
  if (size === 2) buf.swap16();
  else if (size === 4) buf.swap32();
  else if (size === 8) buf.swap64();
  switch (kind) {
    case 'i8':
      return new Int8Array(ab);
    case 'u8':
    case 'bool':
      return u8;
    case 'i16':
      return new Int16Array(ab);
    case 'u16':
      return new Uint16Array(ab);
    case 'i32':
      return new Int32Array(ab);
    case 'u32':
      return new Uint32Array(ab);
    case 'i64':
      return new BigInt64Array(ab);
    case 'u64':
      return new BigUint64Array(ab);
    case 'f32':
      return new Float32Array(ab);
    case 'f64':
      return new Float64Array(ab);
  }
}

/** Turns one decoded basket into a column chunk. */
export function decodeBasket(layout: ColumnLayout, basket: BasketData): ColumnChunk {
  const { nevBuf, data } = basket;
  const base = { entryStart: basket.entryStart, entries: nevBuf };
  switch (layout.type) {
    case 'fixed': {
      const values = decodeValues(data, layout.kind);
      if (layout.perEntry === 1) return { ...base, values };
      const offsets = new Int32Array(nevBuf + 1);
      for (let i = 0; i <= nevBuf; i++) offsets[i] = i * layout.perEntry;
      return { ...base, values, offsets };
    }
    case 'jagged': {
      const size = SIZE[layout.kind];
      const values = decodeValues(data, layout.kind);
      const offsets = new Int32Array(nevBuf + 1);
      if (basket.offsets) for (let i = 0; i <= nevBuf; i++) offsets[i] = basket.offsets[i]! / size;
      else throw new UnsupportedError('jagged basket without entry offsets (kGenerateOffsetMap)');
      return { ...base, values, offsets };
    }
    case 'string': {
      const b = new RBuffer(data);
      const values: string[] = [];
      for (let i = 0; i < nevBuf; i++) {
        if (basket.offsets) b.pos = basket.offsets[i]!;
        values.push(b.tstring());
      }
      return { ...base, values };
    }
    case 'vector': {
      const b = new RBuffer(data);
      const size = SIZE[layout.kind];
      const offsets = new Int32Array(nevBuf + 1);
      const parts: Uint8Array[] = [];
      let total = 0;
      for (let i = 0; i < nevBuf; i++) {
        if (basket.offsets) b.pos = basket.offsets[i]!;
        b.version();
        const n = b.i32();
        parts.push(b.bytesN(n * size));
        total += n;
        offsets[i + 1] = total;
      }
      const joined = Buffer.concat(parts, total * size);
      return { ...base, values: decodeValues(joined, layout.kind), offsets };
    }
  }
}

/** Iterates over a branch's entries one basket at a time (memory bounded by the basket size). */
export async function* iterateColumn(
  file: RootFile,
  tree: RObj,
  branchPath: string,
): AsyncGenerator<ColumnChunk> {
  const ref = allBranches(tree).find((r) => r.path === branchPath || r.branch.fName === branchPath);
  if (!ref) throw new UnsupportedError(`tree ${tree.fName} has no branch ${branchPath}`);
  const layout = columnLayout(ref.branch);
  for (const loc of basketLocations(ref.branch)) yield decodeBasket(layout, await readBasket(file, loc));
}

/** Reads a whole column into one chunk (values concatenated over baskets). */
export async function readColumn(file: RootFile, tree: RObj, branchPath: string): Promise<ColumnChunk> {
  const chunks: ColumnChunk[] = [];
  for await (const c of iterateColumn(file, tree, branchPath)) chunks.push(c);
  return concatChunks(chunks);
}

/** Concatenates chunks of the same column. */
export function concatChunks(chunks: ColumnChunk[]): ColumnChunk {
  const entries = chunks.reduce((s, c) => s + c.entries, 0);
  if (chunks.length === 0) return { entryStart: 0, entries: 0, values: new Float64Array(0) };
  if (chunks.length === 1) return chunks[0]!;
  const first = chunks[0]!;
  if (Array.isArray(first.values)) {
    return { entryStart: first.entryStart, entries, values: chunks.flatMap((c) => c.values as string[]) };
  }
  const n = chunks.reduce((s, c) => s + c.values.length, 0);
  const Ctor = (first.values as NumericArray).constructor as new (n: number) => NumericArray;
  const values = new Ctor(n);
  let at = 0;
  let offsets: Int32Array | undefined;
  if (first.offsets) offsets = new Int32Array(entries + 1);
  let e = 0;
  for (const c of chunks) {
    (values as unknown as { set(a: ArrayLike<unknown>, o: number): void }).set(c.values as NumericArray, at);
    if (offsets && c.offsets) {
      for (let i = 1; i <= c.entries; i++) offsets[e + i] = at + c.offsets[i]!;
    }
    at += c.values.length;
    e += c.entries;
  }
  return { entryStart: first.entryStart, entries, values, offsets };
}
