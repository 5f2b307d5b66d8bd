/**
 * DID metadata as Rucio's two default plugins: DID_COLUMN (fixed columns of `dids`) and JSON (free
 * key/values in `did_meta`, one row per key with the value as JSON text and, when numeric, as a
 * number so searches can compare numerically).
 */
import { parseRucioFilterDate } from '@oxbow/common/rucio/index';
import type { Kysely } from 'kysely';
import type { Database, DidMetaTable } from '../db/schema.js';
import {
  accessDenied,
  invalidMetadata,
  invalidValueForKey,
  keyNotFound,
  unsupportedMetadataPlugin,
  unsupportedOperation,
} from '../errors.js';
import { now, rucioDate } from '../http/dates.js';
import {
  chunks,
  type Db,
  type DidRow,
  didKey,
  expiryFromLifetime,
  getDidRow,
  rowsPerInsert,
  typeName,
} from './dids.js';

/** Text columns a user may set through metadata. */
export const STRING_META_COLUMNS = [
  'datatype',
  'project',
  'stream_name',
  'prod_step',
  'version',
  'campaign',
  'provenance',
  'phys_group',
] as const;
/** Integer columns a user may set through metadata. */
export const INT_META_COLUMNS = ['run_number', 'task_id', 'panda_id', 'lumiblocknr'] as const;
/** Flag columns a user may set through metadata. */
export const BOOL_META_COLUMNS = ['hidden', 'purge_replicas'] as const;
/** Keys only files have; they are copied into the `contents` rows of the file's parents. */
export const FILE_META_COLUMNS = ['guid', 'events'] as const;

/** Rucio's RESERVED_KEYS (rucio.common.constants) minus `expired_at`, which Oxbow lets users set. */
const RESERVED_KEYS = new Set([
  'scope',
  'name',
  'account',
  'did_type',
  'is_open',
  'monotonic',
  'obsolete',
  'complete',
  'availability',
  'suppressed',
  'bytes',
  'length',
  'md5',
  'adler32',
  'rule_evaluation_action',
  'rule_evaluation_required',
  'deleted_at',
  'created_at',
  'updated_at',
]);

const STRING_SET = new Set<string>(STRING_META_COLUMNS);
const INT_SET = new Set<string>(INT_META_COLUMNS);
const BOOL_SET = new Set<string>(BOOL_META_COLUMNS);

/** What a metadata dict changes: column values, file-only values and free keys. */
export interface MetaPlan {
  columns: Partial<DidRow>;
  fileColumns: { guid?: string | null; events?: number | null };
  json: { key: string; value_json: string; value_num: number | null }[];
}

function intValue(key: string, v: unknown): number | null {
  if (v === null) return null;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d{1,15}$/.test(v.trim())) return Number(v.trim());
  throw invalidValueForKey(`Metadata '${key}' must be an integer, got ${JSON.stringify(v)}.`);
}

function boolValue(key: string, v: unknown): 0 | 1 {
  if (v === true || v === 1 || v === 'True' || v === 'true') return 1;
  if (v === false || v === 0 || v === 'False' || v === 'false') return 0;
  throw invalidValueForKey(`Metadata '${key}' must be true or false, got ${JSON.stringify(v)}.`);
}

function stringValue(key: string, v: unknown, max = 255): string | null {
  if (v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
    const s = typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v);
    if (s.length > max) throw invalidValueForKey(`Metadata '${key}' is longer than ${max} characters.`);
    return s;
  }
  throw invalidValueForKey(`Metadata '${key}' must be a string, got ${JSON.stringify(v)}.`);
}

function dateValue(key: string, v: unknown): string | null {
  if (v === null) return null;
  if (typeof v === 'string') {
    const d = parseRucioFilterDate(v) ?? new Date(v);
    if (!Number.isNaN(d.getTime())) return d.toISOString();
  }
  throw invalidValueForKey(
    `Metadata '${key}' must be a date such as '2030-01-31T12:00:00' or 'Fri, 31 Jan 2030 12:00:00 UTC', or null; got ${JSON.stringify(v)}.`,
  );
}

