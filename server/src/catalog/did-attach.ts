/**
 * Attaching and detaching DIDs (Rucio's attach_dids_to_dids / detach_dids): files go into datasets,
 * datasets or containers into containers, never in a cycle; closed collections refuse new content
 * and monotonic ones refuse detaching. Everything happens inside the caller's transaction with
 * chunked multi-row statements, so thousands of files per request stay fast.
 */
import { sql } from 'kysely';
import type { ContentsTable } from '../db/schema.js';
import {
  attachConsistencyMismatch,
  didNotFound,
  duplicateContent,
  fileAlreadyExists,
  invalidObject,
  unsupportedOperation,
} from '../errors.js';
import { now } from '../http/dates.js';
import { type BulkLimits, insertRows } from './did-bulk.js';
import {
  checkDid,
  chunks,
  type Db,
  type DidRow,
  type DidTypeName,
  didKey,
  getDidRow,
  TYPE_CODE,
  typeName,
} from './dids.js';

/** One DID to attach, with the optional size/checksums Rucio checks against the catalog. */
export interface AttachChild {
  scope: string;
  name: string;
  bytes?: number;
  adler32?: string;
  md5?: string;
  [k: string]: unknown;
}

/** Content for one collection. */
export interface AttachRequest {
  scope: string;
  name: string;
  dids: AttachChild[];
  rse?: string | null;
}

export interface AttachOptions extends BulkLimits {
  ignoreDuplicate: boolean;
  account: string;
}

const LOOKUP_CHUNK = 5000;

interface ChildRow {
  scope: string;
  name: string;
  did_type: string;
  bytes: number | null;
  adler32: string | null;
  md5: string | null;
  guid: string | null;
  events: number | null;
  availability: string;
}

/** DID rows of `children`, looked up by scope in chunks; Map keyed by `scope:name`. */
async function childRows(trx: Db, children: AttachChild[]): Promise<Map<string, ChildRow>> {
  const byScope = new Map<string, string[]>();
  for (const c of children) {
    const l = byScope.get(c.scope) ?? [];
    l.push(c.name);
    byScope.set(c.scope, l);
  }
  const out = new Map<string, ChildRow>();
  for (const [scope, names] of byScope) {
    for (const part of chunks(names, LOOKUP_CHUNK)) {
      const rows = await trx
        .selectFrom('dids')
        .select(['scope', 'name', 'did_type', 'bytes', 'adler32', 'md5', 'guid', 'events', 'availability'])
        .where('scope', '=', scope)
        .where('name', 'in', part)
        .execute();
      for (const r of rows) out.set(didKey(r.scope, r.name), { ...r, did_type: typeName(r.did_type) });
    }
  }
  return out;
}

/** Children already attached to `parent`, as `scope:name` keys. */
async function attachedAlready(trx: Db, parent: DidRow, children: AttachChild[]): Promise<Set<string>> {
  const byScope = new Map<string, string[]>();
  for (const c of children) {
    const l = byScope.get(c.scope) ?? [];
    l.push(c.name);
    byScope.set(c.scope, l);
  }
  const out = new Set<string>();
  for (const [scope, names] of byScope) {
    for (const part of chunks(names, LOOKUP_CHUNK)) {
      const rows = await trx
        .selectFrom('contents')
        .select(['child_scope', 'child_name'])
        .where('scope', '=', parent.scope)
        .where('name', '=', parent.name)
        .where('child_scope', '=', scope)
        .where('child_name', 'in', part)
        .execute();
      for (const r of rows) out.add(didKey(r.child_scope, r.child_name));
    }
  }
  return out;
}

/** Unique children in request order (Rucio keys them by scope/name, so repeats collapse). */
function uniqueChildren(dids: AttachChild[]): AttachChild[] {
  const seen = new Map<string, AttachChild>();
  for (const d of dids) {
    checkDid(d.scope, d.name);
    seen.set(didKey(d.scope, d.name), d);
  }
  return [...seen.values()];
}

