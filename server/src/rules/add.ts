/** Creating replication rules (Rucio's add_rule): validation, duplicate check, RSE selection, locks. */
import type { AddRulesBody } from '@oxbow/common';
import { RULE_GROUPINGS, RULE_NOTIFICATIONS } from '@oxbow/common/rucio/index';
import type { Kysely } from 'kysely';
import { getAccount } from '../catalog/accounts.js';
import type { Database, RulesTable } from '../db/schema.js';
import { now } from '../http/dates.js';
import { applyRule } from './apply.js';
import { RULE } from './codes.js';
import { duplicateRule, invalidReplicationRule, ruleInvalidObject } from './errors.js';
import { didTypeOf, filesOf } from './files.js';
import { newId } from './ids.js';
import { candidateRses } from './select.js';

type Db = Kysely<Database>;

/** Options the REST layer resolves from the caller. */
export interface AddRuleContext {
  /** Account the rules are for (the caller's unless an admin names another). */
  account: string;
  maxParams: number;
}

/** Grouping code of a grouping name (default DATASET, as Rucio). */
function groupingCode(g: string | null | undefined): string {
  const name = (g ?? 'DATASET').toUpperCase();
  const code = (RULE_GROUPINGS as Record<string, string>)[name];
  if (!code) throw invalidReplicationRule(`Grouping '${g}' is not valid: use ALL, DATASET or NONE.`);
  return code;
}

function notifyCode(n: string | null | undefined): string {
  const name = (n ?? 'NO').toUpperCase();
  const code = (RULE_NOTIFICATIONS as Record<string, string>)[name];
  if (!code) throw invalidReplicationRule(`notify '${n}' is not valid: use YES, NO, CLOSE or PROGRESS.`);
  return code;
}

/**
 * Adds one rule per DID of the body and returns their ids. Synchronous rules get their locks,
 * COPYING replicas and transfer requests in the same transaction; asynchronous ones are left in
 * INJECT for the judge. The whole request is one transaction: a failure adds nothing.
 */
export async function addRules(db: Db, body: AddRulesBody, c: AddRuleContext): Promise<string[]> {
  await getAccount(db, c.account);
  const grouping = groupingCode(body.grouping);
  const notification = notifyCode(body.notify);
  if (body.lifetime !== undefined && body.lifetime !== null && body.lifetime <= 0)
    throw ruleInvalidObject(`lifetime must be a positive number of seconds, got ${body.lifetime}.`);
  const priority = body.priority ?? 3;
  if (priority < 1 || priority > 5)
    throw ruleInvalidObject(`priority must be between 1 and 5, got ${priority}.`);
  const meta =
    body.meta === undefined || body.meta === null
      ? null
      : typeof body.meta === 'string'
        ? body.meta
        : JSON.stringify(body.meta);
  // Checked before the transaction so that errors name the problem without touching the catalog.
  const types: string[] = [];
  for (const d of body.dids) types.push(await didTypeOf(db, d.scope, d.name));
  const candidates = await candidateRses(db, {
    expression: body.rse_expression,
    account: c.account,
    copies: body.copies,
    weight: body.weight,
    ignoreAvailability: body.ignore_availability === true,
    ignoreQuota: false,
  });
  const t = now();
  const expires = body.lifetime ? new Date(Date.now() + body.lifetime * 1000).toISOString() : null;
  return db.transaction().execute(async (trx) => {
    const ids: string[] = [];
    for (const [i, d] of body.dids.entries()) {
      const rule: RulesTable = {
        id: newId(),
        subscription_id: body.subscription_id ?? null,
        account: c.account,
        scope: d.scope,
        name: d.name,
        did_type: types[i]!,
        state: body.asynchronous ? RULE.INJECT : RULE.REPLICATING,
        error: null,
        rse_expression: body.rse_expression,
        copies: body.copies,
        expires_at: expires,
        weight: body.weight ?? null,
        locked: body.locked ? 1 : 0,
        locks_ok_cnt: 0,
        locks_replicating_cnt: 0,
        locks_stuck_cnt: 0,
        source_replica_expression: body.source_replica_expression ?? null,
        activity: body.activity ?? 'User Subscriptions',
        grouping,
        notification,
        stuck_at: null,
        purge_replicas: body.purge_replicas ? 1 : 0,
        ignore_availability: body.ignore_availability ? 1 : 0,
        ignore_account_limit: 0,
        priority,
        comments: body.comment ?? null,
        child_rule_id: null,
        eol_at: null,
        split_container: body.split_container ? 1 : 0,
        meta,
        rse_ids: JSON.stringify(candidates.map((x) => x.id)),
        evaluated_at: null,
        created_at: t,
        updated_at: t,
      };
      // The insert comes first so that SQLite takes the write lock before any read of the transaction.
      await trx.insertInto('rules').values(rule).execute();
      const dup = await trx
        .selectFrom('rules')
        .select('id')
        .where('scope', '=', d.scope)
        .where('name', '=', d.name)
        .where('account', '=', c.account)
        .where('rse_expression', '=', body.rse_expression)
        .where('id', '!=', rule.id)
        .executeTakeFirst();
      if (dup)
        throw duplicateRule(
          `A duplicate rule for this account, did, rse_expression, copies already exists: rule ${dup.id} on ${d.scope}:${d.name} for ${c.account} to '${body.rse_expression}'.`,
        );
      if (!body.asynchronous) {
        const groups = await filesOf(trx, d.scope, d.name);
        await applyRule(trx, rule, groups, candidates, c.maxParams);
      }
      ids.push(rule.id);
    }
    return ids;
  });
}
