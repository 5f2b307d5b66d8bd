import zlib from 'node:zlib';
import { compressSync as lz4Compress, uncompressSync as lz4Uncompress } from 'lz4-napi';
import * as lzma from 'lzma-native';
import xxhash from 'xxhash-wasm';
import { compress as zstdCompress, decompress as zstdDecompress } from 'zstd-napi';
import { CorruptFileError, UnsupportedError } from '../errors.js';
import { parseSetting } from './settings.js';

const HEADER = 9;
/** ROOT never puts more than this many bytes in one compression block. */
const MAX_BLOCK = 0xffffff;
const { h64Raw } = await xxhash();

function readLE24(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16);
}
function writeLE24(b: Buffer, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >> 8) & 0xff;
  b[at + 2] = (v >> 16) & 0xff;
}

/** Algorithm of the first compression block of a stored record, or 0 when the record is stored raw. */
export function blockAlgorithm(stored: Uint8Array, objlen: number): number {
  if (stored.length === objlen || stored.length < HEADER) return 0;
  const m = String.fromCharCode(stored[0]!, stored[1]!);
  return { ZL: 1, XZ: 2, CS: 3, L4: 4, ZS: 5 }[m] ?? 0;
}

/**
 * Decompresses a record's stored bytes into `objlen` bytes, choosing each block's codec by its magic
 * (never by fCompress: some files declare one algorithm and hold another).
 */
export async function decompress(stored: Uint8Array, objlen: number): Promise<Buffer> {
  if (stored.length === objlen) return Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  const out = Buffer.allocUnsafe(objlen);
  let src = 0;
  let dst = 0;
  while (dst < objlen) {
    if (src + HEADER > stored.length) throw new CorruptFileError('truncated compression block header');
    const magic = String.fromCharCode(stored[src]!, stored[src + 1]!);
    const csize = readLE24(stored, src + 3);
    const usize = readLE24(stored, src + 6);
    const body = stored.subarray(src + HEADER, src + HEADER + csize);
    if (body.length !== csize) throw new CorruptFileError('truncated compression block');
    if (dst + usize > objlen) throw new CorruptFileError('compression block larger than the record');
    let plain: Uint8Array;
    try {
      plain = await decodeBlock(magic, body, usize);
    } catch (err) {
      if (err instanceof CorruptFileError || err instanceof UnsupportedError) throw err;
      throw new CorruptFileError(`cannot decode ${magic} block: ${(err as Error).message}`);
    }
    if (plain.length !== usize)
      throw new CorruptFileError(`${magic} block decoded to ${plain.length}, expected ${usize}`);
    out.set(plain, dst);
    dst += usize;
    src += HEADER + csize;
  }
  return out;
}

async function decodeBlock(magic: string, body: Uint8Array, usize: number): Promise<Uint8Array> {
  switch (magic) {
    case 'ZL':
      return zlib.inflateSync(body);
    case 'XZ':
      return lzma.decompress(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    case 'L4': {
      const want = Buffer.from(body.buffer, body.byteOffset, 8).readBigUInt64BE(0);
      const block = body.subarray(8);
      if (h64Raw(block, 0n) !== want) throw new CorruptFileError('LZ4 block fails its xxhash64 checksum');
      const framed = Buffer.allocUnsafe(block.length + 4);
      framed.writeUInt32LE(usize, 0);
      framed.set(block, 4);
      return lz4Uncompress(framed);
    }
    case 'ZS':
      return zstdDecompress(body);
    default:
      throw new UnsupportedError(`unsupported compression block magic '${magic}'`);
  }
}

/**
 * Compresses a record payload with a ROOT setting (algorithm*100+level). Returns the payload itself
 * when the level is 0 or compression does not shrink it, as ROOT does.
 */
export async function compress(plain: Uint8Array, setting: number): Promise<Uint8Array> {
  const { algorithm, level } = parseSetting(setting);
  if (level === 0 || plain.length === 0) return plain;
  const parts: Buffer[] = [];
  let total = 0;
  for (let at = 0; at < plain.length; at += MAX_BLOCK) {
    const chunk = plain.subarray(at, Math.min(plain.length, at + MAX_BLOCK));
    const [magic, method, body] = await encodeBlock(algorithm, level, chunk);
    if (body.length >= chunk.length || body.length > MAX_BLOCK) return plain;
    const head = Buffer.allocUnsafe(HEADER);
    head.write(magic, 0, 'latin1');
    head[2] = method;
    writeLE24(head, 3, body.length);
    writeLE24(head, 6, chunk.length);
    parts.push(head, body);
    total += HEADER + body.length;
  }
  if (total >= plain.length) return plain;
  return Buffer.concat(parts, total);
}

async function encodeBlock(
  algorithm: number,
  level: number,
  chunk: Uint8Array,
): Promise<[string, number, Buffer]> {
  switch (algorithm) {
    case 0:
    case 1:
    case 3:
      return ['ZL', 8, zlib.deflateSync(chunk, { level: Math.min(9, level) })];
    case 2: {
      const xz = await lzma.compress(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength), {
        preset: Math.min(9, level),
        check: lzma.CHECK_CRC32,
      });
      return ['XZ', 0, xz];
    }
    case 4: {
      const framed = lz4Compress(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      const block = framed.subarray(4);
      const out = Buffer.allocUnsafe(block.length + 8);
      out.writeBigUInt64BE(h64Raw(block, 0n), 0);
      out.set(block, 8);
      return ['L4', 1, out];
    }
    case 5:
      return ['ZS', 1, zstdCompress(chunk, { compressionLevel: level })];
    default:
      throw new UnsupportedError(`unsupported compression algorithm ${algorithm}`);
  }
}
