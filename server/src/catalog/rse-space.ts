/**
 * Space of an RSE (Rucio's rse_usage and rse_limits): what information sources report as used and
 * free, the limits the reaper works to (MinFreeSpace), and how much space the reaper must free.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { now, rucioDate } from '../http/dates.js';
import { getRseRecord } from './rses.js';

type Db = Kysely<Database>;

/** The source Oxbow computes itself from the catalog (Rucio's abacus fills it there). */
export const RUCIO_SOURCE = 'rucio';

/** One usage record as Rucio renders it (total = used + free). */
export interface UsageRecord {
  rse_id: string;
  rse: string;
  source: string;
  used: number;
  free: number | null;
  total: number;
  files: number | null;
  updated_at: string | null;
}

/** Usage of the 'rucio' source: bytes and files of the RSE's replicas in the catalog. */
async function catalogUsage(db: Db, rseId: string, rse: string, fallbackDate: string): Promise<UsageRecord> {
  const u = await db
    .selectFrom('replicas')
    .select((eb) => [
      eb.fn.countAll<number>().as('files'),
      eb.fn.sum<number>('bytes').as('bytes'),
      eb.fn.max('updated_at').as('updated_at'),
    ])
    .where('rse_id', '=', rseId)
    .executeTakeFirst();
  const used = Number(u?.bytes ?? 0);
  return {
    rse_id: rseId,
    rse,
    source: RUCIO_SOURCE,
    used,
    free: null,
    total: used,
    files: Number(u?.files ?? 0),
    updated_at: (u?.updated_at as string | null) ?? fallbackDate,
  };
}

/** Every usage record of an RSE by id: the computed 'rucio' source and the reported ones. */
export async function usageOf(db: Db, rseId: string, rse: string, source?: string): Promise<UsageRecord[]> {
  const out: UsageRecord[] = [];
  if (!source || source === RUCIO_SOURCE) out.push(await catalogUsage(db, rseId, rse, now()));
  let q = db.selectFrom('rse_usage').selectAll().where('rse_id', '=', rseId).orderBy('source');
  if (source) q = q.where('source', '=', source);
  for (const r of await q.execute()) {
    if (r.source === RUCIO_SOURCE) continue;
    const used = Number(r.used ?? 0);
    const free = r.free === null ? null : Number(r.free);
    out.push({
      rse_id: rseId,
      rse,
      source: r.source,
      used,
      free,
      total: used + (free ?? 0),
      files: r.files === null ? null : Number(r.files),
      updated_at: r.updated_at,
    });
  }
  return out;
}

/** `GET /rses/{rse}/usage[?source=]`: Rucio's dicts with Rucio dates. */
export async function rseUsage(db: Db, rse: string, source?: string) {
  const row = await getRseRecord(db, rse);
  return (await usageOf(db, row.id, row.rse, source)).map((u) => ({
    ...u,
    updated_at: u.updated_at ? rucioDate(u.updated_at) : null,
  }));
}

/** Records what a source reports for an RSE by id (replacing its previous report). */
export async function setUsageById(
  db: Db,
  rseId: string,
  u: { source: string; used: number; free?: number | null; files?: number | null },
): Promise<void> {
  const row = {
    rse_id: rseId,
    source: u.source,
    used: u.used,
    free: u.free ?? null,
    files: u.files ?? null,
    updated_at: now(),
  };
  await db
    .insertInto('rse_usage')
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(['rse_id', 'source'])
        .doUpdateSet({ used: row.used, free: row.free, files: row.files, updated_at: row.updated_at }),
    )
    .execute();
}

/** `PUT /rses/{rse}/usage` */
export async function setRseUsage(
  db: Db,
  rse: string,
  u: { source: string; used: number; free?: number | null; files?: number | null },
): Promise<void> {
  await setUsageById(db, (await getRseRecord(db, rse)).id, u);
}

/** Limits of an RSE by id, name to value. */
export async function limitsOf(db: Db, rseId: string): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('rse_limits')
    .select(['name', 'value'])
    .where('rse_id', '=', rseId)
    .orderBy('name')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.name, Number(r.value)]));
}

/** `GET /rses/{rse}/limits` */
export async function rseLimits(db: Db, rse: string): Promise<Record<string, number>> {
  return limitsOf(db, (await getRseRecord(db, rse)).id);
}

/** `PUT /rses/{rse}/limits` */
export async function setRseLimit(db: Db, rse: string, name: string, value: number): Promise<void> {
  const { id } = await getRseRecord(db, rse);
  const t = now();
  await db
    .insertInto('rse_limits')
    .values({ rse_id: id, name, value, updated_at: t })
    .onConflict((oc) => oc.columns(['rse_id', 'name']).doUpdateSet({ value, updated_at: t }))
    .execute();
}

/** `DELETE /rses/{rse}/limits` (a limit that is not set is already deleted, as in Rucio). */
export async function deleteRseLimit(db: Db, rse: string, name: string): Promise<void> {
  const { id } = await getRseRecord(db, rse);
  await db.deleteFrom('rse_limits').where('rse_id', '=', id).where('name', '=', name).execute();
}

/** What the reaper may delete on an RSE in one pass. */
export interface DeletionNeed {
  /** Bytes to free; Infinity in greedy mode; 0 when only OBSOLETE replicas may go. */
  bytes: number;
  /** Why, for the log: greedy, below MinFreeSpace, or only obsolete replicas. */
  reason: 'greedy' | 'min_free_space' | 'obsolete_only';
  free?: number;
  minFreeSpace?: number;
  /** Source the used space was read from (the reaper credits freed bytes to a reported one). */
  usedSource?: string;
  /** Set when the configured usage source has no record (then only obsolete replicas go). */
  missingSource?: string;
}

/**
 * Rucio's reaper decision for one RSE: greedy deletes every expired replica; otherwise the RSE's
 * free space (total from `source_for_total_space`, used from `source_for_used_space`, both
 * default 'storage') is compared with its MinFreeSpace limit and only the shortfall is freed.
 */
export function deletionNeed(
  greedy: boolean,
  usage: UsageRecord[],
  limits: Record<string, number>,
  attrs: Record<string, unknown>,
): DeletionNeed {
  if (greedy) return { bytes: Number.POSITIVE_INFINITY, reason: 'greedy' };
  const totalSource = String(attrs.source_for_total_space ?? 'storage');
  const usedSource = String(attrs.source_for_used_space ?? 'storage');
  const total = usage.find((u) => u.source === totalSource);
  if (!total) return { bytes: 0, reason: 'obsolete_only', missingSource: totalSource };
  const used = usage.find((u) => u.source === usedSource);
  if (!used) return { bytes: 0, reason: 'obsolete_only', missingSource: usedSource };
  const free = total.total - used.used;
  const minFreeSpace = limits.MinFreeSpace ?? 0;
  const needed = minFreeSpace ? minFreeSpace - free : 0;
  return needed > 0
    ? { bytes: needed, reason: 'min_free_space', free, minFreeSpace, usedSource }
    : { bytes: 0, reason: 'obsolete_only', free, minFreeSpace, usedSource };
}
