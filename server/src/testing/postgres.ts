/**
 * Starts a throwaway PostgreSQL 15 cluster for tests and benchmarks (initdb + pg_ctl in a temp
 * folder, loopback only) and removes it afterwards. PostgreSQL refuses to run as root, so as root
 * the binaries run as the `postgres` user.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A running throwaway cluster. */
export interface TempPostgres {
  /** Connection URL of a fresh database (call `newDatabase` for more). */
  url: string;
  newDatabase(name?: string): Promise<string>;
  stop(): Promise<void>;
}

function pgBin(name: string): string {
  for (const dir of [process.env.OXBOW_PG_BIN, '/usr/local/bin', '/usr/lib/postgresql/15/bin', '/usr/bin']) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  throw new Error(
    `PostgreSQL binary ${name} not found (set OXBOW_PG_BIN to the folder holding initdb and pg_ctl)`,
  );
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const asRoot = process.getuid?.() === 0;
async function pg(cmd: string, args: string[]): Promise<string> {
  const bin = pgBin(cmd);
  const { stdout } = asRoot
    ? await run('runuser', ['-u', 'postgres', '--', bin, ...args])
    : await run(bin, args);
  return stdout;
}

let counter = 0;

/** Starts a cluster; databases are created with `newDatabase`. */
export async function startTempPostgres(): Promise<TempPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'oxbow-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  await pg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=256MB`;
  await pg('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
  const base = `postgres://postgres@127.0.0.1:${port}`;
  const newDatabase = async (name?: string) => {
    const db = name ?? `oxbow_${process.pid}_${++counter}`;
    await pg('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', db]);
    return `${base}/${db}`;
  };
  const url = await newDatabase();
  return {
    url,
    newDatabase,
    async stop() {
      try {
        await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
