import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Dispatcher, request } from 'undici';
import { getFilesGeneric, putFilesGeneric } from '../batch.js';
import { checksumStream, createChecksumStream, normalizeAdler32 } from '../checksum.js';
import { errorFromHttpStatus, StorageError, throwIfAborted, toStorageError } from '../errors.js';
import { createHttpAgent, readErrorText } from '../http.js';
import {
  bareHostname,
  buildPfn,
  collapseSlashes,
  encodePathSegments,
  normalizePrefix,
  toRelativePath,
  webServicePath,
} from '../pfn.js';
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
import {
  checkWriteOptions,
  isTempOf,
  TEMP_MARK,
  tempPattern,
  tempSibling,
  verifyStored,
  verifyStreamed,
} from '../verify.js';
import { parseDigestHeader, parseMultistatus } from './multistatus.js';

/** HTTP scheme a WebDAV protocol scheme travels over. */
export function httpScheme(scheme: string): 'http' | 'https' {
  const s = scheme.toLowerCase();
  return s === 'http' || s === 'dav' ? 'http' : 'https';
}

/** Converts a davs:// / dav:// PFN into the https:// / http:// URL a server understands. */
export function toHttpUrl(pfn: string): string {
  return pfn.replace(/^davs:\/\//i, 'https://').replace(/^dav:\/\//i, 'http://');
}

/** Files up to this size are verified by reading them back when HEAD is the only alternative. */
const SMALL_GET = 1024 * 1024;

/** Minimum assumed upload speed used to size the wait for a PUT's answer (bytes per ms). */
const MIN_UPLOAD_BYTES_PER_MS = 100;

/**
 * Adapter for WebDAV/HTTP(S) RSEs (davs, https, http) over undici: PUT/GET/HEAD/DELETE/MKCOL/PROPFIND/MOVE,
 * RFC 3230 Want-Digest for server-side adler32 where the server supports it, and HTTP-TPC COPY.
 */
export function createWebdavAdapter(protocol: RseProtocol, options: AdapterOptions = {}): StorageAdapter {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const agent: Dispatcher = createHttpAgent({
    credentials: options.credentials,
    timeoutMs,
    connections: options.concurrency ?? 8,
  });
  const port = protocol.port ? `:${protocol.port}` : '';
  const origin = `${httpScheme(protocol.scheme)}://${bareHostname(protocol)}${port}`;
  const basePath = collapseSlashes(`${webServicePath(protocol)}${normalizePrefix(protocol.prefix)}`);
  const token = options.credentials?.bearerToken;
  const authHeaders: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  /** Directories known to exist (so each is created at most once per adapter). */
  const knownDirs = new Set<string>();
  /** undefined until the first HEAD tells whether the server answers Want-Digest. */
  let digestSupported: boolean | undefined;
  /** False once a server's ranged GET answer proved unparsable (then HEAD is used). */
  let rangeProbe = true;

  function urlOf(rel: string, dir = false): string {
    const p = `${basePath}${encodePathSegments(rel)}`;
    return `${origin}${dir && !p.endsWith('/') ? `${p}/` : p}`;
  }

  interface CallOpts {
    headers?: Record<string, string>;
    body?: Readable | string;
    signal?: AbortSignal;
    ok: number[];
    headersTimeout?: number;
    /** Close the connection after this request. */
    reset?: boolean;
  }

  /** One request; statuses outside `ok` become classified StorageErrors carrying the server's text. */
  async function call(method: string, url: string, what: string, target: string, o: CallOpts) {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: method as Dispatcher.HttpMethod,
        headers: { ...authHeaders, ...o.headers },
        body: o.body,
        signal: o.signal,
        dispatcher: agent,
        headersTimeout: o.headersTimeout,
        reset: o.reset,
      });
    } catch (err) {
      throw toStorageError(err, what, target);
    }
    // XrdHttp 5.5 corrupts the next answer on a connection after a ranged one: no range probes there.
    if (rangeProbe && /^xrootd/i.test(String(res.headers.server ?? ''))) rangeProbe = false;
    if (!o.ok.includes(res.statusCode)) {
      const text = method === 'HEAD' ? '' : await readErrorText(res.body);
      if (method === 'HEAD') await res.body.dump().catch(() => undefined);
      throw errorFromHttpStatus(res.statusCode, what, target, text);
    }
    return res;
  }

  /**
   * Size and server checksums of a file without reading it. A one-byte ranged GET with Want-Digest
   * is preferred: undici closes the connection after every HEAD, so a HEAD per file costs a new
   * TLS handshake each. Servers whose ranged answers undici cannot parse get HEAD instead.
   */
  async function head(
    rel: string,
    what: string,
    signal?: AbortSignal,
    want = 'adler32, md5',
    knownSize?: number,
  ) {
    const headers: Record<string, string> = {};
    if (digestSupported !== false) headers['Want-Digest'] = want;
    let res: Dispatcher.ResponseData;
    if (!rangeProbe && knownSize !== undefined && knownSize <= SMALL_GET) {
      // Small file on a server without usable ranges (XrdHttp): read it back on a kept-alive
      // connection and checksum the stored bytes here. A HEAD would cost a fresh connection each
      // (thousands of those made XrdHttp stop accepting connections in the benchmark), and XrdHttp
      // 5.5 writes its Digest header with a bare LF that derails the next answer on a kept connection.
      res = await call('GET', urlOf(rel), what, rel, { signal, ok: [200] });
      const sums = await checksumStream(res.body);
      const lm = res.headers['last-modified'];
      return {
        size: sums.size,
        adler32: sums.adler32,
        md5: undefined,
        mtime: typeof lm === 'string' ? new Date(lm) : undefined,
      };
    }
    if (rangeProbe) {
      try {
        res = await call('GET', urlOf(rel), what, rel, {
          headers: { ...headers, Range: 'bytes=0-0' },
          signal,
          ok: [200, 206, 416],
        });
        // dump() reads a little and then drops the connection: fine even if the range was ignored.
        await res.body.dump();
      } catch (err) {
        // XrdHttp 5.5 ends Content-Range with a bare LF, which undici rejects: use HEAD from now on.
        if ((err as StorageError).status !== undefined) throw err;
        const cause = (err as { cause?: { code?: string } }).cause;
        if (!cause?.code?.startsWith('UND_ERR_') || cause.code === 'UND_ERR_CONNECT_TIMEOUT') throw err;
        rangeProbe = false;
        return head(rel, what, signal, want);
      }
    } else {
      res = await call('HEAD', urlOf(rel), what, rel, { headers, signal, ok: [200, 204] });
      await res.body.dump().catch(() => undefined);
    }
    let size: number | undefined;
    const total = /\/(\d+)\s*$/.exec(String(res.headers['content-range'] ?? ''));
    if (total) size = Number(total[1]);
    else if (res.statusCode === 416) size = 0;
    else if (res.headers['content-length'] !== undefined) size = Number(res.headers['content-length']);
    const digest = parseDigestHeader(res.headers.digest as string | string[] | undefined);
    if (digestSupported === undefined)
      digestSupported = digest.adler32 !== undefined || digest.md5 !== undefined;
    const lm = res.headers['last-modified'];
    return { size, mtime: typeof lm === 'string' ? new Date(lm) : undefined, ...digest };
  }

  async function propfind(rel: string, depth: 0 | 1, what: string, signal?: AbortSignal) {
    const body =
      '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>' +
      '<D:resourcetype/><D:getcontentlength/><D:getlastmodified/></D:prop></D:propfind>';
    const res = await call('PROPFIND', urlOf(rel, depth === 1), what, rel, {
      headers: { Depth: String(depth), 'Content-Type': 'application/xml; charset=utf-8' },
      body,
      signal,
      ok: [207],
    });
    return parseMultistatus(await res.body.text());
  }

  async function statImpl(path: string, opts: OpOptions = {}): Promise<StatResult> {
    const rel = toRelativePath(protocol, path);
    throwIfAborted(opts.signal, rel);
    const entries = await propfind(rel, 0, 'stat', opts.signal);
    const e = entries[0];
    if (!e) throw new StorageError('PROTOCOL_ERROR', `stat ${rel}: empty PROPFIND answer`, { target: rel });
    if (e.isDir) return { size: 0, isDir: true, mtime: e.mtime };
    const result: StatResult = { size: e.size ?? 0, isDir: false, mtime: e.mtime };
    if (digestSupported !== false) {
      const h = await head(rel, 'stat', opts.signal, 'adler32, md5', e.size);
      if (h.adler32) result.adler32 = h.adler32;
      if (h.md5) result.md5 = h.md5;
      if (h.size !== undefined) result.size = h.size;
    }
    return result;
  }

  async function exists(path: string, opts: OpOptions = {}): Promise<boolean> {
    const rel = toRelativePath(protocol, path);
    try {
      await propfind(rel, 0, 'exists', opts.signal);
      return true;
    } catch (err) {
      if (err instanceof StorageError && err.code === 'NOT_FOUND') return false;
      throw err;
    }
  }

  async function read(path: string, opts: ReadOptions = {}): Promise<Readable> {
    const rel = toRelativePath(protocol, path);
    throwIfAborted(opts.signal, rel);
    const start = opts.offset ?? 0;
    if (opts.length === 0) return Readable.from([]);
    const ranged = start > 0 || opts.length !== undefined;
    const headers: Record<string, string> = {};
    if (ranged) {
      // Open-ended ranges (`bytes=N-`) are mishandled by some servers (XrdHttp 5.5): always send an end.
      const length = opts.length ?? Math.max(0, (await statImpl(rel, opts)).size - start);
      if (length === 0) return Readable.from([]);
      headers.Range = `bytes=${start}-${start + length - 1}`;
    }
    // A ranged answer closes its connection: XrdHttp 5.5 garbles the next answer on the same one.
    const res = await call('GET', urlOf(rel), 'read', rel, {
      headers,
      signal: opts.signal,
      ok: [200, 206],
      reset: ranged,
    });
    if (ranged && res.statusCode === 200) {
      // The server ignored the Range header: refuse rather than silently return the wrong bytes.
      res.body.destroy();
      throw new StorageError('PROTOCOL_ERROR', `read ${rel}: server ignored the Range header`, {
        target: rel,
      });
    }
    return res.body;
  }

  /** Creates a collection (relative to the prefix) and its missing parents, the prefix's own included. */
  async function ensureDir(rel: string, signal?: AbortSignal): Promise<void> {
    await ensureServerDir(collapseSlashes(`${basePath}${rel}`).replace(/\/$/, ''), signal);
  }

  /** MKCOL on a server path, walking up on 409 (nginx creates one level at a time); remembers what exists. */
  async function ensureServerDir(path: string, signal?: AbortSignal): Promise<void> {
    if (path === '' || knownDirs.has(path)) return;
    const url = `${origin}${encodePathSegments(path)}/`;
    const res = await call('MKCOL', url, 'mkdir', path, { signal, ok: [201, 405, 409, 301] });
    await res.body.dump().catch(() => undefined);
    if (res.statusCode === 409) {
      const parent = path.slice(0, path.lastIndexOf('/'));
      if (parent === path || knownDirs.has(parent))
        throw new StorageError('PROTOCOL_ERROR', `mkdir ${path}: 409 Conflict below an existing parent`, {
          target: path,
        });
      await ensureServerDir(parent, signal);
      const again = await call('MKCOL', url, 'mkdir', path, { signal, ok: [201, 405] });
      await again.body.dump().catch(() => undefined);
    }
    knownDirs.add(path);
  }

  async function deleteQuietly(rel: string): Promise<void> {
    try {
      const res = await request(urlOf(rel), { method: 'DELETE', headers: authHeaders, dispatcher: agent });
      await res.body.dump();
    } catch {
      // Best-effort cleanup; the original error is what the caller needs.
    }
  }

  async function write(path: string, source: Readable, opts: WriteOptions): Promise<WriteResult> {
    const rel = toRelativePath(protocol, path);
    checkWriteOptions(opts, rel);
    if (!rel) throw new StorageError('INVALID_ARGUMENT', 'write: empty path', { target: path });
    throwIfAborted(opts.signal, rel);
    const dir = rel.slice(0, Math.max(0, rel.lastIndexOf('/')));
    const tmp = tempSibling(rel);
    await ensureDir(dir, opts.signal);
    const sums = createChecksumStream({ md5: opts.md5 !== undefined || opts.computeMd5 === true });
    const feeding = pipeline(source, sums).catch((err) => err as Error);
    let uploaded = false;
    try {
      const headers: Record<string, string> = {
        'Content-Length': String(opts.size),
        'Content-Type': 'application/octet-stream',
      };
      try {
        const res = await call('PUT', urlOf(tmp), 'write', rel, {
          headers,
          body: sums,
          signal: opts.signal,
          ok: [200, 201, 204],
          headersTimeout: timeoutMs + Math.ceil(opts.size / MIN_UPLOAD_BYTES_PER_MS),
        });
        uploaded = true;
        await res.body.dump().catch(() => undefined);
      } catch (err) {
        uploaded = true; // a partial body may have been stored
        const lengthMismatch = (err as StorageError).cause as { code?: string } | undefined;
        sums.destroy();
        const fed = await feeding;
        if (lengthMismatch?.code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH')
          throw new StorageError(
            'SIZE_MISMATCH',
            `write ${rel}: source size differs from the promised ${opts.size}`,
            {
              target: rel,
              retryable: false,
            },
          );
        if (fed instanceof Error && !(err instanceof StorageError && err.status))
          throw toStorageError(fed, 'write', rel);
        throw err;
      }
      const fed = await feeding;
      // undici may close the body stream once Content-Length bytes are read; that is not a failure.
      const premature = (fed as NodeJS.ErrnoException | undefined)?.code === 'ERR_STREAM_PREMATURE_CLOSE';
      if (fed instanceof Error && !(premature && sums.result().size === opts.size))
        throw toStorageError(fed, 'write', rel);
      const got = sums.result();
      verifyStreamed(got, opts, rel);
      // Servers without digests (nginx) can only confirm the size, which a 2xx to a PUT with
      // Content-Length already did: the extra request is saved there.
      const stored =
        digestSupported === false
          ? { size: got.size, adler32: undefined }
          : await head(tmp, 'write', opts.signal, 'adler32, md5', got.size);
      verifyStored(stored, got, rel);
      // Some servers (XrdHttp 5.5) ignore `Overwrite: F` on MOVE: check first (best effort, racy).
      if (opts.overwrite === false && (await exists(rel, opts)))
        throw new StorageError('ALREADY_EXISTS', `write ${rel}: exists and overwrite is false`, {
          target: rel,
        });
      const move = await call('MOVE', urlOf(tmp), 'write', rel, {
        headers: { Destination: urlOf(rel), Overwrite: opts.overwrite === false ? 'F' : 'T' },
        signal: opts.signal,
        ok: [200, 201, 204],
      });
      await move.body.dump().catch(() => undefined);
      return {
        pfn: buildPfn(protocol, rel),
        size: got.size,
        adler32: got.adler32,
        md5: got.md5,
        verifiedBy: stored.adler32 ? 'server-checksum' : 'stream-checksum+size',
      };
    } catch (err) {
      source.destroy();
      sums.destroy();
      if (uploaded) await deleteQuietly(tmp);
      throw toStorageError(err, 'write', rel);
    }
  }

  async function del(path: string, opts: OpOptions = {}): Promise<void> {
    const rel = toRelativePath(protocol, path);
    if (!rel)
      throw new StorageError('INVALID_ARGUMENT', 'delete: refusing to delete the RSE prefix', {
        target: path,
      });
    const res = await call('DELETE', urlOf(rel), 'delete', rel, { signal: opts.signal, ok: [200, 202, 204] });
    await res.body.dump().catch(() => undefined);
  }

  async function list(path: string, opts: OpOptions = {}): Promise<ListEntry[]> {
    const rel = toRelativePath(protocol, path);
    const entries = await propfind(rel, 1, 'list', opts.signal);
    const self = collapseSlashes(`${basePath}${rel}`).replace(/\/$/, '');
    const out: ListEntry[] = [];
    for (const e of entries) {
      const href = collapseSlashes(e.href).replace(/\/$/, '');
      if (href === self) continue;
      const name = href.slice(href.lastIndexOf('/') + 1);
      if (!name || name.includes(TEMP_MARK)) continue;
      out.push({
        name,
        path: rel ? `${rel}/${name}` : name,
        isDir: e.isDir,
        size: e.isDir ? undefined : e.size,
        mtime: e.mtime,
      });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Raw PROPFIND listing (list() hides temporary names), then DELETE of each temp sibling of path. */
  async function removeOrphanTemps(path: string, opts: OpOptions = {}): Promise<number> {
    const rel = toRelativePath(protocol, path);
    if (!rel) throw new StorageError('INVALID_ARGUMENT', 'removeOrphanTemps: empty path', { target: path });
    throwIfAborted(opts.signal, rel);
    const { dir, start } = tempPattern(rel);
    let entries: Awaited<ReturnType<typeof propfind>>;
    try {
      entries = await propfind(dir.replace(/\/$/, ''), 1, 'removeOrphanTemps', opts.signal);
    } catch (err) {
      if (err instanceof StorageError && err.code === 'NOT_FOUND') return 0;
      throw err;
    }
    let removed = 0;
    for (const e of entries) {
      if (e.isDir) continue;
      const href = collapseSlashes(e.href).replace(/\/$/, '');
      const name = href.slice(href.lastIndexOf('/') + 1);
      if (!isTempOf(name, start)) continue;
      // 404: another clean-up got there first; not counted.
      const res = await call('DELETE', urlOf(`${dir}${name}`), 'removeOrphanTemps', rel, {
        signal: opts.signal,
        ok: [200, 202, 204, 404],
      });
      await res.body.dump().catch(() => undefined);
      if (res.statusCode !== 404) removed++;
    }
    return removed;
  }

  async function checksum(
    path: string,
    algorithm: ChecksumAlgorithm = 'adler32',
    opts: OpOptions = {},
  ): Promise<ChecksumResult> {
    const rel = toRelativePath(protocol, path);
    if (digestSupported !== false) {
      const h = await head(rel, 'checksum', opts.signal, algorithm);
      const v = algorithm === 'md5' ? h.md5 : h.adler32;
      if (v) return { algorithm, value: v, source: 'server' };
    }
    const body = await read(rel, opts);
    const sums = await checksumStream(body, { md5: algorithm === 'md5' }).catch((err) => {
      throw toStorageError(err, 'checksum', rel);
    });
    return { algorithm, value: algorithm === 'md5' ? sums.md5! : sums.adler32, source: 'computed' };
  }

  function canThirdPartyCopy(sourcePfn: string): boolean {
    return /^(https?|davs?):\/\//i.test(sourcePfn);
  }

  /**
   * HTTP-TPC (COPY). The server answers 201/202 at once and then streams performance markers; the
   * outcome is the last line (`success: …` or `failure: …`), so the body is read to its end.
   */
  async function thirdPartyCopy(
    sourcePfn: string,
    path: string,
    opts: TpcOptions = {},
  ): Promise<WriteResult> {
    const rel = toRelativePath(protocol, path);
    if (!canThirdPartyCopy(sourcePfn))
      throw new StorageError('UNSUPPORTED', `HTTP-TPC cannot copy from ${sourcePfn}`, { retryable: false });
    const src = toHttpUrl(sourcePfn);
    const dir = rel.slice(0, Math.max(0, rel.lastIndexOf('/')));
    const tmp = tempSibling(rel);
    await ensureDir(dir, opts.signal);
    if (opts.overwrite === false && (await exists(rel, opts)))
      throw new StorageError('ALREADY_EXISTS', `tpc ${rel}: exists and overwrite is false`, { target: rel });
    const headers: Record<string, string> = { Overwrite: 'T' };
    if (token) headers.TransferHeaderAuthorization = `Bearer ${token}`;
    try {
      let res: Dispatcher.ResponseData;
      if (opts.mode === 'push') {
        headers.Destination = urlOf(tmp);
        res = await call('COPY', src, 'tpc', rel, { headers, signal: opts.signal, ok: [200, 201, 202, 204] });
      } else {
        headers.Source = src;
        res = await call('COPY', urlOf(tmp), 'tpc', rel, {
          headers,
          signal: opts.signal,
          ok: [200, 201, 202, 204],
        });
      }
      const text = await res.body.text().catch((err) => {
        throw toStorageError(err, 'tpc', rel);
      });
      const lines = text
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      const last = lines[lines.length - 1] ?? '';
      if (/^failure/i.test(last)) {
        const notFound = /404|no such file/i.test(last);
        throw new StorageError(notFound ? 'NOT_FOUND' : 'SERVER_ERROR', `tpc ${src} -> ${rel}: ${last}`, {
          target: rel,
          serverMessage: last,
          retryable: !notFound,
        });
      }
      const stored = await head(tmp, 'tpc', opts.signal);
      if (opts.size !== undefined && stored.size !== undefined && stored.size !== opts.size)
        throw new StorageError(
          'SIZE_MISMATCH',
          `tpc ${rel}: ${stored.size} bytes at destination, expected ${opts.size}`,
          {
            target: rel,
            retryable: true,
          },
        );
      const adler = stored.adler32 ?? (await checksum(tmp, 'adler32', opts)).value;
      if (opts.adler32 !== undefined && normalizeAdler32(opts.adler32) !== adler)
        throw new StorageError(
          'CHECKSUM_MISMATCH',
          `tpc ${rel}: adler32 at destination ${adler}, expected ${normalizeAdler32(opts.adler32)}`,
          { target: rel, retryable: true },
        );
      const move = await call('MOVE', urlOf(tmp), 'tpc', rel, {
        headers: { Destination: urlOf(rel), Overwrite: 'T' },
        signal: opts.signal,
        ok: [200, 201, 204],
      });
      await move.body.dump().catch(() => undefined);
      return {
        pfn: buildPfn(protocol, rel),
        size: stored.size ?? opts.size ?? 0,
        adler32: adler,
        verifiedBy: stored.adler32 ? 'server-checksum' : 'stream-checksum+size',
      };
    } catch (err) {
      await deleteQuietly(tmp);
      throw toStorageError(err, 'tpc', rel);
    }
  }

  const adapter: StorageAdapter = {
    kind: 'webdav',
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
      knownDirs.delete(collapseSlashes(`${basePath}${rel}`).replace(/\/$/, ''));
      await ensureDir(rel, opts.signal);
    },
    checksum,
    removeOrphanTemps,
    canThirdPartyCopy,
    thirdPartyCopy,
    putFiles: (items, o) => putFilesGeneric(adapter, items, o),
    getFiles: (items, o) => getFilesGeneric(adapter, items, o),
    close: async () => {
      await agent.close();
    },
  };
  return adapter;
}
