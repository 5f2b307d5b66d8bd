/** `oxbow rule …` and `oxbow daemon …` as child processes against a real `oxbow server` process. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deterministicPath } from '@oxbow/common/rucio/index';
import t from 'tap';
import { baseEnv, oxbow, reason } from './helpers.js';
import {
  filePrefix,
  ROOT_PW,
  rootClient,
  seedDataset,
  spawnOxbow,
  startServerProcess,
} from './rules-support.js';

const SCOPE = 'cli';

interface Shown {
  id: string;
  state: string;
  comments: string | null;
  analysis: {
    locks: { OK: number; REPLICATING: number; STUCK: number };
    bytes_done: number;
    bytes_total: number;
  };
}

t.test('rule add/show/list/update/delete on the embedded default (daemons in the server)', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'oxbow-rules-cli-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startServerProcess(dataDir, [], baseEnv({}));
  t.teardown(() => server.stop());
  const env = baseEnv({ OXBOW_URL: server.url, OXBOW_USERNAME: 'root', OXBOW_PASSWORD: ROOT_PW });
  const run = async (args: string[]) => {
    const r = await oxbow(args, env);
    if (r.code !== 0) throw new Error(`oxbow ${args.join(' ')} → ${r.code}: ${reason(r)}`);
    return r;
  };
  await run(['scope', 'add', SCOPE]);
  const client = rootClient(server.url);
  t.teardown(() => client.close());
  const names = Array.from({ length: 6 }, (_, i) => `f${i}.root`);
  const datas = await seedDataset(client, 'LOCAL_DISK1', SCOPE, 'ds1', names, (i) =>
    Buffer.alloc(30_000 + i * 1000, `cli-rule-${i}-`),
  );

  const added = await run([
    'rule',
    'add',
    `${SCOPE}:ds1`,
    '--copies',
    '1',
    '--rses',
    'LOCAL_DISK2',
    '--comment',
    'from the cli',
    '--activity',
    'User Subscriptions',
    '--json',
  ]);
  const ids = added.json() as string[];
  t.equal(ids.length, 1);
  const id = ids[0]!;
  t.match(id, /^[0-9a-f]{32}$/);

  // `rule show` until the embedded judge and transfer daemon have copied everything.
  let shown: Shown | undefined;
  const end = Date.now() + 60_000;
  for (;;) {
    shown = (await run(['rule', 'show', id, '--json'])).json() as Shown;
    if (shown.state === 'OK' || shown.state === 'STUCK' || Date.now() > end) break;
    await new Promise((ok) => setTimeout(ok, 300));
  }
  t.equal(shown.state, 'OK', JSON.stringify(shown));
  t.same(shown.analysis.locks, { OK: 6, REPLICATING: 0, STUCK: 0 });
  const total = datas.reduce((n, d) => n + d.length, 0);
  t.equal(shown.analysis.bytes_total, total);
  t.equal(shown.analysis.bytes_done, total);
  t.equal(shown.comments, 'from the cli');
  const prefix2 = await filePrefix(client, 'LOCAL_DISK2');
  for (const [i, n] of names.entries())
    t.same(readFileSync(join(prefix2, deterministicPath(SCOPE, n))), datas[i], `${n} copied byte for byte`);

  const human = (await run(['rule', 'show', id])).stdout;
  t.match(human, /^id:\s+[0-9a-f]{32}$/m);
  t.match(human, /^state:\s+OK$/m);
  t.match(human, /^locks:\s+OK 6, REPLICATING 0, STUCK 0$/m);
  t.match(human, /^bytes:\s+.* of .* done \(100\.0%\)$/m);

  const listed = (await run(['rule', 'list', '--did', `${SCOPE}:ds1`, '--json'])).lines() as { id: string }[];
  t.same(
    listed.map((r) => r.id),
    [id],
  );
  t.same((await run(['rule', 'list', '--account', 'root', '--json'])).lines().length, 1);
  t.same((await run(['rule', 'list', '--account', 'nobody', '--json'])).lines(), []);
  t.match(
    (await run(['rule', 'list'])).stdout,
    new RegExp(
      `^ID\\s+ACCOUNT\\s+SCOPE:NAME\\s+STATE\\[OK/REPL/STUCK\\]\\s+RSE_EXPRESSION\\s+COPIES\\s+EXPIRES\\n${id}\\s+root\\s+${SCOPE}:ds1\\s+OK\\[6/0/0\\]\\s+LOCAL_DISK2\\s+1`,
    ),
  );

  await run(['rule', 'update', id, '--comment', 'renamed', '--lifetime', '3600', '--locked', 'true']);
  const upd = (await run(['rule', 'show', id, '--json'])).json() as Shown & {
    expires_at: string | null;
    locked: boolean;
  };
  t.equal(upd.comments, 'renamed');
  t.equal(upd.locked, true);
  t.ok(upd.expires_at, 'lifetime sets an expiry');
  const locked = await oxbow(['rule', 'delete', id, '--purge-replicas'], env);
  t.equal(locked.code, 1, 'a locked rule cannot be deleted');
  t.match(reason(locked), /^oxbow: UnsupportedOperation: .* is locked .*--locked false/);
  await run(['rule', 'update', id, '--locked', 'false']);

  const del = (await run(['rule', 'delete', id, '--purge-replicas', '--json'])).json();
  t.same(del, { id, did: `${SCOPE}:ds1`, deleted: true, purge_replicas: true });
  const gone = await oxbow(['rule', 'show', id], env);
  t.equal(gone.code, 1);
  t.match(reason(gone), /^oxbow: RuleNotFound: /);
  // The embedded reaper removes the purged replicas from LOCAL_DISK2, never the source on LOCAL_DISK1.
  const prefix1 = await filePrefix(client, 'LOCAL_DISK1');
  const until = Date.now() + 60_000;
  while (names.some((n) => existsSync(join(prefix2, deterministicPath(SCOPE, n)))) && Date.now() < until)
    await new Promise((ok) => setTimeout(ok, 500));
  for (const n of names) {
    t.notOk(existsSync(join(prefix2, deterministicPath(SCOPE, n))), `${n} purged from LOCAL_DISK2`);
    t.ok(existsSync(join(prefix1, deterministicPath(SCOPE, n))), `${n} kept on LOCAL_DISK1`);
  }
});

t.test('usage errors exit 2, server refusals exit 1, with one-line reasons', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'oxbow-rules-cli-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startServerProcess(dataDir, ['--daemons', 'none'], baseEnv({}));
  t.teardown(() => server.stop());
  const env = baseEnv({ OXBOW_URL: server.url, OXBOW_USERNAME: 'root', OXBOW_PASSWORD: ROOT_PW });
  const cases: [string[], number, RegExp][] = [
    [['rule', 'show', 'not-an-id'], 2, /^oxbow: 'not-an-id' is not a rule id/],
    [['rule', 'add', 'x:y', '--copies', '1'], 2, /required option '--rses <expression>'/],
    [['rule', 'add', 'x:y', '--copies', 'two', '--rses', 'A'], 2, /--copies must be a non-negative integer/],
    [
      ['rule', 'add', 'x:y', '--copies', '1', '--rses', 'A', '--grouping', 'SOME'],
      2,
      /Allowed choices are ALL, DATASET, NONE/,
    ],
    [['rule', 'update', '0'.repeat(32)], 2, /^oxbow: nothing to update/],
    [['rule', 'update', '0'.repeat(32), '--locked', 'maybe'], 2, /--locked must be true or false/],
    [['rule', 'show', 'f'.repeat(32)], 1, /^oxbow: RuleNotFound: /],
    [['rule', 'delete', 'f'.repeat(32)], 1, /^oxbow: RuleNotFound: /],
    [
      ['rule', 'add', 'root:nothing', '--copies', '1', '--rses', 'LOCAL_DISK2'],
      1,
      /^oxbow: DataIdentifierNotFound: /,
    ],
    [['daemon', 'sweeper'], 2, /Allowed choices are judge, transfer, reaper, undertaker/],
  ];
  for (const [args, code, re] of cases) {
    const r = await oxbow(args, env);
    t.equal(r.code, code, `${args.join(' ')}: ${reason(r)}`);
    t.match(reason(r), re, args.join(' '));
    t.equal(reason(r).split('\n').length, 1, 'one line');
  }
  const empty = mkdtempSync(join(tmpdir(), 'oxbow-rules-empty-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  const noCatalog = await oxbow(['daemon', 'judge', '--data-dir', empty], baseEnv({}));
  t.equal(noCatalog.code, 2);
  t.match(reason(noCatalog), /^oxbow: no catalog in .*oxbow-rules-empty-/);
  t.notOk(existsSync(join(empty, 'catalog.sqlite')), 'no catalog created by a daemon');
});

t.test('separate daemons on the SQLite catalog: judge in the server, transfer --once, SIGTERM', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'oxbow-rules-cli-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startServerProcess(dataDir, ['--daemons', 'judge'], baseEnv({}));
  t.teardown(() => server.stop());
  const env = baseEnv({ OXBOW_URL: server.url, OXBOW_USERNAME: 'root', OXBOW_PASSWORD: ROOT_PW });
  const client = rootClient(server.url);
  t.teardown(() => client.close());
  await client.scopes.add(SCOPE, 'root');
  const names = Array.from({ length: 4 }, (_, i) => `g${i}.root`);
  const datas = await seedDataset(client, 'LOCAL_DISK1', SCOPE, 'ds2', names, (i) =>
    Buffer.alloc(10_000 + i, `sep-${i}-`),
  );
  const [id] = await client.rules.addFor([{ scope: SCOPE, name: 'ds2' }], 1, 'LOCAL_DISK2');
  await new Promise((ok) => setTimeout(ok, 500));
  t.equal((await client.rules.get(id!)).state, 'REPLICATING', 'no transfer daemon runs in the server');

  const once = await oxbow(['daemon', 'transfer', '--data-dir', dataDir, '--once'], baseEnv({}));
  t.equal(once.code, 0, reason(once));
  const recs = once.lines() as { event: string; result?: string; bytes?: number; source?: string }[];
  const done = recs.filter((r) => r.event === 'transfer');
  t.equal(done.length, 4, 'one transfer log line per file');
  t.ok(done.every((r) => r.result === 'DONE' && r.source === 'LOCAL_DISK1' && typeof r.bytes === 'number'));
  t.equal(recs.at(-1)?.event, 'stopped');
  const rule = await client.rules.get(id!);
  t.equal(rule.state, 'OK');
  t.equal(rule.locks_ok_cnt, 4);
  const prefix2 = await filePrefix(client, 'LOCAL_DISK2');
  for (const [i, n] of names.entries())
    t.same(readFileSync(join(prefix2, deterministicPath(SCOPE, n))), datas[i]);

  // A long-running daemon stops on SIGTERM and says so.
  const d = spawnOxbow(['daemon', 'undertaker', '--data-dir', dataDir], baseEnv({}));
  const started = Date.now() + 20_000;
  while (!d.stdout().includes('"started"') && Date.now() < started)
    await new Promise((ok) => setTimeout(ok, 100));
  d.child.kill('SIGTERM');
  const ended = await d.exited;
  t.equal(ended.code, 0, d.stderr());
  t.match(d.stderr(), /SIGTERM received, stopping/);
  t.match(d.stdout(), /"event":"stopped"/);
  t.ok(env.OXBOW_URL);
});
