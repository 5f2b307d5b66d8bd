import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deterministicPath } from '@oxbow/common/rucio/index';
import t from 'tap';
import { baseEnv } from './helpers.js';
import {
  type Child,
  crashDaemonArgs,
  daemonLogs,
  fileAdler32,
  filePrefix,
  replicaState,
  rootClient,
  seedLargeReplica,
  spawnOxbow,
  startServerProcess,
  tempsOf,
  waitForPartialTemp,
  waitRuleSettled,
} from './rules-support.js';

const SCOPE = 'crash';
const MB = 1 << 20;
const SIZE_MB = Number(process.env.CRASH_TEST_MB ?? 320);

t.test('SIGKILL of a transfer daemon mid-copy, then restart', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'oxbow-rules-crash-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startServerProcess(dataDir, ['--daemons', 'judge'], baseEnv({}));
  t.teardown(() => server.stop());
  const client = rootClient(server.url);
  t.teardown(() => client.close());
  await client.scopes.add(SCOPE, 'root');

  const name = 'big.bin';
  const { bytes, adler32: sum } = await seedLargeReplica(client, SCOPE, name, SIZE_MB);
  const [id] = await client.rules.addFor([{ scope: SCOPE, name }], 1, 'LOCAL_DISK2');
  const dest = join(await filePrefix(client, 'LOCAL_DISK2'), deterministicPath(SCOPE, name));
  const replicaOn = (rse: string) => replicaState(client, SCOPE, name, rse);
  t.equal(await replicaOn('LOCAL_DISK2'), 'COPYING', 'the judge created the destination replica');

  const daemonArgs = crashDaemonArgs(dataDir);
  let d: Child = spawnOxbow(daemonArgs, baseEnv({}));
  t.teardown(() => {
    if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
  });
  // Kill once the copy has written part of the bytes to its temporary file.
  const { partial } = await waitForPartialTemp(dest, 8 * MB);
  d.child.kill('SIGKILL');
  const killed = await d.exited;
  t.equal(killed.signal, 'SIGKILL');
  t.ok(
    partial > 0 && partial < bytes,
    `killed mid-copy (${(partial / MB).toFixed(0)} of ${SIZE_MB} MiB written)`,
  );

  // Nothing claims the copy is done.
  t.equal(await replicaOn('LOCAL_DISK2'), 'COPYING', 'the destination replica is not AVAILABLE');
  t.notOk(existsSync(dest), 'no file at the final name');
  t.equal(tempsOf(dest).length, 1, 'the orphan temporary file is still there');
  const mid = await client.rules.get(id!);
  t.equal(mid.state, 'REPLICATING');
  t.equal(mid.locks_ok_cnt, 0);

  // A new daemon takes the claim over once its lease lapses, cleans up and copies.
  d = spawnOxbow(daemonArgs, baseEnv({}));
  const rule = await waitRuleSettled(client, id!);
  t.equal(rule.state, 'OK', `rule OK after the restart (${d.stderr().slice(-300)})`);
  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0, 'graceful stop');
  const logs = daemonLogs(d);
  t.ok(
    logs.some((l) => l.event === 'orphan_temp_removed' && l.files === 1),
    'the restarted daemon removed the orphan',
  );
  t.ok(logs.some((l) => l.event === 'transfer' && l.result === 'DONE'));
  t.equal(await replicaOn('LOCAL_DISK2'), 'AVAILABLE');
  t.same(tempsOf(dest), [], 'no temporary file left');
  t.equal(statSync(dest).size, bytes, 'complete size on disk');
  t.equal(await fileAdler32(dest), sum, 'verified adler32 on disk');
});
