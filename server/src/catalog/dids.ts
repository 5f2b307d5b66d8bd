/**
 * Data identifiers (Rucio's core/did.py): adding files, datasets and containers, reading one DID,
 * open/close status and the dynamic size of collections. Attachments live in did-attach.ts,
 * listings in did-lists.ts, metadata in did-meta.ts and search in did-search.ts.
 *
 * Storage conventions (shared with the replica code, which may insert file DIDs itself):
 * `dids.did_type`, `contents.did_type` and `contents.child_type` hold Rucio's database codes 'F', 'D'
 * or 'C' (rows are read back with their type names); `availability` the one-letter code ('A'
 * available, 'L' lost, 'D' deleted); flags are 0/1; `is_open` is NULL for files.
 */
import { didNameProblem, parseDidType, scopeProblem } from '@oxbow/common/rucio/index';
import { CompiledQuery, type Kysely, PostgresAdapter, sql, type Transaction } from 'kysely';
import type { Database, DidsTable } from '../db/schema.js';
import {
  dataIdentifierAlreadyExists,
  didNotFound,
  invalidObject,
  invalidType,
  invalidValue,
  scopeNotFound,
  unsupportedOperation,
  unsupportedStatus,
} from '../errors.js';
import { now, rucioDate } from '../http/dates.js';
import { type BulkLimits, DID_DEFAULTS, insertRows } from './did-bulk.js';

export type Db = Kysely<Database> | Transaction<Database>;
export type DidTypeName = 'FILE' | 'DATASET' | 'CONTAINER';
export type DidRow = DidsTable;

/** Database code of each DID type. */
export const TYPE_CODE = { FILE: 'F', DATASET: 'D', CONTAINER: 'C' } as const;
const TYPE_NAME: Record<string, DidTypeName> = { F: 'FILE', D: 'DATASET', C: 'CONTAINER' };

/** Type name of a stored type (code or, from older rows, name). */
export function typeName(stored: string): string {
  return TYPE_NAME[stored] ?? stored;
}

/** Throws InvalidObject unless scope and name follow Rucio's generic schema. */
export function checkDid(scope: unknown, name: unknown): void {
  const problem = scopeProblem(scope) ?? didNameProblem(name);
  if (problem) throw invalidObject(`${problem}.`);
}

/** DID type from a request ('dataset', 'D', 'FILE', …) as stored; only files, datasets and containers. */
export function didTypeOf(value: unknown): DidTypeName {
  if (typeof value !== 'string') throw invalidType(`DID type must be a string, got ${typeof value}.`);
  let t: string;
  try {
    t = parseDidType(value);
  } catch {
    throw invalidType(`'${value}' is not a DID type; use DATASET, CONTAINER or FILE.`);
  }
  if (t !== 'FILE' && t !== 'DATASET' && t !== 'CONTAINER')
    throw invalidType(`DIDs of type ${t} cannot be added; use DATASET, CONTAINER or FILE.`);
  return t;
}

/** `scope:name` */
export const didKey = (scope: string, name: string): string => `${scope}:${name}`;

/** One DID row, or DataIdentifierNotFound. */
export async function getDidRow(db: Db, scope: string, name: string): Promise<DidRow> {
  return didRowBy(db, DID_ROW_SQL, scope, name);
}

/** A DID row by primary key with fixed SQL (not rebuilt by the query builder per call); DataIdentifierNotFound otherwise. */
async function didRowBy(db: Db, sqlText: string, scope: string, name: string): Promise<DidRow> {
  // PostgreSQL numbers its placeholders.
  const text = db.getExecutor().adapter instanceof PostgresAdapter ? pgPlaceholders(sqlText) : sqlText;
  const row = (await db.executeQuery<DidRow>(CompiledQuery.raw(text, [scope, name]))).rows[0];
  if (!row) throw didNotFound(`Data identifier '${scope}:${name}' not found`);
  return { ...row, did_type: typeName(row.did_type) };
}

