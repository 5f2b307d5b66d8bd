import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import pLimit from 'p-limit';
import { createChecksumStream, normalizeAdler32, type StreamChecksums } from './checksum.js';
import { StorageError, toStorageError } from './errors.js';
import type {
  BatchResult,
  GetFilesOptions,
  GetItem,
  GetResult,
  PutFilesOptions,
  PutItem,
  StorageAdapter,
  WriteResult,
} from './types.js';
import { TEMP_MARK, tempSuffix } from './verify.js';

/** Uploads local files through adapter.write(), a bounded number at a time. */
export async function putFilesGeneric(
  adapter: StorageAdapter,
  items: PutItem[],
  opts: PutFilesOptions = {},
): Promise<BatchResult<WriteResult>[]> {
  const limit = pLimit(Math.max(1, opts.concurrency ?? 4));
  return Promise.all(
    items.map((it) =>
      limit(async (): Promise<BatchResult<WriteResult>> => {
        try {
          const value = await adapter.write(
            it.path,
            createReadStream(it.localPath, { highWaterMark: 1 << 20 }),
            {
              size: it.size,
              adler32: it.adler32,
              md5: it.md5,
              computeMd5: opts.computeMd5,
              overwrite: opts.overwrite,
              signal: opts.signal,
            },
          );
          return { ok: true, value };
        } catch (err) {
          return { ok: false, error: toStorageError(err, 'write', it.path) };
        }
      }),
    ),
  );
}

/**
 * Moves a finished temporary download into place (atomic within one file system) after checking it
 * against what the catalog promised; the temporary file is removed on any failure.
 */
export async function commitDownload(tmp: string, item: GetItem, got: StreamChecksums): Promise<void> {
  try {
    if (item.size !== undefined && got.size !== item.size)
      throw new StorageError(
        'SIZE_MISMATCH',
        `read ${item.path}: ${got.size} bytes, catalog says ${item.size}`,
        {
          target: item.path,
          retryable: true,
        },
      );
    if (item.adler32 !== undefined && normalizeAdler32(item.adler32) !== got.adler32)
      throw new StorageError(
        'CHECKSUM_MISMATCH',
        `read ${item.path}: adler32 ${got.adler32}, catalog says ${normalizeAdler32(item.adler32)}`,
        { target: item.path, retryable: true },
      );
    await mkdir(dirname(item.localPath), { recursive: true });
    try {
      await rename(tmp, item.localPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      // Different file system: copy next to the target, then rename there (still atomic for readers).
      const near = `${item.localPath}${TEMP_MARK}${tempSuffix()}`;
      try {
        await copyFile(tmp, near);
        await rename(near, item.localPath);
      } finally {
        await unlink(near).catch(() => undefined);
      }
      await unlink(tmp).catch(() => undefined);
    }
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw toStorageError(err, 'read', item.path);
  }
}

/** Downloads through adapter.read() into temp files next to the targets, verified, then renamed. */
export async function getFilesGeneric(
  adapter: StorageAdapter,
  items: GetItem[],
  opts: GetFilesOptions = {},
): Promise<BatchResult<GetResult>[]> {
  const limit = pLimit(Math.max(1, opts.concurrency ?? 4));
  return Promise.all(
    items.map((it) =>
      limit(async (): Promise<BatchResult<GetResult>> => {
        const tmp = `${it.localPath}${TEMP_MARK}${tempSuffix()}`;
        try {
          await mkdir(dirname(it.localPath), { recursive: true });
          const sums = createChecksumStream({ md5: opts.computeMd5 });
          await pipeline(await adapter.read(it.path, { signal: opts.signal }), sums, createWriteStream(tmp), {
            signal: opts.signal,
          });
          const got = sums.result();
          await commitDownload(tmp, it, got);
          return { ok: true, value: { ...got, localPath: it.localPath } };
        } catch (err) {
          await unlink(tmp).catch(() => undefined);
          return { ok: false, error: toStorageError(err, 'read', it.path) };
        }
      }),
    ),
  );
}
