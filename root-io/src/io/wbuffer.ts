const kByteCountMask = 0x40000000;
const kNewClassTag = 0xffffffff;
const kClassMask = 0x80000000;
const kMapOffset = 2;

/** Growable big-endian writer that tracks ROOT class and object tags like TBufferFile. */
export class WBuffer {
  private buf: Buffer;
  pos = 0;
  readonly classMap = new Map<string, number>();
  readonly objectMap = new Map<object, number>();

  constructor(
    readonly tagOffset = 0,
    initial = 1024,
  ) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const nb = Buffer.allocUnsafe(size);
    this.buf.copy(nb, 0, 0, this.pos);
    this.buf = nb;
  }

  /** The bytes written so far (a view, copy it if the buffer keeps growing). */
  result(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf.writeUInt8(v & 0xff, this.pos++);
  }
  i8(v: number): void {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos++);
  }
  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.pos);
    this.pos += 2;
  }
  i16(v: number): void {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v | 0, this.pos);
    this.pos += 4;
  }
  i64(v: number): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(BigInt(Math.trunc(v)), this.pos);
    this.pos += 8;
  }
  u64(v: number): void {
    this.ensure(8);
    this.buf.writeBigUInt64BE(BigInt(Math.trunc(v)), this.pos);
    this.pos += 8;
  }
  /** 64-bit integers given as BigInt (exact beyond 2^53). */
  i64big(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(BigInt.asIntN(64, v), this.pos);
    this.pos += 8;
  }
  u64big(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigUInt64BE(BigInt.asUintN(64, v), this.pos);
    this.pos += 8;
  }
  f32(v: number): void {
    this.ensure(4);
    this.buf.writeFloatBE(v, this.pos);
    this.pos += 4;
  }
  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  tstring(s: string): void {
    const b = Buffer.from(s, 'latin1');
    if (b.length < 255) this.u8(b.length);
    else {
      this.u8(255);
      this.i32(b.length);
    }
    this.bytes(b);
  }
  cstring(s: string): void {
    this.bytes(Buffer.from(s, 'latin1'));
    this.u8(0);
  }

  /** Overwrites a big-endian uint32 at an earlier position. */
  patchU32(at: number, v: number): void {
    this.buf.writeUInt32BE(v >>> 0, at);
  }

  /** Starts `bytecount, version`; returns the position to pass to endVersion. */
  startVersion(version: number): number {
    const at = this.pos;
    this.u32(0);
    this.i16(version);
    return at;
  }
  /** Fills in the byte count reserved by startVersion. */
  endVersion(at: number): void {
    this.patchU32(at, (this.pos - at - 4) | kByteCountMask);
  }

  /**
   * WriteObjectAny: null, a reference to an already written object, or a class tag followed by the body.
   * Returns true when the caller must write the object body (then call endObjectAny with the token).
   */
  startObjectAny(obj: object | null, className: string): number | undefined {
    if (obj === null) {
      this.u32(0);
      return undefined;
    }
    const seen = this.objectMap.get(obj);
    if (seen !== undefined) {
      this.u32(seen);
      return undefined;
    }
    const at = this.pos;
    this.objectMap.set(obj, this.tagOffset + at + kMapOffset);
    this.u32(0);
    const known = this.classMap.get(className);
    if (known !== undefined) this.u32((known | kClassMask) >>> 0);
    else {
      this.classMap.set(className, this.tagOffset + at + 4 + kMapOffset);
      this.u32(kNewClassTag);
      this.cstring(className);
    }
    return at;
  }
  /** Fills in the byte count of an object written with startObjectAny. */
  endObjectAny(at: number): void {
    this.patchU32(at, (this.pos - at - 4) | kByteCountMask);
  }
}
