/** In-process Oxbow servers for tests and benchmarks, on SQLite or on a throwaway PostgreSQL. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSettings } from '../config.js';
import { type RunningServer, startServer } from '../server.js';

export const TEST_ROOT_PASSWORD = 'oxbow-test-root-secret';

/** A server with a fresh catalog; `token` is a root token. */
export interface TestServer extends RunningServer {
  dataDir: string;
  token: string;
  /** Authenticated root request headers. */
  headers: Record<string, string>;
}

/** Starts a server on a free loopback port with a fresh SQLite catalog, or on `databaseUrl`. */
export async function startTestServer(
  opts: { databaseUrl?: string; embeddedRses?: boolean } = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'oxbow-test-'));
  const settings = resolveSettings(
    {
      dataDir,
      databaseUrl: opts.databaseUrl,
      port: 0,
      host: '127.0.0.1',
      rootPassword: TEST_ROOT_PASSWORD,
      embeddedRses: opts.embeddedRses ?? true,
    },
    {},
  );
  const server = await startServer(settings, { logger: false });
  const res = await server.app.inject({
    method: 'GET',
    url: '/auth/userpass',
    headers: {
      'x-rucio-account': 'root',
      'x-rucio-username': 'root',
      'x-rucio-password': TEST_ROOT_PASSWORD,
    },
  });
  const token = res.headers['x-rucio-auth-token'] as string;
  if (!token) throw new Error(`test server: root login failed: ${res.statusCode} ${res.body}`);
  return {
    ...server,
    dataDir,
    token,
    headers: { 'x-rucio-auth-token': token },
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
