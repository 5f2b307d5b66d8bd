/**
 * Real parts for the client and CLI auth tests: the server's test PKI (openssl, voms-proxy-init),
 * an Oxbow server over HTTPS trusting that CA and an OIDC issuer, and an OIDC provider (npm
 * oidc-provider) with the device-code, client-credentials and refresh-token grants, issuing JWT
 * access tokens for audience `rucio`. Device codes are approved in-process (no browser).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSettings } from '@oxbow/server/config';
import { type RunningServer, startServer } from '@oxbow/server/server';
import { freePort, TEST_ROOT_PASSWORD } from '@oxbow/server/testing/index';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

// The server package exports only its src; its test support (compiled) is loaded by path, at run time.
type PkiModule = typeof import('../../server/dist/test/support/pki.js');
/** The grid PKI of the server's tests (CA dir with CRL, user certificate, voms-proxy-init proxies, …). */
export type TestPki = Awaited<ReturnType<PkiModule['buildTestPki']>>;

/** Builds the server tests' PKI (about 5-10 s). */
export async function buildPki(): Promise<TestPki & { janeDn: string; nobodyDn: string }> {
  const mod = (await import(
    new URL('../../../server/dist/test/support/pki.js', import.meta.url).href
  )) as PkiModule;
  return { ...(await mod.buildTestPki()), janeDn: mod.JANE_DN, nobodyDn: mod.NOBODY_DN };
}

const RESOURCE = 'https://oxbow.test/';
const OIDC_SCOPES = ['openid', 'offline_access'];
const STORAGE_SCOPES = 'storage.read:/ storage.create:/user.jdoe';

/** A running OIDC provider. */
export interface TestIssuer {
  issuer: string;
  /** Public client for the device flow. */
  deviceClient: string;
  /** Confidential client (secret `<id>-secret`) for client credentials; its tokens have sub = the id. */
  robotClient: string;
  robotSecret: string;
  /** Approves a pending device code as `accountId` (what a person does in the browser). */
  approveDevice(userCode: string, accountId: string): Promise<void>;
  /** Lifetime of access tokens issued from now on. */
  setAccessTokenTtl(seconds: number): void;
  stop(): Promise<void>;
}

/** Starts the OIDC provider on a loopback port. */
export async function startIssuer(): Promise<TestIssuer> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: `key-${port}`, alg: 'RS256', use: 'sig' };
  let ttl = 3600;
  const provider = new Provider(issuer, {
    jwks: { keys: [jwk] },
    clients: [
      {
        client_id: 'oxbow-cli',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'none',
      },
      {
        client_id: 'oxbow-robot',
        client_secret: 'oxbow-robot-secret',
        grant_types: ['client_credentials', 'refresh_token'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    scopes: OIDC_SCOPES,
    // Refresh tokens for device-flow logins asking for offline_access, even for a public client.
    issueRefreshToken: async (_ctx: unknown, _client: unknown, code: { scopes: Set<string> }) =>
      code.scopes.has('offline_access'),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: STORAGE_SCOPES,
          audience: 'rucio',
          accessTokenFormat: 'jwt',
          accessTokenTTL: ttl,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    extraTokenClaims: () => ({ 'wlcg.ver': '1.0', 'wlcg.groups': ['/oxbow'] }),
    findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
  });
  const warn = console.warn;
  console.warn = () => {}; // oidc-provider's development notices
  const server: Server = await new Promise((ok) => {
    const s = provider.listen(port, '127.0.0.1', () => ok(s));
  });
  console.warn = warn;
  return {
    issuer,
    deviceClient: 'oxbow-cli',
    robotClient: 'oxbow-robot',
    robotSecret: 'oxbow-robot-secret',
    async approveDevice(userCode, accountId) {
      const code = await provider.DeviceCode.findByUserCode(userCode.replace(/-/g, ''), {
        ignoreExpiration: false,
      });
      if (!code) throw new Error(`unknown user code ${userCode}`);
      const requested = String(code.params.scope ?? '')
        .split(' ')
        .filter(Boolean);
      const oidc = requested.filter((s) => OIDC_SCOPES.includes(s));
      const grant = new provider.Grant({ accountId, clientId: code.clientId });
      grant.addOIDCScope(oidc.join(' '));
      const storage = requested.filter((s) => !OIDC_SCOPES.includes(s));
      grant.addResourceScope(RESOURCE, (storage.length ? storage : ['storage.read:/']).join(' '));
      Object.assign(code, {
        accountId,
        grantId: await grant.save(),
        authTime: Math.floor(Date.now() / 1000),
        scope: requested.join(' '),
        resource: RESOURCE,
      });
      await code.save();
    },
    setAccessTokenTtl(seconds) {
      ttl = seconds;
    },
    async stop() {
      server.closeAllConnections?.();
      await new Promise((ok) => server.close(ok));
    },
  };
}

/** An Oxbow server over HTTPS with the PKI's host certificate and CA dir, trusting `oidcIssuer`. */
export async function startHttpsServer(
  pki: TestPki,
  oidcIssuer?: string,
): Promise<RunningServer & { dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'oxbow-auth-client-'));
  const s = await startServer(
    resolveSettings(
      {
        dataDir,
        port: 0,
        host: '127.0.0.1',
        rootPassword: TEST_ROOT_PASSWORD,
        embeddedRses: false,
        tlsCert: pki.host.cert,
        tlsKey: pki.host.key,
        caDir: pki.caDir,
        vomsDir: pki.vomsDir,
        oidcIssuers: oidcIssuer ? [oidcIssuer] : [],
        oidcAudience: 'rucio',
      },
      {},
    ),
    { logger: false },
  );
  return {
    ...s,
    dataDir,
    async close() {
      await s.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export { TEST_ROOT_PASSWORD };
