/**
 * Rules benchmark (`npm run bench:rules`), on the embedded SQLite catalog, in one process:
 *   1. a rule of BENCH_RULE_FILES small files (default 10,000 × 16 KiB) to 3 posix RSEs: time from
 *      POST /rules to rule OK with the judge and transfer daemons, against a plain parallel copy
 *      (node copyFile, same concurrency) of the same bytes to 3 folders in the same run;
 *   2. the same for BENCH_RULE_LARGE_FILES large files of BENCH_RULE_LARGE_MB MiB (default 6 × 500);
 *   3. the judge alone: BENCH_JUDGE_RULES asynchronous rules (default 20) on datasets of
 *      BENCH_JUDGE_DATASET_FILES files (1,000), evaluated back to back (rules/s, locks/s).
 * Environment: also BENCH_RULE_FILE_KB (16), BENCH_RULE_CONCURRENCY (transfer concurrency, 4).
 */
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { adler32, adler32Update, deterministicPath, formatAdler32 } from '@oxbow/common/rucio/index';
import pLimit from 'p-limit';
import { addProtocol } from '../src/catalog/rse-protocols.js';
import { addRse, setRseAttribute } from '../src/catalog/rses.js';
import { resolveSettings } from '../src/config.js';
import { startDaemons } from '../src/daemons/index.js';
import { judgeDaemon } from '../src/daemons/judge.js';
import { type RunningServer, startServer } from '../src/server.js';

const PASSWORD = 'bench-root-secret';
const FILES = Number(process.env.BENCH_RULE_FILES ?? 10_000);
const FILE_KB = Number(process.env.BENCH_RULE_FILE_KB ?? 16);
const LARGE_FILES = Number(process.env.BENCH_RULE_LARGE_FILES ?? 6);
const LARGE_MB = Number(process.env.BENCH_RULE_LARGE_MB ?? 500);
const JUDGE_RULES = Number(process.env.BENCH_JUDGE_RULES ?? 20);
const JUDGE_FILES = Number(process.env.BENCH_JUDGE_DATASET_FILES ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_RULE_CONCURRENCY ?? 4);
const DESTS = ['BENCH_A', 'BENCH_B', 'BENCH_C'];
const MB = 1 << 20;

interface Ctx {
  server: RunningServer;
  headers: Record<string, string>;
  base: string;
  prefixes: Record<string, string>;
}

async function api(c: Ctx, method: string, url: string, payload?: unknown) {
  const res = await c.server.app.inject({
    method: method as 'GET',
    url,
    headers: c.headers,
    payload: payload as object,
  });
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
  return res;
}

async function setup(): Promise<Ctx> {
  const base = mkdtempSync(join(tmpdir(), 'oxbow-bench-rules-'));
  const settings = resolveSettings(
    {
      dataDir: base,
      port: 0,
      host: '127.0.0.1',
      rootPassword: PASSWORD,
      embeddedRses: false,
      daemons: 'none',
      logLevel: 'warn',
    },
    {},
  );
  const server = await startServer(settings, { logger: false });
  const login = await server.app.inject({
    method: 'GET',
    url: '/auth/userpass',
    headers: { 'x-rucio-account': 'root', 'x-rucio-username': 'root', 'x-rucio-password': PASSWORD },
  });
  const headers = { 'x-rucio-auth-token': login.headers['x-rucio-auth-token'] as string };
  const prefixes: Record<string, string> = {};
  for (const rse of ['BENCH_SRC', ...DESTS]) {
    prefixes[rse] = join(base, 'rses', rse);
    mkdirSync(prefixes[rse]!, { recursive: true });
    await addRse(server.catalog.db, rse, { deterministic: true, volatile: false, rse_type: 'DISK' });
    await setRseAttribute(server.catalog.db, rse, 'lfn2pfn_algorithm', 'hash');
    await addProtocol(server.catalog.db, rse, 'file', {
      hostname: 'localhost',
      port: 0,
      prefix: prefixes[rse]!,
      impl: 'rucio.rse.protocols.posix.Default',
      domains: { lan: { read: 1, write: 1, delete: 1 }, wan: { read: 1, write: 1, delete: 1 } },
    });
  }
  const c = { server, headers, base, prefixes };
  for (const scope of ['small', 'large', 'judge']) await api(c, 'POST', `/scopes/root/${scope}`);
  return c;
}

