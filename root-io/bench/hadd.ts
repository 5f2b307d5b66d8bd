// Benchmark of the hadd merger: merges copies of a real ROOT file into >= 1 GB (OXBOW_BENCH_HADD_MB to
// change), in fast mode (-fk: compressed baskets copied) and re-compressing mode (-f101), each in a child
// process so its peak RSS can be measured, and compares with `cat` of the same inputs on the same disk.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runHadd } from '../src/hadd-cli.js';

const SOURCE = process.env.OXBOW_BENCH_HADD_SOURCE ?? '/work/shared/data/root/uproot-issue79.root';
const TARGET_MB = Number(process.env.OXBOW_BENCH_HADD_MB ?? 1024);
const MB = 1e6;
/** Merges timed: mode and -j value (OXBOW_BENCH_HADD_JOBS, default "1,2"). */
const RUNS: [string, number][] = ['fast', 'recompress'].flatMap((mode) =>
  (process.env.OXBOW_BENCH_HADD_JOBS ?? '1,2').split(',').map((j): [string, number] => [mode, Number(j)]),
);

interface ChildResult {
  seconds: number;
  maxRssMB: number;
  bytes: number;
}

async function child(): Promise<void> {
  const [, , , mode, out, listFile, jobs] = process.argv;
  const inputs = (await readFile(listFile!, 'utf8')).split('\n').filter(Boolean);
  const flag = mode === 'fast' ? '-fk' : '-f101';
  const t0 = process.hrtime.bigint();
  const sink = { write: () => true };
  const err = { write: (s: string) => process.stderr.write(s) };
  const code = await runHadd(['-v', '0', '-j', jobs ?? '1', flag, out!, ...inputs], {
    stdout: sink,
    stderr: err,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (code !== 0) process.exit(code);
  const bytes = (await stat(out!)).size;
  const r: ChildResult = { seconds, maxRssMB: process.resourceUsage().maxRSS / 1024, bytes };
  process.stdout.write(JSON.stringify(r));
}

function runChild(mode: string, out: string, listFile: string, jobs: number): Promise<ChildResult> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [self, '--child', mode, out, listFile, String(jobs)],
      { maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${mode} merge failed: ${stderr || err.message}`));
        else resolve(JSON.parse(stdout) as ChildResult);
      },
    );
  });
}

async function runCat(inputs: string[], out: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const p = spawn('sh', ['-c', 'cat "$@" > "$0"', out, ...inputs], { stdio: 'inherit' });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`cat exited with ${code}`))));
  });
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function main(): Promise<void> {
  const size = (await stat(SOURCE)).size;
  const copies = Math.max(2, Math.ceil((TARGET_MB * MB) / size));
  const dir = await mkdtemp(join(process.env.OXBOW_BENCH_DIR ?? tmpdir(), 'oxbow-bench-hadd-'));
  try {
    // Inputs are links to one real file: both cat and the merger read them through the page cache.
    const inputs: string[] = [];
    for (let i = 0; i < copies; i++) {
      const p = join(dir, `in-${i}.root`);
      await symlink(SOURCE, p);
      inputs.push(p);
    }
    const listFile = join(dir, 'inputs.txt');
    await (await import('node:fs/promises')).writeFile(listFile, inputs.join('\n'));
    console.log(`source ${SOURCE} (${(size / MB).toFixed(1)} MB) x ${copies} copies`);
    const catOut = join(dir, 'cat.out');
    const catSeconds = await runCat(inputs, catOut);
    const catBytes = (await stat(catOut)).size;
    await rm(catOut);
    const catRate = catBytes / MB / catSeconds;
    console.log(
      `cat:          ${(catBytes / MB).toFixed(0)} MB in ${catSeconds.toFixed(2)} s = ${catRate.toFixed(0)} MB/s`,
    );
    for (const [mode, jobs] of RUNS) {
      const out = join(dir, `${mode}.root`);
      const r = await runChild(mode, out, listFile, jobs);
      await rm(out);
      const rate = r.bytes / MB / r.seconds;
      const label = `${mode === 'fast' ? 'fast (-fk)' : 'recompress (-f101)'} -j ${jobs}:`.padEnd(26);
      console.log(
        `${label}${(r.bytes / MB).toFixed(0)} MB in ${r.seconds.toFixed(2)} s = ${rate.toFixed(0)} MB/s, peak RSS ${r.maxRssMB.toFixed(0)} MB, ${(rate / catRate).toFixed(2)}x cat`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child();
else await main();
