import { createWriteStream, constants as fsc } from 'node:fs';
import { link, lstat, mkdir, open, readdir, realpath, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { getFilesGeneric, putFilesGeneric } from '../batch.js';
import { checksumStream, createChecksumStream } from '../checksum.js';
import { StorageError, throwIfAborted, toStorageError } from '../errors.js';
import { buildPfn, collapseSlashes, normalizePrefix, toRelativePath } from '../pfn.js';
import type {
  AdapterOptions,
  ChecksumAlgorithm,
  ChecksumResult,
  ListEntry,
  OpOptions,
  ReadOptions,
  RseProtocol,
  StatResult,
  StorageAdapter,
  WriteOptions,
  WriteResult,
} from '../types.js';
import {
  checkWriteOptions,
  isTempOf,
  TEMP_MARK,
  tempPattern,
  tempSibling,
  verifyStreamed,
} from '../verify.js';

/** Options specific to the posix adapter. */
export interface PosixOptions extends AdapterOptions {
  /** fsync the data before the rename (durable against power loss; slower). Default false, like Rucio. */
  fsync?: boolean;
}

/** True when `child` (a real path) is `root` or lies below it. */
function isInside(root: string, child: string): boolean {
  return child === root || child.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** Adapter for file:// RSEs: the prefix is a local directory. */
export function createPosixAdapter(protocol: RseProtocol, options: PosixOptions = {}): StorageAdapter {
  const rootDir = collapseSlashes(normalizePrefix(protocol.prefix)).replace(/\/$/, '') || '/';
  let realRootPromise: Promise<string> | undefined;

  /** Real path of the prefix directory (created on first use, like Rucio's posix connect()). */
  function realRoot(): Promise<string> {
    realRootPromise ??= (async () => {
      await mkdir(rootDir, { recursive: true });
      return realpath(rootDir);
    })();
    realRootPromise.catch(() => {
      realRootPromise = undefined;
    });
    return realRootPromise;
  }

  /**
   * Local path of a catalog path, refusing anything that resolves outside the prefix: `..` is
   * rejected lexically, then the deepest existing ancestor is resolved through symlinks and must
   * still lie under the prefix's real path.
   */
  async function resolve(path: string, what: string): Promise<{ rel: string; full: string }> {
    const rel = toRelativePath(protocol, path);
    const root = await realRoot();
    const full = rel ? join(root, rel) : root;
    let probe = full;
    for (;;) {
      try {
        const real = await realpath(probe);
        if (!isInside(root, real))
          throw new StorageError(
            'PATH_ESCAPE',
            `${what} ${path}: resolves outside the RSE prefix (${real})`,
            {
              target: path,
            },
          );
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if ((code === 'ENOENT' || code === 'ENOTDIR') && probe !== root) {
          probe = dirname(probe);
          continue;
        }
        throw toStorageError(err, what, path);
      }
    }
    return { rel, full };
  }

  async function statImpl(path: string, opts: OpOptions = {}): Promise<StatResult> {
    throwIfAborted(opts.signal, path);
    const { full } = await resolve(path, 'stat');
    try {
      const st = await stat(full);
      return { size: st.isDirectory() ? 0 : st.size, isDir: st.isDirectory(), mtime: st.mtime };
    } catch (err) {
      throw toStorageError(err, 'stat', path);
    }
  }

  async function read(path: string, opts: ReadOptions = {}): Promise<Readable> {
    throwIfAborted(opts.signal, path);
    const { full } = await resolve(path, 'read');
    // Open first so that a missing file is an error of read() itself, not of the stream later.
    const fh = await open(full, fsc.O_RDONLY).catch((err) => {
      throw toStorageError(err, 'read', path);
    });
    const st = await fh.stat();
    if (st.isDirectory()) {
      await fh.close();
      throw new StorageError('INVALID_ARGUMENT', `read ${path}: is a directory`, { target: path });
    }
    const start = opts.offset ?? 0;
    const end = opts.length === undefined ? undefined : start + opts.length - 1;
    if (opts.length === 0) {
      await fh.close();
      return Readable.from([]);
    }
    return fh.createReadStream({ start, end, highWaterMark: 1 << 20, signal: opts.signal, autoClose: true });
  }

  async function write(path: string, source: Readable, opts: WriteOptions): Promise<WriteResult> {
    checkWriteOptions(opts, path);
    throwIfAborted(opts.signal, path);
    const { rel, full } = await resolve(path, 'write');
    if (!rel) throw new StorageError('INVALID_ARGUMENT', `write: empty path`, { target: path });
    const dir = dirname(full);
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw toStorageError(err, 'write', path);
    }
    // Re-check after mkdir: a symlinked directory created concurrently must not redirect the write.
    await resolve(path, 'write');
    try {
      if ((await lstat(full)).isSymbolicLink())
        throw new StorageError('PATH_ESCAPE', `write ${path}: target is a symlink`, { target: path });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw toStorageError(err, 'write', path);
    }
    const tmp = join(dir, basename(tempSibling(rel)));
    const sums = createChecksumStream({ md5: opts.md5 !== undefined || opts.computeMd5 === true });
    try {
      await pipeline(
        source,
        sums,
        createWriteStream(tmp, { flags: 'wx', mode: 0o644, highWaterMark: 1 << 20 }),
        {
          signal: opts.signal,
        },
      );
      if (options.fsync) {
        // fsync applies to the inode, so a second descriptor flushes what the stream wrote.
        const fh = await open(tmp, fsc.O_RDONLY);
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
      }
      const got = sums.result();
      verifyStreamed(got, opts, path);
      const onDisk = (await stat(tmp)).size;
      if (onDisk !== got.size)
        throw new StorageError(
          'SIZE_MISMATCH',
          `write ${path}: ${onDisk} bytes on disk, streamed ${got.size}`,
          {
            target: path,
            retryable: true,
          },
        );
      if (opts.overwrite === false) {
        // link() fails with EEXIST instead of replacing: the no-overwrite check is atomic.
        await link(tmp, full);
        await unlink(tmp);
      } else {
        await rename(tmp, full);
      }
      return {
        pfn: buildPfn(protocol, rel),
        size: got.size,
        adler32: got.adler32,
        md5: got.md5,
        verifiedBy: 'stream-checksum+size',
      };
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      source.destroy();
      throw toStorageError(err, 'write', path);
    }
  }

  async function del(path: string, opts: OpOptions = {}): Promise<void> {
    throwIfAborted(opts.signal, path);
    const { rel, full } = await resolve(path, 'delete');
    if (!rel)
      throw new StorageError('INVALID_ARGUMENT', `delete: refusing to delete the RSE prefix`, {
        target: path,
      });
    try {
      const st = await lstat(full);
      if (st.isDirectory()) await rmdir(full);
      else await unlink(full);
    } catch (err) {
      throw toStorageError(err, 'delete', path);
    }
  }

  async function list(path: string, opts: OpOptions = {}): Promise<ListEntry[]> {
    throwIfAborted(opts.signal, path);
    const { rel, full } = await resolve(path, 'list');
    try {
      const ents = await readdir(full, { withFileTypes: true });
      const out: ListEntry[] = [];
      for (const e of ents) {
        if (e.name.includes(TEMP_MARK)) continue;
        const childRel = rel ? `${rel}/${e.name}` : e.name;
        const st = await stat(join(full, e.name)).catch(() => undefined);
        if (!st) continue;
        out.push({
          name: e.name,
          path: childRel,
          isDir: st.isDirectory(),
          size: st.isDirectory() ? undefined : st.size,
          mtime: st.mtime,
        });
      }
      return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (err) {
      throw toStorageError(err, 'list', path);
    }
  }

  async function removeOrphanTemps(path: string, opts: OpOptions = {}): Promise<number> {
    throwIfAborted(opts.signal, path);
    const { rel, full } = await resolve(path, 'removeOrphanTemps');
    if (!rel) throw new StorageError('INVALID_ARGUMENT', 'removeOrphanTemps: empty path', { target: path });
    const { start } = tempPattern(rel);
    const dir = dirname(full);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return 0;
      throw toStorageError(err, 'removeOrphanTemps', path);
    }
    let removed = 0;
    for (const n of names) {
      if (!isTempOf(n, start)) continue;
      try {
        // unlink, never rmdir: a directory with a temp-like name is not something a writer left.
        await unlink(join(dir, n));
        removed++;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // Gone already (a concurrent clean-up) or a directory: not ours to count.
        if (code !== 'ENOENT' && code !== 'EISDIR') throw toStorageError(err, 'removeOrphanTemps', path);
      }
    }
    return removed;
  }

  async function mkdirImpl(path: string, opts: OpOptions = {}): Promise<void> {
    throwIfAborted(opts.signal, path);
    const { full } = await resolve(path, 'mkdir');
    try {
      await mkdir(full, { recursive: true });
    } catch (err) {
      throw toStorageError(err, 'mkdir', path);
    }
    await resolve(path, 'mkdir');
  }

  async function checksum(
    path: string,
    algorithm: ChecksumAlgorithm = 'adler32',
    opts: OpOptions = {},
  ): Promise<ChecksumResult> {
    const stream = await read(path, opts);
    const sums = await checksumStream(stream, { md5: algorithm === 'md5' }).catch((err) => {
      throw toStorageError(err, 'checksum', path);
    });
    const value = algorithm === 'md5' ? sums.md5! : sums.adler32;
    return { algorithm, value, source: 'computed' };
  }

  const adapter: StorageAdapter = {
    kind: 'posix',
    protocol,
    pfn: (path) => buildPfn(protocol, toRelativePath(protocol, path)),
    stat: statImpl,
    exists: async (path, opts) => {
      try {
        await statImpl(path, opts);
        return true;
      } catch (err) {
        if (err instanceof StorageError && err.code === 'NOT_FOUND') return false;
        throw err;
      }
    },
    read,
    write,
    delete: del,
    list,
    mkdir: mkdirImpl,
    checksum,
    removeOrphanTemps,
    canThirdPartyCopy: () => false,
    thirdPartyCopy: async (sourcePfn) => {
      throw new StorageError('UNSUPPORTED', `posix RSEs do not do third-party copy (from ${sourcePfn})`, {
        retryable: false,
      });
    },
    putFiles: (items, o) => putFilesGeneric(adapter, items, o),
    getFiles: (items, o) => getFilesGeneric(adapter, items, o),
    close: async () => undefined,
  };
  return adapter;
}