/** Inserts content rows; rows already present are skipped and the number inserted returned. */
async function insertContents(trx: Db, rows: ContentsTable[], limits: BulkLimits): Promise<number> {
  return insertRows(trx, limits, 'contents', rows, {}, { ignoreConflicts: true });
}

/** Files into a dataset; updates the dataset's length/bytes/events. Returns how many were added. */
async function addFilesToDataset(
  trx: Db,
  parent: DidRow,
  files: AttachChild[],
  opts: AttachOptions,
): Promise<number> {
  const rows = await childRows(trx, files);
  // Duplicates are looked up first only when they are to be skipped; otherwise the insert tells.
  const existing = opts.ignoreDuplicate ? await attachedAlready(trx, parent, files) : new Set<string>();
  const t = now();
  const toInsert: ContentsTable[] = [];
  let addBytes = 0;
  let addEvents = 0;
  let anyEvents = false;
  for (const f of files) {
    const k = didKey(f.scope, f.name);
    const row = rows.get(k);
    if (!row) throw didNotFound(`Data identifier '${k}' not found`);
    if (row.availability === 'L') throw unsupportedOperation(`File ${k} is LOST and cannot be attached`);
    if (row.did_type !== 'FILE')
      throw unsupportedOperation(
        `Data identifier ${k} of type ${row.did_type} cannot be added to a dataset; only files can.`,
      );
    for (const key of ['bytes', 'adler32', 'md5'] as const) {
      const given = f[key];
      if (given === undefined) continue;
      const have = row[key];
      const same =
        key === 'bytes' ? Number(given) === have : String(given).toLowerCase() === String(have).toLowerCase();
      if (!same)
        throw attachConsistencyMismatch(
          `${key} mismatch for '${k}': ${String(given)}!=${String(have)} (the catalog's value is on the right)`,
        );
    }
    if (existing.has(k)) {
      if (opts.ignoreDuplicate) continue;
      throw fileAlreadyExists(`File '${k}' is already attached to '${parent.scope}:${parent.name}'`);
    }
    toInsert.push({
      scope: parent.scope,
      name: parent.name,
      child_scope: row.scope,
      child_name: row.name,
      did_type: TYPE_CODE.DATASET,
      child_type: TYPE_CODE.FILE,
      bytes: row.bytes,
      adler32: row.adler32,
      md5: row.md5,
      guid: row.guid,
      events: row.events,
      created_at: t,
    });
    addBytes += row.bytes ?? 0;
    if (row.events !== null) {
      anyEvents = true;
      addEvents += row.events;
    }
  }
  if (toInsert.length === 0) return 0;
  const inserted = await insertContents(trx, toInsert, opts);
  if (inserted !== toInsert.length) {
    const dup = [...(await attachedAlready(trx, parent, files))][0] ?? 'a file';
    throw fileAlreadyExists(`File '${dup}' is already attached to '${parent.scope}:${parent.name}'`);
  }
  // Oxbow keeps an open dataset's size current (Rucio leaves it stale until the dataset is closed).
  await trx
    .updateTable('dids')
    .set((eb) => ({
      length: sql`coalesce(${eb.ref('length')}, 0) + ${toInsert.length}`,
      bytes: sql`coalesce(${eb.ref('bytes')}, 0) + ${addBytes}`,
      ...(anyEvents ? { events: sql`coalesce(${eb.ref('events')}, 0) + ${addEvents}` } : {}),
      updated_at: t,
    }))
    .where('scope', '=', parent.scope)
    .where('name', '=', parent.name)
    .execute();
  return toInsert.length;
}

/** Every ancestor of a DID (all levels), as `scope:name` keys. */
export async function ancestorKeys(trx: Db, scope: string, name: string): Promise<Set<string>> {
  const r = await sql<{ scope: string; name: string }>`
    with recursive up(scope, name) as (
      select scope, name from contents where child_scope = ${scope} and child_name = ${name}
      union
      select c.scope, c.name from contents c join up on c.child_scope = up.scope and c.child_name = up.name
    ) select scope, name from up`.execute(trx);
  return new Set(r.rows.map((x) => didKey(x.scope, x.name)));
}

