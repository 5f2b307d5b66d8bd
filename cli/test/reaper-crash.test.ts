/**
 * Crash safety of deletion: a separate `oxbow daemon reaper` is SIGKILLed again and again while it
 * deletes thousands of purged replicas. After every kill: no AVAILABLE replica without its bytes,
 * no file on storage without its catalog row (storage goes first), locked replicas untouched. A
 * restarted reaper finishes the half-done deletions (rows left BEING_DELETED, some whose file is
 * already gone) and leaves exactly the protected replicas.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ListedReplica } from '@oxbow/common';
import { deterministicPath } from '@oxbow/common/rucio/index';
import t, { type Test } from 'tap';
import { baseEnv } from './helpers.js';
import {
  type Child,
  filePrefix,
  rootClient,
  seedDataset,
  spawnOxbow,
  startServerProcess,
} from './rules-support.js';

const SCOPE = 'reap';
const N_PURGED = 4000;
const N_KEPT = 200;
const SIZE = 1500;
const KILLS = 4;

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** Every file below a directory (names only: deterministic paths end in the DID name). */
function filesBelow(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...filesBelow(join(dir, e.name)));
    else out.push(e.name);
  }
  return out;
}

t.test('SIGKILL of the reaper mid-deletion, repeatedly, then restart', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'oxbow-reaper-crash-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startServerProcess(dataDir, ['--daemons', 'none'], baseEnv({}));
  t.teardown(() => server.stop());
  const client = rootClient(server.url);
  t.teardown(() => client.close());
  await client.scopes.add(SCOPE, 'root');
  const prefix = await filePrefix(client, 'LOCAL_DISK1');

  const names = [
    ...Array.from({ length: N_PURGED }, (_, i) => `p${i}.root`),
    ...Array.from({ length: N_KEPT }, (_, i) => `k${i}.root`),
  ];
  await seedDataset(client, 'LOCAL_DISK1', SCOPE, 'all', names, (i) => Buffer.alloc(SIZE, names[i]!));
  // The kept files are protected by a rule (a lock each); the others are purged.
  await client.dids.add(SCOPE, 'keep', { type: 'DATASET' });
  await client.dids.attach(
    SCOPE,
    'keep',
    names.filter((n) => n.startsWith('k')).map((name) => ({ scope: SCOPE, name })),
  );
  const [ruleId] = await client.rules.addFor([{ scope: SCOPE, name: 'keep' }], 1, 'LOCAL_DISK1');
  t.equal((await client.rules.get(ruleId!)).state, 'OK');
  for (let i = 0; i < N_PURGED; i += 1000)
    await client.replicas.setTombstones(
      names
        .slice(i, Math.min(i + 1000, N_PURGED))
        .map((name) => ({ rse: 'LOCAL_DISK1', scope: SCOPE, name })),
    );

  /** Catalog states on LOCAL_DISK1 and files on its disk, checked against each other. */
  const check = async (t: Test, when: string) => {
    const states = new Map<string, string>();
    for await (const r of client.replicas.list({ dids: [{ scope: SCOPE, name: 'all' }], all_states: true }))
      states.set((r as ListedReplica).name, String((r as ListedReplica).states?.LOCAL_DISK1));
    const onDisk = new Set(filesBelow(join(prefix, SCOPE)));
    const availableWithoutFile = [...states].filter(([n, s]) => s === 'AVAILABLE' && !onDisk.has(n));
    const fileWithoutRow = [...onDisk].filter((n) => !states.has(n));
    const wrongSize = [...states]
      .filter(([n, s]) => s === 'AVAILABLE' && onDisk.has(n))
      .filter(([n]) => statSync(join(prefix, deterministicPath(SCOPE, n))).size !== SIZE);
    t.same(availableWithoutFile, [], `${when}: no AVAILABLE replica without its file`);
    t.same(fileWithoutRow, [], `${when}: no file on storage without its catalog row`);
    t.same(wrongSize, [], `${when}: AVAILABLE files complete`);
    const kept = names.filter((n) => n.startsWith('k'));
    t.ok(
      kept.every((n) => states.get(n) === 'AVAILABLE' && onDisk.has(n)),
      `${when}: the ${N_KEPT} locked replicas untouched`,
    );
    const beingDeleted = [...states].filter(([, s]) => s === 'BEING_DELETED');
    return {
      rows: states.size,
      beingDeleted: beingDeleted.length,
      beingDeletedFileGone: beingDeleted.filter(([n]) => !onDisk.has(n)).length,
    };
  };

  const args = ['daemon', 'reaper', '--data-dir', dataDir, '--interval', '100'];
  let caughtMidDeletion = 0;
  let d: Child | undefined;
  t.teardown(() => {
    if (d && d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
  });
  let before = N_PURGED + N_KEPT;
  for (let k = 0; k < KILLS; k++) {
    d = spawnOxbow(args, baseEnv({}));
    // Let it delete a few hundred, then kill it wherever it is.
    const target = 150 + k * 97;
    const until = Date.now() + 60_000;
    while ((d.stdout().match(/"result":"DELETED"/g)?.length ?? 0) < target && Date.now() < until)
      await sleep(5);
    d.child.kill('SIGKILL');
    t.equal((await d.exited).signal, 'SIGKILL', `kill ${k + 1}`);
    const s = await check(t, `after kill ${k + 1}`);
    t.ok(s.rows < before && s.rows > N_KEPT, `kill ${k + 1} came mid-run: ${before} -> ${s.rows} rows`);
    t.comment(
      `kill ${k + 1}: ${s.rows} rows left, ${s.beingDeleted} BEING_DELETED (${s.beingDeletedFileGone} of them with the file already deleted)`,
    );
    if (s.beingDeleted > 0) caughtMidDeletion++;
    before = s.rows;
  }
  t.ok(
    caughtMidDeletion > 0,
    `${caughtMidDeletion} of ${KILLS} kills left half-done deletions (BEING_DELETED rows)`,
  );

  // A restarted reaper finishes the job and exits when nothing is left.
  d = spawnOxbow([...args.slice(0, 4), '--once'], baseEnv({}));
  const done = await d.exited;
  t.equal(done.code, 0, `reaper --once exits 0 (${d.stderr().slice(-300)})`);
  const end = await check(t, 'after the restart');
  t.equal(end.rows, N_KEPT, 'only the protected replicas are left');
  t.equal(end.beingDeleted, 0, 'no half-done deletion left');
  t.same(filesBelow(join(prefix, SCOPE)).sort(), names.filter((n) => n.startsWith('k')).sort());
  t.equal((await client.rules.get(ruleId!)).state, 'OK', 'the rule is still OK');
});
