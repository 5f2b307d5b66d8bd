// Benchmark of `oxbow upload` / `oxbow download` (the client API the CLI runs) against a raw copy of
// the same bytes to the same endpoint in the same run: `cp` for the embedded posix RSE, `xrdcp` for
// a local XRootD server. Checksums on (adler32+md5 on upload, adler32 on download), catalog
// registration and look-ups included.
//
//   node client/dist/bench/transfer.js
//   OXBOW_BENCH_LARGE_MB=256 OXBOW_BENCH_SMALL_FILES=200 node client/dist/bench/transfer.js   # shrunk
//
// OXBOW_BENCH_LARGE_MB: total size of the large files (default 1024, in 4 files);
// OXBOW_BENCH_SMALL_FILES: number of small files (default 2000, 10 kB each);
// OXBOW_BENCH_ONLY=posix|root: one backend only.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, TEST_ROOT_PASSWORD } from '@oxbow/server/testing/index';
import type * as RseServers from '../../rse-adapters/test/servers.js';
import { createClient, downloadDids, type OxbowClient, uploadFiles } from '../src/index.js';

const LARGE_MB = Number(process.env.OXBOW_BENCH_LARGE_MB ?? 1024);
const SMALL_FILES = Number(process.env.OXBOW_BENCH_SMALL_FILES ?? 2000);
const SMALL_SIZE = 10_000;
const ONLY = process.env.OXBOW_BENCH_ONLY;

interface Row {
  backend: string;
  set: string;
  op: string;
  files: number;
  bytes: number;
  seconds: number;
  rawSeconds: number;
}
const rows: Row[] = [];