const pgForms = new Map<string, string>();
function pgPlaceholders(sqlText: string): string {
  let out = pgForms.get(sqlText);
  if (out === undefined) {
    let i = 0;
    out = sqlText.replace(/\?/g, () => `$${++i}`);
    pgForms.set(sqlText, out);
  }
  return out;
}

const DID_ROW_SQL = 'select * from "dids" where "scope" = ? and "name" = ?';
// What renderDid and resolveSize read: GET /dids/{scope}/{name}, the hottest read of the API, fetches
// 12 of the 46 columns (building each row cost more than finding it).
const DID_SHOW_SQL = `select "scope", "name", "did_type", "account", "bytes", "md5", "adler32", "is_open",
  "monotonic", "expired_at", "length", "events" from "dids" where "scope" = ? and "name" = ?`;

/** Throws ScopeNotFound unless every scope exists. */
export async function requireScopes(db: Db, scopes: Iterable<string>): Promise<void> {
  const wanted = [...new Set(scopes)];
  if (wanted.length === 0) return;
  const rows = await db.selectFrom('scopes').select('scope').where('scope', 'in', wanted).execute();
  const found = new Set(rows.map((r) => r.scope));
  const missing = wanted.filter((s) => !found.has(s));
  if (missing.length) throw scopeNotFound(`Scope '${missing[0]}' does not exist; create it first.`);
}

/** A new `dids` row with Rucio's defaults. */
export function newDidRow(
  scope: string,
  name: string,
  type: DidTypeName,
  account: string,
  extra: Partial<DidRow> = {},
  t: string = now(),
): DidRow {
  const isFile = type === 'FILE';
  return {
    scope,
    name,
    account,
    did_type: TYPE_CODE[type],
    is_open: isFile ? null : 1,
    monotonic: 0,
    hidden: 0,
    obsolete: 0,
    suppressed: 0,
    complete: null,
    availability: 'A',
    bytes: null,
    length: null,
    events: null,
    md5: null,
    adler32: null,
    guid: null,
    purge_replicas: 1,
    expired_at: null,
    closed_at: null,
    accessed_at: null,
    created_at: t,
    updated_at: t,
    datatype: null,
    project: null,
    run_number: null,
    stream_name: null,
    prod_step: null,
    version: null,
    campaign: null,
    task_id: null,
    panda_id: null,
    lumiblocknr: null,
    provenance: null,
    phys_group: null,
    ...extra,
  };
}

/** Splits `items` into chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Rows per multi-row insert so one statement stays under `maxParams` bound parameters. */
export function rowsPerInsert(maxParams: number, columns: number): number {
  return Math.max(1, Math.min(5000, Math.floor(maxParams / columns)));
}

/**
 * Inserts new DID rows (chunked) after checking none exists yet: duplicates inside the batch or in
 * the catalog give DataIdentifierAlreadyExists, as Rucio's add_dids.
 */
export async function insertDidRows(trx: Db, rows: DidRow[], limits: BulkLimits): Promise<void> {
  const seen = new Set<string>();
  for (const r of rows) {
    const k = didKey(r.scope, r.name);
    if (seen.has(k))
      throw dataIdentifierAlreadyExists(`Data Identifier '${k}' appears twice in the request.`);
    seen.add(k);
  }
  await requireScopes(
    trx,
    rows.map((r) => r.scope),
  );
  const existing = await findExisting(
    trx,
    rows.map((r) => ({ scope: r.scope, name: r.name })),
  );
  if (existing.length)
    throw dataIdentifierAlreadyExists(
      `Data Identifier already exists: ${existing.slice(0, 5).join(', ')}${existing.length > 5 ? ` and ${existing.length - 5} more` : ''}`,
    );
  await insertRows(trx, limits, 'dids', rows, DID_DEFAULTS);
}

