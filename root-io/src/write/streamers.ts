import { inflateSync } from 'node:zlib';
import { decodeObject } from '../io/file.js';
import { StreamerRegistry } from '../io/registry.js';
import type { RObj, StreamerElement, StreamerInfo } from '../io/types.js';
import { streamerChecksum, tarrayChecksum } from './checksum.js';
import { STREAMER_SET_B64 } from './streamer-set.js';

let cached: StreamerRegistry | undefined;

function clone<T>(x: T): T {
  return structuredClone(x);
}

/** A histogram class derived from a captured one with another TArray base (TH1F → TH1D, TH1I…). */
function deriveHistogram(
  reg: StreamerRegistry,
  from: string,
  to: string,
  array: 'TArrayD' | 'TArrayI',
): void {
  const src = reg.find(from);
  if (!src || reg.has(to)) return;
  const info = clone(src);
  info.fName = to;
  info.fTitle = to;
  for (const el of info.fElements.arr) {
    if (el?.fName !== 'TArrayF') continue;
    el.fName = array;
    el.fTitle = array === 'TArrayD' ? 'Array of doubles' : 'Array of ints (32 bits)';
    el.fMaxIndex = [0, tarrayChecksum(array, array === 'TArrayD' ? 'double' : 'int') | 0, 0, 0, 0];
  }
  info.fCheckSum = streamerChecksum(info);
  reg.add(info);
}

/** ROOT's `fCtype` codes of vector element types, and the C++ names ROOT writes. */
const VECTOR_TYPES: [string, number][] = [
  ['double', 8],
  ['long', 4],
  ['Long64_t', 16],
  ['ULong64_t', 17],
  ['unsigned int', 13],
  ['unsigned short', 12],
  ['unsigned char', 11],
  ['bool', 18],
];

/** A `vector<T>` info derived from the captured `vector<float>` one. */
function deriveVector(reg: StreamerRegistry, elem: string, ctype: number): void {
  const name = `vector<${elem}>`;
  const src = reg.find('vector<float>');
  if (!src || reg.has(name)) return;
  const info = clone(src);
  info.fName = name;
  info.fTitle = name;
  const el = info.fElements.arr[0] as StreamerElement;
  el.fTypeName = name;
  el.fCtype = ctype;
  el.fTitle = `<${elem}> Used to call the proper TStreamerInfo case`;
  info.fCheckSum = streamerChecksum(info);
  reg.add(info);
}

/**
 * The streamer infos that files written from scratch carry: captured from real ROOT files (see
 * capture-streamers.ts), plus TH1D/TH1I/TH2D/TH2I and further `vector<T>` infos derived from them with
 * checksums recomputed as ROOT computes them.
 */
export function builtinStreamers(): StreamerRegistry {
  if (cached) return cached;
  const bytes = inflateSync(Buffer.from(STREAMER_SET_B64, 'base64'));
  const list = decodeObject(bytes, 0, 'TList', new StreamerRegistry());
  const reg = new StreamerRegistry();
  for (const item of list.arr as (RObj | null)[])
    if (item?._typename === 'TStreamerInfo') reg.add(item as StreamerInfo);
  deriveHistogram(reg, 'TH1F', 'TH1D', 'TArrayD');
  deriveHistogram(reg, 'TH1F', 'TH1I', 'TArrayI');
  deriveHistogram(reg, 'TH2F', 'TH2D', 'TArrayD');
  deriveHistogram(reg, 'TH2F', 'TH2I', 'TArrayI');
  for (const [elem, ctype] of VECTOR_TYPES) deriveVector(reg, elem, ctype);
  cached = reg;
  return reg;
}

/** Classes an info refers to: bases and object members that have infos of their own. */
function dependencies(info: StreamerInfo): string[] {
  const out: string[] = [];
  for (const el of info.fElements.arr) {
    if (!el) continue;
    if (el._typename === 'TStreamerBase') out.push(el.fName);
    else if (el.fTypeName) out.push(el.fTypeName.replace(/\*$/, ''));
  }
  return out;
}

/**
 * The StreamerInfo list (as written in a file) for a set of classes and everything they need, in the
 * order of the builtin set; plus the registry to serialize with.
 */
export function streamerListFor(classes: Iterable<string>): { list: RObj; reg: StreamerRegistry } {
  const reg = builtinStreamers();
  const wanted = new Set<string>();
  const visit = (cls: string) => {
    if (wanted.has(cls)) return;
    const info = reg.find(cls);
    if (!info) return;
    wanted.add(cls);
    for (const d of dependencies(info)) visit(d);
  };
  for (const c of classes) visit(c);
  const arr = reg.list.filter((i) => wanted.has(i.fName));
  const list: RObj = {
    _typename: 'TList',
    name: '',
    arr,
    opt: arr.map(() => ''),
    fUniqueID: 0,
    fBits: 0x03000000,
  };
  return { list, reg };
}
