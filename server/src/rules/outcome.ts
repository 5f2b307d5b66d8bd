/**
 * What a finished or failed transfer does to the catalog, each in one transaction guarded by state
 * transitions so that running it twice (a daemon killed after committing, then resumed) changes nothing.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, RequestsTable } from '../db/schema.js';

/** A transfer request row as read. */
export type RequestRow = Selectable<RequestsTable>;

import { now } from '../http/dates.js';
import { settleRuleState } from './apply.js';
import { LOCK, REPLICA, REQ } from './codes.js';

type Db = Kysely<Database>;

/** Details of a transfer attempt for the history table. */
export interface AttemptInfo {
  sourceRseId: string | null;
  seconds: number;
  method: string;
}

/** Moves the locks of one replica from REPLICATING/STUCK to OK and settles their rules. */
async function locksDone(trx: Transaction<Database>, r: RequestRow): Promise<void> {
  const t = now();
  const locks = await trx
    .selectFrom('locks')
    .select(['rule_id', 'state'])
    .where('scope', '=', r.scope)
    .where('name', '=', r.name)
    .where('rse_id', '=', r.dest_rse_id)
    .where('state', 'in', [LOCK.REPLICATING, LOCK.STUCK])
    .execute();
  if (locks.length === 0) return;
  await trx
    .updateTable('locks')
    .set({ state: LOCK.OK, updated_at: t })
    .where('scope', '=', r.scope)
    .where('name', '=', r.name)
    .where('rse_id', '=', r.dest_rse_id)
    .where('state', 'in', [LOCK.REPLICATING, LOCK.STUCK])
    .execute();
  for (const l of locks) {
    const rep = l.state === LOCK.REPLICATING ? 1 : 0;
    await trx
      .updateTable('rules')
      .set((eb) => ({
        locks_ok_cnt: eb('locks_ok_cnt', '+', 1),
        locks_replicating_cnt: eb('locks_replicating_cnt', '-', rep),
        locks_stuck_cnt: eb('locks_stuck_cnt', '-', 1 - rep),
        updated_at: t,
      }))
      .where('id', '=', l.rule_id)
      .execute();
    await settleRuleState(trx, l.rule_id);
  }
}

/**
 * Records a verified copy: the replica becomes AVAILABLE (it was COPYING), its locks OK, the rules
 * settle, the request moves to history. Returns false when the replica row is gone (the rule was
 * removed meanwhile): the caller then deletes the bytes it wrote.
 */
export async function transferDone(db: Db, r: RequestRow, a: AttemptInfo): Promise<boolean> {
  const t = now();
  return db.transaction().execute(async (trx) => {
    // First statement writes, so SQLite takes its write lock before reading anything.
    await trx
      .updateTable('replicas')
      .set({ state: REPLICA.AVAILABLE, updated_at: t })
      .where('rse_id', '=', r.dest_rse_id)
      .where('scope', '=', r.scope)
      .where('name', '=', r.name)
      .where('state', '!=', REPLICA.AVAILABLE)
      .execute();
    const rep = await trx
      .selectFrom('replicas')
      .select('state')
      .where('rse_id', '=', r.dest_rse_id)
      .where('scope', '=', r.scope)
      .where('name', '=', r.name)
      .executeTakeFirst();
    await locksDone(trx, r);
    const gone = await trx.deleteFrom('requests').where('id', '=', r.id).executeTakeFirst();
    if (Number(gone.numDeletedRows) > 0)
      await trx
        .insertInto('requests_history')
        .values({
          id: r.id,
          scope: r.scope,
          name: r.name,
          rule_id: r.rule_id,
          source_rse_id: a.sourceRseId,
          dest_rse_id: r.dest_rse_id,
          state: REQ.DONE,
          bytes: r.bytes,
          seconds: a.seconds,
          attempts: Number(r.attempts) + 1,
          method: a.method,
          err_msg: null,
          created_at: t,
        })
        .execute();
    return rep !== undefined;
  });
}

/** Exponential backoff before attempt `n` (1-based), capped. */
export function backoffMs(attempt: number, baseMs: number, maxMs = 600_000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Records a failed attempt: queued again after a backoff when the error is retryable and attempts
 * remain; otherwise the request FAILED, the replica's locks STUCK and their rules STUCK with the reason.
 */
export async function transferFailed(
  db: Db,
  r: RequestRow,
  a: AttemptInfo & { error: string; retryable: boolean; backoffBaseMs: number },
): Promise<'retry' | 'failed'> {
  const t = now();
  const attempts = Number(r.attempts) + 1;
  const final = !a.retryable || attempts >= Number(r.max_attempts);
  await db.transaction().execute(async (trx) => {
    const upd = await trx
      .updateTable('requests')
      .set({
        state: final ? REQ.FAILED : REQ.QUEUED,
        attempts,
        err_msg: a.error,
        source_rse_id: a.sourceRseId,
        next_attempt_at: new Date(Date.now() + backoffMs(attempts, a.backoffBaseMs)).toISOString(),
        claimed_by: null,
        claimed_until: null,
        updated_at: t,
      })
      .where('id', '=', r.id)
      .where('state', '=', REQ.SUBMITTED)
      .executeTakeFirst();
    if (Number(upd.numUpdatedRows) === 0) return;
    await trx
      .insertInto('requests_history')
      .values({
        id: r.id,
        scope: r.scope,
        name: r.name,
        rule_id: r.rule_id,
        source_rse_id: a.sourceRseId,
        dest_rse_id: r.dest_rse_id,
        state: final ? REQ.FAILED : 'R',
        bytes: r.bytes,
        seconds: a.seconds,
        attempts,
        method: a.method,
        err_msg: a.error,
        created_at: t,
      })
      .execute();
    if (!final) return;
    const locks = await trx
      .selectFrom('locks')
      .select('rule_id')
      .where('scope', '=', r.scope)
      .where('name', '=', r.name)
      .where('rse_id', '=', r.dest_rse_id)
      .where('state', '=', LOCK.REPLICATING)
      .execute();
    await trx
      .updateTable('locks')
      .set({ state: LOCK.STUCK, updated_at: t })
      .where('scope', '=', r.scope)
      .where('name', '=', r.name)
      .where('rse_id', '=', r.dest_rse_id)
      .where('state', '=', LOCK.REPLICATING)
      .execute();
    const rse = await trx.selectFrom('rses').select('rse').where('id', '=', r.dest_rse_id).executeTakeFirst();
    for (const l of locks) {
      await trx
        .updateTable('rules')
        .set((eb) => ({
          locks_replicating_cnt: eb('locks_replicating_cnt', '-', 1),
          locks_stuck_cnt: eb('locks_stuck_cnt', '+', 1),
          error: `${r.scope}:${r.name} to ${rse?.rse ?? r.dest_rse_id}: ${a.error}`.slice(0, 1000),
          updated_at: t,
        }))
        .where('id', '=', l.rule_id)
        .execute();
      await settleRuleState(trx, l.rule_id);
    }
  });
  return final ? 'failed' : 'retry';
}
