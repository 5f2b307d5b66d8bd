/**
 * Judge (Rucio's judge-injector + judge-evaluator): applies asynchronous rules, and re-applies
 * rules whose dataset got new files (a contents row newer than the rule's last evaluation) or that
 * sit on a container, so attached files follow the rules of their dataset. Each rule is one
 * transaction that only adds what is missing: a judge killed at any point is simply run again.
 */
import { sql } from 'kysely';
import type { CatalogDb } from '../db/connect.js';
import type { RulesTable } from '../db/schema.js';
import { now } from '../http/dates.js';
import { applyRule } from '../rules/apply.js';
import { RULE } from '../rules/codes.js';
import { filesOf } from '../rules/files.js';
import { candidateRses } from '../rules/select.js';
import { type Daemon, startLoop } from './loop.js';

/** Settings of the judge. */
export interface JudgeOptions {
  intervalMs?: number;
  /** Only step through runOnce (no polling). */
  manual?: boolean;
  /** Rules handled per step (default 50). */
  batch?: number;
  log?: (rec: Record<string, unknown>) => void;
}

/** Applies one rule to its DID's current content (new files only); records errors on the rule. */
export async function evaluateRule(catalog: CatalogDb, ruleId: string, inject: boolean): Promise<number> {
  const db = catalog.db;
  try {
    return await db.transaction().execute(async (trx) => {
      // Writing first: SQLite takes the write lock before this transaction reads.
      const t = now();
      const res = await trx
        .updateTable('rules')
        .set({ updated_at: t, ...(inject ? { state: RULE.REPLICATING } : {}) })
        .where('id', '=', ruleId)
        .where('state', inject ? '=' : '!=', inject ? RULE.INJECT : RULE.SUSPENDED)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) return 0;
      const rule = (await trx
        .selectFrom('rules')
        .selectAll()
        .where('id', '=', ruleId)
        .executeTakeFirstOrThrow()) as RulesTable;
      const groups = await filesOf(trx, rule.scope, rule.name);
      // Files attached later go where their dataset's (or, with ALL, the rule's) copies already are.
      const fixed = new Map<string, string[]>();
      if (rule.grouping === 'D') {
        for (const d of await trx
          .selectFrom('dataset_locks')
          .select(['scope', 'name', 'rse_id'])
          .where('rule_id', '=', ruleId)
          .execute()) {
          const k = `${d.scope}\u0000${d.name}`;
          fixed.set(k, [...(fixed.get(k) ?? []), d.rse_id]);
        }
      } else if (rule.grouping === 'A') {
        const rses = await trx
          .selectFrom('locks')
          .select('rse_id')
          .distinct()
          .where('rule_id', '=', ruleId)
          .execute();
        if (rses.length)
          fixed.set(
            '*',
            rses.map((r) => r.rse_id),
          );
      }
      const candidates = await candidateRses(trx, {
        expression: rule.rse_expression,
        account: rule.account,
        copies: Number(rule.copies),
        weight: rule.weight,
        ignoreAvailability: rule.ignore_availability === 1,
        ignoreQuota: rule.ignore_account_limit === 1,
      });
      const r = await applyRule(trx, rule, groups, candidates, catalog.maxParams, fixed);
      return r.locksOk + r.locksReplicating;
    });
  } catch (err) {
    // A rule that cannot be applied (quota, RSEs gone) is STUCK with the reason, as Rucio's judge does.
    await db
      .updateTable('rules')
      .set({
        state: RULE.STUCK,
        error: String((err as Error).message).slice(0, 1000),
        stuck_at: now(),
        updated_at: now(),
      })
      .where('id', '=', ruleId)
      .execute();
    throw err;
  }
}

/** Ids of rules the judge should look at now. */
export async function rulesToEvaluate(
  catalog: CatalogDb,
  batch: number,
): Promise<{ id: string; inject: boolean }[]> {
  const db = catalog.db;
  const inject = await db
    .selectFrom('rules')
    .select('id')
    .where('state', '=', RULE.INJECT)
    .orderBy('created_at')
    .limit(batch)
    .execute();
  const changed = await db
    .selectFrom('rules as r')
    .select('r.id')
    .where('r.state', 'not in', [RULE.INJECT, RULE.SUSPENDED])
    .where((eb) =>
      eb.or([
        eb('r.did_type', '=', 'C'),
        eb.exists(
          eb
            .selectFrom('contents as c')
            .select(sql`1`.as('one'))
            .whereRef('c.scope', '=', 'r.scope')
            .whereRef('c.name', '=', 'r.name')
            .where((e2) => e2('c.created_at', '>', e2.fn.coalesce('r.evaluated_at', 'r.created_at'))),
        ),
      ]),
    )
    .limit(batch)
    .execute();
  return [
    ...inject.map((r) => ({ id: r.id, inject: true })),
    ...changed.map((r) => ({ id: r.id, inject: false })),
  ];
}

/** Starts the judge on a catalog. */
export function judgeDaemon(catalog: CatalogDb, o: JudgeOptions = {}): Daemon {
  const log = o.log ?? ((rec) => process.stdout.write(`${JSON.stringify(rec)}\n`));
  const step = async (): Promise<number> => {
    let work = 0;
    for (const r of await rulesToEvaluate(catalog, o.batch ?? 50)) {
      try {
        const n = await evaluateRule(catalog, r.id, r.inject);
        if (n > 0 || r.inject) {
          work++;
          log({
            event: 'judge',
            rule_id: r.id,
            new_locks: n,
            injected: r.inject,
            time: new Date().toISOString(),
          });
        }
      } catch (err) {
        log({
          event: 'judge',
          rule_id: r.id,
          result: 'STUCK',
          error: (err as Error).message,
          time: new Date().toISOString(),
        });
      }
    }
    return work;
  };
  return startLoop('judge', step, {
    intervalMs: o.intervalMs ?? 5000,
    manual: o.manual,
    onError: (e) => log({ event: 'error', daemon: 'judge', error: String(e) }),
  });
}
