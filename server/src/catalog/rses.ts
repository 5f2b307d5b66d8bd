/** RSEs and their attributes (Rucio's core/rse.py): rows, Rucio's dict shapes, expressions, usage. */
import { randomUUID } from 'node:crypto';
import {
  RucioError as CommonRucioError,
  evaluateRseExpression,
  type RseForExpression,
  rseNameProblem,
} from '@oxbow/common/rucio/index';
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Database, Flag, RsesTable } from '../db/schema.js';
import {
  duplicate,
  inputValidation422,
  inputValidationError,
  invalidObject,
  invalidRseExpression,
  RucioError,
  rseAttributeNotFound,
  rseNotFound,
  rseOperationNotSupported,
} from '../errors.js';
import { now, rucioDate } from '../http/dates.js';

type Db = Kysely<Database>;
export type RseRecord = Selectable<RsesTable>;
export type AttributeValue = string | number | boolean;

/** RSE columns Rucio mirrors into attributes when set (RSE_SETTINGS in core/rse.py). */
const RSE_SETTINGS = ['continent', 'city', 'region_code', 'country_name', 'time_zone', 'ISP', 'ASN'] as const;
const ATTR_KEY_RE = /^[A-Za-z0-9_.:-]{1,255}$/;

/** A new RSE id: a UUID as 32 lowercase hex digits, as Rucio's generate_uuid. */
export function newRseId(): string {
  return randomUUID().replace(/-/g, '');
}

const flag = (b: boolean | null | undefined, dflt: boolean): Flag => ((b ?? dflt) ? 1 : 0);

/** Rucio's deprecated availability integer: read=4, write=2, delete=1. */
export function availabilityInteger(
  r: Pick<RseRecord, 'availability_read' | 'availability_write' | 'availability_delete'>,
) {
  return r.availability_read * 4 + r.availability_write * 2 + r.availability_delete;
}

function availabilityBits(value: number): { read: Flag; write: Flag; delete: Flag } {
  return { read: value & 4 ? 1 : 0, write: value & 2 ? 1 : 0, delete: value & 1 ? 1 : 0 };
}

/** Throws InvalidObject unless `rse` follows Rucio's RSE name rule. */
export function checkRseName(rse: string): void {
  const problem = rseNameProblem(rse);
  if (problem) throw invalidObject(problem);
}

/** The live (not deleted) RSE row of a name, or RSENotFound. */
export async function getRseRecord(db: Db, rse: string): Promise<RseRecord> {
  const row = await db
    .selectFrom('rses')
    .selectAll()
    .where('rse', '=', rse)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  if (!row) throw rseNotFound(`RSE '${rse}' cannot be found`);
  return row;
}

/** Rucio's RSE row dict (`GET /rses/` lines): columns, booleans, Rucio dates, availability integer. */
export function rseRowDict(r: RseRecord) {
  return {
    id: r.id,
    rse: r.rse,
    vo: r.vo,
    rse_type: r.rse_type,
    deterministic: r.deterministic === 1,
    volatile: r.volatile === 1,
    staging_area: r.staging_area === 1,
    city: r.city,
    region_code: r.region_code,
    country_name: r.country_name,
    continent: r.continent,
    time_zone: r.time_zone,
    ISP: r.isp,
    ASN: r.asn,
    longitude: r.longitude,
    latitude: r.latitude,
    availability: availabilityInteger(r),
    availability_read: r.availability_read === 1,
    availability_write: r.availability_write === 1,
    availability_delete: r.availability_delete === 1,
    qos_class: r.qos_class,
    deleted: r.deleted === 1,
    deleted_at: rucioDate(r.deleted_at),
    created_at: rucioDate(r.created_at),
    updated_at: rucioDate(r.updated_at),
  };
}

