/**
 * Catalog benchmark (`npm run bench:catalog`): on SQLite and on a throwaway PostgreSQL, with the server
 * in a child process so that its memory can be measured:
 *   1. bulk registration of BENCH_FILES files into a dataset through the REST API
 *      (POST /replicas, then POST /dids/attachments), in requests of BENCH_BATCH files;
 *   2. list-replicas of that dataset (time to last byte, peak RSS of the server process);
 *   3. token-authenticated GET /dids/{scope}/{name} under concurrency with autocannon (req/s, p99).
 * Environment: BENCH_FILES (100000), BENCH_BATCH (10000), BENCH_CONNECTIONS (50), BENCH_SECONDS (10),
 * BENCH_ENGINES (sqlite,postgres).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { request } from 'undici';
import { resolveSettings } from '../src/config.js';
import { startServer } from '../src/server.js';
import { startTempPostgres, type TempPostgres } from '../src/testing/postgres.js';

const PASSWORD = 'bench-root-secret';
const FILES = Number(process.env.BENCH_FILES ?? 100_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 10_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ENGINES = (process.env.BENCH_ENGINES ?? 'sqlite,postgres').split(',').map((s) => s.trim());

/** Child mode: run a server and report its URL on stdout. */
async function serve(dataDir: string, databaseUrl: string | undefined): Promise<void> {
  const settings = resolveSettings(
    {
      dataDir,
      databaseUrl,
      port: 0,
      host: '127.0.0.1',
      rootPassword: PASSWORD,
      embeddedRses: true,
      logLevel: 'warn',
    },
    {},
  );
  const s = await startServer(settings, { logger: false });
  process.stdout.write(`READY ${s.url}\n`);
  process.on('SIGTERM', () => {
    setTimeout(() => process.exit(0), 2000).unref();
    void s.close().then(() => process.exit(0));
  });
}

interface Child {
  proc: ChildProcess;
  url: string;
}

function startChild(dataDir: string, databaseUrl?: string): Promise<Child> {
  const args = [fileURLToPath(import.meta.url), '--serve', dataDir, ...(databaseUrl ? [databaseUrl] : [])];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) resolve({ proc, url: m[1]! });
    });
    proc.once('exit', (code) => reject(new Error(`server exited with ${code} before it was ready`)));
  });
}

