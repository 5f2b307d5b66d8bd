/**
 * Applying a rule to files (Rucio's __create_locks_replicas_transfers): one replica lock per
 * (rule, file, RSE); a COPYING replica and a queued transfer request where the RSE has no AVAILABLE
 * replica yet; lock counts on replicas; dataset locks; the rule's counters and state. Runs inside the
 * caller's transaction and skips files the rule already locks, so re-running it is harmless.
 */
import type { Insertable, Kysely, Transaction } from 'kysely';
import { deterministicRsePath } from '../catalog/rse-pfns.js';
import { attributesOf } from '../catalog/rses.js';
import type { Database, LocksTable, ReplicasTable, RequestsTable, RulesTable } from '../db/schema.js';
import { now } from '../http/dates.js';
import { LOCK, REPLICA, REQ, RULE } from './codes.js';
import type { FileGroup, RuleFile } from './files.js';
import { newId } from './ids.js';
import type { Candidate } from './select.js';
import { chooseRses } from './select.js';

type Db = Kysely<Database> | Transaction<Database>;

const key = (scope: string, name: string) => `${scope}\u0000${name}`;

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

function byScope<T extends { scope: string }>(items: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    let l = m.get(it.scope);
    if (!l) m.set(it.scope, (l = []));
    l.push(it);
  }
  return m;
}

/** Replica states of `files` on `rseIds`: file key → (rse id → state). */
export async function replicaStates(
  db: Db,
  files: readonly RuleFile[],
  rseIds: readonly string[],
  maxParams: number,
): Promise<Map<string, Map<string, string>>> {
  const out = new Map<string, Map<string, string>>();
  if (rseIds.length === 0) return out;
  for (const [scope, list] of byScope(files)) {
    for (const part of chunks(list, maxParams - 20 - rseIds.length)) {
      const rows = await db
        .selectFrom('replicas')
        .select(['name', 'rse_id', 'state'])
        .where('scope', '=', scope)
        .where(
          'name',
          'in',
          part.map((f) => f.name),
        )
        .where('rse_id', 'in', [...rseIds])
        .execute();
      for (const r of rows) {
        const k = key(scope, r.name);
        let m = out.get(k);
        if (!m) out.set(k, (m = new Map()));
        m.set(r.rse_id, r.state);
      }
    }
  }
  return out;
}

/** Files of `files` the rule already holds locks for (file key set). */
async function lockedByRule(db: Db, ruleId: string, files: readonly RuleFile[], maxParams: number) {
  const out = new Set<string>();
  for (const [scope, list] of byScope(files)) {
    for (const part of chunks(list, maxParams - 20)) {
      const rows = await db
        .selectFrom('locks')
        .select('name')
        .where('rule_id', '=', ruleId)
        .where('scope', '=', scope)
        .where(
          'name',
          'in',
          part.map((f) => f.name),
        )
        .execute();
      for (const r of rows) out.add(key(scope, r.name));
    }
  }
  return out;
}

/** What applying created. */
export interface ApplyResult {
  locksOk: number;
  locksReplicating: number;
  requests: number;
}

/**
 * Chooses RSEs per grouping and creates the locks, replicas and requests for the files of `groups`
 * the rule does not lock yet. `fixed` gives RSEs already used by the rule per dataset key (or '*' for
 * ALL grouping) so that files attached later follow their dataset's copies.
 */
