// Storage benchmark: upload (adler32+md5 computed, verified on storage) and download (adler32 verified)
// through each adapter, compared with a raw
// copy of the same bytes to the same endpoint in the same run (cp, xrdcp, curl).
//
//   node rse-adapters/dist/bench/storage.js            (1 GB in 4 files + 10,000 small files per backend)
//   OXBOW_BENCH_LARGE_MB=64 OXBOW_BENCH_SMALL_FILES=200 node rse-adapters/dist/bench/storage.js   (quick)
//
// Environment: OXBOW_BENCH_LARGE_MB (total MB of large files, default 1024), OXBOW_BENCH_LARGE_FILES (4),
// OXBOW_BENCH_SMALL_FILES (10000), OXBOW_BENCH_SMALL_BYTES (4096), OXBOW_BENCH_CONCURRENCY (4),
// OXBOW_BENCH_BACKENDS (posix,root,xrdhttp,nginx,s3), OXBOW_BENCH_JSON=1 for one JSON document.
import { execFile } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createAdapter } from '../src/registry.js';
import type { RseProtocol, StorageAdapter } from '../src/types.js';
import { randomChunks } from '../test/data.js';
import { makeTestTls, startNginx, startS3rver, startXrootd, type TestTls, tempDir } from '../test/servers.js';

const MB = 1e6;
const env = process.env;
const LARGE_MB = Number(env.OXBOW_BENCH_LARGE_MB ?? 1024);
const LARGE_FILES = Number(env.OXBOW_BENCH_LARGE_FILES ?? 4);
const SMALL_FILES = Number(env.OXBOW_BENCH_SMALL_FILES ?? 10_000);
const SMALL_BYTES = Number(env.OXBOW_BENCH_SMALL_BYTES ?? 4096);
const CONCURRENCY = Number(env.OXBOW_BENCH_CONCURRENCY ?? 4);
const BACKENDS = (env.OXBOW_BENCH_BACKENDS ?? 'posix,root,xrdhttp,nginx,s3').split(',').map((s) => s.trim());
const XRD_ENV = { ...env, XRD_CONNECTIONRETRY: '1', XRD_CONNECTIONWINDOW: '10', XRD_REQUESTTIMEOUT: '60' };

interface Row {
  backend: string;
  set: 'large' | 'small';
  direction: 'upload' | 'download';
  files: number;
  bytes: number;
  adapterSeconds: number;
  rawSeconds: number;
  rawTool: string;
}

/** Runs a command to completion; rejects with its stderr on failure. */
function run(cmd: string, args: string[], extraEnv: NodeJS.ProcessEnv = env): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: extraEnv, maxBuffer: 64 << 20 }, (err, _out, stderr) =>
      err ? reject(new Error(`${cmd} ${args.slice(0, 6).join(' ')}…: ${stderr || err.message}`)) : resolve(),
    );
  });
}

/** Seconds taken by fn. */
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Source files: a few large ones and many small ones, written once per run. */
function makeSources(dir: string) {
  const large: string[] = [];
  const each = Math.floor((LARGE_MB * MB) / LARGE_FILES);
  mkdirSync(join(dir, 'large'), { recursive: true });
  for (let i = 0; i < LARGE_FILES; i++) {
    const p = join(dir, 'large', `big${i}.bin`);
    const fd = openSync(p, 'w');
    for (const c of randomChunks(each, 1000 + i, 4 << 20)) writeSync(fd, c);
    closeSync(fd);
    large.push(p);
  }
  const small: string[] = [];
  mkdirSync(join(dir, 'small'), { recursive: true });
  const buf = Buffer.alloc(SMALL_BYTES);
  for (let i = 0; i < SMALL_FILES; i++) {
    buf.writeUInt32LE(i, 0);
    const p = join(dir, 'small', `f${String(i).padStart(6, '0')}.bin`);
    writeFileSync(p, buf);
    small.push(p);
  }
  return { large, small, largeBytes: each * LARGE_FILES, smallBytes: SMALL_BYTES * SMALL_FILES };
}

