// Deterministic test data that can be regenerated instead of kept in memory.

import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ADLER32_INIT, adler32Update, formatAdler32 } from '../src/checksum.js';

/** Fills a buffer with xorshift32 output starting from `seed` (fast, reproducible). */
export function fillRandom(buf: Buffer, seed: number): number {
  let x = seed >>> 0 || 0x9e3779b9;
  const n4 = buf.length & ~3;
  for (let i = 0; i < n4; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf.writeUInt32LE(x, i);
  }
  for (let i = n4; i < buf.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf[i] = x & 0xff;
  }
  return x;
}

/** `size` pseudo-random bytes. */
export function randomBuffer(size: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(size);
  fillRandom(b, seed);
  return b;
}

/** Chunks of a reproducible pseudo-random byte stream; never holds more than one chunk. */
export function* randomChunks(size: number, seed = 7, chunk = 1 << 20): Generator<Buffer> {
  let s = seed;
  for (let off = 0; off < size; off += chunk) {
    const b = Buffer.allocUnsafe(Math.min(chunk, size - off));
    s = fillRandom(b, s + off);
    yield b;
  }
}

/** Readable of randomChunks(). */
export function randomStream(size: number, seed = 7, chunk = 1 << 20): Readable {
  return Readable.from(randomChunks(size, seed, chunk), { objectMode: false });
}

/** Size/adler32/md5 of randomChunks(size, seed) computed without storing the data. */
export function randomSums(
  size: number,
  seed = 7,
  chunk = 1 << 20,
): { size: number; adler32: string; md5: string } {
  let st = ADLER32_INIT;
  const h = createHash('md5');
  for (const b of randomChunks(size, seed, chunk)) {
    st = adler32Update(st, b);
    h.update(b);
  }
  return { size, adler32: formatAdler32(st), md5: h.digest('hex') };
}

/** Reads a whole stream into one buffer (only for small test data). */
export async function collect(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}
