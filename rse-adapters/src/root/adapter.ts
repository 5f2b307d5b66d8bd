import { spawn } from 'node:child_process';
import { PassThrough, type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checksumStream, createChecksumStream, normalizeAdler32 } from '../checksum.js';
import { StorageError, throwIfAborted, toStorageError } from '../errors.js';
import { bareHostname, buildPfn, collapseSlashes, normalizePrefix, toRelativePath } from '../pfn.js';
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
  TpcOptions,
  WriteOptions,
  WriteResult,
} from '../types.js';
import { checkWriteOptions, tempSuffix, verifyStored, verifyStreamed } from '../verify.js';
import { runTool, XrdfsSession, xrdEnv, xrdError } from './xrd.js';

/** Marker in temporary upload names; list() hides such files. */
const TEMP_MARK = '.oxbow-part-';

/** Options specific to the root adapter. */
export interface RootOptions extends AdapterOptions {
  /** Long-lived xrdfs sessions used for metadata (default 2). */
  sessions?: number;
}

/** Parses `xrdfs stat` output. */
function parseStat(out: string): StatResult {
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(out)?.[1]?.trim();
  const flags = field('Flags') ?? '';
  const mtime = field('MTime');
  return {
    size: Number(field('Size') ?? 0),
    isDir: /IsDir/.test(flags),
    mtime: mtime ? new Date(`${mtime.replace(' ', 'T')}Z`) : undefined,
  };
}

/**
 * Adapter for root:// RSEs through Debian's XRootD client tools: metadata over a few long-lived
 * interactive `xrdfs` sessions, data through `xrdcp` (stdin/stdout streams), adler32 from
 * `query checksum`, third-party copy with `xrdcp --tpc only`.
 */
