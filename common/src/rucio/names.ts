// Name validation as Rucio's generic schema (rucio.common.schema.generic) does it, with messages that
// say what is wrong and what is allowed, plus DID parsing as the Rucio client does it
// (rucio.common.utils.extract_scope, default algorithm).
//
// Deliberate differences from Rucio: Rucio validates with Python's `re.search('^...$')`, whose `$` also
// matches before a final newline, and skips validation of empty strings (`if obj:`); both are accidents,
// so here a trailing newline and an empty value are rejected.

import { InvalidObject, InvalidType, RucioException } from './errors.js';
import { DID_TYPES, type DidType, REPLICA_STATES, type ReplicaState } from './states.js';

/** Maximum scope length (generic schema SCOPE_LENGTH). */
export const SCOPE_MAX_LENGTH = 25;
/** Maximum DID name length (generic schema NAME_LENGTH). */
export const NAME_MAX_LENGTH = 250;
/** Maximum account length (generic schema ACCOUNT_LENGTH). */
export const ACCOUNT_MAX_LENGTH = 25;
/** Maximum RSE name length: the schema has none, the `rses.rse` column is VARCHAR(255). */
export const RSE_MAX_LENGTH = 255;

const SCOPE_RE = /^[a-zA-Z0-9_.-]+$/;
const NAME_RE = /^[/A-Za-z0-9][/A-Za-z0-9._-]*$/;
const ACCOUNT_RE = /^[a-z0-9_-]+$/;
const RSE_RE = /^[A-Z0-9]+([_-][A-Z0-9]+)*$/;

function describeChar(c: string): string {
  if (c === ' ') return 'a space';
  const code = c.codePointAt(0)!;
  if (code < 0x20 || code === 0x7f) return `control character U+${code.toString(16).padStart(4, '0')}`;
  return `'${c}'`;
}

/** Position (0-based) and text of the first character not in `allowed`, or undefined. */
function firstBadChar(value: string, allowed: RegExp): { index: number; char: string } | undefined {
  let index = 0;
  for (const ch of value) {
    if (!allowed.test(ch)) return { index, char: ch };
    index += ch.length;
  }
  return undefined;
}

function commonProblem(kind: string, value: unknown, maxLength: number): string | undefined {
  if (typeof value !== 'string')
    return `${kind} must be a string, got ${value === null ? 'null' : typeof value}`;
  if (value.length === 0) return `${kind} must not be empty`;
  if (value.length > maxLength)
    return `${kind} '${value.slice(0, 40)}…' is ${value.length} characters long; at most ${maxLength} are allowed`;
  return undefined;
}

/** Why `scope` is not a valid Rucio scope, or undefined when it is. */
export function scopeProblem(scope: unknown): string | undefined {
  const common = commonProblem('Scope', scope, SCOPE_MAX_LENGTH);
  if (common) return common;
  const s = scope as string;
  if (SCOPE_RE.test(s)) return undefined;
  const bad = firstBadChar(s, /[a-zA-Z0-9_.-]/)!;
  return `Scope '${s}' contains ${describeChar(bad.char)} at position ${bad.index}; a scope may contain only letters, digits, '_', '-' and '.' (at most ${SCOPE_MAX_LENGTH} characters)`;
}

/** Why `name` is not a valid Rucio DID name, or undefined when it is. */
export function didNameProblem(name: unknown): string | undefined {
  const common = commonProblem('DID name', name, NAME_MAX_LENGTH);
  if (common) return common;
  const n = name as string;
  if (NAME_RE.test(n)) return undefined;
  if (!/[/A-Za-z0-9]/.test(n[0]!))
    return `DID name '${n}' starts with ${describeChar(n[0]!)}; it must start with a letter, a digit or '/'`;
  const bad = firstBadChar(n, /[/A-Za-z0-9._-]/)!;
  return `DID name '${n}' contains ${describeChar(bad.char)} at position ${bad.index}; a DID name may contain only letters, digits, '/', '.', '-' and '_' (at most ${NAME_MAX_LENGTH} characters)`;
}

/** Why `account` is not a valid Rucio account name, or undefined when it is. */
export function accountProblem(account: unknown): string | undefined {
  const common = commonProblem('Account', account, ACCOUNT_MAX_LENGTH);
  if (common) return common;
  const a = account as string;
  if (ACCOUNT_RE.test(a)) return undefined;
  const bad = firstBadChar(a, /[a-z0-9_-]/)!;
  const hint = /[A-Z]/.test(bad.char) ? ' (upper-case letters are not allowed)' : '';
  return `Account '${a}' contains ${describeChar(bad.char)} at position ${bad.index}${hint}; an account may contain only lower-case letters, digits, '_' and '-' (at most ${ACCOUNT_MAX_LENGTH} characters)`;
}

/** Why `rse` is not a valid Rucio RSE name, or undefined when it is. */
export function rseNameProblem(rse: unknown): string | undefined {
  const common = commonProblem('RSE name', rse, RSE_MAX_LENGTH);
  if (common) return common;
  const r = rse as string;
  if (RSE_RE.test(r)) return undefined;
  const rule =
    "an RSE name is upper-case letters and digits, optionally in groups joined by single '_' or '-' (e.g. CERN-PROD_DATADISK)";
  const bad = firstBadChar(r, /[A-Z0-9_-]/);
  if (bad) {
    const hint = /[a-z]/.test(bad.char) ? ` (did you mean '${r.toUpperCase()}'?)` : '';
    return `RSE name '${r}' contains ${describeChar(bad.char)} at position ${bad.index}${hint}; ${rule}`;
  }
  if (/^[_-]/.test(r)) return `RSE name '${r}' starts with '${r[0]}'; ${rule}`;
  if (/[_-]$/.test(r)) return `RSE name '${r}' ends with '${r[r.length - 1]}'; ${rule}`;
  const m = /[_-]{2,}/.exec(r)!;
  return `RSE name '${r}' has consecutive separators '${m[0]}' at position ${m.index}; ${rule}`;
}