/** `scope:name` of those DIDs that already exist (looked up in chunks, grouped by scope). */
async function findExisting(db: Db, dids: { scope: string; name: string }[]): Promise<string[]> {
  const byScope = new Map<string, string[]>();
  for (const d of dids) {
    const list = byScope.get(d.scope) ?? [];
    list.push(d.name);
    byScope.set(d.scope, list);
  }
  const found: string[] = [];
  for (const [scope, names] of byScope) {
    for (const part of chunks(names, 5000)) {
      const rows = await db
        .selectFrom('dids')
        .select('name')
        .where('scope', '=', scope)
        .where('name', 'in', part)
        .execute();
      for (const r of rows) found.push(didKey(scope, r.name));
    }
  }
  return found;
}

/** `expired_at` for a lifetime in seconds (Rucio: utcnow + lifetime), or null for none. */
export function expiryFromLifetime(lifetime: unknown): string | null {
  if (lifetime === null || lifetime === undefined || lifetime === '' || lifetime === 0) return null;
  const seconds = typeof lifetime === 'string' ? Number(lifetime) : lifetime;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0)
    throw invalidValue(`lifetime must be a number of seconds, got ${JSON.stringify(lifetime)}.`);
  const at = new Date(Date.now() + seconds * 1000);
  if (Number.isNaN(at.getTime()) || at.getUTCFullYear() > 9999)
    throw invalidValue(`lifetime ${seconds} s ends after the year 9999; give a smaller number of seconds.`);
  return at.toISOString();
}

/** Rucio's get_did dict (the answer of `GET /dids/{scope}/{name}`). */
export function renderDid(row: DidRow, size?: { bytes: number; length: number }): Record<string, unknown> {
  const bytes = size ? size.bytes : row.bytes;
  const type = typeName(row.did_type);
  if (type === 'FILE') {
    return {
      scope: row.scope,
      name: row.name,
      type: 'FILE',
      account: row.account,
      bytes,
      length: 1,
      md5: row.md5,
      adler32: row.adler32,
    };
  }
  return {
    scope: row.scope,
    name: row.name,
    type,
    account: row.account,
    open: row.is_open === null ? null : row.is_open === 1,
    monotonic: row.monotonic === 1,
    expired_at: rucioDate(row.expired_at),
    length: size ? size.length : row.length,
    bytes,
  };
}

/** How deep `GET /dids/{scope}/{name}?dynamic_depth=` resolves sizes. */
export type DynamicDepth = 'FILE' | 'DATASET' | undefined;

/** Reads `dynamic_depth` / `dynamic` the way Rucio's REST layer does (unknown values: no resolution). */
export function dynamicDepthOf(query: Record<string, unknown>): DynamicDepth {
  const d = query.dynamic_depth;
  if (typeof d === 'string') {
    const u = d.toUpperCase();
    return u === 'FILE' || u === 'DATASET' ? u : undefined;
  }
  return query.dynamic !== undefined ? 'FILE' : undefined;
}

/** Datasets below a container, through containers only (recursive, each once). */
const childDatasets = (scope: string, name: string) => sql`
  with recursive tree(scope, name, t) as (
    select child_scope, child_name, child_type from contents
     where scope = ${scope} and name = ${name} and did_type = 'C'
    union
    select c.child_scope, c.child_name, c.child_type from contents c
      join tree on c.scope = tree.scope and c.name = tree.name
     where c.did_type = 'C'
  )`;

/** Scope and name of every dataset below a container (Rucio's list_child_datasets). */
export async function listChildDatasets(db: Db, scope: string, name: string) {
  const r = await sql<{ scope: string; name: string }>`${childDatasets(scope, name)}
    select scope, name from tree where t = 'D' order by scope, name`.execute(db);
  return r.rows;
}

interface Sums {
  n: number | string | null;
  b: number | string | null;
  e: number | string | null;
}
const num = (v: number | string | null | undefined): number =>
  v === null || v === undefined ? 0 : Number(v);

/**
 * Bytes, length and events of a DID as Rucio's __resolve_bytes_length_events_did: datasets count
 * their files, containers sum their datasets (depth DATASET) or count all files below (depth FILE).
 */
