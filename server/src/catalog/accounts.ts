/** Accounts, their attributes and identities (Rucio's core/account.py and core/identity.py). */
import type { Kysely } from 'kysely';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import { normaliseX509Identity } from '../auth/x509-names.js';
import type { Database } from '../db/schema.js';
import {
  accountNotFound,
  duplicate,
  identityError,
  identityNotFound,
  invalidAccountType,
  invalidObject,
  keyNotFound,
} from '../errors.js';
import { now } from '../http/dates.js';

export const ACCOUNT_TYPES = ['USER', 'GROUP', 'SERVICE'] as const;
export const ACCOUNT_STATUSES = ['ACTIVE', 'SUSPENDED', 'DELETED'] as const;
export const IDENTITY_TYPES = ['USERPASS', 'X509', 'OIDC', 'GSS', 'SSH', 'SAML'] as const;
const ACCOUNT_RE = /^[a-z0-9-_]{1,25}$/;

type Db = Kysely<Database>;

/** Throws InvalidObject unless `account` is a valid account name. */
export function checkAccountName(account: string): void {
  if (!ACCOUNT_RE.test(account)) {
    throw invalidObject(
      `Invalid account name '${account}': use 1-25 characters from lowercase letters, digits, '-' and '_'.`,
    );
  }
}

/** Returns the account row or throws AccountNotFound (deleted accounts count as absent). */
export async function getAccount(db: Db, account: string) {
  const row = await db.selectFrom('accounts').selectAll().where('account', '=', account).executeTakeFirst();
  if (!row || row.status === 'DELETED') throw accountNotFound(`Account with ID '${account}' cannot be found`);
  return row;
}

/** Creates an account. */
export async function addAccount(db: Db, account: string, type: string, email: string | null): Promise<void> {
  checkAccountName(account);
  const accountType = type.toUpperCase();
  if (!(ACCOUNT_TYPES as readonly string[]).includes(accountType)) {
    throw invalidAccountType(`Account type '${type}' is not one of ${ACCOUNT_TYPES.join(', ')}.`);
  }
  const existing = await db
    .selectFrom('accounts')
    .select('account')
    .where('account', '=', account)
    .executeTakeFirst();
  if (existing) throw duplicate(`Account ID '${account}' already exists!`);
  const t = now();
  await db
    .insertInto('accounts')
    .values({
      account,
      account_type: accountType,
      status: 'ACTIVE',
      email,
      created_at: t,
      updated_at: t,
      suspended_at: null,
      deleted_at: null,
    })
    .execute();
}

/** Lists active accounts matching Rucio's filters (account with `*` wildcards, account_type, identity, attribute=value). */
export async function* listAccounts(db: Db, filter: Record<string, string>) {
  let q = db
    .selectFrom('accounts')
    .select(['accounts.account', 'accounts.account_type', 'accounts.email'])
    .where('accounts.status', '=', 'ACTIVE');
  for (const [key, value] of Object.entries(filter)) {
    if (key === 'account') {
      q = value.includes('*')
        ? q.where('accounts.account', 'like', value.replace(/\*/g, '%'))
        : q.where('accounts.account', '=', value);
    } else if (key === 'account_type') {
      q = q.where('accounts.account_type', '=', value.toUpperCase());
    } else if (key === 'identity') {
      q = q.where(
        'accounts.account',
        'in',
        db.selectFrom('account_map').select('account').where('identity', '=', value),
      );
    } else {
      q = q.where(
        'accounts.account',
        'in',
        db.selectFrom('account_attrs').select('account').where('key', '=', key).where('value', '=', value),
      );
    }
  }
  for (const r of await q.orderBy('accounts.account').execute()) {
    yield { account: r.account, type: r.account_type, email: r.email };
  }
}

