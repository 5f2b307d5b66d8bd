import { normalizeAdler32, type StreamChecksums } from './checksum.js';
import { StorageError } from './errors.js';
import type { WriteOptions } from './types.js';

/** Throws INVALID_ARGUMENT for a malformed expected checksum/size before any byte is sent. */
export function checkWriteOptions(opts: WriteOptions, target: string): void {
  if (!Number.isSafeInteger(opts.size) || opts.size < 0)
    throw new StorageError('INVALID_ARGUMENT', `write ${target}: size must be a non-negative integer`, {
      target,
    });
  if (opts.adler32 !== undefined && !/^[0-9a-fA-F]{1,8}$/.test(opts.adler32))
    throw new StorageError('INVALID_ARGUMENT', `write ${target}: adler32 must be up to 8 hex digits`, {
      target,
    });
  if (opts.md5 !== undefined && !/^[0-9a-fA-F]{32}$/.test(opts.md5))
    throw new StorageError('INVALID_ARGUMENT', `write ${target}: md5 must be 32 hex digits`, { target });
}

/**
 * Compares what flowed through the stream with what the writer promised. Permanent errors:
 * retrying the same source bytes cannot help.
 */
export function verifyStreamed(got: StreamChecksums, expected: WriteOptions, target: string): void {
  if (got.size !== expected.size)
    throw new StorageError(
      'SIZE_MISMATCH',
      `write ${target}: expected ${expected.size} bytes, source gave ${got.size}`,
      { target, retryable: false },
    );
  if (expected.adler32 !== undefined && normalizeAdler32(expected.adler32) !== got.adler32)
    throw new StorageError(
      'CHECKSUM_MISMATCH',
      `write ${target}: adler32 expected ${normalizeAdler32(expected.adler32)}, source gave ${got.adler32}`,
      { target, retryable: false },
    );
  if (expected.md5 !== undefined && got.md5 !== undefined && expected.md5.toLowerCase() !== got.md5)
    throw new StorageError(
      'CHECKSUM_MISMATCH',
      `write ${target}: md5 expected ${expected.md5}, source gave ${got.md5}`,
      {
        target,
        retryable: false,
      },
    );
}

/**
 * Compares what the storage reports after the write with what was streamed. A mismatch here means
 * corruption in transit or at rest: retryable, since a second attempt may well succeed.
 */
export function verifyStored(
  stored: { size?: number; adler32?: string; md5?: string },
  streamed: StreamChecksums,
  target: string,
): void {
  if (stored.size !== undefined && stored.size !== streamed.size)
    throw new StorageError(
      'SIZE_MISMATCH',
      `write ${target}: storage has ${stored.size} bytes, sent ${streamed.size}`,
      {
        target,
        retryable: true,
      },
    );
  if (stored.adler32 !== undefined && normalizeAdler32(stored.adler32) !== streamed.adler32)
    throw new StorageError(
      'CHECKSUM_MISMATCH',
      `write ${target}: storage adler32 ${normalizeAdler32(stored.adler32)}, sent ${streamed.adler32}`,
      { target, retryable: true },
    );
  if (stored.md5 !== undefined && streamed.md5 !== undefined && stored.md5.toLowerCase() !== streamed.md5)
    throw new StorageError(
      'CHECKSUM_MISMATCH',
      `write ${target}: storage md5 ${stored.md5}, sent ${streamed.md5}`,
      {
        target,
        retryable: true,
      },
    );
}

/** Marker in the names of temporary (not yet verified) files; list() hides them and clean-ups look for it. */
export const TEMP_MARK = '.oxbow-part-';

/**
 * Where the temporary siblings of a relative path live: its directory (`''` or ending in `/`) and
 * the name prefix `.name.oxbow-part-` they all start with. The one definition of the naming, so that
 * writers and orphan clean-ups cannot drift apart.
 */
export function tempPattern(rel: string): { dir: string; start: string } {
  const slash = rel.lastIndexOf('/');
  return { dir: rel.slice(0, slash + 1), start: `.${rel.slice(slash + 1)}${TEMP_MARK}` };
}

/** Hidden temporary sibling of a relative path: `dir/.name.oxbow-part-SUFFIX`. */
export function tempSibling(rel: string): string {
  const { dir, start } = tempPattern(rel);
  return `${dir}${start}${tempSuffix()}`;
}

/** True when a bare entry name starts with a tempPattern() start (`.f.bin.oxbow-part-`, never `.f.binx…`). */
export function isTempOf(name: string, start: string): boolean {
  return name.startsWith(start) && !name.includes('/');
}

/** Unique suffix for temporary upload names (never collides between concurrent writers). */
export function tempSuffix(): string {
  return `${process.pid.toString(36)}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
