/**
 * OIDC/WLCG JWT access tokens accepted in `X-Rucio-Auth-Token`, as Rucio accepts them: the issuer must
 * be configured, the signature must verify with a key of that issuer's JWKS (found by discovery),
 * `aud` must hold the expected audience, `exp`/`nbf`/`iat` must hold within a small clock skew, and
 * only asymmetric algorithms are allowed (never `none`, never HS* keyed with public material).
 * HTTP goes through undici (discovery and JWKS are fetched here, then handed to jose as a local set).
 */
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWTPayload,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { request } from 'undici';
import { RucioError } from '../errors.js';
import type { StorageScope } from '../permissions/caller.js';

/** Asymmetric JWS algorithms accepted (RFC 7518 / 8037). */
export const ALLOWED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];
/** WLCG's "any audience" value (WLCG common JWT profile). */
export const WLCG_ANY_AUDIENCE = 'https://wlcg.cern.ch/jwt/v1/any';
const JWKS_MAX_AGE_MS = 600_000;
const JWKS_MIN_REFRESH_MS = 30_000;
const HTTP_TIMEOUT_MS = 10_000;

/** A token that is not accepted; the message says why. */
export class TokenError extends RucioError {
  constructor(message: string) {
    super('CannotAuthenticate', 401, message);
  }
}

/** What a verified token says. */
export interface VerifiedToken {
  issuer: string;
  subject: string;
  /** Rucio's identity string for the token: `SUB=<sub>, ISS=<iss>`. */
  identity: string;
  scopes: string[];
  storage: StorageScope[] | undefined;
  groups: string[];
  expiresAt: Date;
  claims: JWTPayload;
}

/** Settings of the verifier. */
export interface OidcOptions {
  issuers: string[];
  /** Audiences of which at least one must be in `aud` (Rucio's default `rucio`). */
  audiences: string[];
  /** Allowed clock difference for exp/nbf/iat, in seconds. */
  clockSkewS?: number;
}

/** True when `token` has the shape of a JWS compact serialisation (three base64url parts); Oxbow's own tokens have no dots. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/** Rucio's identity string for an OIDC subject. */
export const oidcIdentity = (sub: string, iss: string): string => `SUB=${sub}, ISS=${iss}`;

const trimSlash = (u: string) => u.replace(/\/+$/, '');