/** Registers AVAILABLE replicas of files on an RSE and a dataset holding them. */
async function register(
  c: Ctx,
  scope: string,
  dataset: string,
  files: { name: string; bytes: number; adler32: string }[],
  rse: string,
) {
  await api(c, 'POST', `/dids/${scope}/${dataset}`, { type: 'DATASET' });
  for (let i = 0; i < files.length; i += 10_000) {
    const chunk = files.slice(i, i + 10_000);
    await api(c, 'POST', '/replicas', {
      rse,
      files: chunk.map((f) => ({ scope, name: f.name, bytes: f.bytes, adler32: f.adler32, state: 'A' })),
    });
    await api(c, 'POST', `/dids/${scope}/${dataset}/dids`, {
      dids: chunk.map((f) => ({ scope, name: f.name })),
    });
  }
}

/** Writes n files of `bytes` each under BENCH_SRC (random bytes, streamed in 1 MiB blocks). */
function writeSources(c: Ctx, scope: string, n: number, bytes: number, prefix: string) {
  const files: { name: string; bytes: number; adler32: string; path: string }[] = [];
  const block = randomFillSync(Buffer.alloc(Math.min(bytes, MB)));
  for (let i = 0; i < n; i++) {
    const name = `${prefix}${String(i).padStart(6, '0')}`;
    const path = join(c.prefixes.BENCH_SRC!, deterministicPath(scope, name));
    mkdirSync(dirname(path), { recursive: true });
    let sum: string;
    if (bytes <= MB) {
      const data = Buffer.from(block.subarray(0, bytes));
      data.writeUInt32LE(i, 0);
      writeFileSync(path, data);
      sum = adler32(data);
    } else {
      const fd = openSync(path, 'w');
      let a = 1;
      for (let done = 0; done < bytes; done += block.length) {
        block.writeUInt32LE(i * 100_000 + done / MB, 0);
        const part = block.subarray(0, Math.min(block.length, bytes - done));
        writeSync(fd, part);
        a = adler32Update(a, part);
      }
      closeSync(fd);
      sum = formatAdler32(a);
    }
    files.push({ name, bytes, adler32: sum, path });
  }
  return files;
}

/** Plain parallel copy of every source file to 3 folders (the bound for a copy engine). */
async function plainCopy(c: Ctx, scope: string, files: { name: string; path: string }[]): Promise<number> {
  const limit = pLimit(CONCURRENCY);
  const dirs = DESTS.map((d) => join(c.base, 'plain', d));
  const t0 = performance.now();
  const made = new Set<string>();
  await Promise.all(
    dirs.flatMap((dir) =>
      files.map((f) =>
        limit(async () => {
          const to = join(dir, deterministicPath(scope, f.name));
          const d = dirname(to);
          if (!made.has(d)) {
            mkdirSync(d, { recursive: true });
            made.add(d);
          }
          await copyFile(f.path, to);
        }),
      ),
    ),
  );
  const s = (performance.now() - t0) / 1000;
  rmSync(join(c.base, 'plain'), { recursive: true, force: true });
  return s;
}

/** POST /rules to rule OK with the judge and transfer daemons running. */
async function ruleToOk(c: Ctx, scope: string, dataset: string): Promise<number> {
  const daemons = startDaemons(c.server.catalog, ['judge', 'transfer'], {
    log: () => {},
    concurrency: CONCURRENCY,
    intervalMs: { judge: 200, transfer: 100 },
  });
  try {
    const t0 = performance.now();
    const res = await api(c, 'POST', '/rules/', {
      dids: [{ scope, name: dataset }],
      copies: 3,
      rse_expression: DESTS.join('|'),
      grouping: 'DATASET',
    });
    const [id] = JSON.parse(res.body) as string[];
    for (;;) {
      const r = JSON.parse((await api(c, 'GET', `/rules/${id}`)).body) as { state: string };
      if (r.state === 'OK') break;
      if (r.state === 'STUCK') throw new Error(`rule ${id} STUCK: ${JSON.stringify(r)}`);
      await new Promise((ok) => setTimeout(ok, 50));
    }
    return (performance.now() - t0) / 1000;
  } finally {
    await daemons.stop();
  }
}

