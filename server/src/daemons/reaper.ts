/**
 * Reaper: deletes replicas nobody locks whose tombstone has passed — storage first, then the catalog
 * row. As Rucio's reaper it works per RSE: in greedy mode (the daemon's `greedy` or the RSE's
 * `greedyDeletion` attribute) every expired replica goes; otherwise only OBSOLETE ones (purged
 * rules, `set_tombstone`), plus the oldest expired ones while the RSE has less free space than its
 * MinFreeSpace limit. The replica is marked BEING_DELETED before the storage call and every step
 * checks the lock count again, so a reaper killed mid-way (or a rule locking the replica meanwhile)
 * is handled on the next pass: a file already gone from storage counts as deleted.
 */
import { statfs } from 'node:fs/promises';
import {
  type AnyAdapterOptions,
  createAdapter,
  orderProtocols,
  type RseProtocol,
  StorageError,
} from '@oxbow/rse-adapters';
import pLimit from 'p-limit';
import { deterministicRsePath } from '../catalog/rse-pfns.js';
import { protocolsOf } from '../catalog/rse-protocols.js';
import {
  type DeletionNeed,
  deletionNeed,
  limitsOf,
  RUCIO_SOURCE,
  setUsageById,
  usageOf,
} from '../catalog/rse-space.js';
import { attributesOf } from '../catalog/rses.js';
import type { CatalogDb } from '../db/connect.js';
import { now } from '../http/dates.js';
import { OBSOLETE, REPLICA } from '../rules/codes.js';
import { type Daemon, startLoop } from './loop.js';

/** Settings of the reaper. */
export interface ReaperOptions {
  intervalMs?: number;
  /** Only step through runOnce (no polling). */
  manual?: boolean;
  /** Replicas per RSE and pass. */
  batch?: number;
  concurrency?: number;
  /** Delete every expired unlocked replica regardless of free space (Rucio's --greedy). */
  greedy?: boolean;
  log?: (rec: Record<string, unknown>) => void;
  adapterOptions?: AnyAdapterOptions;
}

interface Victim {
  scope: string;
  name: string;
  path: string | null;
  bytes: number;
}

const truthy = (v: unknown) => v === true || v === 1 || /^(true|1|yes)$/i.test(String(v ?? ''));

/**
 * The 'storage' usage of a posix RSE, measured on its file system (Rucio gets it from a storage
 * probe; here the reaper is that probe). Other protocols' storage usage is reported through
 * `PUT /rses/{rse}/usage`.
 */
async function probePosix(catalog: CatalogDb, rseId: string, protocol: RseProtocol): Promise<void> {
  if (protocol.scheme !== 'file') return;
  const s = await statfs(protocol.prefix).catch(() => undefined);
  if (!s) return;
  const free = s.bavail * s.bsize;
  await setUsageById(catalog.db, rseId, { source: 'storage', used: (s.blocks - s.bavail) * s.bsize, free });
}

/** Unlocked expired replicas of one RSE the need allows deleting, oldest tombstone first. */
async function pickVictims(
  catalog: CatalogDb,
  rseId: string,
  need: DeletionNeed,
  batch: number,
): Promise<Victim[]> {
  let q = catalog.db
    .selectFrom('replicas')
    .select(['scope', 'name', 'path', 'bytes', 'tombstone'])
    .where('rse_id', '=', rseId)
    .where('lock_cnt', '=', 0)
    .where('tombstone', 'is not', null)
    .where('tombstone', '<=', now())
    .orderBy('tombstone')
    .limit(batch);
  if (need.reason === 'obsolete_only') q = q.where('tombstone', '=', OBSOLETE);
  const rows = await q.execute();
  const victim = (r: (typeof rows)[number]): Victim => ({
    scope: r.scope,
    name: r.name,
    path: r.path,
    bytes: Number(r.bytes),
  });
  if (need.reason !== 'min_free_space') return rows.map(victim);
  // Obsolete replicas always go; expired ones only until the shortfall is covered.
  const out: Victim[] = [];
  let bytes = 0;
  for (const r of rows) {
    if (bytes >= need.bytes && r.tombstone !== OBSOLETE) break;
    out.push(victim(r));
    bytes += Number(r.bytes);
  }
  return out;
}

