// Rucio's enumerations with the one-letter codes its database stores (rucio.db.sqla.constants).
// The REST API mostly speaks the long names; a few calls (PUT /replicas) send the codes, so both
// directions are needed.

/** Replica states: name -> database code. */
export const REPLICA_STATES = {
  AVAILABLE: 'A',
  UNAVAILABLE: 'U',
  COPYING: 'C',
  BEING_DELETED: 'B',
  BAD: 'D',
  TEMPORARY_UNAVAILABLE: 'T',
} as const;
export type ReplicaState = keyof typeof REPLICA_STATES;
export type ReplicaStateCode = (typeof REPLICA_STATES)[ReplicaState];

/** DID types: name -> database code (the DELETED_* types mark DIDs the undertaker removed). */
export const DID_TYPES = {
  FILE: 'F',
  DATASET: 'D',
  CONTAINER: 'C',
  ARCHIVE: 'A',
  DELETED_FILE: 'X',
  DELETED_DATASET: 'Y',
  DELETED_CONTAINER: 'Z',
} as const;
export type DidType = keyof typeof DID_TYPES;

/** Rule states: name -> database code. */
export const RULE_STATES = {
  REPLICATING: 'R',
  OK: 'O',
  STUCK: 'S',
  SUSPENDED: 'U',
  WAITING_APPROVAL: 'W',
  INJECT: 'I',
} as const;
export type RuleState = keyof typeof RULE_STATES;

/** Replica lock states: name -> database code. */
export const LOCK_STATES = { REPLICATING: 'R', OK: 'O', STUCK: 'S' } as const;
export type LockState = keyof typeof LOCK_STATES;

/** Rule grouping: name -> database code. */
export const RULE_GROUPINGS = { ALL: 'A', DATASET: 'D', NONE: 'N' } as const;
export type RuleGrouping = keyof typeof RULE_GROUPINGS;

/** Rule notification setting: name -> database code. */
export const RULE_NOTIFICATIONS = { YES: 'Y', NO: 'N', CLOSE: 'C', PROGRESS: 'P' } as const;
export type RuleNotification = keyof typeof RULE_NOTIFICATIONS;

/** Transfer request states: name -> database code. */
export const REQUEST_STATES = {
  QUEUED: 'Q',
  SUBMITTING: 'G',
  SUBMITTED: 'S',
  FAILED: 'F',
  DONE: 'D',
  LOST: 'L',
  NO_SOURCES: 'N',
  ONLY_TAPE_SOURCES: 'O',
  SUBMISSION_FAILED: 'A',
  MISMATCH_SCHEME: 'M',
  SUSPEND: 'U',
  WAITING: 'W',
  PREPARING: 'P',
} as const;
export type RequestState = keyof typeof REQUEST_STATES;

/** DID availability: name -> database code. */
export const DID_AVAILABILITIES = { LOST: 'L', DELETED: 'D', AVAILABLE: 'A' } as const;
export type DidAvailability = keyof typeof DID_AVAILABILITIES;

/** Bad replica statuses: name -> database code. */
export const BAD_FILE_STATUSES = {
  BAD: 'B',
  DELETED: 'D',
  LOST: 'L',
  RECOVERED: 'R',
  SUSPICIOUS: 'S',
  TEMPORARY_UNAVAILABLE: 'T',
} as const;
export type BadFileStatus = keyof typeof BAD_FILE_STATUSES;

/** Scope statuses: name -> database code. */
export const SCOPE_STATUSES = { OPEN: 'O', CLOSED: 'C', DELETED: 'D' } as const;
export type ScopeStatus = keyof typeof SCOPE_STATUSES;

/** RSE types (stored as their names). */
export const RSE_TYPES = ['DISK', 'TAPE'] as const;
export type RseType = (typeof RSE_TYPES)[number];

/** Account types (stored as their names). */
export const ACCOUNT_TYPES = ['USER', 'GROUP', 'SERVICE'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

/** Account statuses (stored as their names). */
export const ACCOUNT_STATUSES = ['ACTIVE', 'SUSPENDED', 'DELETED'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/** Identity types (stored as their names). */
export const IDENTITY_TYPES = ['X509', 'GSS', 'USERPASS', 'SSH', 'SAML', 'OIDC'] as const;
export type IdentityType = (typeof IDENTITY_TYPES)[number];

/** Name -> code lookup for any of the coded enumerations above; undefined when unknown. */
export function codeOf<T extends Record<string, string>>(table: T, name: string): T[keyof T] | undefined {
  return Object.hasOwn(table, name) ? (table[name] as T[keyof T]) : undefined;
}

/** Code -> name lookup for any of the coded enumerations above; undefined when unknown. */
export function nameOfCode<T extends Record<string, string>>(table: T, code: string): keyof T | undefined {
  for (const [name, c] of Object.entries(table)) if (c === code) return name as keyof T;
  return undefined;
}