/** Options of addRse: Rucio's add_rse keyword arguments. */
export interface AddRseOptions {
  deterministic?: boolean | null;
  volatile?: boolean | null;
  staging_area?: boolean | null;
  rse_type?: string | null;
  city?: string | null;
  region_code?: string | null;
  country_name?: string | null;
  continent?: string | null;
  time_zone?: string | null;
  ISP?: string | null;
  ASN?: string | null;
  longitude?: number | null;
  latitude?: number | null;
  availability?: number;
  availability_read?: boolean | null;
  availability_write?: boolean | null;
  availability_delete?: boolean | null;
}

/** Creates an RSE; it carries its own name as attribute `NAME=true`. Returns the new id. */
export async function addRse(db: Db, rse: string, o: AddRseOptions = {}, id = newRseId()): Promise<string> {
  checkRseName(rse);
  if (
    o.availability !== undefined &&
    (o.availability_read != null || o.availability_write != null || o.availability_delete != null)
  ) {
    throw inputValidation422(
      "'availability' can not be specified with 'availability_read', 'availability_write' or 'availability_delete'",
    );
  }
  const bits = o.availability !== undefined ? availabilityBits(o.availability) : undefined;
  const rseType = (o.rse_type ?? 'DISK').toUpperCase();
  if (rseType !== 'DISK' && rseType !== 'TAPE')
    throw invalidObject(`Invalid rse_type '${o.rse_type}': use DISK or TAPE.`);
  const t = now();
  await db.transaction().execute(async (trx) => {
    // Rucio's unique constraint covers deleted RSEs too: a name is never reused.
    const existing = await trx.selectFrom('rses').select('id').where('rse', '=', rse).executeTakeFirst();
    if (existing) throw duplicate(`RSE '${rse}' already exists!`);
    await trx
      .insertInto('rses')
      .values({
        id,
        rse,
        vo: 'def',
        rse_type: rseType,
        deterministic: flag(o.deterministic, true),
        volatile: flag(o.volatile, false),
        staging_area: flag(o.staging_area, false),
        city: o.city ?? null,
        region_code: o.region_code ?? null,
        country_name: o.country_name ?? null,
        continent: o.continent ?? null,
        time_zone: o.time_zone ?? null,
        isp: o.ISP ?? null,
        asn: o.ASN ?? null,
        longitude: o.longitude ?? null,
        latitude: o.latitude ?? null,
        availability_read: bits ? bits.read : flag(o.availability_read, true),
        availability_write: bits ? bits.write : flag(o.availability_write, true),
        availability_delete: bits ? bits.delete : flag(o.availability_delete, true),
        qos_class: null,
        deleted: 0,
        deleted_at: null,
        created_at: t,
        updated_at: t,
      })
      .execute();
    const attrs: [string, AttributeValue][] = [[rse, true]];
    for (const key of RSE_SETTINGS) {
      const v = o[key];
      if (v) attrs.push([key, v]);
    }
    await trx
      .insertInto('rse_attrs')
      .values(attrs.map(([key, value]) => ({ rse_id: id, key, value_json: JSON.stringify(value) })))
      .execute();
  });
  return id;
}

const MUTABLE = new Set([
  'name',
  'availability',
  'availability_read',
  'availability_write',
  'availability_delete',
  'latitude',
  'longitude',
  'time_zone',
  'rse_type',
  'volatile',
  'deterministic',
  'region_code',
  'country_name',
  'city',
  'staging_area',
  'qos_class',
  'continent',
]);

