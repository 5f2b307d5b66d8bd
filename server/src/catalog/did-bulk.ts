/**
 * Fast multi-row inserts for bulk DID registration. Kysely's builder creates several objects per
 * bound value and better-sqlite3 prepares every statement anew, so for 10,000-row requests both the
 * garbage collector and statement preparation dominate. Here the SQL text is built directly (with
 * the engine's placeholder style), columns whose value is the database default in every row are
 * left out, and each statement carries as many rows as the parameter limit allows.
 */
import { CompiledQuery } from 'kysely';
import type { DialectName } from '../db/connect.js';
import type { Db } from './dids.js';

/** What a bulk statement needs to know about the engine. */
export interface BulkLimits {
  maxParams: number;
  dialect: DialectName;
}

/** Largest number of rows one statement carries, whatever the parameter limit. */
const MAX_ROWS = 5000;

/**
 * Inserts `rows` into `table` in as few statements as the parameter limit allows. `defaults` maps
 * columns to the value the database fills in (columns not listed default to NULL); a column equal
 * to its default in every row is not sent.
 */
export async function insertRows<R extends object>(
  db: Db,
  limits: BulkLimits,
  table: string,
  rows: readonly R[],
  defaults: Readonly<Record<string, unknown>> = {},
): Promise<void> {
  if (rows.length === 0) return;
  const all = Object.keys(rows[0] as object);
  const list = rows as readonly Record<string, unknown>[];
  const columns = all.filter((c) => {
    const dflt = Object.hasOwn(defaults, c) ? defaults[c] : null;
    return list.some((r) => (r[c] ?? null) !== dflt);
  });
  if (columns.length === 0) columns.push(all[0]!);
  const size = Math.max(1, Math.min(MAX_ROWS, Math.floor(limits.maxParams / columns.length)));
  for (let start = 0; start < list.length; start += size) {
    await db.executeQuery(statement(limits.dialect, table, columns, list.slice(start, start + size)));
  }
}

function statement(
  dialect: DialectName,
  table: string,
  columns: string[],
  rows: Record<string, unknown>[],
): CompiledQuery {
  const params: unknown[] = new Array(rows.length * columns.length);
  const tuples: string[] = new Array(rows.length);
  let p = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const marks: string[] = new Array(columns.length);
    for (let j = 0; j < columns.length; j++) {
      params[p++] = r[columns[j]!] ?? null;
      marks[j] = dialect === 'postgres' ? `$${p}` : '?';
    }
    tuples[i] = `(${marks.join(',')})`;
  }
  const cols = columns.map((c) => `"${c}"`).join(',');
  return CompiledQuery.raw(`insert into "${table}" (${cols}) values ${tuples.join(',')}`, params);
}

/** Database defaults of `dids` columns (see migrations). */
export const DID_DEFAULTS: Readonly<Record<string, unknown>> = {
  monotonic: 0,
  hidden: 0,
  obsolete: 0,
  suppressed: 0,
  availability: 'A',
  purge_replicas: 1,
};
