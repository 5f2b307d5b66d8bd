/** Account usage per RSE (from AVAILABLE replicas of the account's files) and local account limits. */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { rseNotFound } from '../errors.js';
import { getAccount } from './accounts.js';

type Db = Kysely<Database>;

async function rseId(db: Db, rse: string): Promise<string> {
  const row = await db
    .selectFrom('rses')
    .select('id')
    .where('rse', '=', rse)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  if (!row) throw rseNotFound(`RSE '${rse}' cannot be found`);
  return row.id;
}

/**
 * Usage of an account per RSE. Until replication rules exist, usage is counted from the AVAILABLE
 * replicas of files the account owns (Rucio counts rule locks; the figures agree for single-copy data).
 */
export async function accountUsage(db: Db, account: string, rse?: string) {
  await getAccount(db, account);
  let q = db
    .selectFrom('replicas')
    .innerJoin('dids', (j) =>
      j.onRef('dids.scope', '=', 'replicas.scope').onRef('dids.name', '=', 'replicas.name'),
    )
    .innerJoin('rses', 'rses.id', 'replicas.rse_id')
    .select((eb) => [
      'replicas.rse_id',
      'rses.rse',
      eb.fn.countAll<number>().as('files'),
      eb.fn.sum<number>('replicas.bytes').as('bytes'),
    ])
    .where('dids.account', '=', account)
    .where('replicas.state', '=', 'A')
    .groupBy(['replicas.rse_id', 'rses.rse']);
  if (rse) q = q.where('replicas.rse_id', '=', await rseId(db, rse));
  const rows = await q.execute();
  const limits = await db
    .selectFrom('account_limits')
    .select(['rse_id', 'bytes'])
    .where('account', '=', account)
    .execute();
  const limitOf = new Map(limits.map((l) => [l.rse_id, Number(l.bytes)]));
  return rows.map((r) => {
    const limit = limitOf.get(r.rse_id) ?? null;
    const bytes = Number(r.bytes ?? 0);
    return {
      rse_id: r.rse_id,
      rse: r.rse,
      files: Number(r.files),
      bytes,
      bytes_limit: limit,
      bytes_remaining: limit === null ? null : limit - bytes,
    };
  });
}

/** Local limits of an account as `{rse: bytes}`. */
export async function accountLimits(
  db: Db,
  account: string,
  rse?: string,
): Promise<Record<string, number | null>> {
  await getAccount(db, account);
  let q = db
    .selectFrom('account_limits')
    .innerJoin('rses', 'rses.id', 'account_limits.rse_id')
    .select(['rses.rse', 'account_limits.bytes'])
    .where('account', '=', account);
  if (rse) {
    await rseId(db, rse);
    q = q.where('rses.rse', '=', rse);
  }
  const out: Record<string, number | null> = {};
  for (const r of await q.execute()) out[r.rse] = Number(r.bytes);
  if (rse && !(rse in out)) out[rse] = null;
  return out;
}

/** Sets a local account limit in bytes (-1 means unlimited, as Rucio's `infinity`). */
export async function setAccountLimit(db: Db, account: string, rse: string, bytes: number): Promise<void> {
  await getAccount(db, account);
  const id = await rseId(db, rse);
  await db
    .insertInto('account_limits')
    .values({ account, rse_id: id, bytes })
    .onConflict((oc) => oc.columns(['account', 'rse_id']).doUpdateSet({ bytes }))
    .execute();
}

/** Removes a local account limit. */
export async function deleteAccountLimit(db: Db, account: string, rse: string): Promise<void> {
  await getAccount(db, account);
  const id = await rseId(db, rse);
  await db.deleteFrom('account_limits').where('account', '=', account).where('rse_id', '=', id).execute();
}
