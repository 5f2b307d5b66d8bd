import { RBuffer } from './rbuffer.js';
import { WBuffer } from './wbuffer.js';

/** A TKey header: every record in a ROOT file starts with one. */
export interface Key {
  nbytes: number;
  version: number;
  objlen: number;
  datime: number;
  keylen: number;
  cycle: number;
  seekKey: number;
  seekPdir: number;
  className: string;
  name: string;
  title: string;
}

/** Parses a key header at the reader's position. */
export function readKey(b: RBuffer): Key {
  const nbytes = b.i32();
  const version = b.i16();
  const objlen = b.i32();
  const datime = b.u32();
  const keylen = b.i16();
  const cycle = b.i16();
  const big = version > 1000;
  const seekKey = big ? b.i64() : b.i32();
  const seekPdir = big ? b.i64() : b.i32();
  return {
    nbytes,
    version,
    objlen,
    datime,
    keylen,
    cycle,
    seekKey,
    seekPdir,
    className: b.tstring(),
    name: b.tstring(),
    title: b.tstring(),
  };
}

/** Serializes a key header (uses 64-bit seeks when version > 1000). */
export function writeKey(w: WBuffer, k: Key): void {
  w.i32(k.nbytes);
  w.i16(k.version);
  w.i32(k.objlen);
  w.u32(k.datime);
  w.i16(k.keylen);
  w.i16(k.cycle);
  if (k.version > 1000) {
    w.i64(k.seekKey);
    w.i64(k.seekPdir);
  } else {
    w.i32(k.seekKey);
    w.i32(k.seekPdir);
  }
  w.tstring(k.className);
  w.tstring(k.name);
  w.tstring(k.title);
}

/** Length in bytes of a key header with these strings (64-bit seeks when big). */
export function keyLength(className: string, name: string, title: string, big = true): number {
  const s = (x: string) => {
    const n = Buffer.byteLength(x, 'latin1');
    return n < 255 ? n + 1 : n + 5;
  };
  return 18 + (big ? 16 : 8) + s(className) + s(name) + s(title);
}

/** Encodes a key header into a fresh buffer. */
export function encodeKey(k: Key): Buffer {
  const w = new WBuffer(0, 128);
  writeKey(w, k);
  return Buffer.from(w.result());
}

/** Decodes a key header from bytes. */
export function decodeKey(bytes: Uint8Array): Key {
  return readKey(new RBuffer(bytes));
}

/** ROOT's packed TDatime for now: (y-1995)<<26 | m<<22 | d<<17 | h<<12 | min<<6 | s. */
export function datimeNow(d = new Date()): number {
  return (
    (((d.getFullYear() - 1995) << 26) |
      ((d.getMonth() + 1) << 22) |
      (d.getDate() << 17) |
      (d.getHours() << 12) |
      (d.getMinutes() << 6) |
      d.getSeconds()) >>>
    0
  );
}
