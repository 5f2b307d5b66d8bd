/**
 * The authentication seam. Every auth type (userpass now; x509, x509_proxy and oidc later) is one
 * `AuthMethod`: it turns credentials into a Rucio token. The transport caches and renews tokens and
 * never branches on the auth type.
 */
import { createHash } from 'node:crypto';
import type { ClientSettings } from './config.js';
import { ClientConfigError, errorFromResponse, RucioClientError } from './errors.js';

/** A response read completely (auth answers are tiny). */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sends one unauthenticated GET to the server (path relative to the base URL) and reads the answer. */
export type AuthGet = (path: string, headers: Record<string, string>) => Promise<RawResponse>;

/** A token and when it stops being valid. */
export interface TokenGrant {
  token: string;
  /** Expiry, milliseconds since the epoch. */
  expiresAt: number;
  /** Account the token acts for (the server says which when none was asked for). */
  account?: string;
}

/** One way of obtaining a token. */
export interface AuthMethod {
  /** Rucio's auth type name (`userpass`, `x509`, …). */
  readonly type: string;
  /** Stable key of the identity (never the secret itself) so cached tokens are per identity. */
  readonly identityKey: string;
  /** TLS material the connection must present (client certificate for x509); merged into the pool. */
  readonly tls?: { cert?: string | Buffer; key?: string | Buffer; passphrase?: string };
  /** Obtains a fresh token; `account` unset = the identity's default account. */
  authenticate(get: AuthGet, account: string | undefined): Promise<TokenGrant>;
}

// Rucio's default token lifetime; used only when a server omits the expiry header.
const FALLBACK_LIFETIME_MS = 3600_000;

/** Reads the token headers Rucio's /auth/* endpoints answer with. */
export function grantFromHeaders(res: RawResponse, request: string): TokenGrant {
  const h = (name: string) => {
    const v = res.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const token = h('x-rucio-auth-token');
  if (!token)
    throw new RucioClientError(
      'CannotAuthenticate',
      res.status,
      `${request} answered ${res.status} without an X-Rucio-Auth-Token header`,
      request,
    );
  const exp = Date.parse(h('x-rucio-auth-token-expires') ?? '');
  return {
    token,
    expiresAt: Number.isFinite(exp) ? exp : Date.now() + FALLBACK_LIFETIME_MS,
    account: h('x-rucio-auth-account'),
  };
}

/** Username/password authentication (`GET /auth/userpass` with X-Rucio-Username/-Password). */
export function userpassAuth(username: string, password: string): AuthMethod {
  return {
    type: 'userpass',
    // The password is part of the key (hashed again in tokenKey) so a changed password is not bypassed by a cached token.
    identityKey: `userpass:${username}:${createHash('sha256').update(password).digest('hex')}`,
    async authenticate(get, account) {
      const headers: Record<string, string> = {
        'X-Rucio-Username': username,
        'X-Rucio-Password': password,
      };
      if (account) headers['X-Rucio-Account'] = account;
      const res = await get('/auth/userpass', headers);
      const request = 'GET /auth/userpass';
      if (res.status === 206) {
        // The identity maps to several accounts and none was chosen: Rucio answers 206 with the list.
        const accounts = String(res.headers['x-rucio-auth-accounts'] ?? '').split(',');
        throw new RucioClientError(
          'CannotAuthenticate',
          206,
          `identity '${username}' maps to several accounts (${accounts.join(', ')}): choose one with --account or OXBOW_ACCOUNT`,
          request,
        );
      }
      if (res.status !== 200) throw errorFromResponse(res.status, res.headers, res.body, request);
      return grantFromHeaders(res, request);
    },
  };
}

/** Builds the auth method the settings ask for; auth types not implemented yet are refused clearly. */
export function authMethodFor(s: Pick<ClientSettings, 'authType' | 'username' | 'password'>): AuthMethod {
  switch (s.authType) {
    case 'userpass':
      if (!s.username || s.password === undefined)
        throw new ClientConfigError('userpass authentication needs a username and a password');
      return userpassAuth(s.username, s.password);
    default:
      throw new ClientConfigError(
        `auth type '${s.authType}' is not implemented in this client yet; use userpass (OXBOW_AUTH_TYPE=userpass)`,
      );
  }
}

/** Cache key of a token: server, VO, account and identity (hashed: file names must not leak names). */
export function tokenKey(url: string, vo: string | undefined, account: string | undefined, auth: AuthMethod) {
  return createHash('sha256')
    .update([url, vo ?? '', account ?? '', auth.type, auth.identityKey].join('\n'))
    .digest('hex')
    .slice(0, 32);
}
