/**
 * Transfer daemon (Rucio's conveyor + FTS in one): claims queued requests (SQLite: one atomic
 * UPDATE … RETURNING; PostgreSQL: FOR UPDATE SKIP LOCKED, so several daemons share the queue),
 * picks an AVAILABLE source, copies by third-party copy where both ends can, else streams
 * read → write with size and adler32 verified at the destination, then marks the replica AVAILABLE
 * and its locks OK in one transaction. Claims are leases renewed while a copy runs: a daemon killed
 * mid-copy leaves a COPYING replica and a lapsed claim that any daemon picks up again.
 */
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  type AnyAdapterOptions,
  createAdapter,
  orderProtocols,
  type RseProtocol,
  type StorageAdapter,
  StorageError,
} from '@oxbow/rse-adapters';
import { type ExpressionBuilder, type Kysely, sql } from 'kysely';
import pLimit from 'p-limit';
import { deterministicRsePath } from '../catalog/rse-pfns.js';
import { protocolsOf } from '../catalog/rse-protocols.js';
import { attributesOf, loadRseSnapshots, selectByExpression } from '../catalog/rses.js';
import { type ActiveLimit, admit, destinationLimits } from '../catalog/transfer-limits.js';
import type { CatalogDb } from '../db/connect.js';
import type { Database } from '../db/schema.js';
import { now } from '../http/dates.js';
import { REPLICA, REQ } from '../rules/codes.js';
import { newId } from '../rules/ids.js';
import { type RequestRow, transferDone, transferFailed } from '../rules/outcome.js';
import { type Daemon, startLoop } from './loop.js';

/** Settings of the transfer daemon. */
export interface TransferOptions {
  /** Name of this worker in claims (default host:pid:random). */
  worker?: string;
  /** Copies running at once (default 4). */
  concurrency?: number;
  /** Claim lease; renewed every third of it while a copy runs (default 60 s). */
  leaseMs?: number;
  /** Backoff before the second attempt; doubles per attempt (default 5 s). */
  backoffBaseMs?: number;
  intervalMs?: number;
  /** Only step through runOnce (no polling). */
  manual?: boolean;
  /** Receives one structured record per transfer attempt (default: JSON line on stdout). */
  log?: (rec: Record<string, unknown>) => void;
  adapterOptions?: AnyAdapterOptions;
}

class TransferProblem extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

interface RseEnd {
  id: string;
  rse: string;
  algo: unknown;
  protocols: RseProtocol[];
  adapters: Map<string, StorageAdapter>;
}

/** Requests a daemon may claim now: queued and due, or claimed by a lapsed lease. */
const claimable = (t: string) => (eb: ExpressionBuilder<Database, 'requests'>) =>
  eb.or([
    eb.and([eb('state', '=', REQ.QUEUED), eb('next_attempt_at', '<=', t)]),
    eb.and([eb('state', '=', REQ.SUBMITTED), eb('claimed_until', '<', t)]),
  ]);

/**
 * What a claim writes. Taking over a lapsed claim (state still SUBMITTED) marks the request for an
 * orphan check: its previous writer may have left a temporary file (SET sees the old state).
 */
const claimSet =
  (worker: string, leaseMs: number, t: string) => (eb: ExpressionBuilder<Database, 'requests'>) => ({
    state: REQ.SUBMITTED,
    claimed_by: worker,
    claimed_until: new Date(Date.now() + leaseMs).toISOString(),
    orphan_check: eb.case().when('state', '=', REQ.SUBMITTED).then(1).else(eb.ref('orphan_check')).end(),
    updated_at: t,
  });

/**
 * Claims up to `n` requests for `worker` (queued and due, or claimed by a lapsed lease), highest
 * priority first, within the DESTINATION transfer limits (`/requests/transfer_limits`).
 */
