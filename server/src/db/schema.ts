/**
 * Row types of the catalog tables, shared by SQLite and PostgreSQL. Booleans are stored as 0/1
 * integers and timestamps as ISO-8601 text so both engines return identical values.
 */
import type { Generated } from 'kysely';

export type Flag = 0 | 1;

export interface AccountsTable {
  account: string;
  account_type: string;
  status: string;
  email: string | null;
  created_at: string;
  updated_at: string;
  suspended_at: string | null;
  deleted_at: string | null;
}

export interface IdentitiesTable {
  identity: string;
  identity_type: string;
  password: string | null;
  email: string | null;
  created_at: string;
  updated_at: string;
}

export interface AccountMapTable {
  identity: string;
  identity_type: string;
  account: string;
  is_default: Flag;
  created_at: string;
}

export interface AccountAttrsTable {
  account: string;
  key: string;
  value: string;
}

export interface TokensTable {
  token_hash: string;
  account: string;
  identity: string | null;
  auth_type: string;
  expired_at: string;
  ip: string | null;
  created_at: string;
}

export interface ScopesTable {
  scope: string;
  account: string;
  is_default: Flag;
  status: string;
  created_at: string;
  updated_at: string;
}

export interface DidsTable {
  scope: string;
  name: string;
  account: string;
  did_type: string;
  is_open: Flag | null;
  monotonic: Flag;
  hidden: Flag;
  obsolete: Flag;
  suppressed: Flag;
  complete: Flag | null;
  availability: string;
  bytes: number | null;
  length: number | null;
  events: number | null;
  md5: string | null;
  adler32: string | null;
  guid: string | null;
  purge_replicas: Flag;
  expired_at: string | null;
  closed_at: string | null;
  accessed_at: string | null;
  created_at: string;
  updated_at: string;
  datatype: string | null;
  project: string | null;
  run_number: number | null;
  stream_name: string | null;
  prod_step: string | null;
  version: string | null;
  campaign: string | null;
  task_id: number | null;
  panda_id: number | null;
  lumiblocknr: number | null;
  provenance: string | null;
  phys_group: string | null;
}

export interface DidMetaTable {
  scope: string;
  name: string;
  key: string;
  value_json: string;
  value_num: number | null;
}

export interface ContentsTable {
  scope: string;
  name: string;
  child_scope: string;
  child_name: string;
  did_type: string;
  child_type: string;
  bytes: number | null;
  adler32: string | null;
  md5: string | null;
  guid: string | null;
  events: number | null;
  created_at: string;
}

