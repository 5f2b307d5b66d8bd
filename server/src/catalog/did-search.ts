/**
 * DID search (Rucio's list_dids with the DID_COLUMN and JSON plugins) translated to one SQL query:
 * an OR of AND groups over the fixed columns of `dids` and, for any other key, over `did_meta`
 * (numbers through `value_num`, everything else through the JSON text). Results are read in
 * keyset-paged queries ordered by name, so a search of 100,000 DIDs streams in bounded memory.
 */
import {
  RucioError as CommonRucioError,
  type DidFilter,
  type DidFilterClause,
  type DidFilterValue,
  didTypesOfGroup,
  parseDidType,
} from '@oxbow/common/rucio/index';
import { type RawBuilder, sql } from 'kysely';
import type { DialectName } from '../db/connect.js';
import {
  didFilterSyntaxError,
  invalidType,
  invalidValue,
  RucioError,
  unsupportedOperation,
} from '../errors.js';
import { type Db, type DidTypeName, didKey, TYPE_CODE, typeName } from './dids.js';

const PAGE = 1000;

const TEXT_COLUMNS = new Set([
  'name',
  'account',
  'datatype',
  'project',
  'stream_name',
  'prod_step',
  'version',
  'campaign',
  'provenance',
  'phys_group',
  'guid',
  'md5',
  'adler32',
]);
const NUMBER_COLUMNS = new Set([
  'bytes',
  'length',
  'events',
  'run_number',
  'task_id',
  'panda_id',
  'lumiblocknr',
]);
const DATE_COLUMNS = new Set(['created_at', 'updated_at', 'expired_at', 'accessed_at', 'closed_at']);
const FLAG_COLUMNS = new Set([
  'is_open',
  'monotonic',
  'hidden',
  'obsolete',
  'suppressed',
  'complete',
  'purge_replicas',
]);
const AVAILABILITY: Record<string, string> = {
  AVAILABLE: 'A',
  LOST: 'L',
  DELETED: 'D',
  A: 'A',
  L: 'L',
  D: 'D',
};

/** Errors of the shared Rucio helpers as the server's typed errors (same class names and statuses). */
export function serverError(e: unknown): unknown {
  if (!(e instanceof CommonRucioError) || e instanceof RucioError) return e;
  switch (e.name) {
    case 'UnsupportedOperation':
      return unsupportedOperation(e.message);
    case 'InvalidType':
      return invalidType(e.message);
    case 'DIDFilterSyntaxError':
      return didFilterSyntaxError(e.message);
    default:
      return new RucioError(e.name, 400, e.message);
  }
}

const OPS: Record<string, string> = { eq: '=', ne: '<>', lt: '<', lte: '<=', gt: '>', gte: '>=' };

const isWildcard = (v: DidFilterValue): v is string =>
  typeof v === 'string' && (v.includes('*') || v.includes('%'));

/** A wildcard (`*`/`%` = any run) as a GLOB pattern on SQLite (case-sensitive, like PostgreSQL's LIKE). */
function wildcardPattern(dialect: DialectName, value: string): string {
  let out = '';
  for (const c of value) {
    if (dialect === 'sqlite') {
      if (c === '*' || c === '%') out += '*';
      else if (c === '?' || c === '[') out += `[${c}]`;
      else out += c;
    } else if (c === '*' || c === '%') out += '%';
    else if (c === '_' || c === '\\') out += `\\${c}`;
    else out += c;
  }
  return out;
}

function matchPattern(dialect: DialectName, ref: RawBuilder<unknown>, pattern: string): RawBuilder<boolean> {
  return dialect === 'sqlite' ? sql<boolean>`${ref} glob ${pattern}` : sql<boolean>`${ref} like ${pattern}`;
}

function describe(v: DidFilterValue): string {
  return v instanceof Date ? v.toISOString() : JSON.stringify(v);
}

