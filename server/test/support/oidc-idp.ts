/**
 * A real OpenID provider for tests: npm oidc-provider on loopback, issuing RFC 9068 JWT access tokens
 * (client credentials grant) with WLCG claims (`scope` storage capabilities, `wlcg.groups`). Its
 * private key is exported so tests can also forge tokens that must be rejected.
 */
import type { Server } from 'node:http';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider from 'oidc-provider';
import { request } from 'undici';
import { freePort } from '../../src/testing/postgres.js';

/** A running IdP. */
export interface TestIdp {
  issuer: string;
  privateJwk: JWK & { kid: string };
  /** Client credentials grant for `clientId` (secret = `<clientId>-secret`), returns the access token. */
  token(clientId: string, scope: string): Promise<string>;
  stop(): Promise<void>;
}

export const RESOURCE = 'https://oxbow.test/';
// Every scope a client may ask for; each token carries the subset requested.
const SCOPES = [
  'openid',
  'storage.read:/',
  'storage.create:/user.jdoe',
  'storage.create:/user.jdoe/sub',
  'storage.create:/other',
  'storage.modify:/user.jdoe',
].join(' ');

/** Starts an IdP issuing tokens for `audience` to clients `oxbow-test` and `stranger`. */
export async function startTestIdp(opts: { audience?: string; groups?: string[] } = {}): Promise<TestIdp> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const privateJwk = { ...(await exportJWK(privateKey)), kid: `key-${port}`, alg: 'RS256', use: 'sig' };
  const client = (id: string) => ({
    client_id: id,
    client_secret: `${id}-secret`,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  });
  const provider = new Provider(issuer, {
    jwks: { keys: [privateJwk] },
    clients: [client('oxbow-test'), client('stranger')],
    scopes: ['openid'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: SCOPES,
          audience: opts.audience ?? 'rucio',
          accessTokenFormat: 'jwt',
          accessTokenTTL: 3600,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    extraTokenClaims: () => ({
      'wlcg.ver': '1.0',
      'wlcg.groups': opts.groups ?? ['/oxbow', '/oxbow/production'],
    }),
    findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
  });
  // oidc-provider logs one notice per default TTL and about its in-memory adapter; keep test output readable.
  const warn = console.warn;
  console.warn = () => {};
  const server: Server = await new Promise((ok) => {
    const s = provider.listen(port, '127.0.0.1', () => ok(s));
  });
  console.warn = warn;
  return {
    issuer,
    privateJwk,
    async token(clientId, scope) {
      const res = await request(`${issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${clientId}-secret`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
      });
      const body = (await res.body.json()) as {
        access_token?: string;
        error?: string;
        error_description?: string;
      };
      if (!body.access_token)
        throw new Error(`IdP refused a token: ${body.error}: ${body.error_description}`);
      return body.access_token;
    },
    async stop() {
      server.closeAllConnections?.();
      await new Promise((ok) => server.close(ok));
    },
  };
}
