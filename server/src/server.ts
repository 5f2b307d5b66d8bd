/** Starts the Oxbow service: opens the catalog, bootstraps it, listens on HTTP. */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { tokenStore } from './auth/tokens.js';
import { bootstrap } from './bootstrap.js';
import type { ServerSettings } from './config.js';
import type { AppContext } from './context.js';
import { type CatalogDb, openCatalog } from './db/connect.js';

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
  const ctx = { catalog, tokens: tokenStore(catalog), dataDir: s.dataDir } as AppContext;
  const app = await buildApp(ctx, { logger: opts.logger ?? { level: s.logLevel } });
  await app.listen({ host: s.host, port: s.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : s.port;
  const host = s.host.includes(':') ? `[${s.host}]` : s.host;
  const purge = setInterval(() => void ctx.tokens.purgeExpired().catch(() => {}), 600_000);
  purge.unref();
  return {
    app,
    catalog,
    url: `http://${host}:${port}`,
    generatedRootPassword: boot.generatedRootPassword,
    async close() {
      clearInterval(purge);
      await app.close();
      await catalog.close();
    },
  };
}
