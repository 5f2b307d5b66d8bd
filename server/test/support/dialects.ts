/** Runs a test body once on SQLite and once on a throwaway PostgreSQL with a fresh server each. */
import type { Test } from 'tap';
import { startTempPostgres, type TempPostgres } from '../../src/testing/postgres.js';
import { startTestServer, type TestServer } from '../../src/testing/server.js';

let pg: Promise<TempPostgres> | undefined;

/** One throwaway cluster per test process, stopped at exit of the tap test. */
function cluster(t: Test): Promise<TempPostgres> {
  if (!pg) {
    pg = startTempPostgres();
    t.teardown(async () => (await pg!).stop());
  }
  return pg;
}

/** Calls `body` for each catalog engine with a fresh server; the server is closed afterwards. */
export function forEachDialect(
  t: Test,
  name: string,
  body: (t: Test, server: TestServer) => Promise<void>,
): void {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    t.test(`${name} [${dialect}]`, async (tt) => {
      const databaseUrl = dialect === 'postgres' ? await (await cluster(t)).newDatabase() : undefined;
      const server = await startTestServer({ databaseUrl });
      tt.teardown(() => server.close());
      await body(tt, server);
    });
  }
}

/** JSON lines body → objects. */
export function jsonLines(body: string): unknown[] {
  return body
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}