/** Deletes, RSE by RSE, the unlocked expired replicas the mode allows; resolves to how many were removed. */
export async function reapOnce(catalog: CatalogDb, o: ReaperOptions = {}): Promise<number> {
  const db = catalog.db;
  const log = o.log ?? ((rec) => process.stdout.write(`${JSON.stringify(rec)}\n`));
  const rses = await db
    .selectFrom('replicas as r')
    .innerJoin('rses as s', 's.id', 'r.rse_id')
    .select(['r.rse_id', 's.rse'])
    .distinct()
    .where('r.lock_cnt', '=', 0)
    .where('r.tombstone', 'is not', null)
    .where('r.tombstone', '<=', now())
    .where('s.availability_delete', '=', 1)
    .execute();
  let removed = 0;
  for (const { rse_id: rseId, rse } of rses) {
    const protocol = orderProtocols(
      (await protocolsOf(db, rseId)) as unknown as RseProtocol[],
      'delete',
      'wan',
    )[0];
    if (!protocol) continue;
    const attrs = await attributesOf(db, rseId);
    const greedy = Boolean(o.greedy) || truthy(attrs.greedyDeletion);
    let need: DeletionNeed;
    if (greedy) need = deletionNeed(true, [], {}, attrs);
    else {
      await probePosix(catalog, rseId, protocol);
      // Only the sources the decision reads: the 'rucio' one is a sum over the RSE's replicas.
      const sources = new Set([
        String(attrs.source_for_total_space ?? 'storage'),
        String(attrs.source_for_used_space ?? 'storage'),
      ]);
      const usage = (await Promise.all([...sources].map((src) => usageOf(db, rseId, rse, src)))).flat();
      need = deletionNeed(false, usage, await limitsOf(db, rseId), attrs);
    }
    const victims = await pickVictims(catalog, rseId, need, o.batch ?? 200);
    if (!victims.length) continue;
    if (need.reason === 'min_free_space')
      log({
        event: 'reaper_space',
        rse,
        needed: need.bytes,
        free: need.free,
        min_free_space: need.minFreeSpace,
        time: now(),
      });
    const adapter = createAdapter(protocol, o.adapterOptions);
    const algo = attrs.lfn2pfn_algorithm;
    let freed = 0;
    try {
      const limit = pLimit(o.concurrency ?? 4);
      await Promise.all(
        victims.map((v) =>
          limit(async () => {
            const marked = await db
              .updateTable('replicas')
              .set({ state: REPLICA.BEING_DELETED, updated_at: now() })
              .where('rse_id', '=', rseId)
              .where('scope', '=', v.scope)
              .where('name', '=', v.name)
              .where('lock_cnt', '=', 0)
              .executeTakeFirst();
            if (Number(marked.numUpdatedRows) === 0) return;
            const path = v.path ?? deterministicRsePath(v.scope, v.name, algo);
            try {
              await adapter.delete(path);
            } catch (err) {
              if (!(err instanceof StorageError && err.code === 'NOT_FOUND')) {
                log({
                  event: 'reaper',
                  scope: v.scope,
                  name: v.name,
                  rse,
                  result: 'FAILED',
                  error: String(err),
                  time: now(),
                });
                return;
              }
            }
            const gone = await db
              .deleteFrom('replicas')
              .where('rse_id', '=', rseId)
              .where('scope', '=', v.scope)
              .where('name', '=', v.name)
              .where('lock_cnt', '=', 0)
              .where('state', '=', REPLICA.BEING_DELETED)
              .executeTakeFirst();
            if (Number(gone.numDeletedRows) > 0) {
              removed++;
              freed += v.bytes;
              log({
                event: 'reaper',
                scope: v.scope,
                name: v.name,
                rse,
                bytes: v.bytes,
                result: 'DELETED',
                time: now(),
              });
            }
          }),
        ),
      );
    } finally {
      await adapter.close().catch(() => {});
    }
    // A reported usage is stale now: account for what was freed until the source reports again.
    // ('rucio' is counted from the catalog and a posix RSE's 'storage' is measured each pass.)
    const src = need.usedSource;
    if (freed > 0 && src && src !== RUCIO_SOURCE && !(src === 'storage' && protocol.scheme === 'file'))
      await creditFreed(catalog, rseId, src, freed);
  }
  return removed;
}

/** Moves `bytes` from used to free in what `source` reported for the RSE. */
async function creditFreed(catalog: CatalogDb, rseId: string, source: string, bytes: number): Promise<void> {
  const u = await catalog.db
    .selectFrom('rse_usage')
    .selectAll()
    .where('rse_id', '=', rseId)
    .where('source', '=', source)
    .executeTakeFirst();
  if (!u) return;
  await setUsageById(catalog.db, rseId, {
    source,
    used: Math.max(0, Number(u.used ?? 0) - bytes),
    free: Number(u.free ?? 0) + bytes,
    files: u.files,
  });
}

/** Starts the reaper on a catalog. */
export function reaperDaemon(catalog: CatalogDb, o: ReaperOptions = {}): Daemon {
  return startLoop('reaper', () => reapOnce(catalog, o), {
    intervalMs: o.intervalMs ?? 10_000,
    manual: o.manual,
  });
}
