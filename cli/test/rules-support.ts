/** Child-process `oxbow server` / `oxbow daemon` and file seeding shared by the rule tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { createClient, type OxbowClient } from '@oxbow/client';
import type { ListedReplica } from '@oxbow/common';
import { adler32, adler32Update, deterministicPath, formatAdler32 } from '@oxbow/common/rucio/index';
import { OXBOW_BIN } from './helpers.js';

export const ROOT_PW = 'rules-cli-root-secret';
const MB = 1 << 20;

/** A running child process with its collected output. */
export interface Child {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `oxbow …args` and keeps its output. */
export function spawnOxbow(args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, [OXBOW_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** `oxbow server --json …` on a free port; resolves once it prints its URL. */
export async function startServerProcess(
  dataDir: string,
  extra: string[],
  env: NodeJS.ProcessEnv,
): Promise<Child & { url: string; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [OXBOW_BIN, 'server', '--data-dir', dataDir, '--port', '0', '--json', '--log-level', 'warn', ...extra],
    { env: { ...env, OXBOW_ROOT_PASSWORD: ROOT_PW }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await Promise.race([
    lines.next(),
    exited.then((e) => {
      throw new Error(`oxbow server exited (${e.code}): ${err.slice(-500)}`);
    }),
  ]);
  const url = (JSON.parse(first.value as string) as { url: string }).url;
  return {
    child,
    url,
    stdout: () => '',
    stderr: () => err,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A root client for set-up steps the CLI has no command for (registering replicas of seeded files). */
export function rootClient(url: string): OxbowClient {
  return createClient({ url, username: 'root', password: ROOT_PW, account: 'root' });
}

/** Prefix of an RSE's file protocol. */
export async function filePrefix(client: OxbowClient, rse: string): Promise<string> {
  const p = (await client.rses.get(rse)).protocols.find((x) => x.scheme === 'file');
  if (!p) throw new Error(`${rse} has no file protocol`);
  return p.prefix;
}

/**
 * Writes files at their deterministic (hash) paths under an RSE prefix and registers them there as
 * AVAILABLE replicas, in one dataset. `fill(i)` gives each file's bytes.
 */
export async function seedDataset(
  client: OxbowClient,
  rse: string,
  scope: string,
  dataset: string,
  names: string[],
  fill: (i: number) => Buffer,
): Promise<Buffer[]> {
  const prefix = await filePrefix(client, rse);
  const datas: Buffer[] = [];
  const files = names.map((name, i) => {
    const data = fill(i);
    datas.push(data);
    const p = join(prefix, deterministicPath(scope, name));
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
    return { scope, name, bytes: data.length, adler32: adler32(data), state: 'A' as const };
  });
  await client.replicas.add(rse, files);
  await client.dids.add(scope, dataset, { type: 'DATASET' });
  await client.dids.attach(
    scope,
    dataset,
    names.map((name) => ({ scope, name })),
  );
  return datas;
}

/** adler32 of a file, streamed. */
export async function fileAdler32(path: string): Promise<string> {
  let a = 1;
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * MB }))
    a = adler32Update(a, chunk as Buffer);
  return formatAdler32(a);
}

/** Temporary names a writer uses next to a file (full paths in the same local directory). */
export const tempsOf = (full: string): string[] =>
  existsSync(dirname(full))
    ? readdirSync(dirname(full))
        .filter((n) => n.includes('.oxbow-part-'))
        .map((n) => join(dirname(full), n))
    : [];

/**
 * Writes a large file of `sizeMb` MiB (1 MiB of random bytes repeated, its first word varied) at
 * `scope:name`'s deterministic path on LOCAL_DISK1, streamed, and registers it AVAILABLE there.
 */
export async function seedLargeReplica(client: OxbowClient, scope: string, name: string, sizeMb: number) {
  const src = join(await filePrefix(client, 'LOCAL_DISK1'), deterministicPath(scope, name));
  mkdirSync(dirname(src), { recursive: true });
  const block = randomFillSync(Buffer.alloc(MB));
  const fd = openSync(src, 'w');
  let a = 1;
  for (let i = 0; i < sizeMb; i++) {
    block.writeUInt32LE(i, 0);
    writeSync(fd, block);
    a = adler32Update(a, block);
  }
  closeSync(fd);
  const bytes = sizeMb * MB;
  const sum = formatAdler32(a);
  await client.replicas.add('LOCAL_DISK1', [{ scope, name, bytes, adler32: sum, state: 'A' }]);
  return { bytes, adler32: sum };
}

/** State name of a DID's replica on an RSE (all states listed), or undefined. */
export async function replicaState(client: OxbowClient, scope: string, name: string, rse: string) {
  const rows: ListedReplica[] = [];
  for await (const r of client.replicas.list({ dids: [{ scope, name }], all_states: true })) rows.push(r);
  return (rows[0]?.states as Record<string, string> | undefined)?.[rse];
}

/** `oxbow daemon transfer` with a short lease and one copy at a time, for the crash tests. */
export const crashDaemonArgs = (dataDir: string) => [
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

/** Waits (up to 60 s) until a temporary file next to `dest` holds more than `minBytes`; its path and size. */
export async function waitForPartialTemp(dest: string, minBytes: number) {
  let partial = 0;
  let tmp: string | undefined;
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    tmp = tempsOf(dest)[0];
    partial = tmp ? (statSync(tmp, { throwIfNoEntry: false })?.size ?? 0) : 0;
    if (partial > minBytes) break;
    await new Promise((ok) => setTimeout(ok, 10));
  }
  return { tmp, partial };
}

/** Polls a rule until it is OK or STUCK (up to `ms`). */
export async function waitRuleSettled(client: OxbowClient, id: string, ms = 90_000) {
  let rule = await client.rules.get(id);
  const end = Date.now() + ms;
  while (rule.state !== 'OK' && rule.state !== 'STUCK' && Date.now() < end) {
    await new Promise((ok) => setTimeout(ok, 250));
    rule = await client.rules.get(id);
  }
  return rule;
}

/** The JSON log lines a daemon wrote. */
export const daemonLogs = (d: Child) =>
  d
    .stdout()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { event: string; result?: string; files?: number; destination?: string });
