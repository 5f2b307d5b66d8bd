/**
 * `oidc` authentication as Rucio servers accept it: no `/auth` call, the JWT access token itself is
 * sent in `X-Rucio-Auth-Token`. The token is found by WLCG bearer-token discovery (BEARER_TOKEN,
 * BEARER_TOKEN_FILE, `$XDG_RUNTIME_DIR/bt_u$UID`, `/tmp/bt_u$UID`) each time the transport needs one,
 * so a token renewed by another tool is picked up; when it is about to expire and `oxbow login` left a
 * session for that file, it is refreshed here, before it is sent.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthMethod, TokenGrant } from './auth.js';
import { CredentialError, currentUid, trustedCas } from './auth-files.js';
import { jwtExpiry, readSession, refreshSession, saveLogin } from './auth-oidc.js';

/** Inputs of discovery and refresh. */
export interface BearerOptions {
  /** BEARER_TOKEN: the token itself. */
  bearerToken?: string;
  /** BEARER_TOKEN_FILE. */
  bearerTokenFile?: string;
  /** XDG_RUNTIME_DIR. */
  runtimeDir?: string;
  /** Where `oxbow login` keeps refresh sessions. */
  sessionDir?: string;
  /** Refresh a token this long before it expires (default 60 s, as the transport renews). */
  renewBeforeMs?: number;
  /** CA trust for an https issuer. */
  caFile?: string;
  certDir?: string;
}

/** A token found by discovery and where it came from. */
export interface FoundToken {
  token: string;
  /** `BEARER_TOKEN` or the file path. */
  source: string;
  file?: string;
}

// A token without `exp` (opaque) is re-read this often.
const OPAQUE_RECHECK_MS = 300_000;

function readTokenFile(path: string): string | undefined {
  try {
    const t = readFileSync(path, 'utf8').trim();
    return t === '' ? undefined : t;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CredentialError(`cannot read bearer token file ${path}: ${(e as Error).message}`);
  }
}

/** WLCG bearer-token discovery; `looked` lists what was tried when nothing was found. */
export function discoverBearerToken(o: BearerOptions): FoundToken | { looked: string[] } {
  if (o.bearerToken?.trim()) return { token: o.bearerToken.trim(), source: 'BEARER_TOKEN' };
  if (o.bearerTokenFile) {
    // An explicit file is the token: never fall back to another identity's token.
    const t = readTokenFile(o.bearerTokenFile);
    return t
      ? { token: t, source: o.bearerTokenFile, file: o.bearerTokenFile }
      : { looked: [`BEARER_TOKEN_FILE=${o.bearerTokenFile} (missing or empty)`] };
  }
  const looked = ['BEARER_TOKEN (unset)', 'BEARER_TOKEN_FILE (unset)'];
  const name = `bt_u${currentUid()}`;
  for (const f of [...(o.runtimeDir ? [join(o.runtimeDir, name)] : []), join('/tmp', name)]) {
    const t = readTokenFile(f);
    if (t) return { token: t, source: f, file: f };
    looked.push(f);
  }
  return { looked };
}

/** The `oidc` auth method: discovered bearer token, refreshed through the login session when expiring. */
export function bearerAuth(o: BearerOptions): AuthMethod {
  const renewBeforeMs = o.renewBeforeMs ?? 60_000;
  const http = () => ({ ca: trustedCas({ caFile: o.caFile, certDir: o.certDir }) });
  return {
    type: 'oidc',
    identityKey: 'oidc',
    // The token already lives in the bearer-token file; a second copy in the token cache could go stale.
    persistTokens: false,
    async authenticate(): Promise<TokenGrant> {
      const found = discoverBearerToken(o);
      if (!('token' in found))
        throw new CredentialError(
          `no bearer token found (looked at ${found.looked.join(', ')}); run 'oxbow login' or set BEARER_TOKEN_FILE`,
        );
      let token = found.token;
      let exp = jwtExpiry(token);
      if (found.file && o.sessionDir && exp !== undefined && exp - Date.now() < renewBeforeMs) {
        const session = readSession(o.sessionDir, found.file);
        if (session) {
          try {
            const fresh = await refreshSession(session, http());
            saveLogin(o.sessionDir, found.file, session, fresh);
            token = fresh.accessToken;
            exp = fresh.expiresAt ?? jwtExpiry(token);
          } catch (e) {
            // Another process may have refreshed first (and rotated the refresh token): use its token.
            const again = discoverBearerToken(o);
            const againExp = 'token' in again ? jwtExpiry(again.token) : undefined;
            if (!('token' in again) || again.token === token || (againExp ?? 0) <= Date.now()) throw e;
            token = again.token;
            exp = againExp;
          }
        }
      }
      if (exp !== undefined && exp <= Date.now())
        throw new CredentialError(
          `the bearer token from ${found.source} expired at ${new Date(exp).toISOString()}; run 'oxbow login' to get a new one`,
        );
      return { token, expiresAt: exp ?? Date.now() + OPAQUE_RECHECK_MS };
    },
  };
}