/** The number a JSON metadata value compares as: numbers and numeric strings (as Rucio's float cast). */
export function numericValue(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && /^[\s\d.eE+-]+$/.test(v)) {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/**
 * Checks and sorts a metadata dict: reserved keys are refused with AccessDenied (as Rucio's
 * gateway), keys with '.' with InvalidMetadata (the filter language uses '.' for operators).
 */
export function planMeta(meta: Record<string, unknown>, account: string, did: string): MetaPlan {
  const plan: MetaPlan = { columns: {}, fileColumns: {}, json: [] };
  for (const [key, value] of Object.entries(meta)) {
    if (RESERVED_KEYS.has(key))
      throw accessDenied(
        `Account ${account} can not change the value of the metadata key ${key} to data identifier ${did}`,
      );
    if (key.includes('.'))
      throw invalidMetadata(
        `Restricted character "." found in metadata key '${key}'. Reason: Used as a delimiter for key and operator (<key>.<operator>) in filtering engine.`,
      );
    if (key === '' || key.length > 255)
      throw invalidMetadata(`Metadata keys must be 1 to 255 characters long, got '${key.slice(0, 40)}'.`);
    if (STRING_SET.has(key)) (plan.columns as Record<string, unknown>)[key] = stringValue(key, value);
    else if (INT_SET.has(key)) (plan.columns as Record<string, unknown>)[key] = intValue(key, value);
    else if (BOOL_SET.has(key)) (plan.columns as Record<string, unknown>)[key] = boolValue(key, value);
    else if (key === 'lifetime') {
      if (value !== null && typeof value !== 'number' && typeof value !== 'string')
        throw invalidValueForKey(`Metadata 'lifetime' must be a number of seconds or null.`);
      try {
        plan.columns.expired_at = expiryFromLifetime(value);
      } catch (e) {
        throw invalidValueForKey((e as Error).message);
      }
    } else if (key === 'expired_at') plan.columns.expired_at = dateValue(key, value);
    else if (key === 'guid') plan.fileColumns.guid = stringValue(key, value, 36);
    else if (key === 'events') plan.fileColumns.events = intValue(key, value);
    else {
      if (value === undefined) continue;
      plan.json.push({ key, value_json: JSON.stringify(value), value_num: numericValue(value) });
    }
  }
  return plan;
}

/** True when a plan changes nothing. */
const emptyPlan = (p: MetaPlan) =>
  Object.keys(p.columns).length === 0 && Object.keys(p.fileColumns).length === 0 && p.json.length === 0;

/** Writes free key/values of several DIDs (insert or replace), chunked. */
export async function upsertJsonMeta(trx: Db, rows: DidMetaTable[], maxParams: number): Promise<void> {
  for (const part of chunks(rows, rowsPerInsert(maxParams, 5))) {
    await trx
      .insertInto('did_meta')
      .values(part)
      .onConflict((oc) =>
        oc.columns(['scope', 'name', 'key']).doUpdateSet((eb) => ({
          value_json: eb.ref('excluded.value_json'),
          value_num: eb.ref('excluded.value_num'),
        })),
      )
      .execute();
  }
}

/** Applies a plan to one existing DID inside a transaction (Rucio's DID_COLUMN + JSON set_metadata_bulk). */
export async function applyMeta(trx: Db, row: DidRow, plan: MetaPlan, recursive: boolean, maxParams: number) {
  if (emptyPlan(plan)) return;
  const { scope, name } = row;
  const t = now();
  const fileCols = plan.fileColumns;
  if (Object.keys(fileCols).length) {
    if (row.did_type !== 'FILE') {
      const key = Object.keys(fileCols)[0];
      throw unsupportedOperation(`${key} for ${scope}:${name} cannot be updated: only files have it.`);
    }
    await trx.updateTable('dids').set(fileCols).where('scope', '=', scope).where('name', '=', name).execute();
    await trx
      .updateTable('contents')
      .set(fileCols)
      .where('child_scope', '=', scope)
      .where('child_name', '=', name)
      .execute();
    if (fileCols.events !== undefined) {
      // Parents carry the sum of their files' events, as Rucio recomputes it.
      const parents = await trx
        .selectFrom('contents')
        .select(['scope', 'name'])
        .where('child_scope', '=', scope)
        .where('child_name', '=', name)
        .execute();
      for (const p of parents) {
        const s = await trx
          .selectFrom('contents')
          .select((eb) => eb.fn.sum<number | string | null>('events').as('e'))
          .where('scope', '=', p.scope)
          .where('name', '=', p.name)
          .executeTakeFirst();
        await trx
          .updateTable('dids')
          .set({ events: s?.e === null || s?.e === undefined ? null : Number(s.e) })
          .where('scope', '=', p.scope)
          .where('name', '=', p.name)
          .execute();
      }
    }
  }
  if (Object.keys(plan.columns).length) {
    await trx
      .updateTable('dids')
      .set({ ...plan.columns, updated_at: t })
      .where('scope', '=', scope)
      .where('name', '=', name)
      .execute();
    if (recursive) {
      // Rucio propagates column metadata one level down to the direct children.
      const { expired_at: _skip, ...inherited } = plan.columns;
      if (Object.keys(inherited).length) {
        const children = await trx
          .selectFrom('contents')
          .select(['child_scope', 'child_name'])
          .where('scope', '=', scope)
          .where('name', '=', name)
          .execute();
        for (const c of children) {
          await trx
            .updateTable('dids')
            .set(inherited)
            .where('scope', '=', c.child_scope)
            .where('name', '=', c.child_name)
            .execute();
        }
      }
    }
  }
  if (plan.json.length) {
    await upsertJsonMeta(
      trx,
      plan.json.map((j) => ({ scope, name, ...j })),
      maxParams,
    );
  }
}

/** `POST /dids/{scope}/{name}/meta[/{key}]`: sets several keys on one DID in one transaction. */
export async function setMetadata(
  db: Kysely<Database>,
  scope: string,
  name: string,
  meta: Record<string, unknown>,
  opts: { recursive: boolean; account: string; maxParams: number },
): Promise<void> {
  const plan = planMeta(meta, opts.account, didKey(scope, name));
  await db.transaction().execute(async (trx) => {
    const row = await getDidRow(trx, scope, name);
    await applyMeta(trx, row, plan, opts.recursive, opts.maxParams);
  });
}

/** `POST /dids/bulkdidsmeta`: metadata of many DIDs, all or nothing. */
export async function setDidsMetadata(
  db: Kysely<Database>,
  items: { scope: string; name: string; meta: Record<string, unknown> }[],
  opts: { recursive: boolean; account: string; maxParams: number },
): Promise<void> {
  const plans = items.map((i) => ({ ...i, plan: planMeta(i.meta, opts.account, didKey(i.scope, i.name)) }));
  await db.transaction().execute(async (trx) => {
    for (const i of plans) {
      const row = await getDidRow(trx, i.scope, i.name);
      await applyMeta(trx, row, i.plan, opts.recursive, opts.maxParams);
    }
  });
}

const AVAILABILITY: Record<string, string> = { A: 'AVAILABLE', L: 'LOST', D: 'DELETED' };
const flag = (v: number | null) => (v === null ? null : v === 1);

/** Rucio's DataIdentifier.to_dict(): every column, dates as Rucio renders them. */
export function renderDidColumns(row: DidRow): Record<string, unknown> {
  return {
    scope: row.scope,
    name: row.name,
    account: row.account,
    did_type: typeName(row.did_type),
    is_open: flag(row.is_open),
    monotonic: row.monotonic === 1,
    hidden: row.hidden === 1,
    obsolete: row.obsolete === 1,
    complete: flag(row.complete),
    is_new: null,
    availability: AVAILABILITY[row.availability] ?? row.availability,
    suppressed: row.suppressed === 1,
    bytes: row.bytes,
    length: row.length,
    md5: row.md5,
    adler32: row.adler32,
    expired_at: rucioDate(row.expired_at),
    purge_replicas: row.purge_replicas === 1,
    deleted_at: null,
    events: row.events,
    guid: row.guid,
    project: row.project,
    datatype: row.datatype,
    run_number: row.run_number,
    stream_name: row.stream_name,
    prod_step: row.prod_step,
    version: row.version,
    campaign: row.campaign,
    task_id: row.task_id,
    panda_id: row.panda_id,
    lumiblocknr: row.lumiblocknr,
    provenance: row.provenance,
    phys_group: row.phys_group,
    transient: false,
    accessed_at: rucioDate(row.accessed_at),
    closed_at: rucioDate(row.closed_at),
    eol_at: null,
    is_archive: null,
    constituent: null,
    access_cnt: null,
    created_at: rucioDate(row.created_at),
    updated_at: rucioDate(row.updated_at),
  };
}

/** Free key/values of one DID as a dict. */
export async function jsonMetaOf(db: Db, scope: string, name: string): Promise<Record<string, unknown>> {
  const rows = await db
    .selectFrom('did_meta')
    .select(['key', 'value_json'])
    .where('scope', '=', scope)
    .where('name', '=', name)
    .orderBy('key')
    .execute();
  const out: Record<string, unknown> = {};
  for (const r of rows) out[r.key] = JSON.parse(r.value_json);
  return out;
}

/** Normalised metadata plugin name, or UnsupportedMetadataPlugin. */
export function metaPlugin(plugin: string | undefined): 'DID_COLUMN' | 'JSON' | 'ALL' {
  const p = (plugin ?? 'DID_COLUMN').toUpperCase();
  if (p === 'DID_COLUMN' || p === 'JSON' || p === 'ALL') return p;
  throw unsupportedMetadataPlugin(
    `Metadata plugin "${plugin}" is not enabled on the server; use DID_COLUMN, JSON or ALL.`,
  );
}

/** Metadata of a DID row for a plugin. */
async function metaOfRow(db: Db, row: DidRow, plugin: 'DID_COLUMN' | 'JSON' | 'ALL') {
  if (plugin === 'DID_COLUMN') return renderDidColumns(row);
  const json = await jsonMetaOf(db, row.scope, row.name);
  if (plugin === 'JSON') return json;
  return { ...renderDidColumns(row), ...json };
}

/** `GET /dids/{scope}/{name}/meta?plugin=` */
export async function getMetadata(db: Db, scope: string, name: string, plugin?: string) {
  const p = metaPlugin(plugin);
  return metaOfRow(db, await getDidRow(db, scope, name), p);
}

/**
 * `DELETE /dids/{scope}/{name}/meta?key=`: removes a free key (KeyNotFound when absent). Fixed
 * columns are cleared (Rucio answers 409 for those; clearing is what a user means).
 */
export async function deleteMetadata(db: Kysely<Database>, scope: string, name: string, key: string) {
  await db.transaction().execute(async (trx) => {
    const row = await getDidRow(trx, scope, name);
    if (STRING_SET.has(key) || INT_SET.has(key) || key === 'expired_at' || key === 'lifetime') {
      const col = key === 'lifetime' ? 'expired_at' : key;
      await trx
        .updateTable('dids')
        .set({ [col]: null, updated_at: now() })
        .where('scope', '=', scope)
        .where('name', '=', name)
        .execute();
      return;
    }
    if (RESERVED_KEYS.has(key) || BOOL_SET.has(key) || key === 'guid' || key === 'events')
      throw unsupportedOperation(`Metadata key '${key}' of ${scope}:${name} cannot be deleted.`);
    const res = await trx
      .deleteFrom('did_meta')
      .where('scope', '=', row.scope)
      .where('name', '=', row.name)
      .where('key', '=', key)
      .executeTakeFirst();
    if (Number(res.numDeletedRows) === 0)
      throw keyNotFound(`Key '${key}' not found in the metadata of data identifier '${scope}:${name}'`);
  });
}

/** Parents of a DID, one level up. */
async function parentsOf(db: Db, scope: string, name: string) {
  return db
    .selectFrom('contents')
    .select(['scope', 'name'])
    .where('child_scope', '=', scope)
    .where('child_name', '=', name)
    .orderBy('scope')
    .orderBy('name')
    .execute();
}

/**
 * `POST /dids/bulkmeta`: metadata of each DID that exists (missing ones are skipped, as Rucio); with
 * `inherit`, keys of ancestors (up to 20 levels, nearest first) fill in keys the DID lacks.
 */
export async function* getMetadataBulk(
  db: Db,
  dids: { scope: string; name: string }[],
  opts: { inherit: boolean; plugin?: string },
): AsyncGenerator<Record<string, unknown>> {
  const plugin = metaPlugin(opts.plugin);
  for (const d of dids) {
    const row = await db
      .selectFrom('dids')
      .selectAll()
      .where('scope', '=', d.scope)
      .where('name', '=', d.name)
      .executeTakeFirst();
    if (!row) continue;
    const own = await metaOfRow(db, row, plugin);
    const result: Record<string, unknown> =
      plugin === 'JSON' ? { scope: row.scope, name: row.name, ...own } : own;
    if (opts.inherit) {
      const seen = new Set([didKey(row.scope, row.name)]);
      let level = [{ scope: row.scope, name: row.name }];
      for (let depth = 0; depth < 20 && level.length; depth++) {
        const next: { scope: string; name: string }[] = [];
        for (const c of level) {
          for (const p of await parentsOf(db, c.scope, c.name)) {
            const k = didKey(p.scope, p.name);
            if (seen.has(k)) continue;
            seen.add(k);
            next.push(p);
            const prow = await getDidRow(db, p.scope, p.name).catch(() => undefined);
            if (!prow) continue;
            const pm = await metaOfRow(db, prow, plugin);
            for (const [key, value] of Object.entries(pm)) {
              if (!(key in result) || result[key] === null) result[key] = value;
            }
          }
        }
        level = next;
      }
    }
    yield result;
  }
}
