/**
 * Target RSE selection (Rucio's RSESelector): the expression's RSEs, minus those without write
 * availability (unless ignored) or without quota left for the account, chosen per group preferring
 * RSEs that already hold the group's data, then at random in proportion to the `weight` attribute.
 */
import type { Kysely } from 'kysely';
import { loadRseSnapshots, type RseSnapshot, selectByExpression } from '../catalog/rses.js';
import type { Database } from '../db/schema.js';
import { insufficientAccountLimit, insufficientTargetRses, invalidRuleWeight } from './errors.js';

type Db = Kysely<Database>;

/** A candidate RSE with the quota the rule's account has left there (Infinity when unlimited). */
export interface Candidate {
  id: string;
  rse: string;
  weight: number;
  quotaLeft: number;
}

/** True for root and accounts with the `admin` attribute: Rucio lets them ignore quotas. */
export async function accountIgnoresQuota(db: Db, account: string): Promise<boolean> {
  if (account === 'root') return true;
  const a = await db
    .selectFrom('account_attrs')
    .select('value')
    .where('account', '=', account)
    .where('key', '=', 'admin')
    .executeTakeFirst();
  return !!a && ['true', '1', 'True'].includes(a.value);
}

/** Bytes locked by `account` per RSE id (Rucio counts an account's usage from its locks). */
export async function lockedBytes(db: Db, account: string, rseIds: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (rseIds.length === 0) return out;
  const rows = await db
    .selectFrom('locks')
    .select((eb) => ['rse_id', eb.fn.sum<number>('bytes').as('bytes')])
    .where('account', '=', account)
    .where('rse_id', 'in', rseIds)
    .groupBy('rse_id')
    .execute();
  for (const r of rows) out.set(r.rse_id, Number(r.bytes ?? 0));
  return out;
}

/** Options of candidateRses. */
export interface CandidateOptions {
  expression: string;
  account: string;
  copies: number;
  weight?: string | null;
  ignoreAvailability: boolean;
  ignoreQuota: boolean;
}

/** RSEs the rule may use, with weight and quota left; InsufficientTargetRSEs/InsufficientAccountLimit when too few. */
export async function candidateRses(db: Db, o: CandidateOptions): Promise<Candidate[]> {
  const all = await loadRseSnapshots(db);
  let rses: RseSnapshot[] = selectByExpression(o.expression, all);
  if (!o.ignoreAvailability) rses = rses.filter((r) => r.record.availability_write === 1);
  if (rses.length < o.copies)
    throw insufficientTargetRses(
      `Target RSE set not sufficient for number of copies: ${o.copies} copies asked, '${o.expression}' gives ${rses.length} RSE(s) available for writing${rses.length ? ` (${rses.map((r) => r.rse).join(', ')})` : ''}.`,
    );
  if (o.weight) {
    const missing = rses.filter((r) => pythonNumber(r.attributes[o.weight!]) === undefined);
    if (missing.length === rses.length)
      throw invalidRuleWeight(
        `The weight '${o.weight}' is not a numeric attribute of any RSE of '${o.expression}'.`,
      );
  }
  const ignoreQuota = o.ignoreQuota || (await accountIgnoresQuota(db, o.account));
  const ids = rses.map((r) => r.id);
  const limits = new Map<string, number>();
  if (!ignoreQuota) {
    const rows = await db
      .selectFrom('account_limits')
      .select(['rse_id', 'bytes'])
      .where('account', '=', o.account)
      .where('rse_id', 'in', ids)
      .execute();
    for (const r of rows) limits.set(r.rse_id, Number(r.bytes));
  }
  const used = ignoreQuota ? new Map<string, number>() : await lockedBytes(db, o.account, ids);
  return rses.map((r) => {
    let quotaLeft = Number.POSITIVE_INFINITY;
    if (!ignoreQuota) {
      const limit = limits.get(r.id);
      // As Rucio: no limit means no quota; -1 is Oxbow's (and the API's) "unlimited".
      if (limit === undefined) quotaLeft = 0;
      else if (limit >= 0) quotaLeft = limit - (used.get(r.id) ?? 0);
    }
    const w = o.weight ? (pythonNumber(r.attributes[o.weight]) ?? 0) : 1;
    return { id: r.id, rse: r.rse, weight: w, quotaLeft };
  });
}

function pythonNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/**
 * Picks `copies` RSEs for a group of `bytes`: RSEs already holding more of the group's bytes first,
 * then weighted random among the rest. Only RSEs with quota for the new bytes qualify.
 */
export function chooseRses(
  candidates: readonly Candidate[],
  copies: number,
  bytes: number,
  existing: ReadonlyMap<string, number>,
  account: string,
  random: () => number = Math.random,
): string[] {
  // Every lock is charged to the account, also on replicas that already exist (as Rucio's counters).
  const fits = candidates.filter((c) => c.quotaLeft >= bytes && c.weight > 0);
  if (fits.length < copies) {
    const detail = candidates
      .map(
        (c) =>
          `${c.rse}: ${c.quotaLeft === Number.POSITIVE_INFINITY ? 'unlimited' : `${Math.max(0, c.quotaLeft)} bytes left`}`,
      )
      .join(', ');
    if (candidates.filter((c) => c.weight > 0).length >= copies)
      throw insufficientAccountLimit(
        `There is insufficient quota on any of the target RSE's to fulfill the operation: account ${account} needs ${bytes} bytes on ${copies} RSE(s) (${detail}); ask an admin for a limit (oxbow account set-limit).`,
      );
    throw insufficientTargetRses(
      `Target RSE set not sufficient for number of copies (${copies}) with a positive weight.`,
    );
  }
  const preferred = fits
    .filter((c) => (existing.get(c.id) ?? 0) > 0)
    .sort((a, b) => existing.get(b.id)! - existing.get(a.id)!);
  const chosen = preferred.slice(0, copies).map((c) => c.id);
  const pool = fits.filter((c) => !chosen.includes(c.id));
  while (chosen.length < copies) {
    const total = pool.reduce((s, c) => s + c.weight, 0);
    let x = random() * total;
    let i = 0;
    for (; i < pool.length - 1; i++) {
      x -= pool[i]!.weight;
      if (x < 0) break;
    }
    chosen.push(pool[i]!.id);
    pool.splice(i, 1);
  }
  return chosen;
}