export async function claimRequests(
  catalog: CatalogDb,
  worker: string,
  n: number,
  leaseMs: number,
): Promise<RequestRow[]> {
  const db = catalog.db;
  const limits = await destinationLimits(db);
  if (limits.length) return claimWithinLimits(catalog, worker, n, leaseMs, limits);
  const t = now();
  let sub = db
    .selectFrom('requests')
    .select('id')
    .where(claimable(t))
    .orderBy('priority', 'desc')
    .orderBy('created_at')
    .limit(n);
  if (catalog.dialect === 'postgres') sub = sub.forUpdate().skipLocked();
  return db
    .updateTable('requests')
    .set(claimSet(worker, leaseMs, t))
    .where('id', 'in', sub)
    .returningAll()
    .execute();
}

/**
 * Claims under transfer limits. Counting what is active and claiming must not interleave with
 * another daemon's claim, or both would fill the same free slots: PostgreSQL serialises claims with
 * a transaction-scoped advisory lock, SQLite with BEGIN IMMEDIATE (the write lock, taken up front).
 */
async function claimWithinLimits(
  catalog: CatalogDb,
  worker: string,
  n: number,
  leaseMs: number,
  limits: ActiveLimit[],
): Promise<RequestRow[]> {
  const claim = async (db: Kysely<Database>): Promise<RequestRow[]> => {
    const t = now();
    const active = await db
      .selectFrom('requests')
      .select(['dest_rse_id', 'activity', (eb) => eb.fn.countAll<number>().as('n')])
      .where('state', '=', REQ.SUBMITTED)
      .where('claimed_until', '>=', t)
      .groupBy(['dest_rse_id', 'activity'])
      .execute();
    // Candidates beyond `n`: the first ones may be held back by a full limit.
    const candidates = await db
      .selectFrom('requests')
      .select(['id', 'dest_rse_id', 'activity'])
      .where(claimable(t))
      .orderBy('priority', 'desc')
      .orderBy('created_at')
      .limit(n * 25)
      .execute();
    const chosen = admit(
      candidates,
      active.map((a) => ({ ...a, n: Number(a.n) })),
      limits,
      n,
    );
    if (!chosen.length) return [];
    return db
      .updateTable('requests')
      .set(claimSet(worker, leaseMs, t))
      .where(
        'id',
        'in',
        chosen.map((c) => c.id),
      )
      .where(claimable(t))
      .returningAll()
      .execute();
  };
  if (catalog.dialect === 'postgres')
    return catalog.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${CLAIM_LOCK})`.execute(trx);
      return claim(trx);
    });
  return catalog.db.connection().execute(async (c) => {
    await sql`BEGIN IMMEDIATE`.execute(c);
    try {
      const rows = await claim(c);
      await sql`COMMIT`.execute(c);
      return rows;
    } catch (err) {
      await sql`ROLLBACK`.execute(c).catch(() => {});
      throw err;
    }
  });
}

/** Advisory lock key of limited claims on PostgreSQL (any constant shared by all daemons). */
const CLAIM_LOCK = 0x0b0a7;

/** Starts the transfer daemon on a catalog. */
export function transferDaemon(catalog: CatalogDb, o: TransferOptions = {}): Daemon {
  const db = catalog.db;
  const worker = o.worker ?? `${hostname()}:${process.pid}:${newId().slice(0, 6)}`;
  const concurrency = o.concurrency ?? 4;
  const leaseMs = o.leaseMs ?? 60_000;
  const backoffBaseMs = o.backoffBaseMs ?? 5_000;
  const log = o.log ?? ((rec) => process.stdout.write(`${JSON.stringify(rec)}\n`));
  const limit = pLimit(concurrency);
  const ends = new Map<string, Promise<RseEnd>>();

  const endOf = (rseId: string): Promise<RseEnd> => {
    let e = ends.get(rseId);
    if (!e) {
      e = (async () => {
        const rec = await db
          .selectFrom('rses')
          .select(['id', 'rse'])
          .where('id', '=', rseId)
          .executeTakeFirstOrThrow();
        const protocols = (await protocolsOf(db, rseId)) as unknown as RseProtocol[];
        return {
          id: rec.id,
          rse: rec.rse,
          algo: (await attributesOf(db, rseId)).lfn2pfn_algorithm,
          protocols,
          adapters: new Map(),
        };
      })();
      ends.set(rseId, e);
      // A failed lookup is not cached: the next request tries again.
      e.catch(() => ends.delete(rseId));
    }
    return e;
  };
  const adapterFor = (end: RseEnd, p: RseProtocol): StorageAdapter => {
    const k = `${p.scheme}://${p.hostname}:${p.port}${p.prefix}`;
    let a = end.adapters.get(k);
    if (!a) end.adapters.set(k, (a = createAdapter(p, o.adapterOptions)));
    return a;
  };

  /**
   * Best effort: a failed clean-up is logged and the copy goes on (it writes under a fresh
   * temporary name anyway); the request stays marked, so the next attempt looks again. True when clean.
   */
  async function removeOrphans(dest: RseEnd, path: string, protos: RseProtocol[]): Promise<boolean> {
    const done = new Set<StorageAdapter>();
    let clean = true;
    for (const p of protos) {
      try {
        const a = adapterFor(dest, p);
        if (done.has(a)) continue;
        done.add(a);
        const n = await a.removeOrphanTemps(path);
        if (n > 0) log({ event: 'orphan_temp_removed', destination: dest.rse, path, files: n, worker });
      } catch (err) {
        clean = false;
        const error = err instanceof StorageError ? `${err.code}: ${err.message}` : String(err);
        log({ event: 'orphan_temp_cleanup_failed', destination: dest.rse, path, error, worker });
      }
    }
    return clean;
  }

  async function copy(r: RequestRow): Promise<{ sourceRseId: string; source: string; method: string }> {
    const dest = await endOf(r.dest_rse_id);
    const replica = await db
      .selectFrom('replicas')
      .select(['path', 'state'])
      .where('rse_id', '=', r.dest_rse_id)
      .where('scope', '=', r.scope)
      .where('name', '=', r.name)
      .executeTakeFirst();
    if (!replica) throw new TransferProblem(`the destination replica on ${dest.rse} no longer exists`, false);
    const path = replica.path ?? deterministicRsePath(r.scope, r.name, dest.algo);
    let sources = await db
      .selectFrom('replicas as r')
      .innerJoin('rses as s', 's.id', 'r.rse_id')
      .select(['r.rse_id', 'r.path', 's.rse'])
      .where('r.scope', '=', r.scope)
      .where('r.name', '=', r.name)
      .where('r.state', '=', REPLICA.AVAILABLE)
      .where('r.rse_id', '!=', r.dest_rse_id)
      .where('s.deleted', '=', 0)
      .where('s.availability_read', '=', 1)
      .execute();
    if (r.source_replica_expression) {
      const allowed = new Set(
        selectByExpression(r.source_replica_expression, await loadRseSnapshots(db)).map((x) => x.id),
      );
      sources = sources.filter((s) => allowed.has(s.rse_id));
    }
    if (sources.length === 0)
      throw new TransferProblem(
        `no AVAILABLE source replica of ${r.scope}:${r.name}${r.source_replica_expression ? ` matching '${r.source_replica_expression}'` : ''}`,
        true,
      );
    const writeProto = orderProtocols(dest.protocols, 'write', 'wan')[0];
    if (!writeProto) throw new TransferProblem(`${dest.rse} has no protocol for writing`, false);
    const dst = adapterFor(dest, writeProto);
    const tpcWrite = orderProtocols(dest.protocols, 'third_party_copy_write', 'wan')[0];
    // Only the holder of this request's claim writes this name, so temporaries next to it are
    // orphans of a killed (or lease-lost) writer: looked for only on requests taken over from one.
    // A TPC protocol may reach the storage another way.
    if (
      Number(r.orphan_check) === 1 &&
      (await removeOrphans(dest, path, tpcWrite ? [writeProto, tpcWrite] : [writeProto]))
    )
      await db.updateTable('requests').set({ orphan_check: 0 }).where('id', '=', r.id).execute();
    // Rotate sources across attempts so a failing source is not retried forever.
    const ordered = sources.map((_s, i) => sources[(i + Number(r.attempts)) % sources.length]!);
    let lastErr: unknown;
    for (const s of ordered) {
      const src = await endOf(s.rse_id);
      const srcPath = s.path ?? deterministicRsePath(r.scope, r.name, src.algo);
      const tpcRead = orderProtocols(src.protocols, 'third_party_copy_read', 'wan')[0];
      try {
        if (tpcRead && tpcWrite) {
          const tdst = adapterFor(dest, tpcWrite);
          const srcPfn = adapterFor(src, tpcRead).pfn(srcPath);
          if (tdst.canThirdPartyCopy(srcPfn)) {
            await tdst.thirdPartyCopy(srcPfn, path, { size: r.bytes, adler32: r.adler32 ?? undefined });
            return { sourceRseId: s.rse_id, source: src.rse, method: 'tpc' };
          }
        }
        const readProto = orderProtocols(src.protocols, 'read', 'wan')[0];
        if (!readProto) throw new TransferProblem(`${src.rse} has no protocol for reading`, false);
        const stream = await adapterFor(src, readProto).read(srcPath);
        await dst.write(path, stream, { size: Number(r.bytes), adler32: r.adler32 ?? undefined });
        return { sourceRseId: s.rse_id, source: src.rse, method: 'stream' };
      } catch (err) {
        lastErr = err;
        // A source that does not match the catalog is reported, not masked by another source's result.
        if (err instanceof StorageError && !err.retryable) break;
      }
    }
    throw lastErr;
  }

  async function one(r: RequestRow): Promise<void> {
    const started = performance.now();
    const lease = setInterval(
      () => {
        void db
          .updateTable('requests')
          .set({ claimed_until: new Date(Date.now() + leaseMs).toISOString() })
          .where('id', '=', r.id)
          .where('claimed_by', '=', worker)
          .execute()
          .catch(() => {});
      },
      Math.max(200, leaseMs / 3),
    );
    const dest = await endOf(r.dest_rse_id).catch(() => undefined);
    const base = {
      event: 'transfer',
      request_id: r.id,
      scope: r.scope,
      name: r.name,
      destination: dest?.rse ?? r.dest_rse_id,
      bytes: Number(r.bytes),
      attempt: Number(r.attempts) + 1,
      worker,
    };
    try {
      const c = await copy(r);
      const seconds = (performance.now() - started) / 1000;
      const kept = await transferDone(db, r, { sourceRseId: c.sourceRseId, seconds, method: c.method });
      if (!kept && dest) {
        // The rule went away during the copy: nobody references these bytes.
        const proto = orderProtocols(dest.protocols, 'delete', 'wan')[0];
        if (proto)
          await adapterFor(dest, proto)
            .delete(deterministicRsePath(r.scope, r.name, dest.algo))
            .catch(() => {});
      }
      log({
        ...base,
        source: c.source,
        method: c.method,
        seconds: Number(seconds.toFixed(3)),
        result: 'DONE',
        time: new Date().toISOString(),
      });
    } catch (err) {
      const seconds = (performance.now() - started) / 1000;
      const retryable = err instanceof StorageError || err instanceof TransferProblem ? err.retryable : true;
      const msg = err instanceof StorageError ? `${err.code}: ${err.message}` : (err as Error).message;
      const outcome = await transferFailed(db, r, {
        sourceRseId: null,
        seconds,
        method: 'stream',
        error: msg,
        retryable,
        backoffBaseMs,
      }).catch(() => 'retry' as const);
      log({
        ...base,
        seconds: Number(seconds.toFixed(3)),
        result: outcome === 'failed' ? 'FAILED' : 'RETRY',
        error: msg,
        time: new Date().toISOString(),
      });
    } finally {
      clearInterval(lease);
    }
  }

  const step = async (): Promise<number> => {
    const claimed = await claimRequests(catalog, worker, concurrency * 4, leaseMs);
    await Promise.all(claimed.map((r) => limit(() => one(r))));
    return claimed.length;
  };
  return startLoop(
    'transfer',
    step,
    {
      intervalMs: o.intervalMs ?? 1000,
      manual: o.manual,
      onError: (e) => log({ event: 'error', daemon: 'transfer', error: String(e) }),
    },
    async () => {
      for (const e of ends.values()) {
        const end = await e.catch(() => undefined);
        for (const a of end?.adapters.values() ?? []) await a.close().catch(() => {});
      }
    },
  );
}