export interface RsesTable {
  id: string;
  rse: string;
  vo: string;
  rse_type: string;
  deterministic: Flag;
  volatile: Flag;
  staging_area: Flag;
  city: string | null;
  region_code: string | null;
  country_name: string | null;
  continent: string | null;
  time_zone: string | null;
  isp: string | null;
  asn: string | null;
  longitude: number | null;
  latitude: number | null;
  availability_read: Flag;
  availability_write: Flag;
  availability_delete: Flag;
  qos_class: string | null;
  deleted: Flag;
  deleted_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface RseAttrsTable {
  rse_id: string;
  key: string;
  value_json: string;
}

export interface RseProtocolsTable {
  rse_id: string;
  scheme: string;
  hostname: string;
  port: number;
  prefix: string;
  impl: string;
  read_lan: number;
  write_lan: number;
  delete_lan: number;
  read_wan: number;
  write_wan: number;
  delete_wan: number;
  third_party_copy_read: number;
  third_party_copy_write: number;
  extended_attributes: string | null;
  created_at: string;
}

export interface ReplicasTable {
  scope: string;
  name: string;
  rse_id: string;
  bytes: number;
  md5: string | null;
  adler32: string | null;
  path: string | null;
  state: string;
  lock_cnt: Generated<number>;
  tombstone: string | null;
  accessed_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface AccountLimitsTable {
  account: string;
  rse_id: string;
  bytes: number;
}

export interface RulesTable {
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
  locked: Flag;
  locks_ok_cnt: number;
  locks_replicating_cnt: number;
  locks_stuck_cnt: number;
  source_replica_expression: string | null;
  activity: string;
  grouping: string;
  notification: string;
  stuck_at: string | null;
  purge_replicas: Flag;
  ignore_availability: Flag;
  ignore_account_limit: Flag;
  priority: number;
  comments: string | null;
  child_rule_id: string | null;
  eol_at: string | null;
  split_container: Flag;
  meta: string | null;
  /** JSON list of the RSE ids the expression resolved to at creation (Rucio re-resolves; Oxbow keeps them stable). */
  rse_ids: string | null;
  /** Last time the judge applied the rule to its DID's content; newer attachments trigger a re-evaluation. */
  evaluated_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface LocksTable {
  rule_id: string;
  scope: string;
  name: string;
  rse_id: string;
  account: string;
  bytes: number;
  state: string;
  repair_cnt: Generated<number>;
  created_at: string;
  updated_at: string;
}

export interface DatasetLocksTable {
  scope: string;
  name: string;
  rule_id: string;
  rse_id: string;
  account: string;
  state: string;
  length: number | null;
  bytes: number | null;
  created_at: string;
  updated_at: string;
}

export interface RequestsTable {
  id: string;
  request_type: Generated<string>;
  scope: string;
  name: string;
  dest_rse_id: string;
  source_rse_id: string | null;
  rule_id: string | null;
  account: string;
  activity: string;
  priority: number;
  state: string;
  bytes: number;
  adler32: string | null;
  md5: string | null;
  source_replica_expression: string | null;
  attempts: Generated<number>;
  max_attempts: number;
  next_attempt_at: string;
  claimed_by: string | null;
  claimed_until: string | null;
  /** 1 once claimed from a lapsed lease, until the orphan temporaries at the destination are gone. */
  orphan_check: Generated<number>;
  err_msg: string | null;
  created_at: string;
  updated_at: string;
}

export interface RequestsHistoryTable {
  id: string;
  scope: string;
  name: string;
  rule_id: string | null;
  source_rse_id: string | null;
  dest_rse_id: string;
  state: string;
  bytes: number;
  seconds: number | null;
  attempts: number;
  method: string | null;
  err_msg: string | null;
  created_at: string;
}

/** Space an information source reports for an RSE (Rucio's rse_usage; total = used + free). */
export interface RseUsageTable {
  rse_id: string;
  source: string;
  used: number | null;
  free: number | null;
  files: number | null;
  updated_at: string;
}

/** Named numeric limits of an RSE (Rucio's rse_limits, e.g. MinFreeSpace in bytes). */
export interface RseLimitsTable {
  rse_id: string;
  name: string;
  value: number;
  updated_at: string;
}

/** Rucio's transfer limit: active transfers allowed into (or out of) an RSE expression. */
export interface TransferLimitsTable {
  id: string;
  rse_expression: string;
  activity: string;
  direction: string;
  max_transfers: number;
  volume: number;
  deadline: number;
  strategy: string;
  transfers: number | null;
  waitings: number | null;
  created_at: string;
  updated_at: string;
}

/** The whole catalog as kysely sees it. */
export interface Database {
  accounts: AccountsTable;
  identities: IdentitiesTable;
  account_map: AccountMapTable;
  account_attrs: AccountAttrsTable;
  tokens: TokensTable;
  scopes: ScopesTable;
  dids: DidsTable;
  did_meta: DidMetaTable;
  contents: ContentsTable;
  rses: RsesTable;
  rse_attrs: RseAttrsTable;
  rse_protocols: RseProtocolsTable;
  replicas: ReplicasTable;
  account_limits: AccountLimitsTable;
  rules: RulesTable;
  locks: LocksTable;
  dataset_locks: DatasetLocksTable;
  requests: RequestsTable;
  requests_history: RequestsHistoryTable;
  rse_usage: RseUsageTable;
  rse_limits: RseLimitsTable;
  transfer_limits: TransferLimitsTable;
}
