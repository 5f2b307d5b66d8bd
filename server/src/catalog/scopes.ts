/** Scopes and their owners (Rucio's core/scope.py). */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { duplicate, invalidObject, scopeNotFound } from '../errors.js';
import { now } from '../http/dates.js';
import { getAccount } from './accounts.js';

type Db = Kysely<Database>;
const SCOPE_RE = /^[a-zA-Z0-9_.-]{1,25}$/;

/** Throws InvalidObject unless `scope` is a valid scope name. */
export function checkScopeName(scope: string): void {
  if (!SCOPE_RE.test(scope)) {
    throw invalidObject(
      `Invalid scope name '${scope}': use 1-25 characters from letters, digits, '_', '-' and '.'.`,
    );
  }
}

/** Creates a scope owned by `account`. */
export async function addScope(db: Db, scope: string, account: string): Promise<void> {
  checkScopeName(scope);
  await getAccount(db, account);
  const existing = await db
    .selectFrom('scopes')
    .select('scope')
    .where('scope', '=', scope)
    .executeTakeFirst();
  if (existing) throw duplicate(`Scope '${scope}' already exists!`);
  const t = now();
  await db
    .insertInto('scopes')
    .values({ scope, account, is_default: 0, status: 'O', created_at: t, updated_at: t })
    .execute();
}

/** All scope names. */
export async function listScopes(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('scopes').select('scope').orderBy('scope').execute();
  return rows.map((r) => r.scope);
}

/** All scopes with owners. */
export async function listScopesWithOwner(db: Db) {
  return db.selectFrom('scopes').select(['scope', 'account']).orderBy('scope').execute();
}

/** Scopes owned by an account. */
export async function listScopesOf(db: Db, account: string): Promise<string[]> {
  await getAccount(db, account);
  const rows = await db
    .selectFrom('scopes')
    .select('scope')
    .where('account', '=', account)
    .orderBy('scope')
    .execute();
  return rows.map((r) => r.scope);
}

/** Owner of a scope, or ScopeNotFound. */
export async function scopeOwner(db: Db, scope: string): Promise<string> {
  const row = await db.selectFrom('scopes').select('account').where('scope', '=', scope).executeTakeFirst();
  if (!row) throw scopeNotFound(`Scope '${scope}' does not exist`);
  return row.account;
}
