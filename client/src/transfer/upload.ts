/**
 * Upload of local files to an RSE, as `rucio upload` with register-after-upload: each file is streamed
 * once (adler32 and md5 computed on the way) to its deterministic path through the RSE's best write
 * protocol, verified on the storage, and only then registered AVAILABLE (and attached to the dataset).
 * A file whose upload or registration fails leaves neither a catalog entry nor bytes behind.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import type { AttachDid, ReplicaFileInput } from '@oxbow/common';
import { didNameProblem, lfn2pfnPath, parseDid, scopeProblem } from '@oxbow/common/rucio/index';
import {
  type AnyAdapterOptions,
  checksumFile,
  cleanRelativePath,
  normalizeAdler32,
  orderProtocols,
  type RseProtocol,
  type StorageAdapter,
  StorageError,
  toStorageError,
  type WriteResult,
} from '@oxbow/rse-adapters';
import type { OxbowClient } from '../client.js';
import { RucioClientError } from '../errors.js';
import { createBatcher } from './batcher.js';
import { storageCredentialsFromEnv } from './credentials.js';
import { describeError, TransferInputError, TransferSetupError } from './errors.js';
import { chunked, mapLimit } from './limit.js';
import { collectLocalFiles, type LocalFile } from './local-files.js';
import { byteCounter, type ProgressListener } from './progress.js';
import { type AdapterPool, createAdapterPool, endpointOf, isEndpointDown } from './storage.js';

/** Options of uploadFiles (the flags of `oxbow upload`). */
export interface UploadOptions {
  /** Destination RSE. */
  rse: string;
  /** Scope of the files; default `user.<account>` as Rucio. */
  scope?: string;
  /** `scope:name` of a dataset to attach the files to (created when missing). */
  dataset?: string;
  /** Lifetime (seconds) of the replication rule Rucio's upload creates; refused for an existing dataset. */
  lifetime?: number;
  /** GUID of the file (one file only); otherwise one is generated per file as Rucio does. */
  guid?: string;
  /** DID name of the file (one file only); default the file's base name. */
  name?: string;
  /** Files uploaded at once (default 4). */
  threads?: number;
  /** Network domain whose write priorities apply (default `wan`, as Rucio outside the RSE's site). */
  domain?: 'wan' | 'lan';
  /** Adapter options (credentials, timeouts); default credentials come from the environment. */
  adapterOptions?: AnyAdapterOptions;
  /** Small files on root:// go through a few batched xrdcp runs (default true). */
  batchSmallFiles?: boolean;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Environment for credentials (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** What happened to one file. */
export type UploadStatus = 'uploaded' | 'skipped' | 'failed';

/** Outcome of one file of an upload. */
export interface UploadFileResult {
  localPath: string;
  scope: string;
  name: string;
  bytes: number;
  status: UploadStatus;
  rse: string;
  adler32?: string;
  md5?: string;
  guid?: string;
  /** PFN on the RSE (uploaded or already there). */
  pfn?: string;
  /** How the stored bytes were checked (`server-checksum` or `stream-checksum+size`). */
  verifiedBy?: string;
  /** Why it was skipped, or why it failed. */
  reason?: string;
  /** Error class or storage error code of a failure. */
  errorCode?: string;
}

/** Outcome of an upload. */
export interface UploadSummary {
  rse: string;
  scope: string;
  dataset?: string;
  uploaded: number;
  skipped: number;
  failed: number;
  /** Bytes written to storage. */
  bytes: number;
  seconds: number;
  files: UploadFileResult[];
  warnings: string[];
}

/** Files up to this size go through the root adapter's batched xrdcp runs (its own threshold). */
const BATCH_MAX = 16 * 1024 * 1024;
/** DIDs per catalog look-up request. */
const LOOKUP_CHUNK = 500;

interface Item {
  local: LocalFile;
  scope: string;
  name: string;
  path: string;
  guid: string;
  result: UploadFileResult;
  /** Size/checksums of a DID already registered with the same content. */
  known?: { adler32: string; md5?: string };
  /** State of a replica already registered on the RSE (not AVAILABLE, else the file is skipped). */
  replicaState?: string;
  written?: { result: WriteResult; protocol: RseProtocol };
  lastError?: StorageError;
}

/** Uploads local files (and the files directly inside directories) to an RSE. Never throws for one file's failure. */
export async function uploadFiles(
  client: OxbowClient,
  paths: readonly string[],
  opts: UploadOptions,
): Promise<UploadSummary> {
  const started = performance.now();
  const emit: ProgressListener = opts.onProgress ?? (() => undefined);
  const threads = Math.max(1, opts.threads ?? 4);
  const { files: locals, warnings } = await collectLocalFiles(paths, { name: opts.name });
  if (opts.guid !== undefined && locals.length !== 1)
    throw new TransferInputError(`--guid applies to one file, but ${locals.length} files were given`);
  const scope = opts.scope ?? `user.${await accountOf(client)}`;
  const badScope = scopeProblem(scope);
  if (badScope) throw new TransferInputError(badScope);
  const dataset = opts.dataset === undefined ? undefined : datasetArg(opts.dataset, scope);

  const rseInfo = await client.rses.get(opts.rse);
  if (!rseInfo.deterministic)
    throw new TransferSetupError(
      `RSE ${opts.rse} is not deterministic: uploads need a PFN per file there, which oxbow upload does not take`,
    );
  if (!rseInfo.availability_write)
    throw new TransferSetupError(`RSE ${opts.rse} is not available for writing`);
  const protocols = orderProtocols(
    rseInfo.protocols as unknown as RseProtocol[],
    'write',
    opts.domain ?? 'wan',
  );
  if (protocols.length === 0)
    throw new TransferSetupError(
      `RSE ${opts.rse} has no protocol that supports writes (${opts.domain ?? 'wan'})`,
    );
  const datasetState = dataset ? await checkDataset(client, dataset, opts.lifetime) : undefined;

  const items: Item[] = locals.map((local) => {
    const guid = (opts.guid ?? randomUUID()).replaceAll('-', '').toLowerCase();
    const item: Item = {
      local,
      scope,
      name: local.name,
      path: '',
      guid,
      result: {
        localPath: local.localPath,
        scope,
        name: local.name,
        bytes: local.size,
        status: 'failed',
        rse: opts.rse,
        guid,
      },
    };
    const bad = didNameProblem(local.name);
    if (bad) return fail(item, 'InvalidObject', bad);
    try {
      const path = lfn2pfnPath(scope, local.name, rseInfo.lfn2pfn_algorithm || undefined);
      // Catalog paths with '..' would name something outside the RSE prefix: refused before any I/O.
      item.path = cleanRelativePath(path);
    } catch (e) {
      const err = e as Error;
      return fail(
        item,
        err instanceof StorageError ? err.code : 'InvalidObject',
        `${scope}:${local.name}: ${err.message} (the name would escape the RSE prefix)`,
      );
    }
    return item;
  });

  await checkCatalog(client, opts.rse, items, threads, opts.signal);
  const toUpload = items.filter((i) => i.result.status === 'failed' && !i.result.reason);
  emit({ type: 'plan', files: items.length, bytes: toUpload.reduce((s, i) => s + i.local.size, 0) });
  for (const i of items)
    if (i.result.reason)
      emit({
        type: 'file',
        scope: i.scope,
        name: i.name,
        status: i.result.status === 'skipped' ? 'skipped' : 'failed',
        bytes: 0,
      });

  const pool = createAdapterPool(
    opts.adapterOptions ?? { credentials: storageCredentialsFromEnv(opts.env ?? process.env) },
  );
  let datasetCreated: Promise<void> | undefined;
  const ensureDataset = () => {
    if (!dataset || datasetState === 'exists') return Promise.resolve();
    datasetCreated ??= client.dids
      .add(dataset.scope, dataset.name, {
        type: 'DATASET',
        // Rucio's upload asks for a rule on the dataset; the server honours it once rules exist.
        rules: [
          {
            account: client.account,
            copies: 1,
            rse_expression: opts.rse,
            grouping: 'DATASET',
            lifetime: opts.lifetime ?? null,
          },
        ],
      })
      .catch((e: unknown) => {
        // Created meanwhile by a concurrent upload: fine, attach to it.
        if (e instanceof RucioClientError && e.isDuplicate) return;
        datasetCreated = undefined;
        throw e;
      });
    return datasetCreated;
  };

  let ruleWarning: string | undefined;
  const register = async (batch: Item[]) => {
    await ensureDataset();
    if (dataset) {
      const dids: AttachDid[] = batch.map((i) => ({
        scope: i.scope,
        name: i.name,
        bytes: i.local.size,
        adler32: i.written!.result.adler32,
        ...(i.written!.result.md5 ? { md5: i.written!.result.md5 } : {}),
        state: 'A',
        meta: { guid: i.guid },
      }));
      // Rucio's attach with `rse`: registers the replicas and attaches them; targets are checked first.
      await client.dids.attachMany([{ scope: dataset.scope, name: dataset.name, rse: opts.rse, dids }], true);
    } else {
      const files: ReplicaFileInput[] = batch.map((i) => ({
        scope: i.scope,
        name: i.name,
        bytes: i.local.size,
        adler32: i.written!.result.adler32,
        md5: i.written!.result.md5 ?? null,
        state: 'A',
        meta: { guid: i.guid },
      }));
      await client.replicas.add(opts.rse, files, false);
    }
    const stale = batch.filter((i) => i.replicaState !== undefined);
    if (stale.length)
      await client.replicas.updateStates(
        opts.rse,
        stale.map((i) => ({ scope: i.scope, name: i.name, state: 'A' })),
      );
    if (!dataset) {
      const w = await addFileRules(client, opts.rse, batch, opts.lifetime);
      ruleWarning ??= w;
    }
  };
  const registrar = createBatcher<Item>(register, { max: 500, delayMs: 250 });

  /** Registers one written file; on failure removes what this upload left (replica, bytes). */
  const finish = async (item: Item) => {
    try {
      await registrar.add(item);
      const w = item.written!.result;
      Object.assign(item.result, {
        status: 'uploaded',
        adler32: w.adler32,
        md5: w.md5,
        pfn: w.pfn,
        verifiedBy: w.verifiedBy,
      });
      emit({ type: 'file', scope: item.scope, name: item.name, status: 'done', bytes: item.local.size });
    } catch (e) {
      const cleanup = await rollback(client, pool, opts.rse, item, Boolean(dataset));
      const d = describeError(e);
      fail(item, d.code, `registration failed: ${d.message}${cleanup}`);
      emit({ type: 'file', scope: item.scope, name: item.name, status: 'failed', bytes: 0 });
    }
  };

  const writeOne = async (item: Item, adapter: StorageAdapter, protocol: RseProtocol): Promise<void> => {
    let overwrite = item.known !== undefined;
    for (let attempt = 0; ; attempt++) {
      const counter = byteCounter((n) => emit({ type: 'bytes', bytes: n }));
      const source = createReadStream(item.local.localPath, { highWaterMark: 1 << 20 });
      const stream = pipeline(source, counter, () => undefined);
      try {
        const result = await adapter.write(item.path, stream, {
          size: item.local.size,
          adler32: item.known?.adler32,
          md5: item.known?.md5,
          computeMd5: true,
          overwrite,
          signal: opts.signal,
        });
        item.written = { result, protocol };
        return;
      } catch (e) {
        source.destroy();
        emit({ type: 'bytes', bytes: -counter.count() });
        const err = toStorageError(e, 'write', item.path);
        if (err.code === 'ALREADY_EXISTS' && !overwrite) {
          // Something is at the path but the catalog did not know the file when we looked: either
          // a leftover of a crashed upload (replace it) or a concurrent upload (compare checksums).
          const clash = await concurrentClash(client, item);
          if (clash) throw new StorageError('ALREADY_EXISTS', clash, { retryable: false, target: item.path });
          overwrite = true;
          continue;
        }
        if (attempt === 0 && err.retryable && !isEndpointDown(err)) continue;
        throw err;
      }
    }
  };

  /** Uploads `batch` through one protocol; returns the items worth trying with the next protocol. */
  const throughProtocol = async (batch: Item[], protocol: RseProtocol): Promise<Item[]> => {
    const retry: Item[] = [];
    const failed = async (item: Item, err: StorageError) => {
      const where = endpointOf(protocol);
      item.lastError = err.message.includes(where)
        ? err
        : new StorageError(err.code, `${opts.rse} ${where}: ${err.message}`, {
            retryable: err.retryable,
            serverMessage: err.serverMessage,
            target: err.target,
          });
      await pool.confirmDown(protocol, err);
      if (worthAnotherProtocol(err)) retry.push(item);
      else fail(item, err.code, item.lastError.message);
    };
    let adapter: StorageAdapter;
    try {
      adapter = pool.get(protocol);
    } catch (e) {
      for (const i of batch) await failed(i, toStorageError(e, 'write', i.path));
      return retry;
    }
    const written: Promise<void>[] = [];
    const one = async (item: Item) => {
      const down = pool.down(protocol);
      if (down) return failed(item, down);
      try {
        await writeOne(item, adapter, protocol);
        written.push(finish(item));
      } catch (e) {
        await failed(item, toStorageError(e, 'write', item.path));
      }
    };
    const batched =
      opts.batchSmallFiles !== false && adapter.kind === 'root'
        ? batch.filter((i) => i.local.size <= BATCH_MAX && !i.known)
        : [];
    const streamed = batch.filter((i) => !batched.includes(i));
    await Promise.all([
      (async () => {
        for (const part of chunked(batched, 256)) {
          if (pool.down(protocol)) {
            await mapLimit(part, threads, one);
            continue;
          }
          const results = await adapter.putFiles(
            part.map((i) => ({ localPath: i.local.localPath, path: i.path, size: i.local.size })),
            { computeMd5: true, overwrite: false, concurrency: threads, signal: opts.signal },
          );
          const again: Item[] = [];
          results.forEach((r, k) => {
            const item = part[k]!;
            if (r.ok) {
              emit({ type: 'bytes', bytes: item.local.size });
              item.written = { result: r.value, protocol };
              written.push(finish(item));
            } else if (r.error.code === 'PATH_ESCAPE' || r.error.code === 'INVALID_ARGUMENT')
              void failed(item, r.error);
            // One by one through write(): its error names the real cause (a batch only sees the
            // missing result), and it handles leftovers and concurrent uploads.
            else again.push(item);
          });
          await mapLimit(again, threads, one);
        }
      })(),
      mapLimit(streamed, threads, one),
    ]);
    await registrar.flush();
    await Promise.all(written);
    return retry;
  };

  try {
    let pending = toUpload;
    for (const [k, protocol] of protocols.entries()) {
      if (pending.length === 0) break;
      if (k > 0)
        emit({
          type: 'warning',
          message: `${pending.length} file(s): trying ${protocol.scheme}:// after ${pending[0]!.lastError?.message}`,
        });
      pending = await throughProtocol(pending, protocol);
    }
    for (const i of pending) fail(i, i.lastError?.code ?? 'Error', i.lastError?.message ?? 'upload failed');
    for (const i of pending) emit({ type: 'file', scope: i.scope, name: i.name, status: 'failed', bytes: 0 });
    // Files that were already there still belong in the dataset.
    const skipped = items.filter((i) => i.result.status === 'skipped');
    if (dataset && skipped.length) {
      await ensureDataset();
      for (const part of chunked(skipped, LOOKUP_CHUNK))
        await client.dids.attachMany(
          [
            {
              scope: dataset.scope,
              name: dataset.name,
              dids: part.map((i) => ({ scope: i.scope, name: i.name })),
            },
          ],
          true,
        );
    }
  } finally {
    await pool.close();
  }
  if (ruleWarning) warnings.push(ruleWarning);
  const results = items.map((i) => i.result);
  return {
    rse: opts.rse,
    scope,
    dataset: dataset ? `${dataset.scope}:${dataset.name}` : undefined,
    uploaded: results.filter((r) => r.status === 'uploaded').length,
    skipped: results.filter((r) => r.status === 'skipped').length,
    failed: results.filter((r) => r.status === 'failed').length,
    bytes: results.filter((r) => r.status === 'uploaded').reduce((s, r) => s + r.bytes, 0),
    seconds: (performance.now() - started) / 1000,
    files: results,
    warnings,
  };
}

/** Marks an item failed for good. */
function fail(item: Item, code: string, reason: string): Item {
  Object.assign(item.result, { status: 'failed', errorCode: code, reason });
  return item;
}

/** Errors after which Rucio's upload tries the RSE's next write protocol (not the local file's own problems). */
function worthAnotherProtocol(err: StorageError): boolean {
  if (['PATH_ESCAPE', 'INVALID_ARGUMENT', 'ABORTED', 'ALREADY_EXISTS'].includes(err.code)) return false;
  if ((err.code === 'SIZE_MISMATCH' || err.code === 'CHECKSUM_MISMATCH') && !err.retryable) return false;
  return true;
}

/** The account the client acts as (Rucio's default scope is `user.<account>`). */
async function accountOf(client: OxbowClient): Promise<string> {
  if (client.account) return client.account;
  return (await client.accounts.whoami()).account;
}

/** `scope:name` of the dataset (a bare name takes the files' scope). */
function datasetArg(text: string, scope: string): { scope: string; name: string } {
  try {
    const d = text.includes(':') ? parseDid(text) : { scope, name: text };
    const bad = scopeProblem(d.scope) ?? didNameProblem(d.name);
    if (bad) throw new Error(bad);
    return { scope: d.scope, name: d.name };
  } catch (e) {
    throw new TransferInputError(`--dataset ${text}: ${(e as Error).message}`);
  }
}

/**
 * Whether the dataset exists, checked before any byte moves: it must be an open dataset, and as in
 * Rucio a lifetime cannot be given for an existing one.
 */
async function checkDataset(
  client: OxbowClient,
  ds: { scope: string; name: string },
  lifetime: number | undefined,
): Promise<'exists' | 'missing'> {
  try {
    const info = await client.dids.get(ds.scope, ds.name);
    if (info.type !== 'DATASET')
      throw new TransferSetupError(`${ds.scope}:${ds.name} is a ${info.type}, not a dataset`);
    if (info.open === false)
      throw new TransferSetupError(`dataset ${ds.scope}:${ds.name} is closed: files cannot be attached`);
    if (lifetime !== undefined)
      throw new TransferInputError(
        `dataset ${ds.scope}:${ds.name} exists and a lifetime was given; Rucio does not change an existing dataset's lifetime`,
      );
    return 'exists';
  } catch (e) {
    if (e instanceof RucioClientError && e.exceptionClass === 'DataIdentifierNotFound') return 'missing';
    throw e;
  }
}

/**
 * What the catalog already knows: files registered with the same size and checksum and an AVAILABLE
 * replica on the RSE are skipped; the same name with other content is a clash (failed, loudly); the
 * same content without a usable replica here is uploaded and its replica (re)registered.
 */
async function checkCatalog(
  client: OxbowClient,
  rse: string,
  items: Item[],
  threads: number,
  signal?: AbortSignal,
): Promise<void> {
  const candidates = items.filter((i) => !i.result.reason);
  const registered = new Map<Item, Record<string, unknown>>();
  for (const part of chunked(candidates, LOOKUP_CHUNK)) {
    const byKey = new Map(part.map((i) => [`${i.scope}:${i.name}`, i]));
    for await (const m of client.dids.metaOfMany(
      part.map((i) => ({ scope: i.scope, name: i.name })),
      { plugin: 'DID_COLUMN' },
    )) {
      const item = byKey.get(`${m.scope}:${m.name}`);
      if (item) registered.set(item, m);
    }
  }
  const same: Item[] = [];
  await mapLimit([...registered], threads, async ([item, m]) => {
    const did = `${item.scope}:${item.name}`;
    const type = String(m.did_type ?? 'FILE');
    if (type !== 'FILE') {
      fail(item, 'DataIdentifierAlreadyExists', `${did} already exists as a ${type}`);
      return;
    }
    if (m.bytes !== null && m.bytes !== undefined && Number(m.bytes) !== item.local.size) {
      fail(
        item,
        'DataIdentifierAlreadyExists',
        `${did} is already registered with ${m.bytes} bytes; ${item.local.localPath} has ${item.local.size}: name clash, not uploaded`,
      );
      return;
    }
    // Same name and size: only the checksum tells a re-run from a clash (this is the one extra read).
    const sums = await checksumFile(item.local.localPath, { md5: true, signal });
    const theirs = typeof m.adler32 === 'string' ? normalizeAdler32(m.adler32) : undefined;
    const theirMd5 = typeof m.md5 === 'string' ? m.md5.toLowerCase() : undefined;
    if ((theirs && theirs !== sums.adler32) || (theirMd5 && sums.md5 && theirMd5 !== sums.md5)) {
      fail(
        item,
        'DataIdentifierAlreadyExists',
        `${did} is already registered with adler32 ${theirs ?? '?'}; ${item.local.localPath} has ${sums.adler32}: name clash, not uploaded`,
      );
      return;
    }
    item.known = { adler32: sums.adler32, md5: sums.md5 };
    item.result.adler32 = sums.adler32;
    item.result.md5 = sums.md5;
    same.push(item);
  });
  for (const part of chunked(same, LOOKUP_CHUNK)) {
    const byKey = new Map(part.map((i) => [`${i.scope}:${i.name}`, i]));
    for await (const r of client.replicas.list({
      dids: part.map((i) => ({ scope: i.scope, name: i.name })),
      rse_expression: rse,
      all_states: true,
    })) {
      const item = byKey.get(`${r.scope}:${r.name}`);
      const state = r.states?.[rse];
      if (!item || state === undefined) continue;
      if (state === 'AVAILABLE' || state === 'A') {
        Object.assign(item.result, {
          status: 'skipped',
          reason: 'already registered on the RSE with the same checksum',
          pfn: r.rses?.[rse]?.[0],
        });
      } else item.replicaState = state;
    }
  }
}

/** Reason text when a concurrent registration with other content owns the name, else undefined. */
async function concurrentClash(client: OxbowClient, item: Item): Promise<string | undefined> {
  try {
    const m = await client.dids.meta(item.scope, item.name, 'DID_COLUMN');
    return `${item.scope}:${item.name} was registered by someone else during this upload (adler32 ${String(m.adler32)}); not overwritten`;
  } catch (e) {
    if (e instanceof RucioClientError && e.exceptionClass === 'DataIdentifierNotFound') return undefined;
    throw e;
  }
}

/**
 * Undoes a written file whose registration failed: the replica (if the failed call registered it
 * before failing) and the bytes. Returns a note for the file's reason when something could not be undone.
 */
async function rollback(
  client: OxbowClient,
  pool: AdapterPool,
  rse: string,
  item: Item,
  viaAttach: boolean,
): Promise<string> {
  const notes: string[] = [];
  if (item.replicaState !== undefined) return ''; // the replica predates this upload: leave it (and its bytes)
  if (viaAttach) {
    try {
      for await (const r of client.replicas.list({
        dids: [{ scope: item.scope, name: item.name }],
        rse_expression: rse,
        all_states: true,
      }))
        if (r.states?.[rse] !== undefined)
          await client.replicas.delete(rse, [{ scope: item.scope, name: item.name }]);
    } catch (e) {
      if (!(e instanceof RucioClientError && e.isNotFound))
        notes.push(`replica not removed: ${describeError(e).message}`);
    }
  }
  try {
    await pool.get(item.written!.protocol).delete(item.path);
  } catch (e) {
    const err = toStorageError(e, 'delete', item.path);
    if (err.code !== 'NOT_FOUND') notes.push(`bytes left at ${item.written!.result.pfn}: ${err.message}`);
  }
  return notes.length ? ` (${notes.join('; ')})` : ' (stored bytes removed)';
}

/**
 * Rucio's upload adds a rule (copies=1 on the RSE, with the lifetime) for files registered without a
 * dataset. Servers without the rules API answer `NotFound` for the route: then a warning is returned.
 */
async function addFileRules(
  client: OxbowClient,
  rse: string,
  batch: Item[],
  lifetime: number | undefined,
): Promise<string | undefined> {
  const dids = batch
    .filter((i) => i.replicaState === undefined)
    .map((i) => ({ scope: i.scope, name: i.name }));
  if (dids.length === 0) return undefined;
  try {
    await client.transport.json({
      method: 'POST',
      path: '/rules/',
      body: {
        dids,
        copies: 1,
        rse_expression: rse,
        lifetime: lifetime ?? null,
        account: client.account,
        ignore_availability: false,
      },
    });
    return undefined;
  } catch (e) {
    if (e instanceof RucioClientError && e.exceptionClass === 'NotFound' && e.status === 404)
      return `the server has no rules API yet: no replication rule was created${lifetime !== undefined ? ' (--lifetime not applied)' : ''}`;
    return `replication rule not created: ${describeError(e).message}`;
  }
}
