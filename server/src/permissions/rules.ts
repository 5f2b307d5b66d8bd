/**
 * The permission table: one row per operation saying who may do it (admin, the account itself, the
 * owner of the scope, anyone authenticated), which WLCG storage capability a token must carry for it,
 * and whether a limited proxy may do it. `decide` is the only place that reads the table; `perm.*` in
 * policy.ts are thin wrappers that routes call.
 */
import type { Caller } from '../context.js';
import { type CallerCredential, fqanGroups, type StorageScope } from './caller.js';

/** Who may perform an operation (admins always may, unless their credential is restricted). */
export type Who = 'admin' | 'self' | 'scope-owner' | 'anyone';

/** One row of the table. */
export interface Rule {
  who: Who;
  /** Capability a token with WLCG storage scopes needs on every path the operation touches. */
  storage?: 'read' | 'create' | 'modify';
  /** A limited proxy (delegated for data access only) may do it. */
  limitedProxy: boolean;
  /** Words for the denial message: "Account jdoe can not <what>". */
  what: string;
}

const admin = (what: string, storage?: Rule['storage']): Rule => ({
  who: 'admin',
  limitedProxy: false,
  what,
  storage,
});

/** Every operation the API guards. */
export const RULES = {
  // accounts and identities
  addAccount: admin('add account'),
  updateAccount: admin('update account'),
  deleteAccount: admin('delete account'),
  addAttribute: admin('add account attribute'),
  deleteAttribute: admin('delete account attribute'),
  addIdentity: admin('add identity'),
  deleteIdentity: admin('delete identity'),
  setLimit: admin('set account limit'),
  // scopes
  addScope: { who: 'self', limitedProxy: false, what: 'add scope' },
  // RSEs
  addRse: admin('add RSE'),
  updateRse: admin('update RSE'),
  deleteRse: admin('delete RSE'),
  addRseAttribute: admin('add RSE attribute'),
  deleteRseAttribute: admin('delete RSE attribute'),
  addProtocol: admin('add protocol'),
  updateProtocol: admin('update protocol'),
  deleteProtocol: admin('delete protocol'),
  setRseUsage: admin('set RSE usage'),
  setRseLimit: admin('set RSE limits'),
  setTransferLimit: admin('set transfer limits'),
  // DIDs and replicas
  readDid: { who: 'anyone', storage: 'read', limitedProxy: true, what: 'read' },
  addDid: { who: 'scope-owner', storage: 'create', limitedProxy: true, what: 'add data identifier' },
  attachDids: { who: 'scope-owner', storage: 'create', limitedProxy: true, what: 'attach data identifiers' },
  setMetadata: { who: 'scope-owner', storage: 'modify', limitedProxy: true, what: 'set metadata' },
  addReplicas: { who: 'scope-owner', storage: 'create', limitedProxy: true, what: 'add replicas' },
  scopeWrite: { who: 'scope-owner', storage: 'create', limitedProxy: true, what: 'write' },
  reopenDid: admin('reopen data identifier', 'modify'),
  updateReplicaState: admin('update replica state', 'modify'),
  deleteReplicas: admin('delete replicas', 'modify'),
  setTombstone: admin('set tombstone', 'modify'),
  skipAvailabilityCheck: admin('skip the RSE availability check'),
  // rules (replication rules belong to an account)
  addRule: { who: 'self', limitedProxy: true, what: 'add rule' },
  updateRule: { who: 'self', limitedProxy: false, what: 'update rule' },
  deleteRule: { who: 'self', limitedProxy: true, what: 'delete rule' },
  // anything else that only admins do
  admin: admin('perform this administrative operation'),
} satisfies Record<string, Rule>;

/** Name of an operation of the table. */
export type Operation = keyof typeof RULES;

/** What an operation acts on. */
export interface Target {
  /** Account the operation is about (for `self` rules). */
  account?: string;
  /** Owner of the scope written into (for `scope-owner` rules); null when the scope does not exist. */
  scopeOwner?: string | null;
  /** Storage paths touched (`/scope/name`), for WLCG storage scopes. */
  paths?: string[];
}

/** The outcome of a decision; `reason` explains a denial in words a person can act on. */
export interface Decision {
  allowed: boolean;
  reason?: string;
}

/** Storage path of a DID (or of a whole scope) as WLCG storage scopes name it: `/scope/name`. */
export function didPath(scope: string, name?: string): string {
  return name === undefined ? `/${scope}` : `/${scope}/${name.replace(/^\/+/, '')}`;
}

/** WLCG path coverage: `/a` covers `/a` and `/a/b`, never `/ab`; `/` covers everything. */
export function pathCovers(scopePath: string, path: string): boolean {
  return scopePath === '/' || path === scopePath || path.startsWith(`${scopePath}/`);
}

const SATISFIES: Record<NonNullable<Rule['storage']>, StorageScope['action'][]> = {
  read: ['read'],
  // WLCG: storage.modify implies storage.create.
  create: ['create', 'modify'],
  modify: ['modify'],
};

/** Groups of a credential: `wlcg.groups` of a token, or the groups and roles of VOMS FQANs. */
export function credentialGroups(cred: CallerCredential | undefined): string[] {
  if (!cred) return [];
  return [...new Set([...(cred.groups ?? []), ...fqanGroups(cred.fqans ?? [])])];
}

/**
 * Whether a caller acts as admin: its account is admin (root or `admin` attribute) or its credential
 * carries one of `adminGroups` — and never through a limited proxy.
 */
export function effectiveAdmin(
  accountIsAdmin: boolean,
  cred: CallerCredential | undefined,
  adminGroups: string[],
): boolean {
  if (cred?.limited) return false;
  if (accountIsAdmin) return true;
  const groups = credentialGroups(cred);
  return adminGroups.some((g) => groups.includes(g));
}

/** Decides one operation for a caller. */
export function decide(caller: Caller, op: Operation | Rule, target: Target = {}): Decision {
  const rule: Rule = typeof op === 'string' ? RULES[op] : op;
  const cred = caller.credential;
  const deny = (why: string): Decision => ({
    allowed: false,
    reason: `Account ${caller.account} can not ${rule.what}${why}`,
  });
  if (cred?.limited && !rule.limitedProxy)
    return deny(': a limited proxy is only accepted for data access; use a full proxy');
  switch (rule.who) {
    case 'admin':
      if (!caller.isAdmin) return deny('');
      break;
    case 'self':
      if (!caller.isAdmin && caller.account !== target.account)
        return deny(target.account ? ` for account ${target.account}` : '');
      break;
    case 'scope-owner':
      if (!caller.isAdmin && (target.scopeOwner ?? null) !== caller.account) return deny('');
      break;
    case 'anyone':
      break;
  }
  if (rule.storage && cred?.storage) {
    const accepted = SATISFIES[rule.storage];
    for (const path of target.paths ?? ['/']) {
      const ok = cred.storage.some((s) => accepted.includes(s.action) && pathCovers(s.path, path));
      if (!ok)
        return deny(
          ` at ${path}: the token's scopes (${cred.storage.map((s) => `storage.${s.action}:${s.path}`).join(' ')}) do not cover it; it needs storage.${rule.storage}:${path} or a parent path`,
        );
    }
  }
  return { allowed: true };
}
