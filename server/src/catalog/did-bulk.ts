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
  opts: { ignoreConflicts?: boolean } = {},
): Promise<number> {
  if (rows.length === 0) return 0;
  const all = Object.keys(rows[0] as object);
  const list = rows as readonly Record<string, unknown>[];
  const columns = all.filter((c) => {
    const dflt = Object.hasOwn(defaults, c) ? defaults[c] : null;
    return list.some((r) => (r[c] ?? null) !== dflt);
  });
  if (columns.length === 0) columns.push(all[0]!);
  const size = Math.max(1, Math.min(MAX_ROWS, Math.floor(limits.maxParams / columns.length)));
  let inserted = 0;
  for (let start = 0; start < list.length; start += size) {
    const q = statement(
      limits.dialect,
      table,
      columns,
      list.slice(start, start + size),
      opts.ignoreConflicts,
    );
    const r = await db.executeQuery(q);
    inserted += Number(r.numAffectedRows ?? 0n);
  }
  return inserted;
}

function statement(
  dialect: DialectName,
  table: string,
  columns: string[],
  rows: Record<string, unknown>[],
  ignoreConflicts = false,
): CompiledQuery {
  const width = columns.length;
  const params: unknown[] = new Array(rows.length * width);
  let p = 0;
  for (const r of rows) for (const c of columns) params[p++] = r[c] ?? null;
  let values: string;
  if (dialect === 'postgres') {
    const tuples: string[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const marks: string[] = new Array(width);
      for (let j = 0; j < width; j++) marks[j] = `$${i * width + j + 1}`;
      tuples[i] = `(${marks.join(',')})`;
    }
    values = tuples.join(',');
  } else {
    const tuple = `(${new Array(width).fill('?').join(',')})`;
    values = new Array(rows.length).fill(tuple).join(',');
  }
  const cols = columns.map((c) => `"${c}"`).join(',');
  const conflict = ignoreConflicts ? ' on conflict do nothing' : '';
  return CompiledQuery.raw(`insert into "${table}" (${cols}) values ${values}${conflict}`, params);
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
