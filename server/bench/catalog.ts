/**
 * Catalog benchmark (`npm run bench:catalog`): on SQLite and on a throwaway PostgreSQL, with the server
 * in a child process (so its memory and CPU time can be measured apart from the load generator):
 *   1. bulk registration of BENCH_FILES files into a dataset through the REST API, in requests of
 *      BENCH_BATCH files: POST /replicas then POST /dids/attachments; and, into a second dataset,
 *      the one-call form (POST /dids/attachments with `rse`, which registers replicas and attaches);
 *   2. list-replicas of the first dataset (time to last byte, peak RSS of the server process);
 *   3. token-authenticated GET /dids/{scope}/{name} under concurrency (req/s, p99), with the server
 *      run with 1 and with 2 worker processes; autocannon runs in a process of its own.
 * Next to every wall-clock figure the server's CPU time (user + system of the server process and its
 * workers, from /proc/<pid>/stat) per operation is printed: on a shared machine it depends far less on
 * what else runs than the wall time does.
 * Environment: BENCH_FILES (100000), BENCH_BATCH (10000), BENCH_CONNECTIONS (50), BENCH_SECONDS (10),
 * BENCH_ENGINES (sqlite,postgres), BENCH_WORKERS (1,2).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import cluster from 'node:cluster';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { request } from 'undici';
import { runServer } from '../src/cluster.js';
import { resolveSettings } from '../src/config.js';
import { startTempPostgres, type TempPostgres } from '../src/testing/postgres.js';

const PASSWORD = 'bench-root-secret';
const FILES = Number(process.env.BENCH_FILES ?? 100_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 10_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ENGINES = (process.env.BENCH_ENGINES ?? 'sqlite,postgres').split(',').map((s) => s.trim());
const WORKERS = (process.env.BENCH_WORKERS ?? '1,2').split(',').map((s) => Number(s.trim()));
const SELF = fileURLToPath(import.meta.url);

/** Child mode: run the service (cluster primary + workers when workers > 1) and report its URL on stdout. */
async function serve(dataDir: string, databaseUrl: string | undefined, workers: number): Promise<void> {
  const settings = resolveSettings(
    {
      dataDir,
      databaseUrl: databaseUrl || undefined,
      port: 0,
      host: '127.0.0.1',
      rootPassword: PASSWORD,
      embeddedRses: true,
      logLevel: 'warn',
      workers,
    },
    {},
  );
  const s = await runServer(settings, { logger: false });
  if (cluster.isPrimary) process.stdout.write(`READY ${s.url}\n`);
  process.on('SIGTERM', () => {
    setTimeout(() => process.exit(0), 2000).unref();
    void s.close().then(() => process.exit(0));
  });
}

/** Child mode: one autocannon run against `url`, its result as JSON on stdout. */
async function cannon(url: string, token: string): Promise<void> {
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    headers: { 'x-rucio-auth-token': token },
  });
  process.stdout.write(
    `${JSON.stringify({ rps: r.requests.average, total: r.requests.total, p99: r.latency.p99, errors: r.errors + r.non2xx })}\n`,
  );
}

interface Child {
  proc: ChildProcess;
  url: string;
}

let live: ChildProcess | undefined;

function startChild(dataDir: string, databaseUrl: string | undefined, workers: number): Promise<Child> {
  const args = [SELF, '--serve', dataDir, databaseUrl ?? '', String(workers)];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  live = proc;
  return new Promise((resolve, reject) => {
    let out = '';
    let ready = false;
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m && !ready) {
        ready = true;
        resolve({ proc, url: m[1]! });
      }
    });
    proc.once('exit', (code, signal) => {
      if (!ready) reject(new Error(`server exited with ${signal ?? code} before it was ready`));
      else if (live === proc) {
        // A server dying mid-run would leave the bench waiting on a request forever.
        process.stderr.write(`bench: server exited unexpectedly (${signal ?? code})\n`);
        void cleanup().then(() => process.exit(1));
      }
    });
  });
}

async function stopChild(c: Child): Promise<void> {
  live = undefined;
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  const exited = new Promise((r) => c.proc.once('exit', r));
  c.proc.kill('SIGTERM');
  await exited;
}

function procStatus(pid: number, field: string): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** The fields of /proc/<pid>/stat after the command name (which may contain spaces). */
function statFields(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** `pid` and every live descendant (the cluster workers of a server). */
function processTree(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const f = statFields(Number(e));
    if (f) parent.set(Number(e), Number(f[1]));
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    for (const [p, pp] of parent) if (pp === out[i]) out.push(p);
  }
  return out;
}

/** CPU seconds (user + system) used so far by `pid` and its descendants. */
function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    const f = statFields(p);
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name.
    if (f) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / TICKS;
}