export function createRootAdapter(protocol: RseProtocol, options: RootOptions = {}): StorageAdapter {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const env = xrdEnv(timeoutMs, options.credentials);
  const host = bareHostname(protocol);
  const hostPort = `${host}:${protocol.port || 1094}`;
  const scheme = protocol.scheme.toLowerCase() === 'roots' ? 'roots' : 'root';
  const serverPrefix = collapseSlashes(normalizePrefix(protocol.prefix));
  const sessions: XrdfsSession[] = [];
  const nSessions = Math.max(1, options.sessions ?? 2);
  let next = 0;

  function session(): XrdfsSession {
    if (sessions.length < nSessions) sessions.push(new XrdfsSession(hostPort, env, timeoutMs));
    const s = sessions[next % sessions.length];
    next += 1;
    return s;
  }

  /** Server path of a relative path; whitespace is refused because xrdfs splits commands on it. */
  function serverPath(rel: string): string {
    if (/\s/.test(rel))
      throw new StorageError(
        'INVALID_ARGUMENT',
        `root:// paths may not contain whitespace: ${JSON.stringify(rel)}`,
        {
          target: rel,
        },
      );
    return `${serverPrefix}${rel}`;
  }

  const urlOf = (rel: string) => `${scheme}://${hostPort}/${serverPath(rel)}`;

  async function xrdfs(cmd: string, what: string, rel: string, signal?: AbortSignal): Promise<string> {
    throwIfAborted(signal, rel);
    return session().run(cmd, what, rel);
  }

  async function statImpl(path: string, opts: OpOptions = {}): Promise<StatResult> {
    const rel = toRelativePath(protocol, path);
    const st = parseStat(await xrdfs(`stat ${serverPath(rel)}`, 'stat', rel, opts.signal));
    if (!st.isDir) {
      // Rucio's xrootd stat also asks for the checksum; the server caches it after the first query.
      const sum = await xrdfs(`query checksum ${serverPath(rel)}`, 'stat', rel, opts.signal).catch(() => '');
      const m = /adler32\s+([0-9a-f]+)/i.exec(sum);
      if (m) st.adler32 = normalizeAdler32(m[1]);
    }
    return st;
  }

  async function queryAdler(rel: string, what: string, signal?: AbortSignal): Promise<string | undefined> {
    const out = await xrdfs(`query checksum ${serverPath(rel)}`, what, rel, signal);
    const m = /adler32\s+([0-9a-f]+)/i.exec(out);
    return m ? normalizeAdler32(m[1]) : undefined;
  }

  async function exists(path: string, opts: OpOptions = {}): Promise<boolean> {
    const rel = toRelativePath(protocol, path);
    try {
      await xrdfs(`stat ${serverPath(rel)}`, 'exists', rel, opts.signal);
      return true;
    } catch (err) {
      if (err instanceof StorageError && err.code === 'NOT_FOUND') return false;
      throw err;
    }
  }

  async function read(path: string, opts: ReadOptions = {}): Promise<Readable> {
    const rel = toRelativePath(protocol, path);
    // stat first: a missing file is then an error of read() itself, not of the stream later.
    const st = parseStat(await xrdfs(`stat ${serverPath(rel)}`, 'read', rel, opts.signal));
    if (st.isDir) throw new StorageError('INVALID_ARGUMENT', `read ${rel}: is a directory`, { target: rel });
    const start = opts.offset ?? 0;
    const length = opts.length ?? Math.max(0, st.size - start);
    const proc = spawn('xrdcp', ['-s', '-f', urlOf(rel), '-'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: opts.signal,
      killSignal: 'SIGKILL',
    });
    let stderr = '';
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 8192) stderr += d;
    });
    // xrdcp has no byte ranges: a range is cut out of the stream (bytes before it are discarded).
    let skip = start;
    let left = length;
    let done = false;
    const out = new Transform({
      transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback) {
        if (done) return cb();
        let b = chunk;
        if (skip > 0) {
          const s = Math.min(skip, b.length);
          skip -= s;
          b = b.subarray(s);
        }
        if (b.length > left) b = b.subarray(0, left);
        left -= b.length;
        if (b.length) this.push(b);
        if (left === 0 && !done) {
          done = true;
          this.push(null);
          proc.kill('SIGKILL');
        }
        cb();
      },
    });
    proc.stdout!.pipe(out);
    proc.on('error', (err) => out.destroy(toStorageError(err, 'read', rel)));
    proc.on('close', (code) => {
      if (done) return;
      if (code !== 0) out.destroy(xrdError('read', rel, stderr, code ?? undefined));
      else if (left > 0)
        out.destroy(
          new StorageError('SIZE_MISMATCH', `read ${rel}: stream ended ${left} bytes early`, {
            target: rel,
            retryable: true,
          }),
        );
    });
    out.on('close', () => {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    });
    if (length === 0) {
      done = true;
      out.end();
      proc.kill('SIGKILL');
    }
    return out;
  }

  async function rmQuietly(rel: string): Promise<void> {
    await session()
      .run(`rm ${serverPath(rel)}`, 'delete', rel)
      .catch(() => undefined);
  }

  async function write(path: string, source: Readable, opts: WriteOptions): Promise<WriteResult> {
    const rel = toRelativePath(protocol, path);
    checkWriteOptions(opts, rel);
    if (!rel) throw new StorageError('INVALID_ARGUMENT', 'write: empty path', { target: path });
    throwIfAborted(opts.signal, rel);
    const slash = rel.lastIndexOf('/');
    const tmp = `${rel.slice(0, slash + 1)}.${rel.slice(slash + 1)}${TEMP_MARK}${tempSuffix()}`;
    serverPath(rel);
    if (opts.overwrite === false && (await exists(rel, opts)))
      throw new StorageError('ALREADY_EXISTS', `write ${rel}: exists and overwrite is false`, {
        target: rel,
      });
    const sums = createChecksumStream({ md5: opts.md5 !== undefined || opts.computeMd5 === true });
    const pipe = new PassThrough({ highWaterMark: 1 << 20 });
    const feeding = pipeline(source, sums, pipe).catch((err) => err as Error);
    let started = false;
    try {
      started = true;
      // xrdcp creates missing parent directories itself.
      const r = await runTool('xrdcp', ['-s', '-f', '-', urlOf(tmp)], env, {
        signal: opts.signal,
        stdin: pipe,
      });
      if (r.code !== 0) {
        // xrdcp is gone: unblock the feeding pipeline before reporting.
        pipe.destroy();
        const fed = await feeding;
        if (fed instanceof Error) throw toStorageError(fed, 'write', rel);
        throw xrdError('write', rel, r.stderr, r.code ?? undefined);
      }
      const fed = await feeding;
      if (fed instanceof Error) throw toStorageError(fed, 'write', rel);
      const got = sums.result();
      verifyStreamed(got, opts, rel);
      const st = parseStat(await xrdfs(`stat ${serverPath(tmp)}`, 'write', rel, opts.signal));
      const adler = await queryAdler(tmp, 'write', opts.signal);
      verifyStored({ size: st.size, adler32: adler }, got, rel);
      await xrdfs(`mv ${serverPath(tmp)} ${serverPath(rel)}`, 'write', rel, opts.signal);
      return {
        pfn: buildPfn(protocol, rel),
        size: got.size,
        adler32: got.adler32,
        md5: got.md5,
        verifiedBy: adler ? 'server-checksum' : 'stream-checksum+size',
      };
    } catch (err) {
      source.destroy();
      pipe.destroy();
      if (started) await rmQuietly(tmp);
      throw toStorageError(err, 'write', rel);
    }
  }

  async function del(path: string, opts: OpOptions = {}): Promise<void> {
    const rel = toRelativePath(protocol, path);
    if (!rel)
      throw new StorageError('INVALID_ARGUMENT', 'delete: refusing to delete the RSE prefix', {
        target: path,
      });
    const st = parseStat(await xrdfs(`stat ${serverPath(rel)}`, 'delete', rel, opts.signal));
    await xrdfs(`${st.isDir ? 'rmdir' : 'rm'} ${serverPath(rel)}`, 'delete', rel, opts.signal);
  }

  async function list(path: string, opts: OpOptions = {}): Promise<ListEntry[]> {
    const rel = toRelativePath(protocol, path);
    const dir = serverPath(rel).replace(/\/$/, '') || '/';
    const out = await xrdfs(`ls -l ${dir}`, 'list', rel, opts.signal);
    const entries: ListEntry[] = [];
    // -rw-r--r-- owner group size YYYY-MM-DD HH:MM:SS /full/path
    for (const line of out.split('\n')) {
      const m = /^([d-])\S*\s+\S+\s+\S+\s+(\d+)\s+(\S+ \S+)\s+(\/.*)$/.exec(line.trim());
      if (!m) continue;
      const name = m[4].slice(m[4].lastIndexOf('/') + 1);
      if (!name || name.includes(TEMP_MARK)) continue;
      const isDir = m[1] === 'd';
      entries.push({
        name,
        path: rel ? `${rel}/${name}` : name,
        isDir,
        size: isDir ? undefined : Number(m[2]),
        mtime: new Date(`${m[3].replace(' ', 'T')}Z`),
      });
    }
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async function checksum(
    path: string,
    algorithm: ChecksumAlgorithm = 'adler32',
    opts: OpOptions = {},
  ): Promise<ChecksumResult> {
    const rel = toRelativePath(protocol, path);
    if (algorithm === 'adler32') {
      const v = await queryAdler(rel, 'checksum', opts.signal);
      if (v) return { algorithm, value: v, source: 'server' };
    }
    const sums = await checksumStream(await read(rel, opts), { md5: algorithm === 'md5' }).catch((err) => {
      throw toStorageError(err, 'checksum', rel);
    });
    return { algorithm, value: algorithm === 'md5' ? sums.md5! : sums.adler32, source: 'computed' };
  }

  function canThirdPartyCopy(sourcePfn: string): boolean {
    return /^x?roots?:\/\//i.test(sourcePfn);
  }

  /** `xrdcp --tpc only` into a temporary name, verified with the server's adler32, then renamed. */
  async function thirdPartyCopy(
    sourcePfn: string,
    path: string,
    opts: TpcOptions = {},
  ): Promise<WriteResult> {
    const rel = toRelativePath(protocol, path);
    if (!canThirdPartyCopy(sourcePfn))
      throw new StorageError('UNSUPPORTED', `root:// TPC cannot copy from ${sourcePfn}`, {
        retryable: false,
      });
    if (opts.overwrite === false && (await exists(rel, opts)))
      throw new StorageError('ALREADY_EXISTS', `tpc ${rel}: exists and overwrite is false`, { target: rel });
    const slash = rel.lastIndexOf('/');
    const tmp = `${rel.slice(0, slash + 1)}.${rel.slice(slash + 1)}${TEMP_MARK}${tempSuffix()}`;
    try {
      const r = await runTool('xrdcp', ['-s', '-f', '--tpc', 'only', sourcePfn, urlOf(tmp)], env, {
        signal: opts.signal,
      });
      if (r.code !== 0) throw xrdError('tpc', rel, r.stderr, r.code ?? undefined);
      const st = parseStat(await xrdfs(`stat ${serverPath(tmp)}`, 'tpc', rel, opts.signal));
      const adler = await queryAdler(tmp, 'tpc', opts.signal);
      if (opts.size !== undefined && st.size !== opts.size)
        throw new StorageError(
          'SIZE_MISMATCH',
          `tpc ${rel}: ${st.size} bytes at destination, expected ${opts.size}`,
          {
            target: rel,
            retryable: true,
          },
        );
      if (opts.adler32 !== undefined && adler !== normalizeAdler32(opts.adler32))
        throw new StorageError(
          'CHECKSUM_MISMATCH',
          `tpc ${rel}: adler32 ${adler}, expected ${opts.adler32}`,
          {
            target: rel,
            retryable: true,
          },
        );
      await xrdfs(`mv ${serverPath(tmp)} ${serverPath(rel)}`, 'tpc', rel, opts.signal);
      return {
        pfn: buildPfn(protocol, rel),
        size: st.size,
        adler32: adler ?? '',
        verifiedBy: 'server-checksum',
      };
    } catch (err) {
      await rmQuietly(tmp);
      throw toStorageError(err, 'tpc', rel);
    }
  }

  return {
    kind: 'root',
    protocol,
    pfn: (path) => buildPfn(protocol, toRelativePath(protocol, path)),
    stat: statImpl,
    exists,
    read,
    write,
    delete: del,
    list,
    mkdir: async (path, opts = {}) => {
      const rel = toRelativePath(protocol, path);
      await xrdfs(`mkdir -p ${serverPath(rel)}`, 'mkdir', rel, opts.signal);
    },
    checksum,
    canThirdPartyCopy,
    thirdPartyCopy,
    close: async () => {
      for (const s of sessions.splice(0)) s.close();
    },
  };
}