/** True when `scope` matches Rucio's scope schema. */
export function isValidScope(scope: unknown): scope is string {
  return scopeProblem(scope) === undefined;
}

/** True when `name` matches Rucio's DID name schema. */
export function isValidDidName(name: unknown): name is string {
  return didNameProblem(name) === undefined;
}

/** True when `account` matches Rucio's account schema. */
export function isValidAccount(account: unknown): account is string {
  return accountProblem(account) === undefined;
}

/** True when `rse` matches Rucio's RSE name schema. */
export function isValidRseName(rse: unknown): rse is string {
  return rseNameProblem(rse) === undefined;
}

function assertNo(problem: string | undefined): void {
  if (problem !== undefined) throw new InvalidObject(problem);
}

/** Throws InvalidObject unless `scope` is a valid scope. */
export function assertScope(scope: unknown): asserts scope is string {
  assertNo(scopeProblem(scope));
}

/** Throws InvalidObject unless `name` is a valid DID name. */
export function assertDidName(name: unknown): asserts name is string {
  assertNo(didNameProblem(name));
}

/** Throws InvalidObject unless `account` is a valid account name. */
export function assertAccount(account: unknown): asserts account is string {
  assertNo(accountProblem(account));
}

/** Throws InvalidObject unless `rse` is a valid RSE name. */
export function assertRseName(rse: unknown): asserts rse is string {
  assertNo(rseNameProblem(rse));
}

/** DID types accepted by the generic schema when registering DIDs ('F' is accepted for FILE). */
export const SCHEMA_DID_TYPES = ['DATASET', 'CONTAINER', 'FILE', 'F'] as const;

/** Search types of GET /dids/{scope}/dids/search and the DID types each one covers. */
export const DID_SEARCH_TYPES: Readonly<Record<string, readonly DidType[]>> = {
  all: ['CONTAINER', 'DATASET', 'FILE'],
  collection: ['CONTAINER', 'DATASET'],
  container: ['CONTAINER'],
  dataset: ['DATASET'],
  file: ['FILE'],
};

/** A DID type given as name (any case) or one-letter code, as its canonical name; throws InvalidType. */
export function parseDidType(value: string): DidType {
  const upper = value.toUpperCase();
  if (Object.hasOwn(DID_TYPES, upper)) return upper as DidType;
  for (const [n, code] of Object.entries(DID_TYPES)) if (code === value) return n as DidType;
  throw new InvalidType(
    `'${value}' is not a DID type; use one of ${Object.keys(DID_TYPES).join(', ')} (or the codes ${Object.values(DID_TYPES).join(', ')})`,
  );
}

/** A replica state given as name or one-letter code (Rucio's REPLICA_STATE schema accepts both), as its name. */
export function parseReplicaState(value: string): ReplicaState {
  if (Object.hasOwn(REPLICA_STATES, value)) return value as ReplicaState;
  for (const [n, code] of Object.entries(REPLICA_STATES)) if (code === value) return n as ReplicaState;
  const names = Object.entries(REPLICA_STATES)
    .map(([n, c]) => `${n} (${c})`)
    .join(', ');
  throw new InvalidObject(`'${value}' is not a replica state; use one of ${names}`);
}

/** One-letter database code of a replica state. */
export function replicaStateCode(state: ReplicaState): string {
  return REPLICA_STATES[state];
}

/** A scope and name pair. */
export interface Did {
  scope: string;
  name: string;
}

/** Options of parseDid. */
export interface ParseDidOptions {
  /** Also validate scope and name against the schema (off by default: CLI arguments may hold wildcards). */
  validate?: boolean;
}

/**
 * Split 'scope:name' the way Rucio's client does (extract_scope, default algorithm): with a colon there
 * must be exactly one and both sides non-empty; without a colon the scope is the part before the first
 * '.', or the first two '.'-separated parts when the DID starts with 'user' or 'group' (ATLAS
 * convention), and a trailing '/' is dropped from the name.
 */
export function parseDid(did: string, options: ParseDidOptions = {}): Did {
  let result: Did;
  if (!did.includes(':')) {
    const fields = did.split('.');
    // Rucio tests startswith('user')/('group'), not 'user.', so 'username.x' also takes two fields.
    const scope =
      did.startsWith('user') || did.startsWith('group') ? fields.slice(0, 2).join('.') : fields[0]!;
    result = { scope, name: did.endsWith('/') ? did.slice(0, -1) : did };
  } else {
    const parts = did.split(':');
    if (parts.length !== 2)
      throw new RucioException(
        `Cannot extract scope and name from DID ${did}. The DID should have exactly one colon but found ${parts.length - 1} colons.`,
      );
    const [scope, name] = parts as [string, string];
    if (!scope || !name)
      throw new RucioException(`Cannot extract scope and name from DID ${did}. Found empty scope or name.`);
    result = { scope, name };
  }
  if (options.validate) {
    assertScope(result.scope);
    assertDidName(result.name);
  }
  return result;
}

/** 'scope:name' of a DID. */
export function formatDid(did: Did): string {
  return `${did.scope}:${did.name}`;
}
