/**
 * The permission checks routes call. Every decision goes through the table in rules.ts (`decide`):
 * root and accounts with the `admin` attribute (or a credential in a configured admin group) may do
 * everything their credential allows; owners act on their own scopes and account; WLCG token storage
 * scopes and limited proxies restrict further. Add new operations to `RULES` and a wrapper here.
 */
import type { Kysely } from 'kysely';
import { scopeOwner } from '../catalog/scopes.js';
import type { Caller } from '../context.js';
import type { Database } from '../db/schema.js';
import { accessDenied } from '../errors.js';
import { decide, didPath, type Operation, RULES, type Rule, type Target } from './rules.js';

type Db = Kysely<Database>;

/** Throws AccessDenied (401, as Rucio) unless the table allows `op` for `caller` on `target`. */
export function check(caller: Caller, op: Operation | Rule, target: Target = {}): void {
  const d = decide(caller, op, target);
  if (!d.allowed) throw accessDenied(d.reason ?? `Account ${caller.account} can not do this`);
}

/** Only admins. */
export function requireAdmin(caller: Caller, what: string): void {
  check(caller, { ...RULES.admin, what });
}

/** Admins, or the account acting on itself. */
export function requireSelfOrAdmin(caller: Caller, account: string, what: string): void {
  check(caller, { who: 'self', limitedProxy: false, what }, { account });
}

/**
 * Writing DIDs/replicas into a scope: its owner or an admin, and a token's storage scopes must allow
 * creating under `/scope` (or under `/scope/name` for each of `names` when given).
 */
export async function requireScopeWrite(
  db: Db,
  caller: Caller,
  scope: string,
  what: string,
  names?: Iterable<string>,
): Promise<void> {
  const owner = caller.isAdmin ? null : await scopeOwner(db, scope);
  const paths = names ? [...names].map((n) => didPath(scope, n)) : [didPath(scope)];
  check(caller, { ...RULES.scopeWrite, what: `${what} in scope ${scope}` }, { scopeOwner: owner, paths });
}

/** Reading a DID (or a whole scope): anyone authenticated, within a token's `storage.read` scopes. */
export function requireRead(caller: Caller, scope: string, name?: string): void {
  check(caller, 'readDid', { paths: [didPath(scope, name)] });
}

/** Changing or deleting existing DIDs/replicas: the table's rule for `op`, at the DIDs' storage paths. */
export function requireStorageChange(
  caller: Caller,
  op: Operation,
  dids: Iterable<{ scope: string; name: string }>,
): void {
  check(caller, op, { paths: [...dids].map((d) => didPath(d.scope, d.name)) });
}

export const perm = {
  addAccount: (c: Caller) => check(c, 'addAccount'),
  updateAccount: (c: Caller) => check(c, 'updateAccount'),
  deleteAccount: (c: Caller) => check(c, 'deleteAccount'),
  addAttribute: (c: Caller) => check(c, 'addAttribute'),
  deleteAttribute: (c: Caller) => check(c, 'deleteAttribute'),
  addIdentity: (c: Caller) => check(c, 'addIdentity'),
  deleteIdentity: (c: Caller) => check(c, 'deleteIdentity'),
  addScope: (c: Caller, account: string) => check(c, 'addScope', { account }),
  setLimit: (c: Caller) => check(c, 'setLimit'),
  addRse: (c: Caller) => check(c, 'addRse'),
  updateRse: (c: Caller) => check(c, 'updateRse'),
  deleteRse: (c: Caller) => check(c, 'deleteRse'),
  addRseAttribute: (c: Caller) => check(c, 'addRseAttribute'),
  addProtocol: (c: Caller) => check(c, 'addProtocol'),
  updateReplicaState: (c: Caller) => check(c, 'updateReplicaState'),
  deleteReplicas: (c: Caller) => check(c, 'deleteReplicas'),
  deleteRseAttribute: (c: Caller) => check(c, 'deleteRseAttribute'),
  updateProtocol: (c: Caller) => check(c, 'updateProtocol'),
  deleteProtocol: (c: Caller) => check(c, 'deleteProtocol'),
  setRseUsage: (c: Caller) => check(c, 'setRseUsage'),
  setRseLimit: (c: Caller) => check(c, 'setRseLimit'),
  setTransferLimit: (c: Caller) => check(c, 'setTransferLimit'),
  setTombstone: (c: Caller) => check(c, 'setTombstone'),
  // Skipping the RSE availability check when adding or deleting replicas (Rucio's skip_availability_check).
  skipAvailabilityCheck: (c: Caller) => decide(c, 'skipAvailabilityCheck').allowed,
  reopenDid: (c: Caller) => check(c, 'reopenDid'),
  addRule: (c: Caller, account: string) => check(c, 'addRule', { account }),
  updateRule: (c: Caller, owner: string) => check(c, 'updateRule', { account: owner }),
  deleteRule: (c: Caller, owner: string) => check(c, 'deleteRule', { account: owner }),
};

/** Adding replicas (and the file DIDs they create) in every scope of `scopes`: owner or admin, as scope writes. */
export async function requireReplicaWrite(
  db: Db,
  caller: Caller,
  scopes: Iterable<string>,
  what: string,
): Promise<void> {
  for (const scope of new Set(scopes)) await requireScopeWrite(db, caller, scope, what);
}