function procStatus(pid: number, field: string): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function call(
  base: string,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  token: string,
  body?: unknown,
) {
  const res = await request(`${base}${path}`, {
    method,
    headers: { 'x-rucio-auth-token': token },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, text };
}

async function must(p: ReturnType<typeof call>, what: string) {
  const r = await p;
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text.slice(0, 300)}`);
  return r;
}

interface Figures {
  engine: string;
  registerFilesPerSec: number;
  replicasOnlyFilesPerSec: number;
  attach: string;
  listSeconds: number;
  listLines: number;
  listMB: number;
  listPeakRssMB: number;
  idleRssMB: number;
  didReqPerSec: number;
  didP99Ms: number;
  didErrors: number;
}

async function runEngine(engine: string, pg: TempPostgres | undefined): Promise<Figures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'oxbow-bench-'));
  const databaseUrl = engine === 'postgres' ? await pg!.newDatabase() : undefined;
  const child = await startChild(dataDir, databaseUrl);
  const pid = child.proc.pid!;
  try {
    const login = await request(`${child.url}/auth/userpass`, {
      headers: { 'x-rucio-account': 'root', 'x-rucio-username': 'root', 'x-rucio-password': PASSWORD },
    });
    await login.body.text();
    const token = login.headers['x-rucio-auth-token'] as string;
    let rse = 'LOCAL_DISK1';
    if (engine === 'postgres') {
      rse = 'BENCH_DISK';
      await must(call(child.url, 'POST', `/rses/${rse}`, token, {}), 'add RSE');
      await must(
        call(child.url, 'POST', `/rses/${rse}/protocols/file`, token, {
          hostname: 'localhost',
          prefix: join(dataDir, 'rses', rse),
          impl: 'rucio.rse.protocols.posix.Default',
          domains: { lan: { read: 1, write: 1, delete: 1 }, wan: { read: 1, write: 1, delete: 1 } },
        }),
        'add protocol',
      );
    }
    await must(call(child.url, 'POST', '/accounts/root/scopes/bench', token), 'add scope');
    await must(call(child.url, 'POST', '/dids/bench/dataset.big', token, { type: 'DATASET' }), 'add dataset');

    // 1. registration: replicas (which create the file DIDs), then attachment to the dataset
    let replicaMs = 0;
    let attach = 'POST /dids/attachments';
    const t0 = performance.now();
    for (let i = 0; i < FILES; i += BATCH) {
      const files = [];
      for (let j = i; j < Math.min(FILES, i + BATCH); j++) {
        files.push({
          scope: 'bench',
          name: `data.${String(j).padStart(7, '0')}.root`,
          bytes: 1_000_000 + j,
          adler32: ((j * 2654435761) >>> 0).toString(16).padStart(8, '0'),
        });
      }
      const r0 = performance.now();
      await must(
        call(child.url, 'POST', '/replicas', token, { rse, files, ignore_availability: true }),
        'POST /replicas',
      );
      replicaMs += performance.now() - r0;
      const att = await call(child.url, 'POST', '/dids/attachments', token, {
        attachments: [
          { scope: 'bench', name: 'dataset.big', dids: files.map((f) => ({ scope: f.scope, name: f.name })) },
        ],
      });
      if (att.status !== 201) {
        attach = `FAILED ${att.status}`;
        throw new Error(`POST /dids/attachments: ${att.status} ${att.text.slice(0, 300)}`);
      }
    }
    const totalMs = performance.now() - t0;

    // 2. list-replicas of the dataset, streamed; peak RSS of the server reset just before
    const idle = procStatus(pid, 'VmRSS');
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      // Without clear_refs the peak covers the whole run; sampling below still bounds it.
    }
    let sampled = 0;
    const sampler = setInterval(() => {
      sampled = Math.max(sampled, procStatus(pid, 'VmRSS'));
    }, 20);
    const l0 = performance.now();
    const res = await request(`${child.url}/replicas/list`, {
      method: 'POST',
      headers: { 'x-rucio-auth-token': token },
      body: JSON.stringify({ dids: [{ scope: 'bench', name: 'dataset.big' }] }),
    });
    let lines = 0;
    let bytes = 0;
    for await (const chunk of res.body) {
      const b = chunk as Buffer;
      bytes += b.length;
      for (let k = b.indexOf(10); k >= 0; k = b.indexOf(10, k + 1)) lines++;
    }
    const listMs = performance.now() - l0;
    clearInterval(sampler);
    if (res.statusCode !== 200) throw new Error(`list-replicas: ${res.statusCode}`);
    const peak = Math.max(procStatus(pid, 'VmHWM'), sampled);

    // 3. token-authenticated DID lookups under concurrency
    const ac = await autocannon({
      url: `${child.url}/dids/bench/data.0000042.root`,
      connections: CONNECTIONS,
      duration: SECONDS,
      headers: { 'x-rucio-auth-token': token },
    });
    return {
      engine,
      registerFilesPerSec: (FILES / totalMs) * 1000,
      replicasOnlyFilesPerSec: (FILES / replicaMs) * 1000,
      attach,
      listSeconds: listMs / 1000,
      listLines: lines,
      listMB: bytes / 1e6,
      listPeakRssMB: peak / 1e6,
      idleRssMB: idle / 1e6,
      didReqPerSec: ac.requests.average,
      didP99Ms: ac.latency.p99,
      didErrors: ac.errors + ac.non2xx,
    };
  } finally {
    child.proc.kill('SIGTERM');
    await new Promise((r) => child.proc.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === '--serve') return serve(process.argv[3]!, process.argv[4]);
  const pg = ENGINES.includes('postgres') ? await startTempPostgres() : undefined;
  const rows: Figures[] = [];
  try {
    for (const engine of ENGINES) {
      process.stderr.write(`bench: ${engine}, ${FILES} files in requests of ${BATCH}…\n`);
      rows.push(await runEngine(engine, pg));
    }
  } finally {
    await pg?.stop();
  }
  const fmt = (n: number, d = 0) =>
    n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  console.log(
    `\nOxbow catalog benchmark: ${fmt(FILES)} files, batches of ${fmt(BATCH)}, ${CONNECTIONS} connections × ${SECONDS} s`,
  );
  console.log(
    '| engine | register (replicas + attach) files/s | POST /replicas alone files/s | list-replicas time to last byte | lines | MB | server peak RSS during list | DID GET req/s | DID GET p99 | errors |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.engine} | ${fmt(r.registerFilesPerSec)} | ${fmt(r.replicasOnlyFilesPerSec)} | ${fmt(r.listSeconds, 2)} s | ${fmt(r.listLines)} | ${fmt(r.listMB, 1)} | ${fmt(r.listPeakRssMB)} MB (idle ${fmt(r.idleRssMB)} MB) | ${fmt(r.didReqPerSec)} | ${fmt(r.didP99Ms)} ms | ${r.didErrors} |`,
    );
  }
}

await main();
