/** Opens the catalog on SQLite (embedded default) or PostgreSQL (scale-out) behind one kysely API. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import Cursor from 'pg-cursor';
import { migrationProvider } from './migrations.js';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

/** An open catalog database. */
export interface CatalogDb {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Largest number of bound parameters one statement may carry on this engine. */
  maxParams: number;
  /**
   * SQLite only: the better-sqlite3 handle behind `db`, for hot reads that need its row-array mode.
   * Use it only inside `db.connection().execute(…)`, which keeps every other query (and any open
   * transaction) off the single connection meanwhile.
   */
  sqlite?: SQLite.Database;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** `postgres://…` for PostgreSQL; otherwise SQLite at `sqlitePath`. */
  databaseUrl?: string;
  sqlitePath?: string;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
}

// int8 and numeric come back as strings by default; catalog values (bytes, counts) fit in 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));
pg.types.setTypeParser(1700, (v) => Number.parseFloat(v));

/** Opens (and migrates to the latest schema) the catalog described by `opts`. */
export async function openCatalog(opts: OpenOptions): Promise<CatalogDb> {
  let catalog: CatalogDb;
  if (opts.databaseUrl && /^postgres(ql)?:\/\//.test(opts.databaseUrl)) {
    // JIT compilation pays off only for long analytic queries; on catalog queries whose row counts the
    // planner misestimates (recursive CTEs over fresh rows) it added seconds, so it is off for the pool.
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolSize ?? 10,
      options: '-c jit=off',
    });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool, cursor: Cursor }) });
    catalog = { db, dialect: 'postgres', maxParams: 30000, close: () => db.destroy() };
  } else {
    const file = opts.sqlitePath ?? ':memory:';
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    // NORMAL is durable across process crashes in WAL mode; only power loss can drop the last commits.
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 10000');
    sqlite.pragma('cache_size = -65536');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingDatabase(sqlite) }) });
    catalog = { db, dialect: 'sqlite', maxParams: 32000, sqlite, close: () => db.destroy() };
  }
  await migrate(catalog.db);
  return catalog;
}

/** Applies every pending migration; throws with the failing migration's name. */
export async function migrate(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}

const STATEMENT_CACHE = 500;

/**
 * kysely prepares every statement anew; preparing costs more than running a primary-key lookup,
 * so prepared statements are kept per SQL text (LRU). A statement still iterating is never reused.
 */
function cachingDatabase(sqlite: SQLite.Database) {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sqlText: string) {
      const hit = cache.get(sqlText);
      if (hit && !hit.busy) {
        cache.delete(sqlText);
        cache.set(sqlText, hit);
        return hit;
      }
      const stmt = sqlite.prepare(sqlText);
      if (!hit) {
        cache.set(sqlText, stmt);
        if (cache.size > STATEMENT_CACHE) cache.delete(cache.keys().next().value as string);
      }
      return stmt;
    },
  };
}