/** Upload local files through the adapter's putFiles (checksums computed and verified by the adapter). */
async function adapterUpload(a: StorageAdapter, files: string[], dir: string, size: number, conc: number) {
  const items = files.map((f) => ({ localPath: f, path: `${dir}/${f.slice(f.lastIndexOf('/') + 1)}`, size }));
  const res = await a.putFiles(items, { computeMd5: true, concurrency: conc });
  const bad = res.find((r) => !r.ok);
  if (bad && !bad.ok) throw bad.error;
  return res.map((r) => (r.ok ? r.value.adler32 : ''));
}

/** Download through the adapter's getFiles into local files, verified against the upload's adler32. */
async function adapterDownload(
  a: StorageAdapter,
  files: string[],
  dir: string,
  outDir: string,
  conc: number,
  sums: string[],
) {
  const items = files.map((f, i) => {
    const name = f.slice(f.lastIndexOf('/') + 1);
    return { path: `${dir}/${name}`, localPath: join(outDir, name), adler32: sums[i] };
  });
  // Downloads verify adler32 against the catalog value, as `oxbow download` does; md5 is an upload concern.
  const res = await a.getFiles(items, { concurrency: conc });
  const bad = res.find((r) => !r.ok);
  if (bad && !bad.ok) throw bad.error;
}

/** curl config file with one transfer per file (one process, connections reused, like `-K`). */
function curlConfig(path: string, pairs: Array<[string, string]>, upload: boolean) {
  const lines = pairs.map(([local, url]) =>
    upload ? `upload-file = "${local}"\nurl = "${url}"` : `url = "${url}"\noutput = "${local}"`,
  );
  writeFileSync(path, `${lines.join('\n')}\n`);
}

interface Backend {
  name: string;
  protocol: RseProtocol;
  options: Parameters<typeof createAdapter>[1];
  rawUpload(files: string[], dir: string, small: boolean): Promise<void>;
  rawDownload(files: string[], dir: string, outDir: string, small: boolean): Promise<void>;
  stop(): Promise<void>;
}

async function posixBackend(): Promise<Backend> {
  const root = tempDir('bench-posix');
  return {
    name: 'posix',
    protocol: {
      scheme: 'file',
      hostname: '',
      port: 0,
      prefix: root,
      impl: 'rucio.rse.protocols.posix.Default',
      domains: {},
    },
    options: {},
    rawUpload: async (files, dir) => {
      mkdirSync(join(root, dir), { recursive: true });
      for (let i = 0; i < files.length; i += 500)
        await run('cp', [...files.slice(i, i + 500), join(root, dir)]);
    },
    rawDownload: async (files, dir, outDir) => {
      mkdirSync(outDir, { recursive: true });
      const src = files.map((f) => join(root, dir, f.slice(f.lastIndexOf('/') + 1)));
      for (let i = 0; i < src.length; i += 500) await run('cp', [...src.slice(i, i + 500), outDir]);
    },
    stop: async () => rmSync(root, { recursive: true, force: true }),
  };
}

async function rootBackend(): Promise<Backend> {
  const s = await startXrootd({ tag: 'bench-root' });
  const url = `root://127.0.0.1:${s.rootPort}`;
  const xrdcp = (args: string[]) => run('xrdcp', ['-s', '-f', ...args], XRD_ENV);
  return {
    name: 'root',
    protocol: {
      scheme: 'root',
      hostname: '127.0.0.1',
      port: s.rootPort,
      prefix: '//rucio/',
      impl: 'rucio.rse.protocols.xrootd.Default',
      domains: {},
    },
    options: { timeoutMs: 60_000, sessions: 2 },
    rawUpload: async (files, dir, small) => {
      await run('xrdfs', [url, 'mkdir', '-p', `/rucio/${dir}`], XRD_ENV);
      if (small) {
        const list = join(s.dir, 'list.txt');
        writeFileSync(list, `${files.join('\n')}\n`);
        await xrdcp(['--parallel', '4', '-I', list, `${url}//rucio/${dir}/`]);
      } else for (const f of files) await xrdcp([f, `${url}//rucio/${dir}/`]);
    },
    rawDownload: async (files, dir, outDir, small) => {
      mkdirSync(outDir, { recursive: true });
      const urls = files.map((f) => `${url}//rucio/${dir}/${f.slice(f.lastIndexOf('/') + 1)}`);
      if (small) {
        const list = join(s.dir, 'dlist.txt');
        writeFileSync(list, `${urls.join('\n')}\n`);
        await xrdcp(['--parallel', '4', '-I', list, `${outDir}/`]);
      } else for (const u of urls) await xrdcp([u, `${outDir}/`]);
    },
    stop: () => s.stop(),
  };
}

