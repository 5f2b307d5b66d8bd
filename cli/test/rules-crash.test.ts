/**
 * Crash safety: a separate `oxbow daemon transfer` killed with SIGKILL in the middle of a large copy
 * leaves no AVAILABLE replica without complete verified bytes; a restarted daemon takes the lapsed
 * claim over, removes the orphan temporary file and brings the rule to OK.
 */
import { randomFillSync } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ListedReplica } from '@oxbow/common';
import { adler32Update, deterministicPath, formatAdler32 } from '@oxbow/common/rucio/index';
import t from 'tap';
import { baseEnv } from './helpers.js';
import { type Child, filePrefix, rootClient, spawnOxbow, startServerProcess } from './rules-support.js';

const SCOPE = 'crash';
const MB = 1 << 20;
const SIZE_MB = Number(process.env.CRASH_TEST_MB ?? 320);

/** adler32 of a file, streamed. */
async function fileAdler32(path: string): Promise<string> {
  let a = 1;
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * MB }))
    a = adler32Update(a, chunk as Buffer);
  return formatAdler32(a);
}

/** Temporary names the posix writer uses next to a file. */
const tempsOf = (full: string) =>
  existsSync(dirname(full))
    ? readdirSync(dirname(full))
        .filter((n) => n.includes('.oxbow-part-'))
        .map((n) => join(dirname(full), n))
    : [];

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

t.test('SIGKILL of a transfer daemon mid-copy, then restart', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'oxbow-rules-crash-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startServerProcess(dataDir, ['--daemons', 'judge'], baseEnv({}));
  t.teardown(() => server.stop());
  const client = rootClient(server.url);
  t.teardown(() => client.close());
  await client.scopes.add(SCOPE, 'root');

  // A large file of random bytes (1 MiB of random data repeated with a varying first word), streamed.
  const name = 'big.bin';
  const src = join(await filePrefix(client, 'LOCAL_DISK1'), deterministicPath(SCOPE, name));
  mkdirSync(dirname(src), { recursive: true });
  const block = randomFillSync(Buffer.alloc(MB));
  const fd = openSync(src, 'w');
  let a = 1;
  for (let i = 0; i < SIZE_MB; i++) {
    block.writeUInt32LE(i, 0);
    writeSync(fd, block);
    a = adler32Update(a, block);
  }
  closeSync(fd);
  const bytes = SIZE_MB * MB;
  const sum = formatAdler32(a);
  await client.replicas.add('LOCAL_DISK1', [{ scope: SCOPE, name, bytes, adler32: sum, state: 'A' }]);
  const [id] = await client.rules.addFor([{ scope: SCOPE, name }], 1, 'LOCAL_DISK2');
  const dest = join(await filePrefix(client, 'LOCAL_DISK2'), deterministicPath(SCOPE, name));
  const replicaOn = async (rse: string) => {
    const rows: ListedReplica[] = [];
    for await (const r of client.replicas.list({ dids: [{ scope: SCOPE, name }], all_states: true }))
      rows.push(r);
    return (rows[0]?.states as Record<string, string> | undefined)?.[rse];
  };
  t.equal(await replicaOn('LOCAL_DISK2'), 'COPYING', 'the judge created the destination replica');

  const daemonArgs = [
    'daemon',
    'transfer',
    '--data-dir',
    dataDir,
    '--lease',
    '2',
    '--concurrency',
    '1',
    '--interval',
    '200',
  ];
  let d: Child = spawnOxbow(daemonArgs, baseEnv({}));
  t.teardown(() => {
    if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
  });
  // Kill once the copy has written part of the bytes to its temporary file.
  let partial = 0;
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const tmp = tempsOf(dest)[0];
    partial = tmp ? (statSync(tmp, { throwIfNoEntry: false })?.size ?? 0) : 0;
    if (partial > 8 * MB) break;
    await sleep(10);
  }
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
  let rule = await client.rules.get(id!);
  const end = Date.now() + 90_000;
  while (rule.state !== 'OK' && rule.state !== 'STUCK' && Date.now() < end) {
    await sleep(250);
    rule = await client.rules.get(id!);
  }
  t.equal(rule.state, 'OK', `rule OK after the restart (${d.stderr().slice(-300)})`);
  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0, 'graceful stop');
  const logs = d
    .stdout()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { event: string; result?: string; files?: number });
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
