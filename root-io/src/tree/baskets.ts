import { decompress } from '../compression/codec.js';
import { CorruptFileError } from '../errors.js';
import type { RootFile } from '../io/file.js';
import { type Key, readKey } from '../io/key.js';
import { RBuffer } from '../io/rbuffer.js';
import type { RObj } from '../io/types.js';
import type { WBuffer } from '../io/wbuffer.js';

/** The TBasket part of a basket key header (after the TKey fields). */
export interface BasketHeader {
  version: number;
  bufferSize: number;
  nevBufSize: number;
  ioBits: number;
  nevBuf: number;
  last: number;
  flag: number;
}

/** Where a basket of a branch lives: on disk (seek > 0) or embedded in the TTree object. */
export interface BasketLoc {
  index: number;
  entryStart: number;
  entries: number;
  seek: number;
  bytes: number;
  embedded?: RObj;
}

/** Decoded basket content: entry data and, for variable-size entries, entry offsets into `data`. */
export interface BasketData {
  entryStart: number;
  nevBuf: number;
  data: Uint8Array;
  /** nevBuf + 1 offsets relative to `data` (last = data.length); absent for fixed-size entries. */
  offsets?: Int32Array;
}

/** Reads the TBasket fields that follow the key fields. */
export function readBasketHeader(b: RBuffer): BasketHeader {
  const version = b.version().version;
  const bufferSize = b.i32();
  let nevBufSize = b.i32();
  let ioBits = 0;
  if (nevBufSize < 0) {
    nevBufSize = -nevBufSize;
    ioBits = b.u8();
  }
  return { version, bufferSize, nevBufSize, ioBits, nevBuf: b.i32(), last: b.i32(), flag: b.u8() };
}

/** Writes the TBasket fields that follow the key fields. */
export function writeBasketHeader(w: WBuffer, h: BasketHeader): void {
  w.i16(h.version);
  w.i32(h.bufferSize);
  if (h.ioBits) {
    w.i32(-h.nevBufSize);
    w.u8(h.ioBits);
  } else w.i32(h.nevBufSize);
  w.i32(h.nevBuf);
  w.i32(h.last);
  w.u8(h.flag);
}

/** Baskets of a branch in entry order. */
export function basketLocations(branch: RObj): BasketLoc[] {
  const seeks = (branch.fBasketSeek as number[] | null) ?? [];
  const bytes = (branch.fBasketBytes as number[] | null) ?? [];
  const entry = (branch.fBasketEntry as number[] | null) ?? [];
  const embedded = ((branch.fBaskets as RObj | undefined)?.arr as (RObj | null)[] | undefined) ?? [];
  const wb = Number(branch.fWriteBasket ?? 0);
  const total = Number(branch.fEntries ?? 0);
  const out: BasketLoc[] = [];
  for (let i = 0; i <= wb; i++) {
    const start = entry[i] ?? 0;
    const next = i < wb ? (entry[i + 1] ?? total) : total;
    if (i < wb && (seeks[i] ?? 0) > 0) {
      out.push({ index: i, entryStart: start, entries: next - start, seek: seeks[i]!, bytes: bytes[i] ?? 0 });
    } else if (embedded[i]) {
      const e = decodeEmbedded(embedded[i]!);
      if (e.nevBuf > 0)
        out.push({
          index: i,
          entryStart: start,
          entries: e.nevBuf,
          seek: 0,
          bytes: 0,
          embedded: embedded[i]!,
        });
    }
  }
  return out;
}

/** An embedded basket decoded from its raw TBasket streamer bytes. */
export interface EmbeddedBasket {
  key: Key;
  header: BasketHeader;
  nevBuf: number;
  /** Entry data (without the reserved key area). */
  data: Uint8Array;
  /** Absolute entry offsets as stored (including fKeylen), or undefined. */
  entryOffsets?: Int32Array;
}

/** Decodes a TBasket that was streamed inside a TTree (data not flushed when the tree was saved). */
export function decodeEmbedded(obj: RObj): EmbeddedBasket {
  const cached = obj._decoded as EmbeddedBasket | undefined;
  if (cached) return cached;
  const b = new RBuffer(obj._rawBasket as Uint8Array);
  const key = readKey(b);
  const header = readBasketHeader(b);
  let entryOffsets: Int32Array | undefined;
  const flag = header.flag;
  if (flag !== 0 && flag % 10 !== 2) {
    if (header.nevBuf) {
      const n = b.i32();
      entryOffsets = new Int32Array(n);
      for (let i = 0; i < n; i++) entryOffsets[i] = b.i32();
      if (flag > 20 && flag < 40) for (let i = 0; i < n; i++) entryOffsets[i]! &= ~0xff000000;
    }
    if (flag > 40) b.skip(4 * b.i32());
  }
  let data: Uint8Array = new Uint8Array(0);
  if (flag === 1 || flag > 10) {
    const sz = header.version <= 1 ? b.i32() : header.last;
    const raw = b.bytesN(sz);
    data = raw.subarray(key.keylen, sz);
  }
  const out: EmbeddedBasket = { key, header, nevBuf: header.nevBuf, data, entryOffsets };
  obj._decoded = out;
  return out;
}

/** Splits an uncompressed basket payload into entry data and relative offsets. */
export function splitPayload(payload: Uint8Array, keylen: number, last: number, nevBuf: number): BasketData {
  const dataLen = last - keylen;
  if (dataLen > payload.length) throw new CorruptFileError('basket fLast beyond its payload');
  const data = payload.subarray(0, dataLen);
  let offsets: Int32Array | undefined;
  if (payload.length >= dataLen + 4) {
    const b = new RBuffer(payload.subarray(dataLen));
    const n = b.i32();
    if (n >= nevBuf && b.remaining >= 4 * nevBuf) {
      offsets = new Int32Array(nevBuf + 1);
      for (let i = 0; i < nevBuf; i++) offsets[i] = b.i32() - keylen;
      offsets[nevBuf] = dataLen;
    }
  }
  return { entryStart: 0, nevBuf, data, offsets };
}

/** Reads and decompresses one basket of a branch. */
export async function readBasket(file: RootFile, loc: BasketLoc): Promise<BasketData> {
  if (loc.embedded) {
    const e = decodeEmbedded(loc.embedded);
    let offsets: Int32Array | undefined;
    if (e.entryOffsets && e.entryOffsets.length >= e.nevBuf) {
      offsets = new Int32Array(e.nevBuf + 1);
      for (let i = 0; i < e.nevBuf; i++) offsets[i] = e.entryOffsets[i]! - e.key.keylen;
      offsets[e.nevBuf] = e.data.length;
    }
    return { entryStart: loc.entryStart, nevBuf: e.nevBuf, data: e.data, offsets };
  }
  const raw = await file.read(loc.seek, loc.bytes);
  const b = new RBuffer(raw);
  const key = readKey(b);
  const h = readBasketHeader(b);
  if (key.nbytes !== loc.bytes)
    throw new CorruptFileError(`basket at ${loc.seek}: size ${key.nbytes} != ${loc.bytes}`);
  const payload = await decompress(raw.subarray(key.keylen), key.objlen);
  const out = splitPayload(payload, key.keylen, h.last, h.nevBuf);
  out.entryStart = loc.entryStart;
  return out;
}