export async function applyRule(
  trx: Db,
  rule: RulesTable,
  groups: readonly FileGroup[],
  candidates: readonly Candidate[],
  maxParams: number,
  fixed: ReadonlyMap<string, string[]> = new Map(),
): Promise<ApplyResult> {
  const t = now();
  const all = groups.flatMap((g) => g.files);
  const already = await lockedByRule(trx, rule.id, all, maxParams);
  const pending = groups
    .map((g) => ({ ...g, files: g.files.filter((f) => !already.has(key(f.scope, f.name))) }))
    .filter((g) => g.files.length > 0);
  const result: ApplyResult = { locksOk: 0, locksReplicating: 0, requests: 0 };
  if (pending.length === 0) {
    await trx.updateTable('rules').set({ evaluated_at: t }).where('id', '=', rule.id).execute();
    return result;
  }
  const candidateIds = candidates.map((c) => c.id);
  const states = await replicaStates(
    trx,
    pending.flatMap((g) => g.files),
    candidateIds,
    maxParams,
  );
  // Units that share their RSEs: everything (ALL), each dataset (DATASET), each file (NONE).
  const units: { dsKey: string; dataset: FileGroup['dataset']; files: RuleFile[] }[] = [];
  if (rule.grouping === 'A')
    units.push({ dsKey: '*', dataset: null, files: pending.flatMap((g) => g.files) });
  else if (rule.grouping === 'D')
    for (const g of pending)
      units.push({
        dsKey: g.dataset ? key(g.dataset.scope, g.dataset.name) : '*',
        dataset: g.dataset,
        files: g.files,
      });
  else
    for (const g of pending)
      for (const f of g.files) units.push({ dsKey: '', dataset: g.dataset, files: [f] });

  const perRse = new Map<
    string,
    {
      files: RuleFile[];
      datasets: Map<string, { scope: string; name: string; bytes: number; length: number }>;
    }
  >();
  const seen = new Set<string>();
  for (const u of units) {
    let targets = u.dsKey ? fixed.get(u.dsKey) : undefined;
    if (!targets) {
      const bytes = u.files.reduce((s, f) => s + f.bytes, 0);
      const existing = new Map<string, number>();
      for (const f of u.files)
        for (const [rse, st] of states.get(key(f.scope, f.name)) ?? [])
          if (st === REPLICA.AVAILABLE || st === REPLICA.COPYING)
            existing.set(rse, (existing.get(rse) ?? 0) + f.bytes);
      targets = chooseRses(candidates, Number(rule.copies), bytes, existing, rule.account);
    }
    for (const rse of targets) {
      let slot = perRse.get(rse);
      if (!slot) perRse.set(rse, (slot = { files: [], datasets: new Map() }));
      for (const f of u.files) {
        const k = `${rse}\u0000${key(f.scope, f.name)}`;
        if (seen.has(k)) continue;
        seen.add(k);
        slot.files.push(f);
      }
      if (u.dataset) {
        const dk = key(u.dataset.scope, u.dataset.name);
        const d = slot.datasets.get(dk) ?? { ...u.dataset, bytes: 0, length: 0 };
        d.bytes += u.files.reduce((s, f) => s + f.bytes, 0);
        d.length += u.files.length;
        slot.datasets.set(dk, d);
      }
    }
  }

  for (const [rseId, slot] of perRse) {
    const algo = (await attributesOf(trx, rseId)).lfn2pfn_algorithm;
    const locks: Insertable<LocksTable>[] = [];
    const fresh: Insertable<ReplicasTable>[] = [];
    const bump: RuleFile[] = [];
    const revive: RuleFile[] = [];
    const requests: Insertable<RequestsTable>[] = [];
    for (const f of slot.files) {
      const st = states.get(key(f.scope, f.name))?.get(rseId);
      const ok = st === REPLICA.AVAILABLE;
      locks.push({
        rule_id: rule.id,
        scope: f.scope,
        name: f.name,
        rse_id: rseId,
        account: rule.account,
        bytes: f.bytes,
        state: ok ? LOCK.OK : LOCK.REPLICATING,
        created_at: t,
        updated_at: t,
      });
      if (ok) result.locksOk++;
      else result.locksReplicating++;
      if (st === undefined)
        fresh.push({
          scope: f.scope,
          name: f.name,
          rse_id: rseId,
          bytes: f.bytes,
          md5: f.md5,
          adler32: f.adler32,
          path: deterministicRsePath(f.scope, f.name, algo),
          state: REPLICA.COPYING,
          lock_cnt: 1,
          tombstone: null,
          created_at: t,
          updated_at: t,
        });
      else {
        bump.push(f);
        if (!ok && st !== REPLICA.COPYING) revive.push(f);
      }
      if (!ok)
        requests.push({
          id: newId(),
          scope: f.scope,
          name: f.name,
          dest_rse_id: rseId,
          rule_id: rule.id,
          account: rule.account,
          activity: rule.activity,
          priority: Number(rule.priority),
          state: REQ.QUEUED,
          bytes: f.bytes,
          adler32: f.adler32,
          md5: f.md5,
          source_replica_expression: rule.source_replica_expression,
          max_attempts: 3,
          next_attempt_at: t,
          created_at: t,
          updated_at: t,
        });
    }
    for (const part of chunks(locks, Math.floor((maxParams - 10) / 9)))
      await trx.insertInto('locks').values(part).execute();
    for (const part of chunks(fresh, Math.floor((maxParams - 10) / 12)))
      await trx.insertInto('replicas').values(part).execute();
    for (const [scope, list] of byScope(bump))
      for (const part of chunks(list, maxParams - 20))
        await trx
          .updateTable('replicas')
          .set((eb) => ({ lock_cnt: eb('lock_cnt', '+', 1), tombstone: null, updated_at: t }))
          .where('rse_id', '=', rseId)
          .where('scope', '=', scope)
          .where(
            'name',
            'in',
            part.map((f) => f.name),
          )
          .execute();
    for (const [scope, list] of byScope(revive))
      for (const part of chunks(list, maxParams - 20))
        await trx
          .updateTable('replicas')
          .set({ state: REPLICA.COPYING, updated_at: t })
          .where('rse_id', '=', rseId)
          .where('scope', '=', scope)
          .where(
            'name',
            'in',
            part.map((f) => f.name),
          )
          .execute();
    for (const part of chunks(requests, Math.floor((maxParams - 10) / 17))) {
      await trx
        .insertInto('requests')
        .values(part)
        .onConflict((oc) => oc.columns(['scope', 'name', 'dest_rse_id']).doNothing())
        .execute();
    }
    // A request that failed for another rule gets a fresh start: this rule asks for the replica anew.
    for (const [scope, list] of byScope(requests))
      for (const part of chunks(list, maxParams - 20))
        await trx
          .updateTable('requests')
          .set({ state: REQ.QUEUED, attempts: 0, next_attempt_at: t, err_msg: null, updated_at: t })
          .where('state', '=', REQ.FAILED)
          .where('dest_rse_id', '=', rseId)
          .where('scope', '=', scope)
          .where(
            'name',
            'in',
            part.map((f) => f.name),
          )
          .execute();
    result.requests += requests.length;
    for (const d of slot.datasets.values()) {
      await trx
        .insertInto('dataset_locks')
        .values({
          scope: d.scope,
          name: d.name,
          rule_id: rule.id,
          rse_id: rseId,
          account: rule.account,
          state: LOCK.REPLICATING,
          length: d.length,
          bytes: d.bytes,
          created_at: t,
          updated_at: t,
        })
        .onConflict((oc) =>
          oc.columns(['scope', 'name', 'rule_id', 'rse_id']).doUpdateSet((eb) => ({
            length: eb('dataset_locks.length', '+', d.length),
            bytes: eb('dataset_locks.bytes', '+', d.bytes),
            updated_at: t,
          })),
        )
        .execute();
    }
  }
  await trx
    .updateTable('rules')
    .set((eb) => ({
      locks_ok_cnt: eb('locks_ok_cnt', '+', result.locksOk),
      locks_replicating_cnt: eb('locks_replicating_cnt', '+', result.locksReplicating),
      evaluated_at: t,
      updated_at: t,
    }))
    .where('id', '=', rule.id)
    .execute();
  await settleRuleState(trx, rule.id);
  return result;
}

