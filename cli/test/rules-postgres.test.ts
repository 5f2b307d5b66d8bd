/**
 * Scaled out on PostgreSQL: `oxbow server --daemons judge` and two `oxbow daemon transfer` processes
 * share one rule of many small files. Every file is copied exactly once per destination (transfer
 * logs of both daemons and the requests_history table agree) and the rule reaches OK.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deterministicPath } from '@oxbow/common/rucio/index';
import { openCatalog } from '@oxbow/server';
import { startTempPostgres } from '@oxbow/server/testing/index';
import t from 'tap';
import { baseEnv } from './helpers.js';
import { type Child, rootClient, seedDataset, spawnOxbow, startServerProcess } from './rules-support.js';

const SCOPE = 'scaled';
const FILES = Number(process.env.PG_RULE_TEST_FILES ?? 300);
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

t.test('two transfer daemons on PostgreSQL share a rule without doing the same copy twice', async (t) => {
  const pg = await startTempPostgres();
  t.teardown(() => pg.stop());
  const dataDir = mkdtempSync(join(tmpdir(), 'oxbow-rules-pg-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startServerProcess(
    dataDir,
    ['--database-url', pg.url, '--daemons', 'judge'],
    baseEnv({}),
  );
  t.teardown(() => server.stop());
  const client = rootClient(server.url);
  t.teardown(() => client.close());
  await client.scopes.add(SCOPE, 'root');

  // Three posix RSEs (PostgreSQL deployments get no embedded ones).
  const prefixes: Record<string, string> = {};
  for (const rse of ['PG_SRC', 'PG_B', 'PG_C']) {
    prefixes[rse] = join(dataDir, 'rses', rse);
    mkdirSync(prefixes[rse]!, { recursive: true });
    await client.rses.add(rse, { rse_type: 'DISK' });
    await client.rses.setAttribute(rse, 'lfn2pfn_algorithm', 'hash');
    await client.rses.addProtocol(rse, {
      scheme: 'file',
      hostname: 'localhost',
      port: 0,
      prefix: prefixes[rse],
      impl: 'rucio.rse.protocols.posix.Default',
      domains: { lan: { read: 1, write: 1, delete: 1 }, wan: { read: 1, write: 1, delete: 1 } },
    });
  }
  const names = Array.from({ length: FILES }, (_, i) => `small${String(i).padStart(4, '0')}.dat`);
  const datas = await seedDataset(client, 'PG_SRC', SCOPE, 'many', names, (i) =>
    Buffer.alloc(4096 + (i % 97), `scaled-${i}-`),
  );
  const [id] = await client.rules.addFor([{ scope: SCOPE, name: 'many' }], 2, 'PG_B|PG_C');

  const daemons: Child[] = [0, 1].map(() =>
    spawnOxbow(
      ['daemon', 'transfer', '--database-url', pg.url, '--concurrency', '4', '--interval', '100'],
      baseEnv({}),
    ),
  );
  t.teardown(() => {
    for (const d of daemons)
      if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
  });
  let rule = await client.rules.get(id!);
  const end = Date.now() + 100_000;
  while (rule.state !== 'OK' && rule.state !== 'STUCK' && Date.now() < end) {
    await sleep(300);
    rule = await client.rules.get(id!);
  }
  t.equal(rule.state, 'OK', JSON.stringify(rule));
  t.equal(rule.locks_ok_cnt, 2 * FILES);
  for (const d of daemons) d.child.kill('SIGTERM');
  for (const d of daemons) t.equal((await d.exited).code, 0, `graceful stop ${d.stderr().slice(-200)}`);

  // Logs: one DONE per file and destination over both daemons, no failed or repeated copy.
  const perDaemon = daemons.map((d) =>
    d
      .stdout()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event: string; result?: string; name?: string; destination?: string }),
  );
  const done = perDaemon.flat().filter((r) => r.event === 'transfer');
  t.ok(
    done.every((r) => r.result === 'DONE'),
    'no failed attempt',
  );
  const keys = done.map((r) => `${r.name}@${r.destination}`);
  t.equal(keys.length, 2 * FILES, 'as many copies as file × destination');
  t.equal(new Set(keys).size, 2 * FILES, 'no copy done twice');
  const counts = perDaemon.map((recs) => recs.filter((r) => r.event === 'transfer').length);
  t.ok(
    counts.every((n) => n > 0),
    `both daemons worked (${counts.join(' + ')})`,
  );

  // The transfer history says the same.
  const catalog = await openCatalog({ databaseUrl: pg.url });
  t.teardown(() => catalog.close());
  const hist = await catalog.db
    .selectFrom('requests_history')
    .select(['name', 'dest_rse_id', 'state'])
    .where('rule_id', '=', id!)
    .execute();
  t.equal(hist.length, 2 * FILES, 'one history row per copy');
  t.equal(new Set(hist.map((h) => `${h.name}@${h.dest_rse_id}`)).size, 2 * FILES);

  // Bytes on disk: each file on both destinations.
  for (const rse of ['PG_B', 'PG_C'])
    for (const [i, n] of names.entries())
      if (!readFileSync(join(prefixes[rse]!, deterministicPath(SCOPE, n))).equals(datas[i]!))
        t.fail(`${n} on ${rse} differs`);
  t.pass('every copy is byte-identical to its source');
});