export async function resolveSize(
  db: Db,
  row: DidRow,
  depth: DynamicDepth = 'FILE',
): Promise<{ bytes: number; length: number; events: number }> {
  let sums: Sums | undefined;
  if (row.did_type === 'DATASET' && depth === 'FILE') {
    sums = (
      await sql<Sums>`select count(*) as n, sum(bytes) as b, sum(events) as e from contents
        where scope = ${row.scope} and name = ${row.name}`.execute(db)
    ).rows[0];
  } else if (row.did_type === 'CONTAINER' && depth === 'DATASET') {
    sums = (
      await sql<Sums>`${childDatasets(row.scope, row.name)}
        select sum(d.length) as n, sum(d.bytes) as b, sum(d.events) as e
          from (select distinct scope, name from tree where t = 'D') ds
          join dids d on d.scope = ds.scope and d.name = ds.name`.execute(db)
    ).rows[0];
  } else if (row.did_type === 'CONTAINER' && depth === 'FILE') {
    sums = (
      await sql<Sums>`${childDatasets(row.scope, row.name)}
        select count(*) as n, sum(c.bytes) as b, sum(c.events) as e
          from (select distinct scope, name from tree where t = 'D') ds
          join contents c on c.scope = ds.scope and c.name = ds.name`.execute(db)
    ).rows[0];
  } else if (row.did_type === 'FILE') {
    return { bytes: row.bytes ?? 0, length: 1, events: row.events ?? 0 };
  } else {
    return { bytes: row.bytes ?? 0, length: row.length ?? 0, events: row.events ?? 0 };
  }
  return { length: num(sums?.n), bytes: num(sums?.b), events: num(sums?.e) };
}

/** `GET /dids/{scope}/{name}`: the DID dict, with sizes resolved down to `depth` when asked. */
export async function getDid(db: Db, scope: string, name: string, depth?: DynamicDepth) {
  const row = await didRowBy(db, DID_SHOW_SQL, scope, name);
  if (!depth) return renderDid(row);
  return renderDid(row, await resolveSize(db, row, depth));
}

/**
 * `PUT /dids/{scope}/{name}/status` (Rucio's set_status): only `open` exists. Closing computes
 * bytes/length/events from the content; re-opening needs an admin (checked by the route).
 */
export async function setStatus(
  db: Kysely<Database>,
  scope: string,
  name: string,
  statuses: Record<string, unknown>,
) {
  const keys = Object.keys(statuses);
  if (keys.length === 0) throw invalidValue('No status given; send {"open": false} to close a DID.');
  for (const k of keys) {
    if (k !== 'open') throw unsupportedStatus(`The status ${k} is not a valid data identifier status.`);
  }
  const open = statuses.open;
  if (typeof open !== 'boolean')
    throw invalidValue(`The status 'open' must be true or false, got ${JSON.stringify(open)}.`);
  await db.transaction().execute(async (trx) => {
    const row = await getDidRow(trx, scope, name);
    const cannot = () =>
      unsupportedOperation(`The status of the data identifier '${scope}:${name}' cannot be changed`);
    if (row.did_type === 'FILE') throw cannot();
    const t = now();
    if (!open) {
      if (row.is_open !== 1) throw cannot();
      const size = await resolveSize(trx, row, 'FILE');
      const res = await trx
        .updateTable('dids')
        .set({
          is_open: 0,
          closed_at: t,
          updated_at: t,
          bytes: size.bytes,
          length: size.length,
          events: size.events,
        })
        .where('scope', '=', scope)
        .where('name', '=', name)
        .where('is_open', '=', 1)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) throw cannot();
    } else {
      if (row.is_open !== 0) throw cannot();
      await trx
        .updateTable('dids')
        .set({ is_open: 1, updated_at: t })
        .where('scope', '=', scope)
        .where('name', '=', name)
        .execute();
    }
  });
}