/** Updates status or email of an account. */
export async function updateAccount(db: Db, account: string, key: string, value: string): Promise<void> {
  await getAccount(db, account);
  const t = now();
  if (key === 'status') {
    const status = value.toUpperCase();
    if (!(ACCOUNT_STATUSES as readonly string[]).includes(status)) {
      throw invalidObject(`Unknown account status '${value}': use ACTIVE or SUSPENDED.`);
    }
    await db
      .updateTable('accounts')
      .set({ status, updated_at: t, suspended_at: status === 'SUSPENDED' ? t : null })
      .where('account', '=', account)
      .execute();
  } else if (key === 'email') {
    await db
      .updateTable('accounts')
      .set({ email: value, updated_at: t })
      .where('account', '=', account)
      .execute();
  } else {
    throw invalidObject(`Account field '${key}' cannot be updated; only 'status' and 'email' can.`);
  }
}

/** Marks an account deleted (Rucio keeps the row). */
export async function deleteAccount(db: Db, account: string): Promise<void> {
  await getAccount(db, account);
  const t = now();
  await db
    .updateTable('accounts')
    .set({ status: 'DELETED', deleted_at: t, updated_at: t })
    .where('account', '=', account)
    .execute();
}

/** Account attributes as Rucio lists them: `[{key, value}]`. */
export async function listAccountAttributes(db: Db, account: string) {
  await getAccount(db, account);
  const rows = await db
    .selectFrom('account_attrs')
    .select(['key', 'value'])
    .where('account', '=', account)
    .orderBy('key')
    .execute();
  return rows.map((r) => ({ key: r.key, value: decodeAttr(r.value) }));
}

/** Stored attribute values keep Rucio's booleans (`True`/`true` → true). */
function decodeAttr(v: string): string | boolean {
  if (v === 'True' || v === 'true') return true;
  if (v === 'False' || v === 'false') return false;
  return v;
}

/** Sets (or replaces) one attribute. */
export async function addAccountAttribute(
  db: Db,
  account: string,
  key: string,
  value: unknown,
): Promise<void> {
  await getAccount(db, account);
  if (!/^[a-zA-Z0-9_.-]{1,255}$/.test(key)) throw invalidObject(`Invalid attribute key '${key}'.`);
  const v = typeof value === 'boolean' ? (value ? 'True' : 'False') : String(value);
  const existing = await db
    .selectFrom('account_attrs')
    .select('key')
    .where('account', '=', account)
    .where('key', '=', key)
    .executeTakeFirst();
  if (existing) throw duplicate(`Account attribute '${key}' of account '${account}' already exists`);
  await db.insertInto('account_attrs').values({ account, key, value: v }).execute();
}

/** Removes one attribute. */
export async function deleteAccountAttribute(db: Db, account: string, key: string): Promise<void> {
  await getAccount(db, account);
  const res = await db
    .deleteFrom('account_attrs')
    .where('account', '=', account)
    .where('key', '=', key)
    .executeTakeFirst();
  if (Number(res.numDeletedRows) === 0)
    throw keyNotFound(`Attribute '${key}' not found for account '${account}'`);
}

/** True when the account is root or carries the `admin` attribute. */
export async function isAdminAccount(db: Db, account: string): Promise<boolean> {
  if (account === 'root') return true;
  const row = await db
    .selectFrom('account_attrs')
    .select('value')
    .where('account', '=', account)
    .where('key', '=', 'admin')
    .executeTakeFirst();
  return row ? decodeAttr(row.value) === true : false;
}

/** Normalises identity type names Rucio accepts in any case. */
export function identityType(type: string): string {
  const t = type.toUpperCase();
  if (!(IDENTITY_TYPES as readonly string[]).includes(t)) {
    throw identityError(`Unknown identity type '${type}': use one of ${IDENTITY_TYPES.join(', ')}.`);
  }
  return t;
}

