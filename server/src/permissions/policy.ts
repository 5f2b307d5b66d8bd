/**
 * One permission function per operation, as Rucio's generic policy: root and accounts with the
 * `admin` attribute may do everything; owners act on their own scopes and account.
 */
import type { Kysely } from 'kysely';
import { scopeOwner } from '../catalog/scopes.js';
import type { Caller } from '../context.js';
import type { Database } from '../db/schema.js';
import { accessDenied } from '../errors.js';

type Db = Kysely<Database>;

const deny = (caller: Caller, what: string) => accessDenied(`Account ${caller.account} can not ${what}`);

/** Only admins. */
export function requireAdmin(caller: Caller, what: string): void {
  if (!caller.isAdmin) throw deny(caller, what);
}

/** Admins, or the account acting on itself. */
export function requireSelfOrAdmin(caller: Caller, account: string, what: string): void {
  if (!caller.isAdmin && caller.account !== account) throw deny(caller, what);
}

/** Writing DIDs/replicas into a scope: its owner or an admin. */
export async function requireScopeWrite(db: Db, caller: Caller, scope: string, what: string): Promise<void> {
  if (caller.isAdmin) return;
  const owner = await scopeOwner(db, scope);
  if (owner !== caller.account) throw deny(caller, `${what} in scope ${scope}`);
}

export const perm = {
  addAccount: (c: Caller) => requireAdmin(c, 'add account'),
  updateAccount: (c: Caller) => requireAdmin(c, 'update account'),
  deleteAccount: (c: Caller) => requireAdmin(c, 'delete account'),
  addAttribute: (c: Caller) => requireAdmin(c, 'add account attribute'),
  deleteAttribute: (c: Caller) => requireAdmin(c, 'delete account attribute'),
  addIdentity: (c: Caller) => requireAdmin(c, 'add identity'),
  deleteIdentity: (c: Caller) => requireAdmin(c, 'delete identity'),
  addScope: (c: Caller, account: string) => requireSelfOrAdmin(c, account, 'add scope'),
  setLimit: (c: Caller) => requireAdmin(c, 'set account limit'),
  addRse: (c: Caller) => requireAdmin(c, 'add RSE'),
  updateRse: (c: Caller) => requireAdmin(c, 'update RSE'),
  deleteRse: (c: Caller) => requireAdmin(c, 'delete RSE'),
  addRseAttribute: (c: Caller) => requireAdmin(c, 'add RSE attribute'),
  addProtocol: (c: Caller) => requireAdmin(c, 'add protocol'),
  updateReplicaState: (c: Caller) => requireAdmin(c, 'update replica state'),
  deleteReplicas: (c: Caller) => requireAdmin(c, 'delete replicas'),
  deleteRseAttribute: (c: Caller) => requireAdmin(c, 'delete RSE attribute'),
  updateProtocol: (c: Caller) => requireAdmin(c, 'update protocol'),
  deleteProtocol: (c: Caller) => requireAdmin(c, 'delete protocol'),
  setTombstone: (c: Caller) => requireAdmin(c, 'set tombstone'),
  // Skipping the RSE availability check when adding or deleting replicas (Rucio's skip_availability_check).
  skipAvailabilityCheck: (c: Caller) => c.isAdmin,
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