/** WebDAV backends share the curl baseline. */
function davBackend(
  name: string,
  origin: string,
  prefix: string,
  tls: TestTls,
  stop: () => Promise<void>,
  workDir: string,
): Backend {
  const curl = async (cfg: string) =>
    run('curl', ['-sS', '--fail', '--cacert', tls.caPem, '-Z', '--parallel-max', '4', '-K', cfg]);
  return {
    name,
    protocol: {
      scheme: 'davs',
      hostname: '127.0.0.1',
      port: Number(new URL(origin).port),
      prefix,
      impl: 'rucio.rse.protocols.webdav.Default',
      domains: {},
    },
    options: { timeoutMs: 60_000, credentials: { caFile: tls.caPem }, concurrency: CONCURRENCY },
    rawUpload: async (files, dir) => {
      const cfg = join(workDir, `${name}-up.cfg`);
      curlConfig(
        cfg,
        files.map((f) => [f, `${origin}${prefix}/raw-${dir}/${f.slice(f.lastIndexOf('/') + 1)}`]),
        true,
      );
      await curl(cfg);
    },
    rawDownload: async (files, dir, outDir) => {
      mkdirSync(outDir, { recursive: true });
      const cfg = join(workDir, `${name}-down.cfg`);
      curlConfig(
        cfg,
        files.map((f) => {
          const n = f.slice(f.lastIndexOf('/') + 1);
          return [join(outDir, n), `${origin}${prefix}/raw-${dir}/${n}`];
        }),
        false,
      );
      await curl(cfg);
    },
    stop,
  };
}

async function s3Backend(workDir: string): Promise<Backend> {
  const s = await startS3rver('bench');
  const origin = `http://127.0.0.1:${s.port}`;
  const curl = async (cfg: string) =>
    run('curl', [
      '-sS',
      '--fail',
      '--aws-sigv4',
      'aws:amz:us-east-1:s3',
      '--user',
      'S3RVER:S3RVER',
      '-H',
      'x-amz-content-sha256:UNSIGNED-PAYLOAD',
      '-Z',
      '--parallel-max',
      '4',
      '-K',
      cfg,
    ]);
  return {
    name: 's3',
    protocol: {
      scheme: 's3',
      hostname: '127.0.0.1',
      port: s.port,
      prefix: '/bench/rucio',
      impl: 'rucio.rse.protocols.gfal.Default',
      domains: {},
    },
    options: {
      timeoutMs: 60_000,
      credentials: { s3: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } },
      concurrency: CONCURRENCY,
    },
    rawUpload: async (files, dir) => {
      const cfg = join(workDir, 's3-up.cfg');
      curlConfig(
        cfg,
        files.map((f) => [f, `${origin}/bench/raw-${dir}/${f.slice(f.lastIndexOf('/') + 1)}`]),
        true,
      );
      await curl(cfg);
    },
    rawDownload: async (files, dir, outDir) => {
      mkdirSync(outDir, { recursive: true });
      const cfg = join(workDir, 's3-down.cfg');
      curlConfig(
        cfg,
        files.map((f) => {
          const n = f.slice(f.lastIndexOf('/') + 1);
          return [join(outDir, n), `${origin}/bench/raw-${dir}/${n}`];
        }),
        false,
      );
      await curl(cfg);
    },
    stop: () => s.stop(),
  };
}

