/**
 * The authentication seam. Every auth type (userpass, x509, x509_proxy, oidc) is one `AuthMethod`:
 * it turns credentials into a Rucio token (or, for oidc, finds the bearer token that is sent as is).
 * The transport caches and renews tokens and never branches on the auth type.
 */
import { createHash } from 'node:crypto';
import { bearerAuth } from './auth-bearer.js';
import { credentialDefaults } from './auth-files.js';
import { x509Auth, x509ProxyAuth } from './auth-x509.js';
import type { ClientSettings } from './config.js';
import { ClientConfigError, errorFromResponse, RucioClientError } from './errors.js';

export * from './auth-bearer.js';
export * from './auth-files.js';
export * from './auth-oidc.js';
export * from './auth-x509.js';

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
  /** false: keep tokens in memory only (the credential is itself a token kept elsewhere, e.g. a bearer-token file). */
  readonly persistTokens?: boolean;
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

/**
 * Reads a login answer: 200 → the token; 206 (the identity maps to several accounts and none was
 * chosen) → an error listing them; anything else → the server's reason.
 */
export function grantFromAuthResponse(res: RawResponse, request: string, who: string): TokenGrant {
  if (res.status === 206) {
    const accounts = String(res.headers['x-rucio-auth-accounts'] ?? '')
      .split(',')
      .filter(Boolean);
    throw new RucioClientError(
      'CannotAuthenticate',
      206,
      `${who} maps to several accounts (${accounts.join(', ')}): choose one with --account or OXBOW_ACCOUNT`,
      request,
    );
  }
  if (res.status !== 200) throw errorFromResponse(res.status, res.headers, res.body, request);
  return grantFromHeaders(res, request);
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
      return grantFromAuthResponse(res, 'GET /auth/userpass', `identity '${username}'`);
    },
  };
}

/** Settings an auth method is built from (unset credential paths fall back to conventions.md's defaults). */
export type AuthSettings = Pick<ClientSettings, 'authType'> &
  Partial<
    Pick<
      ClientSettings,
      | 'url'
      | 'username'
      | 'password'
      | 'certFile'
      | 'keyFile'
      | 'proxyFile'
      | 'certDir'
      | 'caFile'
      | 'bearerToken'
      | 'bearerTokenFile'
      | 'runtimeDir'
      | 'oidcSessionDir'
    >
  >;

/** Builds the auth method the settings ask for. */
export function authMethodFor(s: AuthSettings): AuthMethod {
  const defaults = credentialDefaults();
  if ((s.authType === 'x509' || s.authType === 'x509_proxy') && s.url?.startsWith('http:'))
    throw new ClientConfigError(
      `${s.authType} authentication needs an https:// server URL (a certificate is presented over TLS), not ${s.url}`,
    );
  switch (s.authType) {
    case 'userpass':
      if (!s.username || s.password === undefined)
        throw new ClientConfigError('userpass authentication needs a username and a password');
      return userpassAuth(s.username, s.password);
    case 'x509':
      return x509Auth(s.certFile ?? defaults.certFile, s.keyFile ?? defaults.keyFile);
    case 'x509_proxy':
      return x509ProxyAuth(s.proxyFile ?? defaults.proxyFile);
    case 'oidc':
      return bearerAuth({
        bearerToken: s.bearerToken,
        bearerTokenFile: s.bearerTokenFile,
        runtimeDir: s.runtimeDir,
        sessionDir: s.oidcSessionDir ?? defaults.oidcSessionDir,
        caFile: s.caFile,
        certDir: s.certDir,
      });
    default:
      throw new ClientConfigError(
        `unknown auth type '${String(s.authType)}'; use userpass, x509, x509_proxy or oidc`,
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
