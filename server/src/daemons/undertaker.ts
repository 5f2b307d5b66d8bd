/**
 * Undertaker: removes rules whose lifetime has passed (unless locked) and the rules of DIDs whose
 * expiry has passed (as Rucio's undertaker does before deleting the DID). Replicas left without locks
 * get tombstones for the reaper. The DID rows themselves are left to the DID module.
 */
import type { CatalogDb } from '../db/connect.js';
import { now } from '../http/dates.js';
import { deleteRule } from '../rules/manage.js';
import { type Daemon, startLoop } from './loop.js';

/** Settings of the undertaker. */
export interface UndertakerOptions {
  intervalMs?: number;
  /** Only step through runOnce (no polling). */
  manual?: boolean;
  batch?: number;
  log?: (rec: Record<string, unknown>) => void;
}

/** Removes expired rules and rules of expired DIDs; resolves to how many rules were removed. */
export async function undertakeOnce(catalog: CatalogDb, o: UndertakerOptions = {}): Promise<number> {
  const db = catalog.db;
  const log = o.log ?? ((rec) => process.stdout.write(`${JSON.stringify(rec)}\n`));
  const t = now();
  const expired = await db
    .selectFrom('rules')
    .select(['id', 'purge_replicas'])
    .where('expires_at', 'is not', null)
    .where('expires_at', '<=', t)
    .where('locked', '=', 0)
    .limit(o.batch ?? 100)
    .execute();
  const ofDeadDids = await db
    .selectFrom('rules as r')
    .innerJoin('dids as d', (j) => j.onRef('d.scope', '=', 'r.scope').onRef('d.name', '=', 'r.name'))
    .select(['r.id', 'd.purge_replicas'])
    .where('d.expired_at', 'is not', null)
    .where('d.expired_at', '<=', t)
    .limit(o.batch ?? 100)
    .execute();
  let n = 0;
  for (const r of [
    ...expired.map((r) => ({ ...r, did: false })),
    ...ofDeadDids.map((r) => ({ ...r, did: true })),
  ]) {
    try {
      await deleteRule(db, r.id, {
        purgeReplicas: r.purge_replicas === 1,
        ignoreLock: r.did,
        maxParams: catalog.maxParams,
      });
      n++;
      log({
        event: 'undertaker',
        rule_id: r.id,
        reason: r.did ? 'did expired' : 'rule expired',
        time: now(),
      });
    } catch (err) {
      // Already removed by someone else: nothing to do.
      if ((err as { name?: string }).name !== 'RuleNotFound') throw err;
    }
  }
  return n;
}

/** Starts the undertaker on a catalog. */
export function undertakerDaemon(catalog: CatalogDb, o: UndertakerOptions = {}): Daemon {
  return startLoop('undertaker', () => undertakeOnce(catalog, o), {
    intervalMs: o.intervalMs ?? 30_000,
    manual: o.manual,
  });
}
