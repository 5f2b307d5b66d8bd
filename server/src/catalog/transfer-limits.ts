/**
 * Transfer limits (Rucio's `/requests/transfer_limits`): at most `max_transfers` transfers active at
 * once into the RSEs of an expression, for one activity or all. Oxbow's transfer daemons enforce
 * DESTINATION limits when they claim requests; the other fields are kept as Rucio keeps them.
 */
import type { DeleteTransferLimitBody, SetTransferLimitBody, TransferLimit } from '@oxbow/common';
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Database, TransferLimitsTable } from '../db/schema.js';
import { invalidRseExpression, RucioError } from '../errors.js';
import { now, rucioDate } from '../http/dates.js';
import { newId } from '../rules/ids.js';
import { loadRseSnapshots, selectByExpression } from './rses.js';

type Db = Kysely<Database>;

/** Rucio's activity of a limit that applies to every activity. */
export const ALL_ACTIVITIES = 'all_activities';

/** Rucio's dict of a limit (RFC 1123 dates). */
function render(r: Selectable<TransferLimitsTable>): TransferLimit {
  return {
    id: r.id,
    rse_expression: r.rse_expression,
    activity: r.activity,
    direction: r.direction,
    max_transfers: Number(r.max_transfers),
    volume: Number(r.volume),
    deadline: Number(r.deadline),
    strategy: r.strategy,
    transfers: r.transfers === null ? null : Number(r.transfers),
    waitings: r.waitings === null ? null : Number(r.waitings),
    created_at: rucioDate(r.created_at) ?? r.created_at,
    updated_at: rucioDate(r.updated_at) ?? r.updated_at,
  };
}

/** `GET /requests/transfer_limits` */
export async function listTransferLimits(db: Db): Promise<TransferLimit[]> {
  const rows = await db
    .selectFrom('transfer_limits')
    .selectAll()
    .orderBy('rse_expression')
    .orderBy('activity')
    .execute();
  return rows.map(render);
}

/**
 * `PUT /requests/transfer_limits`: creates the limit or changes the fields given (Rucio's
 * set_transfer_limit). The expression is checked here so a typo is a 400, not a silent no-op.
 */
export async function setTransferLimit(db: Db, b: SetTransferLimitBody): Promise<string> {
  try {
    selectByExpression(b.rse_expression, await loadRseSnapshots(db));
  } catch (err) {
    // Rucio's message does not name the expression; a person setting a limit needs to see which one.
    if (err instanceof RucioError)
      throw invalidRseExpression(`rse_expression '${b.rse_expression}': ${err.message}`);
    throw err;
  }
  const activity = b.activity ?? ALL_ACTIVITIES;
  const direction = b.direction ?? 'DESTINATION';
  const t = now();
  const existing = await db
    .selectFrom('transfer_limits')
    .selectAll()
    .where('rse_expression', '=', b.rse_expression)
    .where('activity', '=', activity)
    .where('direction', '=', direction)
    .executeTakeFirst();
  if (!existing) {
    const id = newId();
    await db
      .insertInto('transfer_limits')
      .values({
        id,
        rse_expression: b.rse_expression,
        activity,
        direction,
        max_transfers: b.max_transfers ?? 0,
        volume: b.volume ?? 0,
        deadline: b.deadline ?? 1,
        strategy: b.strategy ?? 'fifo',
        transfers: b.transfers ?? null,
        waitings: b.waitings ?? null,
        created_at: t,
        updated_at: t,
      })
      .execute();
    return id;
  }
  const change: Updateable<TransferLimitsTable> = {};
  if (b.max_transfers != null) change.max_transfers = b.max_transfers;
  if (b.volume != null) change.volume = b.volume;
  if (b.deadline != null) change.deadline = b.deadline;
  if (b.strategy != null) change.strategy = b.strategy;
  if (b.transfers != null) change.transfers = b.transfers;
  if (b.waitings != null) change.waitings = b.waitings;
  if (Object.keys(change).length)
    await db
      .updateTable('transfer_limits')
      .set({ ...change, updated_at: t })
      .where('id', '=', existing.id)
      .execute();
  return existing.id;
}

/** `DELETE /requests/transfer_limits` (deleting a limit that does not exist is not an error, as in Rucio). */
export async function deleteTransferLimit(db: Db, b: DeleteTransferLimitBody): Promise<void> {
  await db
    .deleteFrom('transfer_limits')
    .where('rse_expression', '=', b.rse_expression)
    .where('activity', '=', b.activity ?? ALL_ACTIVITIES)
    .where('direction', '=', b.direction ?? 'DESTINATION')
    .execute();
}

/** A destination limit resolved to RSE ids. */
export interface ActiveLimit {
  id: string;
  rseIds: Set<string>;
  activity: string;
  max: number;
}

/** DESTINATION limits with their RSE ids now (an expression that no longer matches anything is skipped). */
export async function destinationLimits(db: Db): Promise<ActiveLimit[]> {
  const rows = await db
    .selectFrom('transfer_limits')
    .selectAll()
    .where('direction', '=', 'DESTINATION')
    .execute();
  if (!rows.length) return [];
  const all = await loadRseSnapshots(db);
  const out: ActiveLimit[] = [];
  for (const r of rows) {
    let ids: Set<string>;
    try {
      ids = new Set(selectByExpression(r.rse_expression, all).map((x) => x.id));
    } catch {
      continue;
    }
    out.push({ id: r.id, rseIds: ids, activity: r.activity, max: Number(r.max_transfers) });
  }
  return out;
}

/** Whether a limit counts a transfer into `rseId` for `activity`. */
export const limitApplies = (l: ActiveLimit, rseId: string, activity: string | null): boolean =>
  l.rseIds.has(rseId) && (l.activity === ALL_ACTIVITIES || l.activity === activity);

/**
 * Admits candidates (in priority order) while every limit that applies to them stays under its
 * maximum, counting what is active already; at most `n`.
 */
export function admit<T extends { dest_rse_id: string; activity: string | null }>(
  candidates: readonly T[],
  active: readonly { dest_rse_id: string; activity: string | null; n: number }[],
  limits: readonly ActiveLimit[],
  n: number,
): T[] {
  const used = new Map<string, number>();
  for (const a of active)
    for (const l of limits)
      if (limitApplies(l, a.dest_rse_id, a.activity)) used.set(l.id, (used.get(l.id) ?? 0) + a.n);
  const out: T[] = [];
  for (const c of candidates) {
    if (out.length >= n) break;
    const ls = limits.filter((l) => limitApplies(l, c.dest_rse_id, c.activity));
    if (ls.some((l) => (used.get(l.id) ?? 0) >= l.max)) continue;
    for (const l of ls) used.set(l.id, (used.get(l.id) ?? 0) + 1);
    out.push(c);
  }
  return out;
}