/** Datasets or containers into a container (never files, never mixed, never a cycle). */
async function addCollectionsToContainer(
  trx: Db,
  parent: DidRow,
  children: AttachChild[],
  opts: AttachOptions,
): Promise<number> {
  const parentKey = didKey(parent.scope, parent.name);
  if (children.some((c) => didKey(c.scope, c.name) === parentKey))
    throw unsupportedOperation('Self-append is not valid!');
  const rows = await childRows(trx, children);
  let childType: string | undefined;
  let ancestors: Set<string> | undefined;
  for (const c of children) {
    const k = didKey(c.scope, c.name);
    const row = rows.get(k);
    if (!row) throw didNotFound(`Data identifier '${k}' not found`);
    if (row.did_type === 'FILE')
      throw unsupportedOperation(
        `Adding a file (${k}) to a container (${parentKey}) is forbidden; attach it to a dataset.`,
      );
    childType ??= row.did_type;
    if (row.did_type !== childType)
      throw unsupportedOperation(
        `Mixed collection is not allowed: '${k}' is a ${row.did_type} (expected type: ${childType})`,
      );
    if (row.did_type === 'CONTAINER') {
      ancestors ??= await ancestorKeys(trx, parent.scope, parent.name);
      if (ancestors.has(k))
        throw unsupportedOperation(`Circular attachment detected. ${k} is already a parent of ${parentKey}`);
    }
  }
  const existing = await attachedAlready(trx, parent, children);
  const t = now();
  const toInsert: ContentsTable[] = [];
  for (const c of children) {
    const k = didKey(c.scope, c.name);
    if (existing.has(k)) {
      if (opts.ignoreDuplicate) continue;
      throw duplicateContent(`Data identifier '${k}' is already attached to '${parentKey}'`);
    }
    toInsert.push({
      scope: parent.scope,
      name: parent.name,
      child_scope: c.scope,
      child_name: c.name,
      did_type: TYPE_CODE.CONTAINER,
      child_type: TYPE_CODE[childType as DidTypeName],
      bytes: null,
      adler32: null,
      md5: null,
      guid: null,
      events: null,
      created_at: t,
    });
  }
  await insertContents(trx, toInsert, opts);
  return toInsert.length;
}

/**
 * Checks what can be checked before replicas are registered for an attach with `rse`: each target
 * exists, is an open dataset, and every file names its size. Throws the error attach would throw.
 */
export async function checkAttachTargets(db: Db, attachments: AttachRequest[]): Promise<void> {
  for (const a of attachments) {
    if (!a.rse) continue;
    checkDid(a.scope, a.name);
    const parent = await getDidRow(db, a.scope, a.name);
    const label = `${a.scope}:${a.name}`;
    if (parent.did_type !== 'DATASET')
      throw unsupportedOperation(
        `rse can only be given when attaching files to a dataset; ${label} is a ${parent.did_type}.`,
      );
    if (parent.is_open !== 1) throw unsupportedOperation(`Data identifier '${label}' is closed`);
    for (const d of a.dids) {
      checkDid(d.scope, d.name);
      if (typeof d.bytes !== 'number')
        throw invalidObject(
          `File ${d.scope}:${d.name} needs 'bytes' (and adler32) to register its replica on ${a.rse}.`,
        );
    }
  }
}

/** Attaches content to several collections in the caller's transaction (Rucio's attach_dids_to_dids). */
export async function attachDids(
  trx: Db,
  attachments: AttachRequest[],
  opts: AttachOptions,
): Promise<number> {
  let added = 0;
  for (const a of attachments) {
    checkDid(a.scope, a.name);
    const parent = await getDidRow(trx, a.scope, a.name);
    const children = uniqueChildren(a.dids);
    const label = `${a.scope}:${a.name}`;
    if (parent.did_type === 'FILE')
      throw unsupportedOperation(`Data identifier '${label}' is a file; attach to a dataset or container.`);
    if (parent.is_open !== 1) throw unsupportedOperation(`Data identifier '${label}' is closed`);
    if (parent.did_type === 'DATASET') added += await addFilesToDataset(trx, parent, children, opts);
    else {
      if (a.rse) throw unsupportedOperation(`rse can only be given when attaching files to a dataset.`);
      added += await addCollectionsToContainer(trx, parent, children, opts);
    }
  }
  return added;
}

