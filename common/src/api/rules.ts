/** Shapes of Rucio's `/rules/*` endpoints (rules.py), shared by server and client. */
import { type Static, type TSchema, Type } from '@sinclair/typebox';

// OpenAPI `nullable` (not anyOf-with-null), so the server's type coercion never turns null into '' or 0.
const Nullable = <T extends TSchema>(t: T) => Type.Unsafe<Static<T> | null>({ ...t, nullable: true });
const OptNullStr = Type.Optional(Nullable(Type.String()));
const OptNullBool = Type.Optional(Nullable(Type.Boolean()));
const OptNullInt = Type.Optional(Nullable(Type.Integer()));

/** A DID a rule applies to. */
export const RuleDid = Type.Object({
  scope: Type.String({ minLength: 1, maxLength: 25 }),
  name: Type.String({ minLength: 1, maxLength: 250 }),
});
export type RuleDid = Static<typeof RuleDid>;

/** Rule grouping names Rucio accepts. */
export const RuleGroupingInput = Type.Unsafe<string>({
  type: 'string',
  enum: ['ALL', 'DATASET', 'NONE'],
  description: 'ALL: every file on the same RSEs; DATASET: per dataset; NONE: per file',
});

/** Body of `POST /rules/` (Rucio's add_replication_rule). */
export const AddRulesBody = Type.Object({
  dids: Type.Array(RuleDid, { minItems: 1 }),
  copies: Type.Integer({ minimum: 1 }),
  rse_expression: Type.String({ minLength: 1 }),
  weight: OptNullStr,
  lifetime: OptNullInt,
  grouping: Type.Optional(Nullable(RuleGroupingInput)),
  account: OptNullStr,
  locked: OptNullBool,
  source_replica_expression: OptNullStr,
  activity: OptNullStr,
  notify: OptNullStr,
  purge_replicas: OptNullBool,
  ignore_availability: OptNullBool,
  comment: OptNullStr,
  ask_approval: OptNullBool,
  asynchronous: OptNullBool,
  delay_injection: OptNullInt,
  priority: OptNullInt,
  split_container: OptNullBool,
  meta: Type.Optional(Type.Unknown({ description: 'JSON object or string' })),
  subscription_id: OptNullStr,
});
export type AddRulesBody = Static<typeof AddRulesBody>;

/** Options of `PUT /rules/{id}` (Rucio's update_replication_rule). */
export const RuleUpdateOptions = Type.Object(
  {
    lifetime: OptNullInt,
    locked: OptNullBool,
    comment: OptNullStr,
    account: OptNullStr,
    state: OptNullStr,
    activity: OptNullStr,
    source_replica_expression: OptNullStr,
    priority: OptNullInt,
    purge_replicas: OptNullBool,
    grouping: Type.Optional(Nullable(RuleGroupingInput)),
    meta: Type.Optional(Type.Unknown({ description: 'JSON object or string' })),
    cancel_requests: OptNullBool,
  },
  { additionalProperties: false },
);
export type RuleUpdateOptions = Static<typeof RuleUpdateOptions>;

/** Body of `PUT /rules/{id}`. */
export const UpdateRuleBody = Type.Object({ options: RuleUpdateOptions });
export type UpdateRuleBody = Static<typeof UpdateRuleBody>;

/** Body of `DELETE /rules/{id}` (optional). */
export const DeleteRuleBody = Type.Object({ purge_replicas: OptNullBool });
export type DeleteRuleBody = Static<typeof DeleteRuleBody>;

/** A rule as `GET /rules/{id}` renders it (Rucio's column names, state names, RFC 1123 dates). */
export interface RuleInfo {
  id: string;
  subscription_id: string | null;
  account: string;
  scope: string;
  name: string;
  did_type: string;
  state: string;
  error: string | null;
  rse_expression: string;
  copies: number;
  expires_at: string | null;
  weight: string | null;
  locked: boolean;
  locks_ok_cnt: number;
  locks_replicating_cnt: number;
  locks_stuck_cnt: number;
  source_replica_expression: string | null;
  activity: string;
  grouping: string;
  notification: string;
  stuck_at: string | null;
  purge_replicas: boolean;
  ignore_availability: boolean;
  ignore_account_limit: boolean;
  priority: number;
  comments: string | null;
  child_rule_id: string | null;
  eol_at: string | null;
  split_container: boolean;
  meta: string | null;
  created_at: string | null;
  updated_at: string | null;
}

/** A replica lock as `GET /rules/{id}/locks` renders it. */
export interface LockInfo {
  scope: string;
  name: string;
  rse_id: string;
  rse: string;
  state: string;
  rule_id: string;
  account: string;
  bytes: number;
}

/** `GET /rules/{id}/analysis` (Rucio's examine_replication_rule, with Oxbow's lock counts and bytes). */
export interface RuleAnalysis {
  rule_id: string;
  state: string;
  rule_error: string | null;
  locks: { OK: number; REPLICATING: number; STUCK: number };
  bytes_total: number;
  bytes_done: number;
  /** Stuck files and files whose transfer failed at least once, with the last error. */
  transfers: {
    scope: string;
    name: string;
    rse: string;
    rse_id: string;
    lock_state: string;
    attempts: number;
    last_error: string | null;
    last_time: string | null;
  }[];
}
