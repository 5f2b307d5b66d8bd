/** Database codes of rule, lock and request states, and the JSON renderings Rucio's clients read. */

import type { LockInfo, RuleInfo } from '@oxbow/common';
import { LOCK_STATES, RULE_GROUPINGS, RULE_NOTIFICATIONS, RULE_STATES } from '@oxbow/common/rucio/index';
import type { RulesTable } from '../db/schema.js';
import { rucioDate } from '../http/dates.js';

/** Rule state codes. */
export const RULE = RULE_STATES;
/** Lock state codes (also used for dataset locks). */
export const LOCK = LOCK_STATES;
/** Transfer queue states used by Oxbow: queued, claimed by a daemon, failed for good. Done requests go to history. */
export const REQ = { QUEUED: 'Q', SUBMITTED: 'S', FAILED: 'F', DONE: 'D' } as const;
/** Replica state codes this module writes. */
export const REPLICA = { AVAILABLE: 'A', COPYING: 'C', BEING_DELETED: 'B', UNAVAILABLE: 'U' } as const;
/** Rucio's OBSOLETE tombstone: the reaper may delete such replicas at once. */
export const OBSOLETE = '1970-01-01T00:00:00.000Z';

const invert = (t: Record<string, string>) => new Map(Object.entries(t).map(([n, c]) => [c, n]));
const RULE_NAMES = invert(RULE_STATES);
const LOCK_NAMES = invert(LOCK_STATES);
const GROUPING_NAMES = invert(RULE_GROUPINGS);
const NOTIFY_NAMES = invert(RULE_NOTIFICATIONS);
const DID_TYPE_NAMES = new Map([
  ['F', 'FILE'],
  ['D', 'DATASET'],
  ['C', 'CONTAINER'],
]);

/** Name of a rule state code. */
export const ruleStateName = (c: string): string => RULE_NAMES.get(c) ?? c;
/** Name of a lock state code. */
export const lockStateName = (c: string): string => LOCK_NAMES.get(c) ?? c;
/** Name of a DID type code (FILE/DATASET/CONTAINER). */
export const didTypeName = (c: string): string => DID_TYPE_NAMES.get(c) ?? c;

/** A rule row as Rucio's `rule.to_dict()` renders it (state and enum names, RFC 1123 dates). */
export function renderRule(r: RulesTable): RuleInfo {
  return {
    id: r.id,
    subscription_id: r.subscription_id,
    account: r.account,
    scope: r.scope,
    name: r.name,
    did_type: didTypeName(r.did_type),
    state: ruleStateName(r.state),
    error: r.error,
    rse_expression: r.rse_expression,
    copies: Number(r.copies),
    expires_at: rucioDate(r.expires_at),
    weight: r.weight,
    locked: r.locked === 1,
    locks_ok_cnt: Number(r.locks_ok_cnt),
    locks_replicating_cnt: Number(r.locks_replicating_cnt),
    locks_stuck_cnt: Number(r.locks_stuck_cnt),
    source_replica_expression: r.source_replica_expression,
    activity: r.activity,
    grouping: GROUPING_NAMES.get(r.grouping) ?? r.grouping,
    notification: NOTIFY_NAMES.get(r.notification) ?? r.notification,
    stuck_at: rucioDate(r.stuck_at),
    purge_replicas: r.purge_replicas === 1,
    ignore_availability: r.ignore_availability === 1,
    ignore_account_limit: r.ignore_account_limit === 1,
    priority: Number(r.priority),
    comments: r.comments,
    child_rule_id: r.child_rule_id,
    eol_at: rucioDate(r.eol_at),
    split_container: r.split_container === 1,
    meta: r.meta,
    created_at: rucioDate(r.created_at),
    updated_at: rucioDate(r.updated_at),
  };
}

/** A lock row (joined with its RSE name) as Rucio lists it. */
export function renderLock(l: {
  scope: string;
  name: string;
  rse_id: string;
  rse: string;
  state: string;
  rule_id: string;
  account: string;
  bytes: number;
}): LockInfo {
  return { ...l, bytes: Number(l.bytes), state: lockStateName(l.state) };
}