/** The SQL value of a filter value for a fixed column, or a DIDFilterSyntaxError. */
function columnValue(key: string, value: DidFilterValue): string | number {
  if (value === null) return '';
  if (TEXT_COLUMNS.has(key)) {
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'boolean') return value ? 'True' : 'False';
    return String(value);
  }
  if (NUMBER_COLUMNS.has(key)) {
    if (typeof value === 'number') return value;
    if (typeof value === 'boolean') return value ? 1 : 0;
    throw didFilterSyntaxError(`Filter '${key}' compares numbers; ${describe(value)} is not a number.`);
  }
  if (DATE_COLUMNS.has(key)) {
    if (value instanceof Date) return value.toISOString();
    throw didFilterSyntaxError(
      `Filter '${key}' compares dates; write it as '2024-01-31T00:00:00' or 'Wed, 31 Jan 2024 00:00:00 UTC', not ${describe(value)}.`,
    );
  }
  if (FLAG_COLUMNS.has(key)) {
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (value === 0 || value === 1) return value;
    throw didFilterSyntaxError(`Filter '${key}' is true or false, not ${describe(value)}.`);
  }
  if (key === 'availability') {
    const code = AVAILABILITY[String(value).toUpperCase()];
    if (!code)
      throw didFilterSyntaxError(
        `Filter 'availability' is AVAILABLE, LOST or DELETED, not ${describe(value)}.`,
      );
    return code;
  }
  if (key === 'did_type') {
    try {
      return TYPE_CODE[parseDidType(String(value)) as DidTypeName] ?? '?';
    } catch {
      throw didFilterSyntaxError(`Filter 'did_type' is FILE, DATASET or CONTAINER, not ${describe(value)}.`);
    }
  }
  throw didFilterSyntaxError(`Unknown filter column '${key}'.`);
}

const isColumn = (key: string) =>
  TEXT_COLUMNS.has(key) ||
  NUMBER_COLUMNS.has(key) ||
  DATE_COLUMNS.has(key) ||
  FLAG_COLUMNS.has(key) ||
  key === 'availability' ||
  key === 'did_type';

/** One clause on a fixed column; `!=` also matches NULL, as Rucio's filter engine. */
function columnClause(dialect: DialectName, c: DidFilterClause): RawBuilder<boolean> | undefined {
  const ref = sql.ref(`d.${c.key}`);
  if (c.value === null) {
    if (c.op === 'eq') return sql<boolean>`${ref} is null`;
    if (c.op === 'ne') return sql<boolean>`${ref} is not null`;
    return sql<boolean>`1 = 0`;
  }
  if (isWildcard(c.value) && TEXT_COLUMNS.has(c.key)) {
    if (c.value === '*' || c.value === '%') return undefined;
    const m = matchPattern(dialect, ref, wildcardPattern(dialect, c.value));
    return c.op === 'eq' ? m : sql<boolean>`(not (${m}) or ${ref} is null)`;
  }
  const v = columnValue(c.key, c.value);
  const cmp = sql<boolean>`${ref} ${sql.raw(OPS[c.op]!)} ${v}`;
  return c.op === 'ne' ? sql<boolean>`(${cmp} or ${ref} is null)` : cmp;
}

/** One clause on a free metadata key (`did_meta`); a missing key satisfies only `!=`. */
function metaClause(dialect: DialectName, c: DidFilterClause): RawBuilder<boolean> | undefined {
  const has = (cond: RawBuilder<boolean>) =>
    sql<boolean>`exists (select 1 from did_meta m where m.scope = d.scope and m.name = d.name and m.key = ${c.key} and ${cond})`;
  const v = c.value;
  if (v === null) {
    const isNull = has(sql<boolean>`m.value_json = 'null'`);
    const present = has(sql<boolean>`m.value_json <> 'null'`);
    if (c.op === 'eq') return sql<boolean>`(not ${present})`;
    if (c.op === 'ne') return present;
    return isNull && sql<boolean>`1 = 0`;
  }
  let eqCond: RawBuilder<boolean>;
  if (isWildcard(v)) {
    if (v === '*' || v === '%') return undefined;
    eqCond = matchPattern(dialect, sql.ref('m.value_json'), `"${wildcardPattern(dialect, v)}"`);
  } else if (typeof v === 'number') {
    const op = c.op === 'ne' ? '=' : OPS[c.op]!;
    const cond = sql<boolean>`m.value_num ${sql.raw(op)} ${v}`;
    return c.op === 'ne' ? sql<boolean>`(not ${has(cond)})` : has(cond);
  } else {
    const text = typeof v === 'boolean' ? String(v) : JSON.stringify(v instanceof Date ? v.toISOString() : v);
    if (c.op !== 'eq' && c.op !== 'ne') return has(sql<boolean>`m.value_json ${sql.raw(OPS[c.op]!)} ${text}`);
    eqCond = sql<boolean>`m.value_json = ${text}`;
  }
  return c.op === 'ne' ? sql<boolean>`(not ${has(eqCond)})` : has(eqCond);
}

