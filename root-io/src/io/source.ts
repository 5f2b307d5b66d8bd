import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { type FileHandle, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CorruptFileError } from '../errors.js';

/**
 * Random-access bytes of a ROOT file. ROOT files are read by seeking (header, then keys lists, then
 * records anywhere), so every input is a sized source of byte ranges: a local file, a buffer, or any
 * byte-range reader (an HTTP Range or XRootD adapter supplies `size` and `read`).
 */
export interface ByteSource {
  /** Name used in messages and results. */
  readonly name: string;
  readonly size: number;
  /** Exactly `length` bytes at `offset` (rejects when the source is shorter). */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** A merge or read input: a path, or a ByteSource. */
export type InputSource = string | ByteSource;

/** Opens a local file as a ByteSource. */
export async function fileSource(path: string): Promise<ByteSource> {
  const fh: FileHandle = await open(path, 'r');
  let size: number;
  try {
    size = (await fh.stat()).size;
  } catch (err) {
    await fh.close();
    throw err;
  }
  return {
    name: path,
    size,
    async read(offset, length) {
      const buf = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
        if (bytesRead === 0) throw new CorruptFileError(`${path}: unexpected end of file at ${offset + got}`);
        got += bytesRead;
      }
      return buf;
    },
    close: () => fh.close(),
  };
}

/** A ByteSource over bytes in memory. */
export function bufferSource(bytes: Uint8Array, name = 'buffer'): ByteSource {
  return {
    name,
    size: bytes.length,
    async read(offset, length) {
      if (offset + length > bytes.length) throw new CorruptFileError(`${name}: read beyond the end`);
      return bytes.subarray(offset, offset + length);
    },
    async close() {},
  };
}

/**
 * A ByteSource over any byte-range reader, e.g. `(off, len) => httpGetRange(url, off, len)`. The
 * reader may return fewer bytes than asked only at the end of the data (which is then an error).
 */
export function rangeSource(
  name: string,
  size: number,
  readRange: (offset: number, length: number) => Promise<Uint8Array>,
  close: () => Promise<void> = async () => {},
): ByteSource {
  return {
    name,
    size,
    async read(offset, length) {
      const b = await readRange(offset, length);
      if (b.length !== length)
        throw new CorruptFileError(`${name}: short read at ${offset} (${b.length}/${length})`);
      return b;
    },
    close,
  };
}

/**
 * A ByteSource from a sequential stream (e.g. an HTTP download body): the stream is spooled to a
 * temporary file (disk, not memory) and read from there; the file is removed on close.
 */
export async function streamSource(
  stream: Readable,
  opts: { name?: string; tmpDir?: string } = {},
): Promise<ByteSource> {
  const tmp = join(
    opts.tmpDir ?? tmpdir(),
    `.oxbow-root-in-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  try {
    await pipeline(stream, createWriteStream(tmp));
    const f = await fileSource(tmp);
    return {
      name: opts.name ?? 'stream',
      size: f.size,
      read: (o, l) => f.read(o, l),
      async close() {
        await f.close();
        await rm(tmp, { force: true });
      },
    };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Opens an input (a path becomes a fileSource). */
export function openSource(input: InputSource): Promise<ByteSource> {
  return typeof input === 'string' ? fileSource(input) : Promise.resolve(input);
}

/** Name of an input for messages. */
export function sourceName(input: InputSource): string {
  return typeof input === 'string' ? input : input.name;
}