async function benchBackend(b: Backend, src: ReturnType<typeof makeSources>, work: string): Promise<Row[]> {
  const rows: Row[] = [];
  const a = createAdapter(b.protocol, { ...b.options, concurrency: CONCURRENCY });
  const sets: Array<['large' | 'small', string[], number, number]> = [
    ['large', src.large, src.largeBytes / Math.max(1, src.large.length), src.largeBytes],
    ['small', src.small, SMALL_BYTES, src.smallBytes],
  ];
  try {
    for (const [set, files, each, bytes] of sets) {
      if (!files.length) continue;
      const conc = set === 'large' ? Math.min(2, CONCURRENCY) : CONCURRENCY;
      const rawUp = await timed(() => b.rawUpload(files, `${set}`, set === 'small'));
      let sums: string[] = [];
      const up = await timed(async () => {
        sums = await adapterUpload(a, files, `${set}`, each, conc);
      });
      const rawDown = await timed(() =>
        b.rawDownload(files, `${set}`, join(work, `raw-${b.name}-${set}`), set === 'small'),
      );
      const down = await timed(() =>
        adapterDownload(a, files, `${set}`, join(work, `ad-${b.name}-${set}`), conc, sums),
      );
      rmSync(join(work, `raw-${b.name}-${set}`), { recursive: true, force: true });
      rmSync(join(work, `ad-${b.name}-${set}`), { recursive: true, force: true });
      const rawTool = { posix: 'cp', root: 'xrdcp' }[b.name] ?? 'curl';
      rows.push(
        {
          backend: b.name,
          set,
          direction: 'upload',
          files: files.length,
          bytes,
          adapterSeconds: up,
          rawSeconds: rawUp,
          rawTool,
        },
        {
          backend: b.name,
          set,
          direction: 'download',
          files: files.length,
          bytes,
          adapterSeconds: down,
          rawSeconds: rawDown,
          rawTool,
        },
      );
      report(rows.slice(-2));
    }
  } finally {
    await a.close();
  }
  return rows;
}

function report(rows: Row[]) {
  if (env.OXBOW_BENCH_JSON === '1') return;
  for (const r of rows) {
    const mbs = r.bytes / MB / r.adapterSeconds;
    const rawMbs = r.bytes / MB / r.rawSeconds;
    const fps = r.files / r.adapterSeconds;
    const rawFps = r.files / r.rawSeconds;
    console.log(
      `${r.backend.padEnd(8)} ${r.set.padEnd(6)} ${r.direction.padEnd(9)} ${String(r.files).padStart(6)} files ` +
        `${(r.bytes / MB).toFixed(0).padStart(6)} MB | adapter ${mbs.toFixed(1).padStart(7)} MB/s ${fps.toFixed(1).padStart(8)} files/s | ` +
        `${r.rawTool.padEnd(5)} ${rawMbs.toFixed(1).padStart(7)} MB/s ${rawFps.toFixed(1).padStart(8)} files/s | ratio ${(r.rawSeconds / r.adapterSeconds).toFixed(2)}`,
    );
  }
}

async function main() {
  const work = tempDir('bench');
  let tls: TestTls | undefined;
  try {
    if (env.OXBOW_BENCH_JSON !== '1')
      console.log(
        `storage bench: ${LARGE_FILES} x ${LARGE_FILES ? (LARGE_MB / LARGE_FILES).toFixed(0) : 0} MB, ${SMALL_FILES} x ${SMALL_BYTES} B, ` +
          `concurrency ${CONCURRENCY}, checksums (adler32+md5) on; ratio = raw time / adapter time`,
      );
    const src = makeSources(join(work, 'src'));
    await new Promise((r) => setTimeout(r, 200));
    const all: Row[] = [];
    const needTls = BACKENDS.includes('xrdhttp') || BACKENDS.includes('nginx');
    if (needTls) tls = makeTestTls(join(work, 'pki'));
    for (const name of BACKENDS) {
      let b: Backend;
      if (name === 'posix') b = await posixBackend();
      else if (name === 'root') b = await rootBackend();
      else if (name === 'xrdhttp') {
        const s = await startXrootd({ tls, tag: 'bench-http' });
        b = davBackend('xrdhttp', `https://127.0.0.1:${s.httpPort}`, '/webdav', tls!, () => s.stop(), work);
      } else if (name === 'nginx') {
        const s = await startNginx(tls!);
        b = davBackend('nginx', `https://127.0.0.1:${s.httpsPort}`, '/webdav', tls!, () => s.stop(), work);
      } else if (name === 's3') b = await s3Backend(work);
      else throw new Error(`unknown backend ${name}`);
      try {
        all.push(...(await benchBackend(b, src, work)));
      } catch (err) {
        console.error(`${name}: ${(err as Error).message}`);
        process.exitCode = 1;
      } finally {
        await b.stop();
      }
    }
    if (env.OXBOW_BENCH_JSON === '1')
      console.log(
        JSON.stringify({
          config: { LARGE_MB, LARGE_FILES, SMALL_FILES, SMALL_BYTES, CONCURRENCY },
          rows: all,
        }),
      );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
