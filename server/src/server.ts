/** Starts the Oxbow service: opens the catalog, bootstraps it, listens on HTTP or HTTPS. */
import { constants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { caSource } from './auth/grid-ca.js';
import { oidcVerifier } from './auth/oidc.js';
import { tokenStore } from './auth/tokens.js';
import { bootstrap } from './bootstrap.js';
import type { ServerSettings } from './config.js';
import type { AppContext } from './context.js';
import { parseDaemonList, startDaemons } from './daemons/index.js';
import { type CatalogDb, openCatalog } from './db/connect.js';
import type { AuthServices } from './permissions/caller.js';

/** A running server. */
export interface RunningServer {
  app: FastifyInstance;
  catalog: CatalogDb;
  url: string;
  generatedRootPassword?: string;
  close(): Promise<void>;
}

/** Opens the catalog described by the settings (SQLite under dataDir unless databaseUrl is set). */
export function openCatalogFor(s: Pick<ServerSettings, 'dataDir' | 'databaseUrl'>): Promise<CatalogDb> {
  return openCatalog({ databaseUrl: s.databaseUrl, sqlitePath: join(s.dataDir, 'catalog.sqlite') });
}

/** Starts the service with resolved settings. */
export async function startServer(
  s: ServerSettings,
  opts: { logger?: boolean | object } = {},
): Promise<RunningServer> {
  const catalog = await openCatalogFor(s);
  const boot = await bootstrap(catalog, {
    rootPassword: s.rootPassword,
    dataDir: s.dataDir,
    embeddedRses: s.embeddedRses && !s.databaseUrl,
  });
  let auth: AuthServices;
  try {
    auth = await authServices(s);
  } catch (e) {
    await catalog.close();
    throw e;
  }
  const ctx = { catalog, tokens: tokenStore(catalog), dataDir: s.dataDir, auth } as AppContext;
  const app = await buildApp(ctx, { logger: opts.logger ?? { level: s.logLevel } });
  let https: HttpsServer | undefined;
  if (s.tlsCert && s.tlsKey) https = await listenHttps(app, s, auth);
  else await app.listen({ host: s.host, port: s.port });
  const addr = (https ?? app.server).address();
  const port = typeof addr === 'object' && addr ? addr.port : s.port;
  const host = s.host.includes(':') ? `[${s.host}]` : s.host;
  for (const p of auth.ca?.current.problems ?? []) app.log.warn(`CA directory ${s.caDir}: ${p}`);
  // Daemons start after the listener so that a bad --daemons value fails before serving anything half-way.
  let daemons: ReturnType<typeof startDaemons>;
  try {
    daemons = startDaemons(catalog, parseDaemonList(s.daemons), {
      log: (rec) => app.log.info(rec, String(rec.event ?? 'daemon')),
    });
  } catch (e) {
    await app.close();
    await catalog.close();
    throw e;
  }
  const purge = setInterval(() => void ctx.tokens.purgeExpired().catch(() => {}), 600_000);
  purge.unref();
  return {
    app,
    catalog,
    url: `${https ? 'https' : 'http'}://${host}:${port}`,
    generatedRootPassword: boot.generatedRootPassword,
    async close() {
      clearInterval(purge);
      await daemons.stop();
      if (https) {
        const closed = new Promise((ok) => https!.close(ok));
        https.closeAllConnections();
        await closed;
      }
      await app.close();
      await catalog.close();
    },
  };
}

/** X509 and OIDC services from the settings; fails with a clear message on an unusable configuration. */
async function authServices(s: ServerSettings): Promise<AuthServices> {
  const auth: AuthServices = { adminGroups: s.adminGroups, vomsDir: s.vomsDir };
  if (s.tlsCert && s.tlsKey) {
    try {
      auth.ca = await caSource(s.caDir);
    } catch (e) {
      throw new Error(
        `cannot read the CA directory ${s.caDir} (--ca-dir / OXBOW_CA_DIR) for client certificates: ${(e as Error).message}`,
      );
    }
  }
  if (s.x509DnHeader) {
    if (s.trustedFrontends.length === 0)
      throw new Error(
        `x509DnHeader ${s.x509DnHeader} is set but no trustedFrontends: list the front end's addresses (OXBOW_TRUSTED_FRONTENDS) so nobody else can send that header`,
      );
    auth.frontEnd = { header: s.x509DnHeader, addresses: s.trustedFrontends };
  }
  if (s.oidcIssuers.length) {
    auth.oidc = oidcVerifier({
      issuers: s.oidcIssuers,
      audiences: (s.oidcAudience ?? 'rucio')
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean),
      clockSkewS: s.oidcClockSkew,
    });
  }
  return auth;
}

/**
 * Serves the app over HTTPS, asking for a client certificate but not letting OpenSSL judge it: Node
 * cannot accept RFC 3820 proxies, so the chain is verified per request in auth/x509.ts. Session
 * tickets are off because a resumed session no longer carries the client's chain.
 */
async function listenHttps(
  app: FastifyInstance,
  s: ServerSettings,
  auth: AuthServices,
): Promise<HttpsServer> {
  await app.ready();
  const server = createHttpsServer(
    {
      cert: readFileSync(s.tlsCert!),
      key: readFileSync(s.tlsKey!),
      ca: auth.ca?.current.pems,
      requestCert: true,
      rejectUnauthorized: false,
      secureOptions: constants.SSL_OP_NO_TICKET,
    },
    (req, res) => app.routing(req, res),
  );
  server.keepAliveTimeout = 72_000;
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(s.port, s.host, () => {
      server.off('error', fail);
      ok();
    });
  });
  return server;
}