/**
 * Sets a rule's state from its counters (REPLICATING while locks replicate, STUCK when some are
 * stuck, OK otherwise; SUSPENDED stays) and its dataset locks to match.
 */
export async function settleRuleState(trx: Db, ruleId: string): Promise<void> {
  const r = await trx
    .selectFrom('rules')
    .select(['state', 'locks_replicating_cnt', 'locks_stuck_cnt'])
    .where('id', '=', ruleId)
    .executeTakeFirst();
  if (!r || r.state === RULE.SUSPENDED || r.state === RULE.INJECT) return;
  const state =
    Number(r.locks_replicating_cnt) > 0
      ? RULE.REPLICATING
      : Number(r.locks_stuck_cnt) > 0
        ? RULE.STUCK
        : RULE.OK;
  const t = now();
  if (state !== r.state) {
    await trx
      .updateTable('rules')
      .set({
        state,
        updated_at: t,
        ...(state === RULE.OK ? { error: null, stuck_at: null } : {}),
        ...(state === RULE.STUCK ? { stuck_at: t } : {}),
      })
      .where('id', '=', ruleId)
      .execute();
  }
  const ds = state === RULE.OK ? LOCK.OK : state === RULE.STUCK ? LOCK.STUCK : LOCK.REPLICATING;
  await trx
    .updateTable('dataset_locks')
    .set({ state: ds, updated_at: t })
    .where('rule_id', '=', ruleId)
    .where('state', '!=', ds)
    .execute();
}