/** Adds an identity (creating it if new) and maps it to an account. */
export async function addIdentity(
  db: Db,
  opts: {
    account: string;
    identity: string;
    type: string;
    email?: string | null;
    password?: string | null;
    isDefault?: boolean;
  },
): Promise<void> {
  const type = identityType(opts.type);
  if (type === 'X509') opts = { ...opts, identity: normaliseX509Identity(opts.identity) };
  await getAccount(db, opts.account);
  if (type === 'USERPASS' && !opts.password) throw identityError('A userpass identity needs a password.');
  const t = now();
  const existing = await db
    .selectFrom('identities')
    .select('identity')
    .where('identity', '=', opts.identity)
    .where('identity_type', '=', type)
    .executeTakeFirst();
  const password = opts.password ? await hashPassword(opts.password) : null;
  if (!existing) {
    await db
      .insertInto('identities')
      .values({
        identity: opts.identity,
        identity_type: type,
        password,
        email: opts.email ?? null,
        created_at: t,
        updated_at: t,
      })
      .execute();
  } else if (password) {
    await db
      .updateTable('identities')
      .set({ password, updated_at: t })
      .where('identity', '=', opts.identity)
      .where('identity_type', '=', type)
      .execute();
  }
  const mapped = await db
    .selectFrom('account_map')
    .select('account')
    .where('identity', '=', opts.identity)
    .where('identity_type', '=', type)
    .where('account', '=', opts.account)
    .executeTakeFirst();
  if (mapped)
    throw duplicate(
      `Identity pair '${opts.identity}','${type}' already exists for account '${opts.account}'`,
    );
  await db
    .insertInto('account_map')
    .values({
      identity: opts.identity,
      identity_type: type,
      account: opts.account,
      is_default: opts.isDefault ? 1 : 0,
      created_at: t,
    })
    .execute();
}

/** Unmaps an identity from an account. */
export async function deleteIdentity(db: Db, account: string, identity: string, type: string): Promise<void> {
  const t = identityType(type);
  await getAccount(db, account);
  const res = await db
    .deleteFrom('account_map')
    .where('identity', '=', identity)
    .where('identity_type', '=', t)
    .where('account', '=', account)
    .executeTakeFirst();
  if (Number(res.numDeletedRows) === 0)
    throw identityError(`Identity ('${identity}','${t}') is not mapped to account '${account}'`);
}

/** Identities of an account as Rucio lists them. */
export async function listIdentities(db: Db, account: string) {
  await getAccount(db, account);
  const rows = await db
    .selectFrom('account_map')
    .innerJoin('identities', (j) =>
      j
        .onRef('identities.identity', '=', 'account_map.identity')
        .onRef('identities.identity_type', '=', 'account_map.identity_type'),
    )
    .select(['account_map.identity', 'account_map.identity_type', 'identities.email'])
    .where('account_map.account', '=', account)
    .orderBy('account_map.identity')
    .execute();
  return rows.map((r) => ({ type: r.identity_type, identity: r.identity, email: r.email }));
}

/** Accounts an identity maps to. */
export async function accountsForIdentity(db: Db, identity: string, type: string): Promise<string[]> {
  const rows = await db
    .selectFrom('account_map')
    .select(['account', 'is_default'])
    .where('identity', '=', identity)
    .where('identity_type', '=', identityType(type))
    .orderBy('is_default', 'desc')
    .orderBy('account')
    .execute();
  return rows.map((r) => r.account);
}

/** Verifies a username/password; returns the identity's accounts or throws IdentityNotFound/CannotAuthenticate. */
export async function verifyUserpass(db: Db, username: string, password: string): Promise<string[]> {
  const row = await db
    .selectFrom('identities')
    .select('password')
    .where('identity', '=', username)
    .where('identity_type', '=', 'USERPASS')
    .executeTakeFirst();
  if (!row?.password || !(await verifyPassword(password, row.password))) {
    throw identityNotFound('Cannot authenticate. Username/Password pair does not exist.');
  }
  return accountsForIdentity(db, username, 'USERPASS');
}