/**
 * Detaches children from a collection (Rucio's detach_dids), decrementing its length/bytes/events.
 * Oxbow also enforces what Rucio leaves as a TODO: a monotonic collection refuses detaching.
 */
export async function detachDids(
  trx: Db,
  scope: string,
  name: string,
  dids: { scope: string; name: string }[],
  maxParams: number,
): Promise<void> {
  const parent = await trx
    .selectFrom('dids')
    .selectAll()
    .where('scope', '=', scope)
    .where('name', '=', name)
    .where('did_type', 'in', [TYPE_CODE.DATASET, TYPE_CODE.CONTAINER])
    .executeTakeFirst();
  const label = `${scope}:${name}`;
  if (!parent) throw didNotFound(`Data identifier '${label}' not found`);
  if (parent.monotonic === 1)
    throw unsupportedOperation(`Data identifier '${label}' is monotonic: its content cannot be detached.`);
  const any = await trx
    .selectFrom('contents')
    .select('child_name')
    .where('scope', '=', scope)
    .where('name', '=', name)
    .limit(1)
    .executeTakeFirst();
  if (!any) throw didNotFound(`Data identifier '${label}' has no child data identifiers.`);
  const children = [...new Map(dids.map((d) => [didKey(d.scope, d.name), d])).values()];
  for (const d of children) {
    if (d.scope === scope && d.name === name) throw unsupportedOperation('Self-detach is not valid.');
  }
  const existing = new Map<string, { bytes: number | null; events: number | null }>();
  const byScope = new Map<string, string[]>();
  for (const c of children) byScope.set(c.scope, [...(byScope.get(c.scope) ?? []), c.name]);
  for (const [cs, names] of byScope) {
    for (const part of chunks(names, LOOKUP_CHUNK)) {
      const rows = await trx
        .selectFrom('contents')
        .select(['child_scope', 'child_name', 'bytes', 'events'])
        .where('scope', '=', scope)
        .where('name', '=', name)
        .where('child_scope', '=', cs)
        .where('child_name', 'in', part)
        .execute();
      for (const r of rows) existing.set(didKey(r.child_scope, r.child_name), r);
    }
  }
  let bytes = 0;
  let events = 0;
  for (const c of children) {
    const k = didKey(c.scope, c.name);
    const row = existing.get(k);
    if (!row) throw didNotFound(`Data identifier '${k}' not found under '${label}'`);
    bytes += row.bytes ?? 0;
    events += row.events ?? 0;
  }
  for (const [cs, names] of byScope) {
    for (const part of chunks(names, Math.min(LOOKUP_CHUNK, maxParams - 10))) {
      await trx
        .deleteFrom('contents')
        .where('scope', '=', scope)
        .where('name', '=', name)
        .where('child_scope', '=', cs)
        .where('child_name', 'in', part)
        .execute();
    }
  }
  // As Rucio: only counters that are set are decremented (NULL stays NULL); computed in SQL so
  // concurrent attaches are not lost.
  const minus = (col: 'length' | 'bytes' | 'events', n: number) =>
    sql<number>`case when ${sql.ref(col)} - ${n} < 0 then 0 else ${sql.ref(col)} - ${n} end`;
  await trx
    .updateTable('dids')
    .set({
      length: minus('length', children.length),
      bytes: minus('bytes', bytes),
      events: minus('events', events),
      updated_at: now(),
    })
    .where('scope', '=', scope)
    .where('name', '=', name)
    .execute();
}
