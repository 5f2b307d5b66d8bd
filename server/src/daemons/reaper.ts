/**
 * Reaper: deletes replicas nobody locks whose tombstone has passed — storage first, then the catalog
 * row. The replica is marked BEING_DELETED before the storage call, and every step checks the lock
 * count again, so a reaper killed mid-way (or a rule locking the replica meanwhile) is handled on the next pass.
 */
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
import { attributesOf } from '../catalog/rses.js';
import type { CatalogDb } from '../db/connect.js';
import { now } from '../http/dates.js';
import { REPLICA } from '../rules/codes.js';
import { type Daemon, startLoop } from './loop.js';

/** Settings of the reaper. */
export interface ReaperOptions {
  intervalMs?: number;
  /** Only step through runOnce (no polling). */
  manual?: boolean;
  batch?: number;
  concurrency?: number;
  log?: (rec: Record<string, unknown>) => void;
  adapterOptions?: AnyAdapterOptions;
}

/** Deletes up to `batch` expired unlocked replicas; resolves to how many were removed. */
export async function reapOnce(catalog: CatalogDb, o: ReaperOptions = {}): Promise<number> {
  const db = catalog.db;
  const log = o.log ?? ((rec) => process.stdout.write(`${JSON.stringify(rec)}\n`));
  const t = now();
  const victims = await db
    .selectFrom('replicas as r')
    .innerJoin('rses as s', 's.id', 'r.rse_id')
    .select(['r.scope', 'r.name', 'r.rse_id', 'r.path', 'r.bytes', 's.rse', 's.availability_delete'])
    .where('r.lock_cnt', '=', 0)
    .where('r.tombstone', 'is not', null)
    .where('r.tombstone', '<=', t)
    .limit(o.batch ?? 200)
    .execute();
  const limit = pLimit(o.concurrency ?? 4);
  const adapters = new Map<string, ReturnType<typeof createAdapter> | null>();
  let removed = 0;
  try {
    await Promise.all(
      victims.map((v) =>
        limit(async () => {
          if (v.availability_delete !== 1) return;
          const marked = await db
            .updateTable('replicas')
            .set({ state: REPLICA.BEING_DELETED, updated_at: now() })
            .where('rse_id', '=', v.rse_id)
            .where('scope', '=', v.scope)
            .where('name', '=', v.name)
            .where('lock_cnt', '=', 0)
            .executeTakeFirst();
          if (Number(marked.numUpdatedRows) === 0) return;
          if (!adapters.has(v.rse_id)) {
            const p = orderProtocols(
              (await protocolsOf(db, v.rse_id)) as unknown as RseProtocol[],
              'delete',
              'wan',
            )[0];
            adapters.set(v.rse_id, p ? createAdapter(p, o.adapterOptions) : null);
          }
          const a = adapters.get(v.rse_id);
          if (!a) return;
          const path =
            v.path ??
            deterministicRsePath(v.scope, v.name, (await attributesOf(db, v.rse_id)).lfn2pfn_algorithm);
          try {
            await a.delete(path);
          } catch (err) {
            if (!(err instanceof StorageError && err.code === 'NOT_FOUND')) {
              log({
                event: 'reaper',
                scope: v.scope,
                name: v.name,
                rse: v.rse,
                result: 'FAILED',
                error: String(err),
                time: now(),
              });
              return;
            }
          }
          const gone = await db
            .deleteFrom('replicas')
            .where('rse_id', '=', v.rse_id)
            .where('scope', '=', v.scope)
            .where('name', '=', v.name)
            .where('lock_cnt', '=', 0)
            .where('state', '=', REPLICA.BEING_DELETED)
            .executeTakeFirst();
          if (Number(gone.numDeletedRows) > 0) {
            removed++;
            log({
              event: 'reaper',
              scope: v.scope,
              name: v.name,
              rse: v.rse,
              bytes: Number(v.bytes),
              result: 'DELETED',
              time: now(),
            });
          }
        }),
      ),
    );
  } finally {
    for (const a of adapters.values()) await a?.close().catch(() => {});
  }
  return removed;
}

/** Starts the reaper on a catalog. */
export function reaperDaemon(catalog: CatalogDb, o: ReaperOptions = {}): Daemon {
  return startLoop('reaper', () => reapOnce(catalog, o), {
    intervalMs: o.intervalMs ?? 10_000,
    manual: o.manual,
  });
}
