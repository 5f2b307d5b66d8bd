/**
 * Turns the `X-Rucio-Auth-Token` of a request into a caller: an Oxbow token from the token store, or
 * (as Rucio does) a JWT access token of a configured OIDC issuer, mapped to an account through an OIDC
 * identity `SUB=<sub>, ISS=<iss>`. The credential's attributes go with the caller for the policy.
 */

import { looksLikeJwt, type VerifiedToken } from '../auth/oidc.js';
import { accountsForIdentity } from '../catalog/accounts.js';
import type { AppContext, Caller } from '../context.js';
import { cannotAuthenticate } from '../errors.js';
import type { CallerCredential } from './caller.js';
import { credentialGroups, effectiveAdmin } from './rules.js';

const JWT_CACHE_MAX = 10_000;
const JWT_CACHE_TTL_MS = 60_000;
type CachedCaller = { caller: Omit<Caller, 'isAdmin'>; until: number };
// Per server context: verified JWTs are reused for a minute so each request is not a signature check + lookup.
const jwtCaches = new WeakMap<AppContext, Map<string, CachedCaller>>();

/** Chooses the account of an identity as Rucio does: the requested one if mapped, else the default, else the only one. */
export async function chooseAccount(
  ctx: AppContext,
  identity: string,
  type: string,
  requested: string | undefined,
): Promise<string> {
  const accounts = await accountsForIdentity(ctx.catalog.db, identity, type);
  if (accounts.length === 0)
    throw cannotAuthenticate(`Identity ${identity} (${type}) is not mapped to any account.`);
  if (requested) {
    if (!accounts.includes(requested))
      throw cannotAuthenticate(`Identity ${identity} (${type}) is not mapped to account ${requested}.`);
    return requested;
  }
  const rows = await ctx.catalog.db
    .selectFrom('account_map')
    .select(['account', 'is_default'])
    .where('identity', '=', identity)
    .where('identity_type', '=', type)
    .execute();
  const defaults = rows.filter((r) => r.is_default === 1).map((r) => r.account);
  if (defaults.length === 1) return defaults[0];
  if (accounts.length === 1) return accounts[0];
  throw cannotAuthenticate(
    `Identity ${identity} (${type}) maps to several accounts (${accounts.join(', ')}); choose one with the X-Rucio-Account header.`,
  );
}

async function requireActive(ctx: AppContext, account: string): Promise<void> {
  const acc = await ctx.catalog.db
    .selectFrom('accounts')
    .select('status')
    .where('account', '=', account)
    .executeTakeFirst();
  if (acc?.status !== 'ACTIVE') throw cannotAuthenticate(`Account ${account} is not active.`);
}

/** The credential a verified JWT gives a caller. */
export function oidcCredential(v: VerifiedToken): CallerCredential {
  return {
    method: 'oidc',
    issuer: v.issuer,
    subject: v.subject,
    scopes: v.scopes,
    storage: v.storage,
    groups: v.groups,
    expiresAt: v.expiresAt.toISOString(),
  };
}

/** Authenticates a token (Oxbow's or a JWT) into a caller, or throws CannotAuthenticate with the reason. */
export async function callerFromToken(
  ctx: AppContext,
  token: string,
  requestedAccount: string | undefined,
  accountIsAdmin: (account: string) => Promise<boolean>,
): Promise<Caller> {
  const adminGroups = ctx.auth?.adminGroups ?? [];
  if (looksLikeJwt(token)) {
    const oidc = ctx.auth?.oidc;
    if (!oidc)
      throw cannotAuthenticate(
        'Cannot authenticate with given credentials: the token is a JWT but this server trusts no OIDC issuer (--oidc-issuer).',
      );
    const key = `${requestedAccount ?? ''} ${token}`;
    let jwtCache = jwtCaches.get(ctx);
    if (!jwtCache) {
      jwtCache = new Map();
      jwtCaches.set(ctx, jwtCache);
    }
    const now = Date.now();
    let base = jwtCache.get(key);
    if (!base || base.until <= now) {
      const v = await oidc.verify(token);
      const account = await chooseAccount(ctx, v.identity, 'OIDC', requestedAccount);
      await requireActive(ctx, account);
      const credential = oidcCredential(v);
      base = {
        caller: { account, identity: v.identity, authType: 'oidc', vo: 'def', credential },
        until: Math.min(v.expiresAt.getTime(), now + JWT_CACHE_TTL_MS),
      };
      if (jwtCache.size >= JWT_CACHE_MAX) jwtCache.clear();
      jwtCache.set(key, base);
    }
    const c = base.caller;
    return { ...c, isAdmin: effectiveAdmin(await accountIsAdmin(c.account), c.credential, adminGroups) };
  }
  const info = await ctx.tokens.validate(token);
  if (!info)
    throw cannotAuthenticate(
      'Cannot authenticate with given credentials: the token is unknown or has expired; get a new one.',
    );
  const credential: CallerCredential = {
    method: info.authType,
    ...(info.attributes?.limited ? { limited: true } : {}),
    ...(info.attributes?.fqans?.length ? { fqans: info.attributes.fqans } : {}),
    expiresAt: info.expiresAt,
  };
  if (credential.fqans) credential.groups = credentialGroups(credential);
  return {
    account: info.account,
    identity: info.identity,
    authType: info.authType,
    isAdmin: effectiveAdmin(await accountIsAdmin(info.account), credential, adminGroups),
    vo: 'def',
    credential,
  };
}
