/**
 * OIDC token flows with an issuer (openid-client 6): device code for people, client credentials for
 * robots, refresh. openid-client speaks fetch; it is handed undici's fetch with our own dispatcher
 * (`customFetch`), so the CA trust of the client applies and no global fetch is used.
 *
 * After a login the access token goes where WLCG bearer-token discovery finds it (BEARER_TOKEN_FILE,
 * else `$XDG_RUNTIME_DIR/bt_u$UID`, else `/tmp/bt_u$UID`), so gfal, xrootd and Rucio's tools can use
 * it too; the refresh token, issuer and client go to a session file under `~/.config/oxbow/oidc/`
 * named after that token file. Both files are written with mode 0600.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as oc from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import { CredentialError, currentUid } from './auth-files.js';
import { ClientConfigError } from './errors.js';

/** Which issuer and client to ask, and what to ask for. */
export interface OidcClientSpec {
  issuer: string;
  clientId: string;
  /** Confidential clients (always for client credentials); sent with HTTP Basic. */
  clientSecret?: string;
  /** Space-separated scopes, e.g. `openid offline_access storage.read:/`. */
  scope?: string;
  /** Audience of the access token (`audience` request parameter as WLCG IdPs take it); default none. */
  audience?: string;
}

/** Tokens from an issuer. */
export interface OidcTokens {
  accessToken: string;
  refreshToken?: string;
  /** Expiry of the access token, ms since the epoch, when known. */
  expiresAt?: number;
  scope?: string;
}

/** What a person must do to finish a device-code login. */
export interface DevicePrompt {
  verificationUri: string;
  verificationUriComplete?: string;
  userCode: string;
  /** Seconds until the code expires. */
  expiresIn: number;
}

/** What `oxbow login` keeps to refresh a token without asking again. */
export interface OidcSession extends OidcClientSpec {
  flow: 'device' | 'client_credentials';
  refreshToken?: string;
  /** The bearer-token file this session keeps fresh. */
  tokenFile: string;
  expiresAt?: number;
}

/** HTTP options of the flows: trusted CAs for an https issuer. */
export interface OidcHttpOptions {
  ca?: string[];
}

function isLoopback(u: URL): boolean {
  return u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
}

/** Describes an openid-client failure in one line (the issuer's `error_description` when it sent one). */
function oidcFailure(step: string, issuer: string, e: unknown): CredentialError {
  const err = e as { error?: string; error_description?: string; message?: string; cause?: unknown };
  // A 401 with WWW-Authenticate (e.g. a wrong client secret) carries the error in its challenge.
  const challenge = Array.isArray(err.cause)
    ? (err.cause[0] as { parameters?: { error?: string; error_description?: string } }).parameters
    : undefined;
  const error = err.error ?? challenge?.error;
  const description = err.error_description ?? challenge?.error_description;
  const cause = Array.isArray(err.cause)
    ? undefined
    : (err.cause as { message?: string; code?: string } | undefined);
  const detail = error
    ? `${error}${description ? `: ${description}` : ''}`
    : `${err.message ?? String(e)}${cause?.message ? ` (${cause.code ?? cause.message})` : ''}`;
  return new CredentialError(`OIDC ${step} at ${issuer} failed: ${detail}`);
}

/** Discovers the issuer and returns an openid-client configuration using undici; close() frees the pool. */
export async function oidcConfiguration(
  spec: OidcClientSpec,
  http: OidcHttpOptions = {},
): Promise<{ config: oc.Configuration; close(): Promise<void> }> {
  let issuer: URL;
  try {
    issuer = new URL(spec.issuer);
  } catch {
    throw new ClientConfigError(`OIDC issuer '${spec.issuer}' is not a URL`);
  }
  // Plain http only for an issuer on this machine (tests, local development): tokens are secrets.
  const insecure = issuer.protocol === 'http:';
  if (insecure && !isLoopback(issuer))
    throw new ClientConfigError(
      `OIDC issuer ${spec.issuer} must be https:// (http is allowed on loopback only)`,
    );
  const dispatcher = new Agent({ connect: http.ca ? { ca: http.ca } : {} });
  const fetchWithUndici: oc.CustomFetch = (url, options) =>
    undiciFetch(url, { ...(options as object), dispatcher }) as unknown as Promise<Response>;
  const auth = spec.clientSecret ? oc.ClientSecretBasic(spec.clientSecret) : oc.None();
  try {
    const config = await oc.discovery(issuer, spec.clientId, undefined, auth, {
      [oc.customFetch]: fetchWithUndici,
      execute: insecure ? [oc.allowInsecureRequests] : [],
    });
    return { config, close: () => dispatcher.close() };
  } catch (e) {
    await dispatcher.close();
    throw oidcFailure('discovery', spec.issuer, e);
  }
}

/** Scope and audience as request parameters (only the ones given). */
function requestParams(spec: OidcClientSpec): Record<string, string> {
  const p: Record<string, string> = {};
  if (spec.scope) p.scope = spec.scope;
  if (spec.audience) p.audience = spec.audience;
  return p;
}

/** Expiry (ms) of a JWT access token from its `exp` claim, read without verification (for timing only). */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function tokensFrom(t: oc.TokenEndpointResponse & oc.TokenEndpointResponseHelpers): OidcTokens {
  const expiresIn = t.expiresIn();
  return {
    accessToken: t.access_token,
    refreshToken: t.refresh_token,
    expiresAt: expiresIn !== undefined ? Date.now() + expiresIn * 1000 : jwtExpiry(t.access_token),
    scope: t.scope,
  };
}