/** Updates RSE properties as Rucio's update_rse (renaming moves the name attribute). */
export async function updateRse(db: Db, rse: string, params: Record<string, unknown>): Promise<void> {
  for (const key of Object.keys(params)) {
    if (!MUTABLE.has(key))
      throw inputValidationError(
        `The key '${key}' does not exist for RSE properties (allowed: ${[...MUTABLE].join(', ')}).`,
      );
  }
  await db.transaction().execute(async (trx) => {
    const row = await getRseRecord(trx, rse);
    const set: Partial<Record<keyof RsesTable, unknown>> = { updated_at: now() };
    if (typeof params.availability === 'number') {
      const b = availabilityBits(params.availability);
      set.availability_read = b.read;
      set.availability_write = b.write;
      set.availability_delete = b.delete;
    }
    for (const key of [
      'availability_read',
      'availability_write',
      'availability_delete',
      'volatile',
      'deterministic',
      'staging_area',
    ] as const) {
      if (typeof params[key] === 'boolean') set[key] = params[key] ? 1 : 0;
    }
    for (const key of [
      'latitude',
      'longitude',
      'time_zone',
      'region_code',
      'country_name',
      'city',
      'continent',
    ] as const) {
      if (key in params) set[key] = params[key] ?? null;
    }
    if ('qos_class' in params) {
      const q = params.qos_class as string | null;
      set.qos_class = q === null || ['', 'none', 'null'].includes(q.toLowerCase()) ? null : q;
    }
    if (typeof params.rse_type === 'string') set.rse_type = params.rse_type.toUpperCase();
    const newName = typeof params.name === 'string' && params.name !== row.rse ? params.name : undefined;
    if (newName) {
      checkRseName(newName);
      const clash = await trx.selectFrom('rses').select('id').where('rse', '=', newName).executeTakeFirst();
      if (clash) throw duplicate(`RSE '${newName}' already exists!`);
      set.rse = newName;
    }
    await trx
      .updateTable('rses')
      .set(set as Updateable<RsesTable>)
      .where('id', '=', row.id)
      .execute();
    for (const key of ['city', 'region_code', 'country_name', 'time_zone', 'continent'] as const) {
      if (key in params) await putAttribute(trx, row.id, key, (params[key] as AttributeValue | null) ?? null);
    }
    if (newName) {
      await trx.deleteFrom('rse_attrs').where('rse_id', '=', row.id).where('key', '=', row.rse).execute();
      await putAttribute(trx, row.id, newName, true);
    }
  });
}

async function putAttribute(db: Db, rseId: string, key: string, value: AttributeValue | null): Promise<void> {
  await db.deleteFrom('rse_attrs').where('rse_id', '=', rseId).where('key', '=', key).execute();
  if (value !== null)
    await db
      .insertInto('rse_attrs')
      .values({ rse_id: rseId, key, value_json: JSON.stringify(value) })
      .execute();
}

/** Disables an RSE (Rucio keeps the row, flagged deleted); refuses while it holds replicas. */
export async function deleteRse(db: Db, rse: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await getRseRecord(trx, rse);
    const replica = await trx
      .selectFrom('replicas')
      .select('name')
      .where('rse_id', '=', row.id)
      .limit(1)
      .executeTakeFirst();
    if (replica) throw rseOperationNotSupported(`RSE '${rse}' is not empty: delete its replicas first.`);
    const t = now();
    await trx
      .updateTable('rses')
      .set({ deleted: 1, deleted_at: t, updated_at: t })
      .where('id', '=', row.id)
      .execute();
    await trx.deleteFrom('rse_attrs').where('rse_id', '=', row.id).where('key', '=', row.rse).execute();
  });
}

/** Live RSEs ordered by name. */
export async function listRseRecords(db: Db): Promise<RseRecord[]> {
  return db.selectFrom('rses').selectAll().where('deleted', '=', 0).orderBy('rse').execute();
}

function decodeValue(json: string): AttributeValue {
  try {
    const v = JSON.parse(json) as unknown;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
    return json;
  } catch {
    return json;
  }
}

/** Attributes of one RSE id as `{key: value}` with their JSON types. */
export async function attributesOf(db: Db, rseId: string): Promise<Record<string, AttributeValue>> {
  const rows = await db
    .selectFrom('rse_attrs')
    .select(['key', 'value_json'])
    .where('rse_id', '=', rseId)
    .orderBy('key')
    .execute();
  const out: Record<string, AttributeValue> = {};
  for (const r of rows) out[r.key] = decodeValue(r.value_json);
  return out;
}

/** `GET /rses/{rse}/attr/` */
export async function listRseAttributes(db: Db, rse: string): Promise<Record<string, AttributeValue>> {
  return attributesOf(db, (await getRseRecord(db, rse)).id);
}

