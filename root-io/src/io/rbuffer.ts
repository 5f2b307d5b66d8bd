import { CorruptFileError } from '../errors.js';

const kByteCountMask = 0x40000000;
const kNewClassTag = 0xffffffff;
const kClassMask = 0x80000000;
const kMapOffset = 2;

/** Result of reading a class tag: a new/known class name, an object reference or null. */
export type ClassTag = { kind: 'null' } | { kind: 'class'; name: string } | { kind: 'ref'; tag: number };

/** Big-endian reader over a record payload that tracks ROOT class and object tags. */
export class RBuffer {
  readonly view: DataView;
  pos = 0;
  /** Positions are counted from the start of the TKey: tagOffset = fKeylen. */
  readonly classMap = new Map<number, string>();
  readonly objectMap = new Map<number, unknown>();

  constructor(
    readonly bytes: Uint8Array,
    readonly tagOffset = 0,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): void {
    if (this.pos + n > this.bytes.length)
      throw new CorruptFileError(`read past end of buffer (${this.pos}+${n} > ${this.bytes.length})`);
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }
  i8(): number {
    this.need(1);
    return this.view.getInt8(this.pos++);
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }
  i16(): number {
    this.need(2);
    const v = this.view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }
  /** 64-bit integers are returned as numbers: ROOT offsets and counts stay far below 2^53. */
  i64(): number {
    this.need(8);
    const v = this.view.getBigInt64(this.pos);
    this.pos += 8;
    return Number(v);
  }
  u64(): number {
    this.need(8);
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return Number(v);
  }
  f32(): number {
    this.need(4);
    const v = this.view.getFloat32(this.pos);
    this.pos += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    return v;
  }
  bytesN(n: number): Uint8Array {
    this.need(n);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** TString: 1 length byte, or 255 + int32 length. */
  tstring(): string {
    let n = this.u8();
    if (n === 255) n = this.i32();
    return Buffer.from(this.bytesN(n)).toString('latin1');
  }

  /** NUL-terminated C string (class names in class tags). */
  cstring(): string {
    const start = this.pos;
    while (this.pos < this.bytes.length && this.bytes[this.pos] !== 0) this.pos++;
    const s = Buffer.from(this.bytes.subarray(start, this.pos)).toString('latin1');
    this.pos++;
    return s;
  }

  /** Reads `bytecount|0x40000000, int16 version` (bytecount optional); returns the end position if known. */
  version(): { version: number; end: number | undefined; start: number } {
    const start = this.pos;
    const bc = this.u32();
    if (bc & kByteCountMask) {
      const end = this.pos + (bc & ~kByteCountMask);
      return { version: this.i16(), end, start };
    }
    this.pos -= 4;
    return { version: this.i16(), end: undefined, start };
  }

  /** Reads the class tag of a WriteObjectAny record. */
  classTag(): ClassTag {
    const start = this.pos;
    const bc = this.u32();
    let tag: number;
    let tagPos = start;
    if (!(bc & kByteCountMask) || bc === kNewClassTag) tag = bc;
    else {
      tagPos = this.pos;
      tag = this.u32();
    }
    if (tag === 0) return { kind: 'null' };
    if (!(tag & kClassMask) || tag === kNewClassTag) {
      if (tag === kNewClassTag) {
        const name = this.cstring();
        this.classMap.set(this.tagOffset + tagPos + kMapOffset, name);
        return { kind: 'class', name };
      }
      return { kind: 'ref', tag };
    }
    const name = this.classMap.get((tag & ~kClassMask) >>> 0);
    if (name === undefined) throw new CorruptFileError(`unknown class tag ${tag & ~kClassMask}`);
    return { kind: 'class', name };
  }

  /** Tag under which an object starting at the current position is registered. */
  objectTagHere(): number {
    return this.tagOffset + this.pos + kMapOffset;
  }
}
