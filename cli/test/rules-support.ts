/** Child-process `oxbow server` / `oxbow daemon` and file seeding shared by the rule tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { createClient, type OxbowClient } from '@oxbow/client';
import { adler32, deterministicPath } from '@oxbow/common/rucio/index';
import { OXBOW_BIN } from './helpers.js';

export const ROOT_PW = 'rules-cli-root-secret';

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