/** Sets (or replaces, as Rucio's merge does) one attribute. */
export async function setRseAttribute(
  db: Db,
  rse: string,
  key: string,
  value: AttributeValue,
): Promise<void> {
  if (
    !['string', 'number', 'boolean'].includes(typeof value) ||
    (typeof value === 'number' && !Number.isFinite(value))
  )
    throw invalidObject(
      `RSE attribute '${key}' needs a string, number or boolean value, got ${JSON.stringify(value) ?? 'nothing'}.`,
    );
  if (typeof value === 'string' && value.length > 4000)
    throw invalidObject(`RSE attribute '${key}' is longer than 4000 characters.`);
  if (!ATTR_KEY_RE.test(key))
    throw invalidObject(
      `Invalid RSE attribute key '${key}': use 1-255 characters from letters, digits, '_', '.', ':' and '-'.`,
    );
  await db.transaction().execute(async (trx) => {
    const row = await getRseRecord(trx, rse);
    await putAttribute(trx, row.id, key, value);
  });
}

/** Removes one attribute, or RSEAttributeNotFound. */
export async function deleteRseAttribute(db: Db, rse: string, key: string): Promise<void> {
  const row = await getRseRecord(db, rse);
  const res = await db
    .deleteFrom('rse_attrs')
    .where('rse_id', '=', row.id)
    .where('key', '=', key)
    .executeTakeFirst();
  if (Number(res.numDeletedRows) === 0)
    throw rseAttributeNotFound(`RSE attribute '${key}' cannot be found on RSE '${rse}'`);
}

/** An RSE with what expressions, PFN building and listing need. */
export interface RseSnapshot extends RseForExpression {
  record: RseRecord;
  attributes: Record<string, AttributeValue>;
}

/** Every live RSE with its attributes (a handful of rows: loaded whole). */
export async function loadRseSnapshots(db: Db): Promise<RseSnapshot[]> {
  const rses = await listRseRecords(db);
  const attrs = await db
    .selectFrom('rse_attrs')
    .innerJoin('rses', 'rses.id', 'rse_attrs.rse_id')
    .select(['rse_attrs.rse_id', 'rse_attrs.key', 'rse_attrs.value_json'])
    .where('rses.deleted', '=', 0)
    .execute();
  const byId = new Map<string, Record<string, AttributeValue>>();
  for (const a of attrs) {
    let m = byId.get(a.rse_id);
    if (!m) byId.set(a.rse_id, (m = {}));
    m[a.key] = decodeValue(a.value_json);
  }
  return rses.map((r) => {
    const d = rseRowDict(r);
    return {
      id: r.id,
      rse: r.rse,
      vo: r.vo,
      record: r,
      attributes: byId.get(r.id) ?? {},
      availability_write: r.availability_write === 1,
      columns: { ...d, ISP: r.isp, ASN: r.asn },
    };
  });
}

/** Turns errors of the shared Rucio helpers into the server's typed errors (never a 500). */
export function asServerError(err: unknown): unknown {
  if (err instanceof RucioError || !(err instanceof CommonRucioError)) return err;
  if (err.name === 'InvalidRSEExpression') return invalidRseExpression(err.message);
  if (err.name === 'RSEWriteBlocked') return new RucioError('RSEWriteBlocked', 400, err.message);
  return new RucioError(err.name, 400, err.message);
}

/** RSEs an expression selects (Rucio's parse_expression): InvalidRSEExpression on bad syntax or no match. */
export async function resolveRseExpression(db: Db, expression: string): Promise<RseSnapshot[]> {
  const all = await loadRseSnapshots(db);
  return selectByExpression(expression, all);
}

/** Evaluates an expression over loaded snapshots, with server-typed errors. */
export function selectByExpression(expression: string, all: RseSnapshot[]): RseSnapshot[] {
  try {
    return evaluateRseExpression(expression, all, { vo: 'def' });
  } catch (err) {
    throw asServerError(err);
  }
}
