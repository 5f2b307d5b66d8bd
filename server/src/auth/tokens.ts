/**
 * Rucio-style opaque auth tokens: random, stored only as a SHA-256 hash, expiring. Validated tokens
 * are cached in memory so token checks do not hit the database on every request.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { CatalogDb } from '../db/connect.js';

/** Credential details kept with a token so the policy sees them on later requests (VOMS FQANs, limited proxy). */
export interface TokenAttributes {
  fqans?: string[];
  vo?: string | null;
  limited?: boolean;
}

/** What a valid token says about its caller. */
export interface TokenInfo {
  account: string;
  identity: string | null;
  authType: string;
  expiresAt: string;
  attributes?: TokenAttributes;
}

// Attributes ride in the auth_type column after a space ("x509_proxy {json}") so no schema change is
// needed; plain auth types never contain a space, so old rows read back unchanged.
const encodeAuthType = (authType: string, attrs?: TokenAttributes) =>
  attrs && Object.keys(attrs).length ? `${authType} ${JSON.stringify(attrs)}` : authType;
function decodeAuthType(stored: string): { authType: string; attributes?: TokenAttributes } {
  const sp = stored.indexOf(' ');
  if (sp < 0) return { authType: stored };
  try {
    return { authType: stored.slice(0, sp), attributes: JSON.parse(stored.slice(sp + 1)) as TokenAttributes };
  } catch {
    return { authType: stored.slice(0, sp) };
  }
}

export const TOKEN_LIFETIME_S = 3600;
const CACHE_MAX = 100_000;
// Another server process may delete a token; a cached token stays valid for at most this long after that.
const CACHE_TTL_MS = 60_000;

const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url');

/** Token issuing and validation bound to one catalog. */
export function tokenStore(catalog: CatalogDb) {
  const cache = new Map<string, { info: TokenInfo; until: number }>();

  return {
    /** Issues a new token for `account`; `attributes` are returned by `validate` with it. */
    async issue(
      account: string,
      identity: string | null,
      authType: string,
      ip: string | null,
      lifetimeS = TOKEN_LIFETIME_S,
      attributes?: TokenAttributes,
    ) {
      // Dots are avoided on purpose: a three-part dotted token is treated as a JWT.
      const token = `${account}-${randomBytes(24).toString('base64url').replace(/[-_]/g, 'x')}`;
      const now = new Date();
      const expiresAt = new Date(now.getTime() + lifetimeS * 1000).toISOString();
      await catalog.db
        .insertInto('tokens')
        .values({
          token_hash: hashToken(token),
          account,
          identity,
          auth_type: encodeAuthType(authType, attributes),
          expired_at: expiresAt,
          ip,
          created_at: now.toISOString(),
        })
        .execute();
      return { token, expiresAt };
    },

    /** Returns the token's owner, or null when unknown or expired. */
    async validate(token: string): Promise<TokenInfo | null> {
      // Keyed by the token itself: hashing it (SHA-256) cost about a tenth of a cached DID lookup.
      const nowMs = Date.now();
      const hit = cache.get(token);
      if (hit && hit.until > nowMs) return hit.info;
      if (hit) cache.delete(token);
      const key = hashToken(token);
      const row = await catalog.db
        .selectFrom('tokens')
        .selectAll()
        .where('token_hash', '=', key)
        .executeTakeFirst();
      if (!row) return null;
      const exp = Date.parse(row.expired_at);
      if (exp <= nowMs) return null;
      const info: TokenInfo = {
        account: row.account,
        identity: row.identity,
        ...decodeAuthType(row.auth_type),
        expiresAt: row.expired_at,
      };
      if (cache.size >= CACHE_MAX) cache.clear();
      cache.set(token, { info, until: Math.min(exp, nowMs + CACHE_TTL_MS) });
      return info;
    },

    /** Removes expired tokens (called periodically). */
    async purgeExpired(): Promise<number> {
      const res = await catalog.db
        .deleteFrom('tokens')
        .where('expired_at', '<', new Date().toISOString())
        .executeTakeFirst();
      return Number(res.numDeletedRows ?? 0);
    },
  };
}

export type TokenStore = ReturnType<typeof tokenStore>;