/** The WHERE condition of a filter (without scope): OR of the groups, each with its DID types. */
export function filterCondition(
  dialect: DialectName,
  filter: DidFilter,
  searchType: string,
  opts: { skipName?: boolean } = {},
): RawBuilder<boolean> {
  const groups = (filter.length ? filter : [[]]).map((group) => {
    let types: readonly string[];
    try {
      types = didTypesOfGroup(group, searchType);
    } catch (e) {
      throw serverError(e);
    }
    const parts: RawBuilder<boolean>[] = [
      sql<boolean>`d.did_type in (${sql.join(types.map((t) => TYPE_CODE[t as DidTypeName]))})`,
    ];
    for (const c of group) {
      if (c.key === 'type') continue;
      if (opts.skipName && c.key === 'name') continue;
      const part = isColumn(c.key) ? columnClause(dialect, c) : metaClause(dialect, c);
      if (part) parts.push(part);
    }
    return sql<boolean>`(${sql.join(parts, sql` and `)})`;
  });
  return sql<boolean>`(${sql.join(groups, sql` or `)})`;
}

/** Options of searchDids. */
export interface SearchOptions {
  dialect: DialectName;
  filter: DidFilter;
  type: string;
  long: boolean;
  recursive: boolean;
  limit?: number;
}

interface Hit {
  scope: string;
  name: string;
  did_type: string;
  bytes: number | null;
  length: number | null;
}

/**
 * `GET /dids/{scope}/dids/search`: names (or `{scope, name, did_type, bytes, length}` with long)
 * of the DIDs of `scope` matching the filter, by name; `recursive` adds the matching DIDs inside
 * matched collections (any scope, name clauses ignored), each DID once.
 */
export async function* searchDids(db: Db, scope: string, opts: SearchOptions): AsyncGenerator<unknown> {
  const where = filterCondition(opts.dialect, opts.filter, opts.type);
  let remaining = opts.limit && opts.limit > 0 ? opts.limit : Number.POSITIVE_INFINITY;
  const collections: { scope: string; name: string }[] = [];
  const seen = opts.recursive ? new Set<string>() : undefined;
  const out = (h: Hit) => (opts.long ? { ...h, did_type: typeName(h.did_type) } : h.name);
  let after: string | undefined;
  while (remaining > 0) {
    const n = Math.min(PAGE, remaining);
    let q = db
      .selectFrom('dids as d')
      .select(['d.scope', 'd.name', 'd.did_type', 'd.bytes', 'd.length'])
      .where('d.scope', '=', scope)
      .where('d.suppressed', '=', 0)
      .where(where);
    if (after !== undefined) q = q.where('d.name', '>', after);
    const rows = await q.orderBy('d.name').limit(n).execute();
    for (const r of rows) {
      if (seen) {
        seen.add(didKey(r.scope, r.name));
        if (typeName(r.did_type) !== 'FILE') collections.push({ scope: r.scope, name: r.name });
      }
      yield out(r);
    }
    remaining -= rows.length;
    if (rows.length < n) break;
    after = rows[rows.length - 1]!.name;
  }
  if (!seen) return;
  const inner = filterCondition(opts.dialect, opts.filter, opts.type, { skipName: true });
  for (const top of collections) {
    // Every collection below `top` (containers hold collections; datasets only files), then the
    // direct content of each, page by page: linear in the size of the tree.
    const below = await sql<{ scope: string; name: string }>`
      with recursive tree(scope, name) as (
        select child_scope, child_name from contents
         where scope = ${top.scope} and name = ${top.name} and child_type <> 'F'
        union
        select ct.child_scope, ct.child_name from contents ct join tree t on ct.scope = t.scope and ct.name = t.name
         where ct.child_type <> 'F'
      ) select scope, name from tree order by scope, name`.execute(db);
    for (const c of [top, ...below.rows]) {
      let last: { scope: string; name: string } | undefined;
      for (;;) {
        if (remaining <= 0) return;
        const n = Math.min(PAGE, remaining);
        const rows = (
          await sql<Hit>`
          select d.scope, d.name, d.did_type, d.bytes, d.length from contents c
            join dids d on d.scope = c.child_scope and d.name = c.child_name
           where c.scope = ${c.scope} and c.name = ${c.name} and d.suppressed = 0 and ${inner}
             ${last ? sql`and (c.child_scope, c.child_name) > (${last.scope}, ${last.name})` : sql``}
           order by c.child_scope, c.child_name limit ${n}`.execute(db)
        ).rows;
        for (const r of rows) {
          const k = didKey(r.scope, r.name);
          if (seen.has(k)) continue;
          seen.add(k);
          remaining--;
          yield out(r);
          if (remaining <= 0) return;
        }
        if (rows.length < n) break;
        last = rows[rows.length - 1];
      }
    }
  }
}

/** Checks the `limit` query value. */
export function parseLimit(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '' || v === 'None') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw invalidValue(`limit must be a non-negative integer, got ${String(v)}.`);
  return n;
}
