/**
 * Download of files, datasets and containers as `rucio download`: replicas listed by the catalog
 * (RSE expression), tried in order (local file:// first, then the catalog's protocol priority), each
 * written to a temporary name, checked against the catalog's size and adler32, and renamed into place;
 * a failed or corrupt replica makes the next one be tried. Files already present with the right
 * checksum are not fetched again.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ListedReplica } from '@oxbow/common';
import { type Did, parseDid } from '@oxbow/common/rucio/index';
import {
  type AnyAdapterOptions,
  checksumFile,
  createChecksumStream,
  type GetItem,
  normalizeAdler32,
  type RseProtocol,
  type StorageAdapter,
  StorageError,
  TEMP_MARK,
  toRelativePath,
  toStorageError,
} from '@oxbow/rse-adapters';
import type { OxbowClient } from '../client.js';
import { storageCredentialsFromEnv } from './credentials.js';
import { describeError, TransferInputError } from './errors.js';
import { chunked, mapLimit } from './limit.js';
import { byteCounter, type ProgressListener } from './progress.js';
import { createAdapterPool, protocolForPfn } from './storage.js';

/** Options of downloadDids (the flags of `oxbow download`). */
export interface DownloadOptions {
  /** RSE expression the replicas must be on. */
  rse?: string;
  /** Base directory (default the current directory). */
  dir?: string;
  /** Files directly in `dir` instead of `dir/<scope or collection name>/`. */
  noSubdir?: boolean;
  /** Files downloaded at once (default 3, as Rucio's --ndownloader). */
  ndownloader?: number;
  /** Only PFNs of these schemes (e.g. `['root']`). */
  schemes?: string[];
  /** Adapter options (credentials, timeouts); default credentials come from the environment. */
  adapterOptions?: AnyAdapterOptions;
  /** Small files on root:// are fetched by a few batched xrdcp runs (default true). */
  batchSmallFiles?: boolean;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Environment for credentials (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** What happened to one file. */
export type DownloadStatus = 'downloaded' | 'skipped' | 'failed';

/** One replica tried and why it was not used. */
export interface DownloadAttempt {
  rse: string;
  pfn: string;
  error: string;
  errorCode: string;
}

/** Outcome of one file of a download. */
export interface DownloadFileResult {
  scope: string;
  name: string;
  /** The DID given on the command line this file was reached from. */
  input: string;
  localPath: string;
  bytes: number | null;
  adler32: string | null;
  status: DownloadStatus;
  /** RSE and PFN the bytes came from. */
  rse?: string;
  pfn?: string;
  /** Replicas tried before (or instead of) the one that worked. */
  attempts: DownloadAttempt[];
  reason?: string;
  errorCode?: string;
}

/** Outcome of a download. */
export interface DownloadSummary {
  downloaded: number;
  skipped: number;
  failed: number;
  /** Bytes fetched from storage. */
  bytes: number;
  seconds: number;
  files: DownloadFileResult[];
  /** Inputs that could not be resolved (unknown DID, no replica anywhere). */
  inputErrors: { did: string; error: string; errorCode: string }[];
}

interface Candidate {
  pfn: string;
  rse: string;
  priority: number;
}

interface Item {
  result: DownloadFileResult;
  candidates: Candidate[];
  next: number;
}

/** Files up to this size go through the root adapter's batched xrdcp runs (its own threshold). */
const BATCH_MAX = 16 * 1024 * 1024;

/** Downloads the files below the DIDs. Never throws for one file's failure; see the summary. */
export async function downloadDids(
  client: OxbowClient,
  dids: readonly (string | Did)[],
  opts: DownloadOptions = {},
): Promise<DownloadSummary> {
  const started = performance.now();
  const emit: ProgressListener = opts.onProgress ?? (() => undefined);
  const base = resolve(opts.dir ?? '.');
  const inputs = dids.map((d) => {
    if (typeof d !== 'string') return d;
    try {
      return parseDid(d);
    } catch (e) {
      throw new TransferInputError(`${d}: ${(e as Error).message}`);
    }
  });
  if (inputs.length === 0) throw new TransferInputError('no DIDs to download');

  const items: Item[] = [];
  const inputErrors: DownloadSummary['inputErrors'] = [];
  const destinations = new Map<string, string>();
  for (const input of inputs) {
    const inputStr = `${input.scope}:${input.name}`;
    let n = 0;
    try {
      for await (const f of client.replicas.list({
        dids: [{ scope: input.scope, name: input.name }],
        rse_expression: opts.rse ?? null,
        schemes: opts.schemes ?? null,
        all_states: false,
      })) {
        n++;
        const item = planFile(f, input, inputStr, base, opts.noSubdir ?? false);
        const did = `${f.scope}:${f.name}`;
        const other = destinations.get(item.result.localPath);
        if (other === did) continue; // the same file reached through two inputs: once is enough
        if (other) {
          failItem(item, 'Duplicate', `${other} is downloaded to the same path ${item.result.localPath}`);
        }
        destinations.set(item.result.localPath, did);
        items.push(item);
      }
      if (n === 0) {
        // Nothing listed: say whether the DID is unknown or just has no replica (there).
        await client.dids.get(input.scope, input.name);
        inputErrors.push({
          did: inputStr,
          errorCode: 'NoReplicas',
          error: `no files with available replicas${opts.rse ? ` on ${opts.rse}` : ''}`,
        });
      }
    } catch (e) {
      const d = describeError(e);
      inputErrors.push({ did: inputStr, error: d.message, errorCode: d.code });
    }
  }

  // Resume: a complete file with the catalog's checksum is not fetched again.
  await mapLimit(items, Math.max(1, opts.ndownloader ?? 3), async (item) => {
    if (item.result.status === 'failed') return;
    const r = item.result;
    const st = await stat(r.localPath).catch(() => undefined);
    if (!st?.isFile() || (r.bytes !== null && st.size !== r.bytes)) return;
    if (r.adler32 === null) return;
    const got = await checksumFile(r.localPath, { signal: opts.signal });
    if (got.adler32 === normalizeAdler32(r.adler32)) {
      r.status = 'skipped';
      r.reason = 'already downloaded (size and adler32 match)';
    }
  });
  const pending0 = items.filter((i) => i.result.status === 'downloaded' && !i.result.reason);
  emit({
    type: 'plan',
    files: items.length,
    bytes: pending0.reduce((s, i) => s + (i.result.bytes ?? 0), 0),
  });
  for (const i of items)
    if (i.result.reason)
      emit({
        type: 'file',
        scope: i.result.scope,
        name: i.result.name,
        status: i.result.status === 'skipped' ? 'skipped' : 'failed',
        bytes: 0,
      });

  const pool = createAdapterPool(
    opts.adapterOptions ?? { credentials: storageCredentialsFromEnv(opts.env ?? process.env) },
  );
  const protocolsOf = new Map<string, Promise<RseProtocol[]>>();
  const rseProtocols = (rse: string) => {
    let p = protocolsOf.get(rse);
    if (!p) {
      p = client.rses.get(rse).then((info) => info.protocols as unknown as RseProtocol[]);
      protocolsOf.set(rse, p);
    }
    return p;
  };
  const n = Math.max(1, opts.ndownloader ?? 3);

  /** Adapter and relative path for a candidate replica (throws StorageError when it cannot be read). */
  const resolveCandidate = async (
    c: Candidate,
  ): Promise<{ adapter: StorageAdapter; path: string; protocol: RseProtocol }> => {
    let protocols: RseProtocol[];
    try {
      protocols = await rseProtocols(c.rse);
    } catch (e) {
      throw new StorageError('UNSUPPORTED', `RSE ${c.rse}: ${describeError(e).message}`, {
        retryable: false,
      });
    }
    const protocol = protocolForPfn(protocols, c.pfn);
    if (!protocol)
      throw new StorageError('UNSUPPORTED', `no protocol of ${c.rse} matches ${c.pfn}`, { target: c.pfn });
    const down = pool.down(protocol);
    if (down) throw down;
    const adapter = pool.get(protocol);
    return { adapter, path: toRelativePath(protocol, c.pfn), protocol };
  };

  const failedAttempt = async (item: Item, c: Candidate, e: unknown, protocol?: RseProtocol) => {
    const err = toStorageError(e, 'read', c.pfn);
    if (protocol) await pool.confirmDown(protocol, err);
    item.result.attempts.push({ rse: c.rse, pfn: c.pfn, error: err.message, errorCode: err.code });
    if (item.next + 1 < item.candidates.length)
      emit({
        type: 'warning',
        message: `${item.result.scope}:${item.result.name}: ${c.rse} failed (${err.code}); trying another replica`,
      });
  };
  const succeeded = (item: Item, c: Candidate) => {
    Object.assign(item.result, { rse: c.rse, pfn: c.pfn });
    emit({
      type: 'file',
      scope: item.result.scope,
      name: item.result.name,
      status: 'done',
      bytes: item.result.bytes ?? 0,
    });
  };

  /** Streams one replica to a temporary name, verifies it, renames it into place. */
  const streamOne = async (item: Item, c: Candidate) => {
    let protocol: RseProtocol | undefined;
    const r = item.result;
    const tmp = `${r.localPath}${TEMP_MARK}${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const counter = byteCounter((b) => emit({ type: 'bytes', bytes: b }));
    try {
      const target = await resolveCandidate(c);
      protocol = target.protocol;
      await mkdir(dirname(r.localPath), { recursive: true });
      const sums = createChecksumStream();
      await pipeline(
        await target.adapter.read(target.path, { signal: opts.signal }),
        sums,
        counter,
        createWriteStream(tmp),
        {
          signal: opts.signal,
        },
      );
      const got = sums.result();
      if (r.bytes !== null && got.size !== r.bytes)
        throw new StorageError('SIZE_MISMATCH', `${c.pfn}: ${got.size} bytes, catalog says ${r.bytes}`, {
          target: c.pfn,
        });
      if (r.adler32 !== null && got.adler32 !== normalizeAdler32(r.adler32))
        throw new StorageError(
          'CHECKSUM_MISMATCH',
          `${c.pfn}: adler32 ${got.adler32}, catalog says ${normalizeAdler32(r.adler32)}`,
          {
            target: c.pfn,
          },
        );
      await rename(tmp, r.localPath);
      succeeded(item, c);
      return true;
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      emit({ type: 'bytes', bytes: -counter.count() });
      await failedAttempt(item, c, e, protocol);
      return false;
    }
  };

  try {
    let pending = pending0;
    while (pending.length) {
      const retry: Item[] = [];
      // Group root:// small files by endpoint for batched xrdcp runs; stream the rest.
      const groups = new Map<
        StorageAdapter,
        { item: Item; c: Candidate; path: string; protocol: RseProtocol }[]
      >();
      const streamed: { item: Item; c: Candidate }[] = [];
      for (const item of pending) {
        const c = item.candidates[item.next]!;
        if (
          opts.batchSmallFiles !== false &&
          c.pfn.startsWith('root') &&
          (item.result.bytes ?? 0) <= BATCH_MAX
        ) {
          try {
            const t = await resolveCandidate(c);
            if (t.adapter.kind === 'root') {
              const g = groups.get(t.adapter) ?? [];
              g.push({ item, c, path: t.path, protocol: t.protocol });
              groups.set(t.adapter, g);
              continue;
            }
          } catch (e) {
            await failedAttempt(item, c, e);
            retry.push(item);
            continue;
          }
        }
        streamed.push({ item, c });
      }
      await Promise.all([
        (async () => {
          for (const [adapter, group] of groups)
            for (const part of chunked(group, 500)) {
              const gets: GetItem[] = part.map((g) => ({
                path: g.path,
                localPath: g.item.result.localPath,
                size: g.item.result.bytes ?? undefined,
                adler32: g.item.result.adler32 ?? undefined,
              }));
              const results = await adapter.getFiles(gets, { concurrency: n, signal: opts.signal });
              for (const [k, res] of results.entries()) {
                const g = part[k]!;
                if (res.ok) {
                  emit({ type: 'bytes', bytes: res.value.size });
                  succeeded(g.item, g.c);
                } else {
                  await failedAttempt(g.item, g.c, res.error, g.protocol);
                  retry.push(g.item);
                }
              }
            }
        })(),
        mapLimit(streamed, n, async ({ item, c }) => {
          if (!(await streamOne(item, c))) retry.push(item);
        }),
      ]);
      pending = [];
      for (const item of retry) {
        item.next++;
        if (item.next < item.candidates.length) pending.push(item);
        else {
          const last = item.result.attempts.at(-1);
          failItem(
            item,
            last?.errorCode ?? 'Error',
            `no replica could be downloaded (last: ${last?.error ?? 'none'})`,
          );
          emit({
            type: 'file',
            scope: item.result.scope,
            name: item.result.name,
            status: 'failed',
            bytes: 0,
          });
        }
      }
    }
  } finally {
    await pool.close();
  }
  const files = items.map((i) => i.result);
  const done = files.filter((f) => f.status === 'downloaded');
  return {
    downloaded: done.length,
    skipped: files.filter((f) => f.status === 'skipped').length,
    failed: files.filter((f) => f.status === 'failed').length + inputErrors.length,
    bytes: done.reduce((s, f) => s + (f.bytes ?? 0), 0),
    seconds: (performance.now() - started) / 1000,
    files,
    inputErrors,
  };
}

function failItem(item: Item, code: string, reason: string): void {
  Object.assign(item.result, { status: 'failed', errorCode: code, reason });
}

/**
 * Where a file goes and which replicas to try. Layout as Rucio: a file given by itself lands in
 * `dir/<scope>/<name>`, a file reached through a dataset or container in `dir/<collection name>/<name>`,
 * and with noSubdir directly in `dir`. A name that would leave `dir` is refused.
 */
function planFile(f: ListedReplica, input: Did, inputStr: string, base: string, noSubdir: boolean): Item {
  const direct = f.scope === input.scope && f.name === input.name;
  const sub = noSubdir ? '' : direct ? f.scope : input.name.split('/').at(-1)!;
  // Hierarchical names (/a/b/file) keep only the last element under a collection, as Rucio.
  const fileName = direct ? f.name.replace(/^\/+/, '') : f.name.split('/').at(-1)!;
  const localPath = resolve(join(base, sub, fileName));
  const candidates: Candidate[] = Object.entries(f.pfns ?? {})
    .map(([pfn, v]) => ({ pfn, rse: v.rse, priority: v.priority }))
    .sort((a, b) => localFirst(a) - localFirst(b) || a.priority - b.priority);
  const item: Item = {
    result: {
      scope: f.scope,
      name: f.name,
      input: inputStr,
      localPath,
      bytes: f.bytes,
      adler32: f.adler32,
      status: 'downloaded',
      attempts: [],
    },
    candidates,
    next: 0,
  };
  if (
    !(localPath === base || localPath.startsWith(base.endsWith(sep) ? base : base + sep)) ||
    fileName === ''
  )
    failItem(
      item,
      'PATH_ESCAPE',
      `${f.scope}:${f.name} would be written outside ${base} (${localPath}); refused`,
    );
  else if (candidates.length === 0)
    failItem(item, 'NoReplicas', `${f.scope}:${f.name} has no replica with a PFN`);
  return item;
}

/** file:// replicas are local disks: read them before any network copy. */
function localFirst(c: Candidate): number {
  return c.pfn.startsWith('file:') ? 0 : 1;
}
