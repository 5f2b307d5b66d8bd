import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deterministicPath } from '@oxbow/common/rucio/index';
import t from 'tap';
import type * as RseServers from '../../rse-adapters/test/servers.js';
import { baseEnv } from './helpers.js';
import {
  type Child,
  crashDaemonArgs,
  daemonLogs,
  fileAdler32,
  replicaState,
  rootClient,
  seedLargeReplica,
  spawnOxbow,
  startServerProcess,
  tempsOf,
  waitForPartialTemp,
  waitRuleSettled,
} from './rules-support.js';

const SCOPE = 'crashroot';
const MB = 1 << 20;
const SIZE_MB = Number(process.env.CRASH_ROOT_TEST_MB ?? 200);

/** rse-adapters' real-server starters, from its compiled tests (cli/dist/test → rse-adapters/dist/test). */
const servers = (await import(
  new URL('../../../rse-adapters/dist/test/servers.js', import.meta.url).href
)) as typeof RseServers;

/** Pids of live processes whose command line mentions `needle` (read from /proc, nothing killed here). */
function pidsMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8');
      const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${e}/status`, 'utf8'))?.[1];
      if (cmd.includes(needle) && state !== 'Z') out.push(Number(e));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

t.test('SIGKILL of a transfer daemon mid-copy to root://, then restart', async (t) => {
  const t0 = Date.now();
  const xrd = await servers.startXrootd({ tag: 'crash-root' });
  t.teardown(() => xrd.stop());
  const dataDir = mkdtempSync(join(tmpdir(), 'oxbow-rules-crash-root-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startServerProcess(dataDir, ['--daemons', 'judge'], baseEnv({}));
  t.teardown(() => server.stop());
  const client = rootClient(server.url);
  t.teardown(() => client.close());
  await client.scopes.add(SCOPE, 'root');
  await client.rses.add('XRD_CRASH', { deterministic: true, rse_type: 'DISK' });
  await client.rses.addProtocol('XRD_CRASH', {
    scheme: 'root',
    hostname: '127.0.0.1',
    port: xrd.rootPort,
    prefix: '//rucio/',
    impl: 'rucio.rse.protocols.xrootd.Default',
    domains: {
      lan: { read: 1, write: 1, delete: 1 },
      wan: { read: 1, write: 1, delete: 1 },
    },
  });

  const name = 'big.bin';
  const { bytes, adler32: sum } = await seedLargeReplica(client, SCOPE, name, SIZE_MB);
  const [id] = await client.rules.addFor([{ scope: SCOPE, name }], 1, 'XRD_CRASH');
  // The server's file for root://127.0.0.1:port//rucio/<path>: oss.localroot + /rucio/<path>.
  const dest = join(xrd.dataDir, 'rucio', deterministicPath(SCOPE, name));
  const replicaOn = (rse: string) => replicaState(client, SCOPE, name, rse);
  t.equal(await replicaOn('XRD_CRASH'), 'COPYING', 'the judge created the destination replica');

  const daemonArgs = crashDaemonArgs(dataDir);
  let d: Child = spawnOxbow(daemonArgs, baseEnv({}));
  t.teardown(() => {
    if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
  });
  // Kill once the XRootD server holds part of the bytes under the temporary name.
  const { tmp, partial } = await waitForPartialTemp(dest, 8 * MB);
  t.ok(tmp, 'the writer streams into a temporary name on the XRootD server');
  const tmpName = tmp ? tmp.slice(tmp.lastIndexOf('/') + 1) : 'no-temp-seen';
  // The daemon's xrdcp child, found by the unique temporary name in its command line.
  const writers = pidsMentioning(tmpName);
  t.equal(writers.length, 1, `one xrdcp writes ${tmpName} (pid ${writers.join(',')})`);
  d.child.kill('SIGKILL');
  const killed = await d.exited;
  t.equal(killed.signal, 'SIGKILL');
  t.ok(
    partial > 0 && partial < bytes,
    `killed mid-copy (${(partial / MB).toFixed(1)} of ${SIZE_MB} MiB on the server)`,
  );

  // The xrdcp child is not killed with its parent: its stdin reaches end-of-file, and it ends by itself.
  // Wait for that (bounded); should it hang, kill it by pid so nothing outlives the test.
  // The same goes for the daemon's interactive xrdfs sessions to this server (nothing else here runs one).
  const sessionCmd = `root://127.0.0.1:${xrd.rootPort}`;
  const orphanWait = Date.now();
  let survivors = pidsMentioning(tmpName);
  while (survivors.length && Date.now() - orphanWait < 15_000) {
    await sleep(50);
    survivors = pidsMentioning(tmpName);
  }
  const xrdcpMs = Date.now() - orphanWait;
  let sessions = pidsMentioning(sessionCmd);
  while (sessions.length && Date.now() - orphanWait < 15_000) {
    await sleep(50);
    sessions = pidsMentioning(sessionCmd);
  }
  for (const pid of [...survivors, ...sessions]) process.kill(pid, 'SIGKILL');
  t.same(survivors, [], `the orphaned xrdcp ended on its own (${xrdcpMs} ms after the kill)`);
  t.same(sessions, [], 'so did the orphaned xrdfs sessions');

  // Nothing claims the copy is done.
  t.equal(await replicaOn('XRD_CRASH'), 'COPYING', 'the destination replica is not AVAILABLE');
  t.notOk(existsSync(dest), 'no file at the final name');
  const left = tempsOf(dest);
  const orphanSize = left[0] ? statSync(left[0]).size : 0;
  t.equal(left.length, 1, 'the orphan temporary file is still on the XRootD server');
  t.ok(
    orphanSize >= partial && orphanSize < bytes,
    `it holds the partial bytes xrdcp had received (${(orphanSize / MB).toFixed(1)} MiB)`,
  );
  t.comment(
    `partial at kill ${partial} B, orphan after xrdcp ended ${orphanSize} B, killed ${((Date.now() - t0) / 1000).toFixed(1)} s into the test`,
  );
  const mid = await client.rules.get(id!);
  t.equal(mid.state, 'REPLICATING');
  t.equal(mid.locks_ok_cnt, 0);

  // A new daemon takes the claim over once its lease lapses, cleans up on the server and copies.
  d = spawnOxbow(daemonArgs, baseEnv({}));
  const rule = await waitRuleSettled(client, id!);
  t.equal(rule.state, 'OK', `rule OK after the restart (${d.stderr().slice(-300)})`);
  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0, 'graceful stop');
  const logs = daemonLogs(d);
  t.ok(
    logs.some((l) => l.event === 'orphan_temp_removed' && l.files === 1 && l.destination === 'XRD_CRASH'),
    'the restarted daemon removed the orphan on the XRootD server',
  );
  t.notOk(
    logs.some((l) => l.event === 'orphan_temp_cleanup_failed'),
    'the clean-up did not fail',
  );
  t.ok(logs.some((l) => l.event === 'transfer' && l.result === 'DONE'));
  t.equal(await replicaOn('XRD_CRASH'), 'AVAILABLE');
  t.same(tempsOf(dest), [], 'no temporary file left on the server');
  t.equal(statSync(dest).size, bytes, 'complete size on the server');
  t.equal(await fileAdler32(dest), sum, 'verified adler32 of the bytes on the server');
  t.comment(`whole test ${((Date.now() - t0) / 1000).toFixed(1)} s for ${SIZE_MB} MiB`);
});