/** Wall and server CPU time of `fn`. */
async function measured<T>(
  pid: number,
  fn: () => Promise<T>,
): Promise<{ value: T; wall: number; cpu: number }> {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  const value = await fn();
  const wall = (performance.now() - t0) / 1000;
  return { value, wall, cpu: cpuSeconds(pid) - c0 };
}

async function call(
  base: string,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  token: string,
  body?: string,
) {
  const res = await request(`${base}${path}`, {
    method,
    headers: { 'x-rucio-auth-token': token },
    body,
  });
  const text = await res.body.text();
  return { status: res.statusCode, text };
}

async function must(p: ReturnType<typeof call>, what: string) {
  const r = await p;
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text.slice(0, 300)}`);
  return r;
}

async function login(url: string): Promise<string> {
  const res = await request(`${url}/auth/userpass`, {
    headers: { 'x-rucio-account': 'root', 'x-rucio-username': 'root', 'x-rucio-password': PASSWORD },
  });
  await res.body.text();
  if (res.statusCode !== 200) throw new Error(`login: ${res.statusCode}`);
  return res.headers['x-rucio-auth-token'] as string;
}

interface Phase {
  wall: number;
  cpu: number;
}

interface DidRun {
  workers: number;
  rps: number;
  p99: number;
  errors: number;
  cpuUsPerReq: number;
}

interface Figures {
  engine: string;
  replicas: Phase;
  attach: Phase;
  attachRse: Phase;
  list: Phase & { lines: number; mb: number; peakRss: number; idleRss: number };
  did: DidRun[];
}

/** File entries of batch `i` of dataset `tag`. */
function batchFiles(tag: string, start: number) {
  const files = [];
  for (let j = start; j < Math.min(FILES, start + BATCH); j++) {
    files.push({
      scope: 'bench',
      name: `${tag}.${String(j).padStart(7, '0')}.root`,
      bytes: 1_000_000 + j,
      adler32: ((j * 2654435761) >>> 0).toString(16).padStart(8, '0'),
    });
  }
  return files;
}

async function runEngine(engine: string, pg: TempPostgres | undefined): Promise<Figures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'oxbow-bench-'));
  const databaseUrl = engine === 'postgres' ? await pg!.newDatabase() : undefined;
  let child = await startChild(dataDir, databaseUrl, 1);
  try {
    const pid = child.proc.pid!;
    const token = await login(child.url);
    let rse = 'LOCAL_DISK1';
    if (engine === 'postgres') {
      rse = 'BENCH_DISK';
      await must(call(child.url, 'POST', `/rses/${rse}`, token, '{}'), 'add RSE');
      await must(
        call(
          child.url,
          'POST',
          `/rses/${rse}/protocols/file`,
          token,
          JSON.stringify({
            hostname: 'localhost',
            prefix: join(dataDir, 'rses', rse),
            impl: 'rucio.rse.protocols.posix.Default',
            domains: { lan: { read: 1, write: 1, delete: 1 }, wan: { read: 1, write: 1, delete: 1 } },
          }),
        ),
        'add protocol',
      );
    }
    await must(call(child.url, 'POST', '/accounts/root/scopes/bench', token), 'add scope');
    for (const ds of ['dataset.big', 'dataset.rse'])
      await must(call(child.url, 'POST', `/dids/bench/${ds}`, token, '{"type":"DATASET"}'), 'add dataset');

    // Bodies are serialized before the clock starts: the client's JSON building is not the server's cost.
    const replicaBodies: string[] = [];
    const attachBodies: string[] = [];
    const attachRseBodies: string[] = [];
    for (let i = 0; i < FILES; i += BATCH) {
      const files = batchFiles('data', i);
      replicaBodies.push(JSON.stringify({ rse, files, ignore_availability: true }));
      attachBodies.push(
        JSON.stringify({
          attachments: [
            {
              scope: 'bench',
              name: 'dataset.big',
              dids: files.map((f) => ({ scope: f.scope, name: f.name })),
            },
          ],
        }),
      );
      attachRseBodies.push(
        JSON.stringify({
          attachments: [{ scope: 'bench', name: 'dataset.rse', rse, dids: batchFiles('more', i) }],
        }),
      );
    }
    const post = async (path: string, bodies: string[]) => {
      for (const b of bodies) await must(call(child.url, 'POST', path, token, b), `POST ${path}`);
    };
    // 1. registration
    const replicas = await measured(pid, () => post('/replicas', replicaBodies));
    const attach = await measured(pid, () => post('/dids/attachments', attachBodies));
    const attachRse = await measured(pid, () => post('/dids/attachments', attachRseBodies));

    // 2. list-replicas of the dataset, streamed; peak RSS of the server reset just before
    const idleRss = procStatus(pid, 'VmRSS');
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      // Without clear_refs the peak covers the whole run; sampling below still bounds it.
    }
    let sampled = 0;
    const sampler = setInterval(() => {
      sampled = Math.max(sampled, procStatus(pid, 'VmRSS'));
    }, 20);
    const list = await measured(pid, async () => {
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
      if (res.statusCode !== 200) throw new Error(`list-replicas: ${res.statusCode}`);
      return { lines, bytes };
    });
    clearInterval(sampler);
    if (list.value.lines !== FILES)
      throw new Error(`list-replicas gave ${list.value.lines} lines, not ${FILES}`);
    const peakRss = Math.max(procStatus(pid, 'VmHWM'), sampled);

    // 3. token-authenticated DID lookups under concurrency, with 1 and 2 server processes
    const did: DidRun[] = [];
    for (const workers of WORKERS) {
      if (workers !== 1 || did.length > 0) {
        await stopChild(child);
        child = await startChild(dataDir, databaseUrl, workers);
      }
      const url = `${child.url}/dids/bench/data.0000042.root`;
      await must(call(child.url, 'GET', '/dids/bench/data.0000042.root', token), 'GET DID');
      const run = await measured(child.proc.pid!, () => runCannon(url, token));
      did.push({
        workers,
        rps: run.value.rps,
        p99: run.value.p99,
        errors: run.value.errors,
        cpuUsPerReq: (run.cpu / Math.max(1, run.value.total)) * 1e6,
      });
    }
    return {
      engine,
      replicas,
      attach,
      attachRse,
      list: {
        wall: list.wall,
        cpu: list.cpu,
        lines: list.value.lines,
        mb: list.value.bytes / 1e6,
        peakRss,
        idleRss,
      },
      did,
    };
  } finally {
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Runs autocannon in a process of its own so the load generator does not share an event loop. */
function runCannon(
  url: string,
  token: string,
): Promise<{ rps: number; total: number; p99: number; errors: number }> {
  const proc = spawn(process.execPath, [SELF, '--cannon', url, token], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => {
      try {
        if (code !== 0) throw new Error(`autocannon exited with ${code}`);
        resolve(JSON.parse(out));
      } catch (e) {
        reject(e);
      }
    });
  });
}

let pg: TempPostgres | undefined;
async function cleanup(): Promise<void> {
  const c = live;
  live = undefined;
  c?.kill('SIGKILL');
  const p = pg;
  pg = undefined;
  await p?.stop().catch(() => {});
}

const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

function report(rows: Figures[]): void {
  const perSec = (p: Phase) => `${fmt(FILES / p.wall)} files/s (CPU ${fmt((p.cpu / FILES) * 1e6)} µs/file)`;
  console.log(
    `\nOxbow catalog benchmark: ${fmt(FILES)} files, requests of ${fmt(BATCH)} files; DID GETs with ${CONNECTIONS} connections × ${SECONDS} s; load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(
    '\n| engine | POST /replicas | POST /dids/attachments | replicas + attach (target ≥ 30,000 files/s on SQLite) | attach with rse (one call) |',
  );
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    const both = { wall: r.replicas.wall + r.attach.wall, cpu: r.replicas.cpu + r.attach.cpu };
    console.log(
      `| ${r.engine} | ${perSec(r.replicas)} | ${perSec(r.attach)} | ${perSec(both)} | ${perSec(r.attachRse)} |`,
    );
  }
  console.log(
    '\n| engine | list-replicas of the dataset, time to last byte (target < 2 s) | server CPU | lines | MB | server peak RSS during the list |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    const l = r.list;
    console.log(
      `| ${r.engine} | ${fmt(l.wall, 2)} s | ${fmt(l.cpu, 2)} s (${fmt((l.cpu / l.lines) * 1e6, 1)} µs/file) | ${fmt(l.lines)} | ${fmt(l.mb, 1)} | ${fmt(l.peakRss / 1e6)} MB (idle ${fmt(l.idleRss / 1e6)} MB) |`,
    );
  }
  console.log(
    '\n| engine | server workers | token-authenticated DID GET req/s (target ≥ 10,000) | p99 | server CPU per request | errors |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    for (const d of r.did) {
      console.log(
        `| ${r.engine} | ${d.workers} | ${fmt(d.rps)} | ${fmt(d.p99)} ms | ${fmt(d.cpuUsPerReq)} µs | ${d.errors} |`,
      );
    }
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === '--serve')
    return serve(process.argv[3]!, process.argv[4], Number(process.argv[5] ?? 1));
  if (process.argv[2] === '--cannon') return cannon(process.argv[3]!, process.argv[4]!);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stderr.write(`bench: ${sig}, stopping the server and PostgreSQL\n`);
      void cleanup().then(() => process.exit(130));
    });
  }
  const rows: Figures[] = [];
  try {
    if (ENGINES.includes('postgres')) pg = await startTempPostgres();
    for (const engine of ENGINES) {
      process.stderr.write(`bench: ${engine}, ${FILES} files in requests of ${BATCH}…\n`);
      rows.push(await runEngine(engine, pg));
    }
  } finally {
    await cleanup();
  }
  report(rows);
}

await main();
