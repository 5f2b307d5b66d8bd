import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { Transform, type TransformCallback } from 'node:stream';

import { adler32, adler32Update, formatAdler32 } from '@oxbow/common/rucio/index';

// One adler32 for the whole project lives in @oxbow/common; re-exported for adapter users.
export { adler32, adler32Update, formatAdler32 };

/** Initial adler32 state (a = 1, b = 0). */
export const ADLER32_INIT = 1;

/** Normalises a checksum given by a user or a server (case, missing leading zeros) for comparison. */
export function normalizeAdler32(value: string): string {
  return value.trim().toLowerCase().padStart(8, '0');
}

/** Checksums and byte count of a stream, available once it has ended. */
export interface StreamChecksums {
  size: number;
  adler32: string;
  md5?: string;
}

/** Pass-through stream that computes adler32 (and md5) of everything that flows through it. */
export interface ChecksumStream extends Transform {
  /** Result so far; complete after 'end'/'finish'. */
  result(): StreamChecksums;
}

/** A pass-through Transform computing adler32 and optionally md5 in the same pass. */
export function createChecksumStream(opts: { md5?: boolean } = {}): ChecksumStream {
  let state = ADLER32_INIT;
  let size = 0;
  const md5: Hash | undefined = opts.md5 ? createHash('md5') : undefined;
  let md5hex: string | undefined;
  const t = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      state = adler32Update(state, chunk);
      md5?.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      md5hex = md5?.digest('hex');
      cb();
    },
  }) as ChecksumStream;
  t.result = () => ({ size, adler32: formatAdler32(state), md5: md5hex });
  return t;
}

/** Reads a whole stream computing size, adler32 and (optionally) md5 without keeping the data. */
export async function checksumStream(
  source: AsyncIterable<Uint8Array> | Readable,
  opts: { md5?: boolean } = {},
): Promise<StreamChecksums> {
  let state = ADLER32_INIT;
  let size = 0;
  const md5 = opts.md5 ? createHash('md5') : undefined;
  for await (const chunk of source as AsyncIterable<Uint8Array>) {
    state = adler32Update(state, chunk);
    md5?.update(chunk);
    size += chunk.length;
  }
  return { size, adler32: formatAdler32(state), md5: md5?.digest('hex') };
}

/** Checksums of a local file, read once in large chunks. */
export function checksumFile(
  path: string,
  opts: { md5?: boolean; signal?: AbortSignal } = {},
): Promise<StreamChecksums> {
  return checksumStream(createReadStream(path, { highWaterMark: 1 << 20, signal: opts.signal }), opts);
}
