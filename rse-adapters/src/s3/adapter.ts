import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { type Dispatcher, request } from 'undici';
import { getFilesGeneric, putFilesGeneric } from '../batch.js';
import { ADLER32_INIT, adler32Update, checksumStream, formatAdler32, normalizeAdler32 } from '../checksum.js';
import { errorFromHttpStatus, StorageError, throwIfAborted, toStorageError } from '../errors.js';
import { createHttpAgent, readErrorText } from '../http.js';
import {
  bareHostname,
  buildPfn,
  collapseSlashes,
  normalizePrefix,
  pathFromPfn,
  toRelativePath,
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
import { checkWriteOptions, isTempOf, tempPattern, verifyStored, verifyStreamed } from '../verify.js';
import {
  type AwsCredentials,
  awsUriEncode,
  EMPTY_SHA256,
  presignUrl,
  signS3Request,
  UNSIGNED_PAYLOAD,
} from './sigv4.js';
import { allTags, escapeXml, parseListV2, tag } from './xml.js';

/** User metadata key holding the adler32 written at upload (S3 has no server-side adler32). */
const ADLER_META = 'x-amz-meta-adler32';
/** S3's minimum part size for all but the last part. */
const MIN_PART = 5 * 1024 * 1024;

/** Options specific to the S3 adapter. */
export interface S3Options extends AdapterOptions {
  /** Objects larger than this are uploaded in parts (default 64 MiB). */
  multipartThreshold?: number;
  /** Part size for multipart uploads (default 16 MiB, at least 5 MiB). Memory used: partSize × partConcurrency. */
  partSize?: number;
  /** Parts uploaded at once (default 2). */
  partConcurrency?: number;
}

/** The S3 adapter adds presigned URLs to the common interface. */
export interface S3Adapter extends StorageAdapter {
  /** Query-string-signed URL for GET or PUT of a path, valid for expiresSec seconds. */
  presign(path: string, method: 'GET' | 'PUT' | 'HEAD' | 'DELETE', expiresSec: number): string;
}

/** Origin (scheme://host:port) of an S3 protocol: s3 → http, s3s/https → https. */
function originOf(protocol: RseProtocol): string {
  const s = protocol.scheme.toLowerCase();
  const scheme = s === 's3' || s === 'http' ? 'http' : 'https';
  const port = protocol.port ? `:${protocol.port}` : '';
  return `${scheme}://${bareHostname(protocol)}${port}`;
}

/**
 * Adapter for S3 RSEs, path-style (`/bucket/key`). The first segment of the prefix is the bucket,
 * the rest a key prefix. Requests are SigV4-signed (UNSIGNED-PAYLOAD for streamed bodies) when
 * credentials are given, anonymous otherwise.
 */
export function createS3Adapter(protocol: RseProtocol, options: S3Options = {}): S3Adapter {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const agent: Dispatcher = createHttpAgent({
    credentials: options.credentials,
    timeoutMs,
    connections: options.concurrency ?? 8,
  });
  const origin = originOf(protocol);
  const host = new URL(origin).host;
  const prefixParts = collapseSlashes(normalizePrefix(protocol.prefix)).split('/').filter(Boolean);
  const bucket = prefixParts[0];
  if (!bucket)
    throw new StorageError('INVALID_ARGUMENT', `S3 protocol prefix must start with the bucket name`);
  const keyPrefix = prefixParts
    .slice(1)
    .map((p) => `${p}/`)
    .join('');
  const s3c = options.credentials?.s3;
  const creds: AwsCredentials | undefined = s3c
    ? { accessKeyId: s3c.accessKeyId, secretAccessKey: s3c.secretAccessKey, sessionToken: s3c.sessionToken }
    : undefined;
  const ea = protocol.extended_attributes ?? {};
  const region = s3c?.region ?? (typeof ea.region === 'string' ? ea.region : 'us-east-1');
  const partSize = Math.max(MIN_PART, options.partSize ?? 16 * 1024 * 1024);
  const threshold = Math.max(options.multipartThreshold ?? 64 * 1024 * 1024, 1);
  const partConcurrency = Math.max(1, options.partConcurrency ?? 2);

  const keyOf = (rel: string) => `${keyPrefix}${rel}`;
  const objPath = (key: string) => `/${bucket}/${key}`;

  interface CallOpts {
    query?: Array<[string, string]>;
    headers?: Record<string, string>;
    body?: Readable | string | Buffer;
    payloadHash?: string;
    signal?: AbortSignal;
    ok: number[];
    headersTimeout?: number;
  }

  /** One signed request; S3 error documents become StorageErrors with Code/Message kept. */
  async function call(method: string, path: string, what: string, target: string, o: CallOpts) {
    const query = o.query ?? [];
    const payloadHash = o.payloadHash ?? (o.body === undefined ? EMPTY_SHA256 : UNSIGNED_PAYLOAD);
    const headers = creds
      ? signS3Request({ method, host, path, query, headers: o.headers, payloadHash, region }, creds)
      : { ...o.headers };
    const qs = query.map(([k, v]) => `${awsUriEncode(k)}=${awsUriEncode(v)}`).join('&');
    const url = `${origin}${awsUriEncode(path, true)}${qs ? `?${qs}` : ''}`;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: method as Dispatcher.HttpMethod,
        headers,
        body: o.body,
        signal: o.signal,
        dispatcher: agent,
        headersTimeout: o.headersTimeout,
      });
    } catch (err) {
      throw toStorageError(err, what, target);
    }
    if (!o.ok.includes(res.statusCode)) {
      const text = method === 'HEAD' ? '' : await readErrorText(res.body);
      if (method === 'HEAD') await res.body.dump().catch(() => undefined);
      const code = tag(text, 'Code');
      const msg = code ? `${code}: ${tag(text, 'Message') ?? ''}`.trim() : text;
      const err = errorFromHttpStatus(res.statusCode, what, target, msg);
      if (code === 'BadDigest' || code === 'InvalidDigest')
        throw new StorageError('CHECKSUM_MISMATCH', err.message, {
          target,
          serverMessage: msg,
          status: res.statusCode,
        });
      throw err;
    }
    return res;
  }

  /**
   * Size, md5 (ETag) and adler32 metadata of an object. A one-byte ranged GET stands in for HEAD:
   * undici closes the connection after every HEAD, which would cost a new connection per file.
   * Empty objects answer 416 to any range, and then a real HEAD is made.
   */
  async function headObject(rel: string, what: string, signal?: AbortSignal) {
    let res = await call('GET', objPath(keyOf(rel)), what, rel, {
      headers: { Range: 'bytes=0-0' },
      signal,
      ok: [200, 206, 416],
    });
    await res.body.dump().catch(() => undefined);
    let size: number;
    const total = /\/(\d+)\s*$/.exec(String(res.headers['content-range'] ?? ''));
    if (res.statusCode === 416) {
      res = await call('HEAD', objPath(keyOf(rel)), what, rel, { signal, ok: [200] });
      await res.body.dump().catch(() => undefined);
      size = Number(res.headers['content-length'] ?? 0);
    } else if (total) size = Number(total[1]);
    else size = Number(res.headers['content-length'] ?? 0);
    const etag = String(res.headers.etag ?? '').replace(/"/g, '');
    const lm = res.headers['last-modified'];
    const meta = res.headers[ADLER_META];
    return {
      size,
      // A multipart ETag is md5-of-md5s with a "-N" suffix: not the content md5.
      md5: /^[0-9a-f]{32}$/i.test(etag) ? etag.toLowerCase() : undefined,
      adler32: typeof meta === 'string' ? normalizeAdler32(meta) : undefined,
      mtime: typeof lm === 'string' ? new Date(lm) : undefined,
    };
  }

  async function listPage(prefix: string, token: string | undefined, maxKeys: number, signal?: AbortSignal) {
    const query: Array<[string, string]> = [
      ['list-type', '2'],
      ['prefix', prefix],
      ['delimiter', '/'],
      ['max-keys', String(maxKeys)],
    ];
    if (token) query.push(['continuation-token', token]);
    const res = await call('GET', `/${bucket}`, 'list', prefix, { query, signal, ok: [200] });
    return parseListV2(await res.body.text());
  }

  async function statImpl(path: string, opts: OpOptions = {}): Promise<StatResult> {
    const rel = toRelativePath(protocol, path);
    throwIfAborted(opts.signal, rel);
    try {
      const h = await headObject(rel, 'stat', opts.signal);
      return { size: h.size, isDir: false, mtime: h.mtime, adler32: h.adler32, md5: h.md5 };
    } catch (err) {
      if (!(err instanceof StorageError && err.code === 'NOT_FOUND')) throw err;
      // No object: a "directory" exists when some key lies below it.
      const page = await listPage(rel ? `${keyOf(rel)}/` : keyPrefix, undefined, 1, opts.signal);
      if (page.objects.length || page.prefixes.length) return { size: 0, isDir: true };
      throw err;
    }
  }

  async function read(path: string, opts: ReadOptions = {}): Promise<Readable> {
    const rel = toRelativePath(protocol, path);
    throwIfAborted(opts.signal, rel);
    if (opts.length === 0) return Readable.from([]);
    const start = opts.offset ?? 0;
    const headers: Record<string, string> = {};
    const ranged = start > 0 || opts.length !== undefined;
    if (ranged) headers.range = `bytes=${start}-${opts.length === undefined ? '' : start + opts.length - 1}`;
    const res = await call('GET', objPath(keyOf(rel)), 'read', rel, {
      headers,
      signal: opts.signal,
      ok: [200, 206],
    });
    if (ranged && res.statusCode === 200) {
      res.body.destroy();
      throw new StorageError('PROTOCOL_ERROR', `read ${rel}: server ignored the Range header`, {
        target: rel,
      });
    }
    return res.body;
  }

  async function deleteQuietly(rel: string): Promise<void> {
    try {
      const res = await call('DELETE', objPath(keyOf(rel)), 'delete', rel, { ok: [200, 204] });
      await res.body.dump();
    } catch {
      // Best effort: the caller reports the original failure.
    }
  }

  function metaHeaders(opts: WriteOptions): Record<string, string> {
    const h: Record<string, string> = {};
    if (opts.adler32 !== undefined) h[ADLER_META] = normalizeAdler32(opts.adler32);
    return h;
  }

  /** Single PUT: the object becomes visible at once, so a late mismatch deletes it again. */
  async function putSingle(rel: string, source: Readable, opts: WriteOptions): Promise<WriteResult> {
    const buf = await collect(source, opts.size, rel);
    const md5 = createHash('md5').update(buf).digest();
    const got = {
      size: buf.length,
      adler32: formatAdler32(adler32Update(ADLER32_INIT, buf)),
      md5: md5.toString('hex'),
    };
    verifyStreamed(got, opts, rel);
    if (opts.overwrite === false && (await existsImpl(rel, opts))) throw alreadyExists(rel);
    // Content-MD5 makes the server reject a body damaged in transit (BadDigest) before storing it.
    const res = await call('PUT', objPath(keyOf(rel)), 'write', rel, {
      headers: {
        ...metaHeaders({ ...opts, adler32: got.adler32 }),
        'content-length': String(buf.length),
        'content-md5': md5.toString('base64'),
        'content-type': 'application/octet-stream',
      },
      body: buf,
      signal: opts.signal,
      ok: [200],
    });
    await res.body.dump().catch(() => undefined);
    const etag = String(res.headers.etag ?? '').replace(/"/g, '');
    try {
      verifyStored({ md5: /^[0-9a-f]{32}$/i.test(etag) ? etag : undefined }, got, rel);
    } catch (err) {
      await deleteQuietly(rel);
      throw err;
    }
    return { pfn: buildPfn(protocol, rel), ...got, verifiedBy: 'server-checksum' };
  }

  /**
   * Multipart upload: parts of partSize are sent with bounded concurrency (each checked against its
   * md5 ETag); the upload is completed only after the whole stream matched the expected size and
   * adler32, otherwise it is aborted, so a failed write never becomes visible.
   */
  async function putMultipart(rel: string, source: Readable, opts: WriteOptions): Promise<WriteResult> {
    const key = keyOf(rel);
    if (opts.overwrite === false && (await existsImpl(rel, opts))) throw alreadyExists(rel);
    const init = await call('POST', objPath(key), 'write', rel, {
      query: [['uploads', '']],
      headers: { ...metaHeaders(opts), 'content-type': 'application/octet-stream' },
      signal: opts.signal,
      ok: [200],
    });
    const uploadId = tag(await init.body.text(), 'UploadId');
    if (!uploadId)
      throw new StorageError('PROTOCOL_ERROR', `write ${rel}: no UploadId in answer`, { target: rel });
    const etags: string[] = [];
    const inflight = new Set<Promise<void>>();
    let failure: unknown;
    let state = ADLER32_INIT;
    const md5All = opts.md5 !== undefined || opts.computeMd5 ? createHash('md5') : undefined;
    let size = 0;
    const sendPart = async (n: number, part: Buffer) => {
      const md5 = createHash('md5').update(part).digest();
      const res = await call('PUT', objPath(key), 'write', rel, {
        query: [
          ['partNumber', String(n)],
          ['uploadId', uploadId],
        ],
        headers: { 'content-length': String(part.length), 'content-md5': md5.toString('base64') },
        body: part,
        signal: opts.signal,
        ok: [200],
      });
      await res.body.dump().catch(() => undefined);
      const etag = String(res.headers.etag ?? '').replace(/"/g, '');
      if (etag && etag.toLowerCase() !== md5.toString('hex'))
        throw new StorageError('CHECKSUM_MISMATCH', `write ${rel}: part ${n} ETag ${etag} != md5`, {
          target: rel,
          retryable: true,
        });
      etags[n - 1] = etag || md5.toString('hex');
    };
    try {
      let n = 0;
      for await (const part of chunked(source, partSize)) {
        if (failure) throw failure;
        state = adler32Update(state, part);
        md5All?.update(part);
        size += part.length;
        if (size > opts.size) break;
        n += 1;
        const p: Promise<void> = sendPart(n, part).then(
          () => {
            inflight.delete(p);
          },
          (err) => {
            inflight.delete(p);
            failure ??= err;
          },
        );
        inflight.add(p);
        if (inflight.size >= partConcurrency) await Promise.race(inflight);
      }
      await Promise.all(inflight);
      if (failure) throw failure;
      const got = { size, adler32: formatAdler32(state), md5: md5All?.digest('hex') };
      verifyStreamed(got, opts, rel);
      const xml =
        '<CompleteMultipartUpload>' +
        etags
          .map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>"${escapeXml(e)}"</ETag></Part>`)
          .join('') +
        '</CompleteMultipartUpload>';
      const done = await call('POST', objPath(key), 'write', rel, {
        query: [['uploadId', uploadId]],
        headers: { 'content-type': 'application/xml' },
        body: xml,
        signal: opts.signal,
        ok: [200],
      });
      const text = await done.body.text();
      if (/<Error>/.test(text))
        throw new StorageError(
          'SERVER_ERROR',
          `write ${rel}: complete failed: ${tag(text, 'Message') ?? text}`,
          {
            target: rel,
            serverMessage: text,
          },
        );
      try {
        const h = await headObject(rel, 'write', opts.signal);
        verifyStored({ size: h.size }, got, rel);
      } catch (err) {
        await deleteQuietly(rel);
        throw err;
      }
      return { pfn: buildPfn(protocol, rel), ...got, verifiedBy: 'stream-checksum+size' };
    } catch (err) {
      source.destroy();
      await Promise.allSettled(inflight);
      try {
        const res = await call('DELETE', objPath(key), 'abort', rel, {
          query: [['uploadId', uploadId]],
          ok: [204, 200],
        });
        await res.body.dump();
      } catch {
        // An upload that cannot be aborted is reclaimed by the bucket's lifecycle rules.
      }
      throw toStorageError(err, 'write', rel);
    }
  }

  function alreadyExists(rel: string): StorageError {
    return new StorageError('ALREADY_EXISTS', `write ${rel}: exists and overwrite is false`, { target: rel });
  }

  async function write(path: string, source: Readable, opts: WriteOptions): Promise<WriteResult> {
    const rel = toRelativePath(protocol, path);
    checkWriteOptions(opts, rel);
    if (!rel) throw new StorageError('INVALID_ARGUMENT', 'write: empty path', { target: path });
    throwIfAborted(opts.signal, rel);
    try {
      return opts.size <= threshold
        ? await putSingle(rel, source, opts)
        : await putMultipart(rel, source, opts);
    } catch (err) {
      source.destroy();
      throw toStorageError(err, 'write', rel);
    }
  }

  async function existsImpl(path: string, opts: OpOptions = {}): Promise<boolean> {
    try {
      await statImpl(path, opts);
      return true;
    } catch (err) {
      if (err instanceof StorageError && err.code === 'NOT_FOUND') return false;
      throw err;
    }
  }

  async function del(path: string, opts: OpOptions = {}): Promise<void> {
    const rel = toRelativePath(protocol, path);
    if (!rel)
      throw new StorageError('INVALID_ARGUMENT', 'delete: refusing to delete the RSE prefix', {
        target: path,
      });
    // S3 answers 204 for missing keys too; HEAD first so that NOT_FOUND means the same as elsewhere.
    await headObject(rel, 'delete', opts.signal);
    const res = await call('DELETE', objPath(keyOf(rel)), 'delete', rel, {
      signal: opts.signal,
      ok: [200, 204],
    });
    await res.body.dump().catch(() => undefined);
  }

  async function list(path: string, opts: OpOptions = {}): Promise<ListEntry[]> {
    const rel = toRelativePath(protocol, path);
    const prefix = rel ? `${keyOf(rel)}/` : keyPrefix;
    const out: ListEntry[] = [];
    let token: string | undefined;
    do {
      const page = await listPage(prefix, token, 1000, opts.signal);
      for (const o of page.objects) {
        const name = o.key.slice(prefix.length);
        if (!name) continue;
        out.push({
          name,
          path: rel ? `${rel}/${name}` : name,
          isDir: false,
          size: o.size,
          mtime: o.lastModified,
        });
      }
      for (const p of page.prefixes) {
        const name = p.slice(prefix.length).replace(/\/$/, '');
        out.push({ name, path: rel ? `${rel}/${name}` : name, isDir: true });
      }
      token = page.nextToken;
    } while (token);
    if (!out.length && rel && !(await existsImpl(rel, opts)))
      throw new StorageError('NOT_FOUND', `list ${rel}: no such prefix`, { target: rel });
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * This adapter's own writes never leave temporary-named objects (a single PUT is atomic, a
   * multipart upload stays invisible until completed): what a killed writer leaves is an incomplete
   * multipart upload of the key itself, which is aborted here. Objects under the shared temporary
   * naming (written by other tools or older writers) are deleted too.
   */
  async function removeOrphanTemps(path: string, opts: OpOptions = {}): Promise<number> {
    const rel = toRelativePath(protocol, path);
    if (!rel) throw new StorageError('INVALID_ARGUMENT', 'removeOrphanTemps: empty path', { target: path });
    throwIfAborted(opts.signal, rel);
    const { dir, start } = tempPattern(rel);
    const prefix = keyOf(`${dir}${start}`);
    const temps: string[] = [];
    let token: string | undefined;
    do {
      const page = await listPage(prefix, token, 1000, opts.signal);
      for (const o of page.objects) if (isTempOf(o.key.slice(keyOf(dir).length), start)) temps.push(o.key);
      token = page.nextToken;
    } while (token);
    let removed = 0;
    // One at a time: some servers (s3rver) fail concurrent deletes in one "directory".
    for (const key of temps) {
      const res = await call('DELETE', objPath(key), 'removeOrphanTemps', rel, {
        signal: opts.signal,
        ok: [200, 204, 404],
      });
      await res.body.dump().catch(() => undefined);
      if (res.statusCode !== 404) removed++;
    }
    return removed + (await abortUploads(rel, opts.signal));
  }

  /** Aborts incomplete multipart uploads of exactly this key; 0 where the server cannot list them. */
  async function abortUploads(rel: string, signal?: AbortSignal): Promise<number> {
    const key = keyOf(rel);
    let res: Dispatcher.ResponseData;
    try {
      res = await call('GET', `/${bucket}`, 'removeOrphanTemps', rel, {
        query: [
          ['prefix', key],
          ['uploads', ''],
        ],
        signal,
        ok: [200],
      });
    } catch (err) {
      // s3rver and some gateways answer NotImplemented: they keep no listable incomplete uploads.
      if (err instanceof StorageError && (err.status === 501 || /NotImplemented/.test(err.message))) return 0;
      throw err;
    }
    const xml = await res.body.text();
    let aborted = 0;
    for (const u of allTags(xml, 'Upload')) {
      const id = tag(u, 'UploadId');
      if (tag(u, 'Key') !== key || !id) continue;
      const del = await call('DELETE', objPath(key), 'removeOrphanTemps', rel, {
        query: [['uploadId', id]],
        signal,
        ok: [200, 204, 404],
      });
      await del.body.dump().catch(() => undefined);
      if (del.statusCode !== 404) aborted++;
    }
    return aborted;
  }

  async function checksum(
    path: string,
    algorithm: ChecksumAlgorithm = 'adler32',
    opts: OpOptions = {},
  ): Promise<ChecksumResult> {
    const rel = toRelativePath(protocol, path);
    const h = await headObject(rel, 'checksum', opts.signal);
    if (algorithm === 'md5' && h.md5) return { algorithm, value: h.md5, source: 'server' };
    if (algorithm === 'adler32' && h.adler32) return { algorithm, value: h.adler32, source: 'metadata' };
    const sums = await checksumStream(await read(rel, opts), { md5: algorithm === 'md5' }).catch((err) => {
      throw toStorageError(err, 'checksum', rel);
    });
    return { algorithm, value: algorithm === 'md5' ? sums.md5! : sums.adler32, source: 'computed' };
  }

  function canThirdPartyCopy(sourcePfn: string): boolean {
    try {
      pathFromPfn(protocol, sourcePfn);
      return true;
    } catch {
      return false;
    }
  }

  /** Server-side CopyObject; only within this endpoint and bucket (S3 has no cross-endpoint TPC). */
  async function thirdPartyCopy(
    sourcePfn: string,
    path: string,
    opts: TpcOptions = {},
  ): Promise<WriteResult> {
    const rel = toRelativePath(protocol, path);
    if (!canThirdPartyCopy(sourcePfn))
      throw new StorageError(
        'UNSUPPORTED',
        `S3 copies only within ${origin}/${bucket}, not from ${sourcePfn}`,
        {
          retryable: false,
        },
      );
    const srcRel = pathFromPfn(protocol, sourcePfn);
    const src = await headObject(srcRel, 'tpc', opts.signal);
    if (opts.overwrite === false && (await existsImpl(rel, opts))) throw alreadyExists(rel);
    const res = await call('PUT', objPath(keyOf(rel)), 'tpc', rel, {
      headers: { 'x-amz-copy-source': awsUriEncode(`/${bucket}/${keyOf(srcRel)}`, true) },
      signal: opts.signal,
      ok: [200],
    });
    const text = await res.body.text();
    if (/<Error>/.test(text))
      throw new StorageError('SERVER_ERROR', `tpc ${rel}: ${tag(text, 'Message') ?? text}`, { target: rel });
    const dst = await headObject(rel, 'tpc', opts.signal);
    try {
      if (dst.size !== src.size || (opts.size !== undefined && dst.size !== opts.size))
        throw new StorageError('SIZE_MISMATCH', `tpc ${rel}: size ${dst.size}, source ${src.size}`, {
          target: rel,
          retryable: true,
        });
      const adler = dst.adler32 ?? src.adler32 ?? (await checksum(rel, 'adler32', opts)).value;
      if (opts.adler32 !== undefined && normalizeAdler32(opts.adler32) !== adler)
        throw new StorageError(
          'CHECKSUM_MISMATCH',
          `tpc ${rel}: adler32 ${adler}, expected ${opts.adler32}`,
          {
            target: rel,
            retryable: true,
          },
        );
      return {
        pfn: buildPfn(protocol, rel),
        size: dst.size,
        adler32: adler,
        md5: dst.md5,
        verifiedBy: 'server-checksum',
      };
    } catch (err) {
      await deleteQuietly(rel);
      throw err;
    }
  }

  const adapter: S3Adapter = {
    kind: 's3',
    protocol,
    pfn: (path) => buildPfn(protocol, toRelativePath(protocol, path)),
    stat: statImpl,
    exists: existsImpl,
    read,
    write,
    delete: del,
    list,
    mkdir: async () => undefined,
    checksum,
    removeOrphanTemps,
    canThirdPartyCopy,
    thirdPartyCopy,
    presign: (path, method, expiresSec) => {
      if (!creds) throw new StorageError('INVALID_ARGUMENT', 'presign needs S3 credentials');
      const rel = toRelativePath(protocol, path);
      return presignUrl({ method, origin, path: objPath(keyOf(rel)), region, expiresSec }, creds);
    },
    putFiles: (items, o) => putFilesGeneric(adapter, items, o),
    getFiles: (items, o) => getFilesGeneric(adapter, items, o),
    close: async () => {
      await agent.close();
    },
  };
  return adapter;
}

/** Reads a stream of at most `limit` bytes (+1 to detect an overlong source) into one buffer. */
async function collect(source: Readable, limit: number, target: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of source) {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      n += b.length;
      if (n > limit) {
        parts.push(b.subarray(0, b.length - (n - limit - 1)));
        n = limit + 1;
        break;
      }
      parts.push(b);
    }
  } catch (err) {
    throw toStorageError(err, 'write', target);
  }
  return Buffer.concat(parts, n);
}

/** Re-chunks a stream into buffers of exactly `size` bytes (the last one shorter). */
async function* chunked(source: Readable, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let have = 0;
  for await (const chunk of source) {
    let b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    while (have + b.length >= size) {
      const take = size - have;
      parts.push(b.subarray(0, take));
      yield Buffer.concat(parts, size);
      parts = [];
      have = 0;
      b = b.subarray(take);
    }
    if (b.length) {
      parts.push(b);
      have += b.length;
    }
  }
  if (have) yield Buffer.concat(parts, have);
}