async function copyScenario(c: Ctx, label: string, scope: string, n: number, bytes: number) {
  const files = writeSources(c, scope, n, bytes, `${label}.`);
  await register(c, scope, `${label}.ds`, files, 'BENCH_SRC');
  const plain = await plainCopy(c, scope, files);
  const rule = await ruleToOk(c, scope, `${label}.ds`);
  const copies = n * DESTS.length;
  const total = copies * bytes;
  const out = {
    scenario: label,
    files: n,
    file_bytes: bytes,
    copies,
    copied_mb: Number((total / 1e6).toFixed(1)),
    rule_seconds: Number(rule.toFixed(2)),
    rule_files_per_s: Math.round(copies / rule),
    rule_mb_per_s: Number((total / 1e6 / rule).toFixed(1)),
    plain_seconds: Number(plain.toFixed(2)),
    plain_files_per_s: Math.round(copies / plain),
    plain_mb_per_s: Number((total / 1e6 / plain).toFixed(1)),
    ratio_to_plain_copy: Number((plain / rule).toFixed(2)),
  };
  console.log(JSON.stringify(out));
  // Free the disk for the next scenario.
  for (const rse of ['BENCH_SRC', ...DESTS])
    rmSync(join(c.prefixes[rse]!, scope), { recursive: true, force: true });
  return out;
}

async function judgeScenario(c: Ctx) {
  for (let d = 0; d < JUDGE_RULES; d++) {
    const files = Array.from({ length: JUDGE_FILES }, (_, i) => ({
      name: `j${d}.f${String(i).padStart(5, '0')}`,
      bytes: 1000 + i,
      adler32: '00000001',
    }));
    // Catalog-only replicas on BENCH_SRC: the judge never touches storage.
    await register(c, 'judge', `j${d}.ds`, files, 'BENCH_SRC');
  }
  for (let d = 0; d < JUDGE_RULES; d++)
    await api(c, 'POST', '/rules/', {
      dids: [{ scope: 'judge', name: `j${d}.ds` }],
      copies: 2,
      rse_expression: DESTS.join('|'),
      grouping: 'DATASET',
      asynchronous: true,
    });
  const judge = judgeDaemon(c.server.catalog, { log: () => {}, manual: true });
  const t0 = performance.now();
  let evaluated = 0;
  for (let n = await judge.runOnce(); n > 0; n = await judge.runOnce()) evaluated += n;
  const s = (performance.now() - t0) / 1000;
  await judge.stop();
  const locks = await c.server.catalog.db
    .selectFrom('locks')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('scope', '=', 'judge')
    .executeTakeFirstOrThrow();
  const out = {
    scenario: 'judge',
    rules: JUDGE_RULES,
    dataset_files: JUDGE_FILES,
    evaluated,
    locks: Number(locks.n),
    seconds: Number(s.toFixed(2)),
    rules_per_s: Number((JUDGE_RULES / s).toFixed(1)),
    locks_per_s: Math.round(Number(locks.n) / s),
  };
  console.log(JSON.stringify(out));
  return out;
}

const c = await setup();
try {
  console.error(
    `bench:rules: ${FILES} × ${FILE_KB} KiB, ${LARGE_FILES} × ${LARGE_MB} MiB, judge ${JUDGE_RULES} × ${JUDGE_FILES}, concurrency ${CONCURRENCY}, SQLite in ${c.base}`,
  );
  if (FILES > 0) await copyScenario(c, 'small', 'small', FILES, FILE_KB * 1024);
  if (LARGE_FILES > 0) await copyScenario(c, 'large', 'large', LARGE_FILES, LARGE_MB * MB);
  if (JUDGE_RULES > 0) await judgeScenario(c);
} finally {
  await c.server.close();
  rmSync(c.base, { recursive: true, force: true });
}