/** Client-credentials grant (robots): needs a client secret. */
export async function clientCredentialsLogin(
  spec: OidcClientSpec,
  http: OidcHttpOptions = {},
): Promise<OidcTokens> {
  if (!spec.clientSecret)
    throw new ClientConfigError('the client-credentials flow needs a client secret (--client-secret)');
  const { config, close } = await oidcConfiguration(spec, http);
  try {
    return tokensFrom(await oc.clientCredentialsGrant(config, requestParams(spec)));
  } catch (e) {
    throw oidcFailure('client-credentials grant', spec.issuer, e);
  } finally {
    await close();
  }
}

/** Device-code flow: asks the issuer for a code, lets `prompt` show it, polls until the user approved. */
export async function deviceCodeLogin(
  spec: OidcClientSpec,
  prompt: (p: DevicePrompt) => void | Promise<void>,
  http: OidcHttpOptions & { signal?: AbortSignal } = {},
): Promise<OidcTokens> {
  const { config, close } = await oidcConfiguration(spec, http);
  try {
    let da: oc.DeviceAuthorizationResponse;
    try {
      da = await oc.initiateDeviceAuthorization(config, requestParams(spec));
    } catch (e) {
      throw oidcFailure('device authorization', spec.issuer, e);
    }
    await prompt({
      verificationUri: da.verification_uri,
      verificationUriComplete: da.verification_uri_complete,
      userCode: da.user_code,
      expiresIn: da.expires_in,
    });
    try {
      return tokensFrom(
        await oc.pollDeviceAuthorizationGrant(config, da, undefined, { signal: http.signal }),
      );
    } catch (e) {
      throw oidcFailure('device-code polling', spec.issuer, e);
    }
  } finally {
    await close();
  }
}

/** New tokens for a saved session: refresh token when there is one, else client credentials again. */
export async function refreshSession(session: OidcSession, http: OidcHttpOptions = {}): Promise<OidcTokens> {
  if (session.refreshToken) {
    const { config, close } = await oidcConfiguration(session, http);
    try {
      const t = tokensFrom(await oc.refreshTokenGrant(config, session.refreshToken));
      // Issuers that do not rotate refresh tokens answer without one: keep the old one.
      return { ...t, refreshToken: t.refreshToken ?? session.refreshToken };
    } catch (e) {
      throw oidcFailure('token refresh', session.issuer, e);
    } finally {
      await close();
    }
  }
  if (session.flow === 'client_credentials' && session.clientSecret)
    return clientCredentialsLogin(session, http);
  throw new CredentialError(
    `the bearer token in ${session.tokenFile} expired and there is no refresh token; run 'oxbow login' again`,
  );
}

/** Where a login writes the access token: BEARER_TOKEN_FILE, else `$XDG_RUNTIME_DIR/bt_u$UID`, else `/tmp/bt_u$UID`. */
export function bearerTokenLocation(o: { bearerTokenFile?: string; runtimeDir?: string }): string {
  if (o.bearerTokenFile) return o.bearerTokenFile;
  const name = `bt_u${currentUid()}`;
  return o.runtimeDir ? join(o.runtimeDir, name) : join('/tmp', name);
}

/** Session file of a token file (one per token file, so several identities can coexist). */
export function sessionFileFor(sessionDir: string, tokenFile: string): string {
  const id = createHash('sha256').update(resolve(tokenFile)).digest('hex').slice(0, 16);
  return join(sessionDir, `session-${id}.json`);
}

/** Writes a secret file: mode 0600 from creation on, via an exclusive temp file and a rename (no symlink games in /tmp). */
export function writePrivateFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600); // the umask cannot widen it, but be explicit
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new CredentialError(`cannot write ${path}: ${(e as Error).message}`);
  }
}

/** Reads the session kept for a token file, if any (unreadable or foreign files count as none). */
export function readSession(sessionDir: string, tokenFile: string): OidcSession | undefined {
  try {
    const s = JSON.parse(readFileSync(sessionFileFor(sessionDir, tokenFile), 'utf8')) as OidcSession;
    if (typeof s.issuer !== 'string' || typeof s.clientId !== 'string') return undefined;
    if (resolve(s.tokenFile) !== resolve(tokenFile)) return undefined;
    return s;
  } catch {
    return undefined;
  }
}

/** Stores the access token in `tokenFile` and the session (refresh token, client) beside the config; returns the session file. */
export function saveLogin(
  sessionDir: string,
  tokenFile: string,
  session: Omit<OidcSession, 'tokenFile' | 'refreshToken' | 'expiresAt'>,
  tokens: OidcTokens,
): string {
  writePrivateFile(tokenFile, `${tokens.accessToken}\n`);
  const file = sessionFileFor(sessionDir, tokenFile);
  const stored: OidcSession = {
    ...session,
    tokenFile: resolve(tokenFile),
    refreshToken: tokens.refreshToken,
    expiresAt: tokens.expiresAt,
  };
  writePrivateFile(file, `${JSON.stringify(stored, null, 2)}\n`);
  return file;
}

/** Removes a token file and its session; returns the files that existed. */
export function removeLogin(sessionDir: string, tokenFile: string): string[] {
  const removed: string[] = [];
  for (const f of [tokenFile, sessionFileFor(sessionDir, tokenFile)]) {
    try {
      rmSync(f);
      removed.push(f);
    } catch {
      // absent already
    }
  }
  return removed;
}