async function getJson(url: string): Promise<unknown> {
  const res = await request(url, {
    method: 'GET',
    headers: { accept: 'application/json' },
    headersTimeout: HTTP_TIMEOUT_MS,
    bodyTimeout: HTTP_TIMEOUT_MS,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET ${url} answered ${res.statusCode}`);
  return JSON.parse(text);
}

/** Parses WLCG storage scopes (`storage.read:/path`); `undefined` when the token has none. */
export function storageScopes(scopes: string[]): StorageScope[] | undefined {
  const out: StorageScope[] = [];
  for (const s of scopes) {
    const m = /^storage\.(read|create|modify|stage):(\/.*)?$/.exec(s);
    if (!m) continue;
    // WLCG: a path is normalised, `..` is not allowed; an absent path means `/`.
    const path = m[2] ?? '/';
    if (path.split('/').includes('..')) continue;
    out.push({ action: m[1] as StorageScope['action'], path: path.length > 1 ? trimSlash(path) : '/' });
  }
  return out.length ? out : undefined;
}

interface IssuerState {
  issuer: string;
  jwksUri?: string;
  keys?: ReturnType<typeof createLocalJWKSet>;
  fetchedAt: number;
  loading?: Promise<void>;
}

/** Verifies JWT access tokens of the configured issuers. */
export function oidcVerifier(opts: OidcOptions) {
  const clockTolerance = opts.clockSkewS ?? 60;
  const issuers = new Map<string, IssuerState>();
  for (const iss of opts.issuers) issuers.set(trimSlash(iss), { issuer: iss, fetchedAt: 0 });

  const load = async (st: IssuerState) => {
    if (!st.jwksUri) {
      const url = `${trimSlash(st.issuer)}/.well-known/openid-configuration`;
      const meta = (await getJson(url)) as { issuer?: string; jwks_uri?: string };
      if (trimSlash(meta.issuer ?? '') !== trimSlash(st.issuer))
        throw new Error(`discovery at ${url} names issuer ${meta.issuer}, not ${st.issuer}`);
      if (!meta.jwks_uri) throw new Error(`discovery at ${url} has no jwks_uri`);
      st.jwksUri = meta.jwks_uri;
    }
    const jwks = (await getJson(st.jwksUri)) as JSONWebKeySet;
    if (!Array.isArray(jwks.keys)) throw new Error(`${st.jwksUri} holds no "keys"`);
    st.keys = createLocalJWKSet(jwks);
    st.fetchedAt = Date.now();
  };
  const refresh = async (st: IssuerState, force: boolean) => {
    const age = Date.now() - st.fetchedAt;
    if (st.keys && !(force ? age > JWKS_MIN_REFRESH_MS : age > JWKS_MAX_AGE_MS)) return;
    st.loading ??= load(st).finally(() => {
      st.loading = undefined;
    });
    try {
      await st.loading;
    } catch (e) {
      // Keep serving with the keys we have when a refresh fails; without any keys nothing can verify.
      if (!st.keys)
        throw new TokenError(`cannot get the signing keys of issuer ${st.issuer}: ${(e as Error).message}`);
    }
  };

  return {
    issuers: [...issuers.values()].map((s) => s.issuer),
    /** Verifies `token` and returns its claims, or throws TokenError with the reason. */
    async verify(token: string): Promise<VerifiedToken> {
      let header: ReturnType<typeof decodeProtectedHeader>;
      let unverified: JWTPayload;
      try {
        header = decodeProtectedHeader(token);
        unverified = decodeJwt(token);
      } catch {
        throw new TokenError('the token is neither an Oxbow token nor a decodable JWT');
      }
      if (!header.alg || header.alg === 'none')
        throw new TokenError('unsigned JWT (alg "none") is not accepted');
      if (!ALLOWED_ALGORITHMS.includes(header.alg))
        throw new TokenError(
          `JWT algorithm ${header.alg} is not accepted; use one of ${ALLOWED_ALGORITHMS.join(', ')}`,
        );
      const iss = typeof unverified.iss === 'string' ? unverified.iss : '';
      const st = issuers.get(trimSlash(iss));
      if (!st) throw new TokenError(`JWT issuer '${iss}' is not a trusted issuer of this server`);
      await refresh(st, false);
      let payload: JWTPayload;
      const attempt = () =>
        jwtVerify(token, st.keys!, {
          issuer: iss,
          algorithms: ALLOWED_ALGORITHMS,
          clockTolerance,
          requiredClaims: ['exp', 'sub'],
        });
      try {
        try {
          payload = (await attempt()).payload;
        } catch (e) {
          // A key we do not know may be a rotated one: refetch the JWKS once (rate-limited) and retry.
          if (!(e instanceof joseErrors.JWKSNoMatchingKey)) throw e;
          await refresh(st, true);
          payload = (await attempt()).payload;
        }
      } catch (e) {
        throw new TokenError(describeJoseError(e, st.issuer));
      }
      const aud = payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (opts.audiences.length && !aud.some((a) => opts.audiences.includes(a) || a === WLCG_ANY_AUDIENCE))
        throw new TokenError(
          `JWT audience ${aud.length ? aud.join(', ') : '(none)'} does not include ${opts.audiences.join(' or ')}`,
        );
      const scopeClaim = payload.scope ?? payload.scp;
      const scopes =
        typeof scopeClaim === 'string'
          ? scopeClaim.split(' ').filter(Boolean)
          : Array.isArray(scopeClaim)
            ? scopeClaim.map(String)
            : [];
      const groupClaim = payload['wlcg.groups'] ?? payload.groups;
      const groups = Array.isArray(groupClaim) ? groupClaim.map(String) : [];
      return {
        issuer: iss,
        subject: payload.sub!,
        identity: oidcIdentity(payload.sub!, iss),
        scopes,
        storage: storageScopes(scopes),
        groups,
        expiresAt: new Date((payload.exp ?? 0) * 1000),
        claims: payload,
      };
    },
  };
}

export type OidcVerifier = ReturnType<typeof oidcVerifier>;

/** A person-readable reason for a jose failure. */
function describeJoseError(e: unknown, issuer: string): string {
  if (e instanceof joseErrors.JWTExpired) return `JWT expired (exp ${String(e.payload.exp)} is in the past)`;
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === 'nbf') return 'JWT is not valid yet (nbf is in the future)';
    if (e.claim === 'iat') return 'JWT was issued in the future (iat)';
    if (e.claim === 'iss') return `JWT issuer does not match ${issuer}`;
    return `JWT claim ${e.claim} is invalid: ${e.message}`;
  }
  if (e instanceof joseErrors.JWKSNoMatchingKey)
    return `JWT was signed by a key that issuer ${issuer} does not publish in its JWKS`;
  if (e instanceof joseErrors.JWKSMultipleMatchingKeys) return `JWT key id matches several keys of ${issuer}`;
  if (e instanceof joseErrors.JWSSignatureVerificationFailed)
    return `JWT signature does not verify with the keys of ${issuer}`;
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return 'JWT algorithm is not accepted';
  if (e instanceof joseErrors.JWTInvalid || e instanceof joseErrors.JWSInvalid)
    return `JWT is malformed: ${(e as Error).message}`;
  if (e instanceof TokenError) return e.message;
  return `JWT cannot be verified: ${(e as Error).message}`;
}