/** Seconds a synchronous or async step takes. */
async function timed(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** Writes the input sets: a few large files of pseudo-random bytes, many small ones. */
function makeInputs(base: string): { large: string; small: string; largeBytes: number; smallBytes: number } {
  const large = join(base, 'large');
  const small = join(base, 'small');
  mkdirSync(large, { recursive: true });
  mkdirSync(small, { recursive: true });
  const per = Math.max(1, Math.floor((LARGE_MB * 1024 * 1024) / 4));
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
  for (let f = 0; f < 4; f++) {
    const path = join(large, `large${f}.bin`);
    writeFileSync(path, '');
    for (let done = 0; done < per; done += chunk.length) {
      chunk[0] = f;
      chunk[1] = done & 0xff;
      writeFileSync(path, chunk.subarray(0, Math.min(chunk.length, per - done)), { flag: 'a' });
    }
  }
  for (let i = 0; i < SMALL_FILES; i++) {
    const b = Buffer.alloc(SMALL_SIZE, i & 0xff);
    b.writeUInt32LE(i, 0);
    writeFileSync(join(small, `small${i}.bin`), b);
  }
  return { large, small, largeBytes: per * 4, smallBytes: SMALL_SIZE * SMALL_FILES };
}

async function runSet(
  client: OxbowClient,
  backend: string,
  rse: string,
  set: { name: string; dir: string; files: number; bytes: number },
  raw: { up: (dir: string) => void; down: (out: string) => void },
  scratch: string,
): Promise<void> {
  // One scope per backend: each run uploads new DIDs (no checksum pre-read of a re-upload).
  const scope = `bench_${backend}`;
  const ds = `${scope}:ds.${set.name}`;
  const upS = await timed(async () => {
    const s = await uploadFiles(client, [set.dir], { rse, scope, dataset: ds, threads: 4 });
    if (s.failed)
      throw new Error(`upload failed: ${JSON.stringify(s.files.find((f) => f.status === 'failed'))}`);
  });
  const rawUp = await timed(() => raw.up(set.dir));
  rows.push({
    backend,
    set: set.name,
    op: 'upload',
    files: set.files,
    bytes: set.bytes,
    seconds: upS,
    rawSeconds: rawUp,
  });
  const out = join(scratch, `down-${backend}-${set.name}`);
  const downS = await timed(async () => {
    const d = await downloadDids(client, [ds], { dir: out, ndownloader: 4, rse });
    if (d.failed)
      throw new Error(`download failed: ${JSON.stringify(d.files.find((f) => f.status === 'failed'))}`);
  });
  rmSync(out, { recursive: true, force: true });
  const rawOut = join(scratch, `raw-down-${backend}-${set.name}`);
  mkdirSync(rawOut, { recursive: true });
  const rawDown = await timed(() => raw.down(rawOut));
  rmSync(rawOut, { recursive: true, force: true });
  rows.push({
    backend,
    set: set.name,
    op: 'download',
    files: set.files,
    bytes: set.bytes,
    seconds: downS,
    rawSeconds: rawDown,
  });
}

function report(): void {
  const mb = (b: number) => b / 1e6;
  console.log(
    `\n${'backend'.padEnd(8)}${'set'.padEnd(7)}${'op'.padEnd(10)}${'files'.padStart(7)}${'MB'.padStart(9)}` +
      `${'oxbow s'.padStart(9)}${'MB/s'.padStart(8)}${'files/s'.padStart(9)}${'raw s'.padStart(8)}${'raw MB/s'.padStart(10)}${'ratio'.padStart(7)}`,
  );
  for (const r of rows)
    console.log(
      `${r.backend.padEnd(8)}${r.set.padEnd(7)}${r.op.padEnd(10)}${String(r.files).padStart(7)}${mb(r.bytes).toFixed(0).padStart(9)}` +
        `${r.seconds.toFixed(2).padStart(9)}${(mb(r.bytes) / r.seconds).toFixed(0).padStart(8)}${(r.files / r.seconds).toFixed(0).padStart(9)}` +
        `${r.rawSeconds.toFixed(2).padStart(8)}${(mb(r.bytes) / r.rawSeconds).toFixed(0).padStart(10)}${(r.rawSeconds / r.seconds).toFixed(2).padStart(7)}`,
    );
  console.log(
    '\nratio = raw time / oxbow time (1.0 = as fast as the raw copy; oxbow also checksums and registers).',
  );
}

const scratch = mkdtempSync(join(tmpdir(), 'oxbow-bench-transfer-'));
const server = await startTestServer();
const client = createClient({ url: server.url, username: 'root', password: TEST_ROOT_PASSWORD });
let xrd: RseServers.XrootdServer | undefined;
try {
  for (const scope of ['bench_posix', 'bench_root']) await client.scopes.add(scope, 'root');
  console.log(
    `inputs: 4 large files, ${LARGE_MB} MB in total; ${SMALL_FILES} small files of ${SMALL_SIZE} bytes`,
  );
  const inputs = makeInputs(join(scratch, 'in'));
  const sets = [
    { name: 'large', dir: inputs.large, files: 4, bytes: inputs.largeBytes },
    { name: 'small', dir: inputs.small, files: SMALL_FILES, bytes: inputs.smallBytes },
  ];
  if (ONLY !== 'root') {
    const rawDir = join(scratch, 'raw-posix');
    mkdirSync(rawDir, { recursive: true });
    for (const set of sets)
      await runSet(
        client,
        'posix',
        'LOCAL_DISK1',
        set,
        {
          // A raw copy into a directory on the same file system as the RSE prefix.
          up: (dir) => execFileSync('cp', ['-r', dir, join(rawDir, set.name)]),
          down: (out) => execFileSync('cp', ['-r', join(rawDir, set.name), out]),
        },
        scratch,
      );
    rmSync(rawDir, { recursive: true, force: true });
  }
  if (ONLY !== 'posix') {
    const servers = (await import(
      new URL('../../../rse-adapters/dist/test/servers.js', import.meta.url).href
    )) as typeof RseServers;
    xrd = await servers.startXrootd({ tag: 'bench-transfer' });
    await client.rses.add('XRDBENCH', { deterministic: true });
    await client.rses.addProtocol('XRDBENCH', {
      scheme: 'root',
      hostname: '127.0.0.1',
      port: xrd.rootPort,
      prefix: '//rucio/',
      impl: 'rucio.rse.protocols.xrootd.Default',
      domains: { wan: { read: 1, write: 1, delete: 1 }, lan: { read: 1, write: 1, delete: 1 } },
    });
    const url = `root://127.0.0.1:${xrd.rootPort}//raw/`;
    execFileSync('xrdfs', [`127.0.0.1:${xrd.rootPort}`, 'mkdir', '-p', '/raw']);
    for (const set of sets)
      await runSet(
        client,
        'root',
        'XRDBENCH',
        set,
        {
          // -r into //raw/ creates //raw/<set>; reading it back gives out/<set>.
          up: (dir) => execFileSync('xrdcp', ['-s', '-f', '-r', '--parallel', '4', dir, url]),
          down: (out) =>
            execFileSync('xrdcp', ['-s', '-f', '-r', '--parallel', '4', `${url}${set.name}`, out]),
        },
        scratch,
      );
  }
  report();
} finally {
  await client.close();
  await server.close();
  await xrd?.stop();
  rmSync(scratch, { recursive: true, force: true });
}
