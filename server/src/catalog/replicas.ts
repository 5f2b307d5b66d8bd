/**
 * File replicas (Rucio's core/replica.py): bulk registration with the file DIDs it creates, state
 * updates, deletion, tombstones and dataset replica summaries. Every bulk call is one transaction with
 * chunked multi-row statements kept under the engine's bound-parameter limit.
 */

import {
  didNameProblem,
  parseReplicaState,
  REPLICA_STATES,
  type ReplicaState,
  scopeProblem,
} from '@oxbow/common/rucio/index';
import { type Kysely, PostgresAdapter } from 'kysely';
import type { DialectName } from '../db/connect.js';
import type { Database } from '../db/schema.js';
import {
  dataIdentifierAlreadyExists,
  didNotFound,
  duplicate,
  fileConsistencyMismatch,
  invalidObject,
  replicaIsLocked,
  replicaNotFound,
  resourceTemporaryUnavailable,
  rseProtocolNotSupported,
  scopeNotFound,
  unsupportedOperation,
} from '../errors.js';
import { now, rucioDate } from '../http/dates.js';
import { OBSOLETE } from '../rules/codes.js';
import { insertRows } from './did-bulk.js';
import { checkDeterministicPfn } from './replica-pfns.js';
import { orderedProtocols, pathOfPfn } from './rse-pfns.js';
import { protocolsOf } from './rse-protocols.js';
import { attributesOf, getRseRecord, type RseRecord } from './rses.js';

type Db = Kysely<Database>;

/** DID type codes as stored (Rucio's database codes); names are accepted too when reading. */
export const FILE_TYPES = ['F', 'FILE'];
export const NEW_FILE_TYPE = 'F';

/** Database code of a replica state given as name or code; InvalidObject otherwise. */
export function stateCode(state: string | undefined | null, dflt: ReplicaState = 'AVAILABLE'): string {
  try {
    return REPLICA_STATES[state ? parseReplicaState(state) : dflt];
  } catch (err) {
    throw invalidObject((err as Error).message);
  }
}

/** Name of a stored state code (Rucio renders the enum name). */
export function stateName(code: string): string {
  return STATE_NAMES.get(code) ?? code;
}
const STATE_NAMES = new Map(Object.entries(REPLICA_STATES).map(([n, c]) => [c as string, n]));

/** One file of a registration request. */
export interface ReplicaFile {
  scope: string;
  name: string;
  bytes: number;
  adler32?: string | null;
  md5?: string | null;
  pfn?: string;
  path?: string | null;
  state?: string;
  meta?: Record<string, unknown> | null;
  lock_cnt?: number;
  tombstone?: string | null;
}

/** Rows per statement so that `columns × rows` stays under the engine's parameter limit. */
export function rowsPerStatement(maxParams: number, columns: number): number {
  return Math.max(1, Math.min(5000, Math.floor((maxParams - 10) / columns)));
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** Groups DIDs by scope, for `scope = ? AND name IN (…)` lookups on the primary key. */
export function byScope<T extends { scope: string; name: string }>(items: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    let l = m.get(it.scope);
    if (!l) m.set(it.scope, (l = []));
    l.push(it);
  }
  return m;
}

const key = (scope: string, name: string) => `${scope}\u0000${name}`;

const TEXT_META = [
  'guid',
  'datatype',
  'project',
  'stream_name',
  'prod_step',
  'version',
  'campaign',
  'provenance',
  'phys_group',
] as const;
const INT_META = ['events', 'run_number', 'task_id', 'panda_id', 'lumiblocknr'] as const;

/** Checks names, uniqueness inside the request and metadata types before anything is written. */
export function validateReplicaFiles(files: readonly ReplicaFile[]): void {
  const seen = new Set<string>();
  files.forEach((f, i) => {
    const problem = scopeProblem(f.scope) ?? didNameProblem(f.name);
    if (problem) throw invalidObject(`files[${i}]: ${problem}`);
    const k = key(f.scope, f.name);
    if (seen.has(k)) throw duplicate(`File replica ${f.scope}:${f.name} appears twice in the request.`);
    seen.add(k);
    for (const m of TEXT_META) {
      const v = f.meta?.[m];
      if (v !== undefined && v !== null && typeof v !== 'string')
        throw invalidObject(`files[${i}].meta.${m} must be a string, got ${JSON.stringify(v)}.`);
    }
    for (const m of INT_META) {
      const v = f.meta?.[m];
      if (v !== undefined && v !== null && !(typeof v === 'number' && Number.isInteger(v)))
        throw invalidObject(`files[${i}].meta.${m} must be an integer, got ${JSON.stringify(v)}.`);
    }
  });
}

interface ExistingDid {
  scope: string;
  name: string;
  did_type: string;
  bytes: number | null;
  adler32: string | null;
  md5: string | null;
}

async function existingDids(
  db: Db,
  files: readonly ReplicaFile[],
  maxParams: number,
): Promise<Map<string, ExistingDid>> {
  const out = new Map<string, ExistingDid>();
  for (const [scope, list] of byScope(files)) {
    for (const part of chunks(list, maxParams - 10)) {
      const rows = await db
        .selectFrom('dids')
        .select(['scope', 'name', 'did_type', 'bytes', 'adler32', 'md5'])
        .where('scope', '=', scope)
        .where(
          'name',
          'in',
          part.map((f) => f.name),
        )
        .execute();
      for (const r of rows) out.set(key(r.scope, r.name), r);
    }
  }
  return out;
}

function checkConsistency(f: ReplicaFile, d: ExistingDid): void {
  const did = `${f.scope}:${f.name}`;
  if (!FILE_TYPES.includes(d.did_type))
    throw dataIdentifierAlreadyExists(
      `Data identifier ${did} already exists and is not a file (type ${d.did_type}).`,
    );
  const bad: string[] = [];
  if (d.bytes !== null && Number(d.bytes) !== f.bytes) bad.push(`bytes ${f.bytes} != registered ${d.bytes}`);
  if (f.adler32 && d.adler32 && f.adler32.toLowerCase() !== d.adler32.toLowerCase())
    bad.push(`adler32 ${f.adler32} != registered ${d.adler32}`);
  if (f.md5 && d.md5 && f.md5.toLowerCase() !== d.md5.toLowerCase())
    bad.push(`md5 ${f.md5} != registered ${d.md5}`);
  if (bad.length)
    throw fileConsistencyMismatch(`Replica of ${did} does not match the registered file: ${bad.join(', ')}.`);
}

/** Options of addReplicas. */
export interface AddReplicasOptions {
  account: string;
  /** Effective only for callers allowed to skip the availability check (checked by the caller). */
  ignoreAvailability: boolean;
  maxParams: number;
}

/** The engine behind a kysely instance (placeholders of raw multi-row statements differ). */
function dialectOf(db: Db): DialectName {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * Registers replicas of `files` on `rse` as Rucio's add_replicas: file DIDs are created when absent
 * (bytes/checksums must agree with existing ones: FileConsistencyMismatch), replicas already on the RSE
 * are left as they are, state defaults to AVAILABLE. Non-deterministic RSEs need a PFN per file; PFNs
 * given for deterministic RSEs must be the ones Rucio would build. Runs in its own transaction, or in
 * the caller's when `db` is one (attach with `rse` registers and attaches atomically). Returns counts
 * of what was new.
 */
export async function addReplicas(
  db: Db,
  rse: string,
  files: ReplicaFile[],
  o: AddReplicasOptions,
): Promise<{ newDids: number; newReplicas: number }> {
  validateReplicaFiles(files);
  if (db.isTransaction) return addReplicasIn(db, rse, files, o);
  return db.transaction().execute((trx) => addReplicasIn(trx, rse, files, o));
}

async function addReplicasIn(
  trx: Db,
  rse: string,
  files: ReplicaFile[],
  o: AddReplicasOptions,
): Promise<{ newDids: number; newReplicas: number }> {
  const row = await getRseRecord(trx, rse);
  if (row.volatile === 1) throw unsupportedOperation(`Cannot add replicas on volatile RSE ${row.rse}`);
  if (row.availability_write !== 1 && !o.ignoreAvailability)
    throw resourceTemporaryUnavailable(`${row.rse} is temporary unavailable for writing`);
  const scopes = [...new Set(files.map((f) => f.scope))];
  for (const part of chunks(scopes, o.maxParams - 10)) {
    const found = new Set(
      (await trx.selectFrom('scopes').select('scope').where('scope', 'in', part).execute()).map(
        (r) => r.scope,
      ),
    );
    const missing = part.find((sc) => !found.has(sc));
    if (missing !== undefined)
      throw scopeNotFound(
        `Scope '${missing}' does not exist: create it first (POST /accounts/{account}/scopes/${missing}).`,
      );
  }
  const paths = await replicaPaths(trx, row, files);
  const t = now();
  const limits = { maxParams: o.maxParams, dialect: dialectOf(trx) };
  const existing = await existingDids(trx, files, o.maxParams);
  const fresh: ReplicaFile[] = [];
  const known: ReplicaFile[] = [];
  for (const f of files) {
    const d = existing.get(key(f.scope, f.name));
    if (d) {
      checkConsistency(f, d);
      known.push(f);
    } else fresh.push(f);
  }
  await insertFileDids(trx, fresh, o.account, t, limits);
  // Files that already existed may already have a replica here: Rucio leaves those untouched.
  const present = await existingReplicaKeys(trx, row.id, known, o.maxParams);
  const newReplicas: Record<string, unknown>[] = [];
  const extra = files.some((f) => f.lock_cnt !== undefined || f.tombstone);
  for (const f of files) {
    const k = key(f.scope, f.name);
    if (present.has(k)) continue;
    const rep: Record<string, unknown> = {
      scope: f.scope,
      name: f.name,
      rse_id: row.id,
      bytes: f.bytes,
      md5: f.md5 ? f.md5.toLowerCase() : null,
      adler32: f.adler32 ? f.adler32.toLowerCase() : null,
      path: paths.get(k) ?? f.path ?? null,
      state: stateCode(f.state),
      created_at: t,
      updated_at: t,
    };
    // lock_cnt and tombstone keep their column defaults unless some file sets them.
    if (extra) {
      rep.lock_cnt = f.lock_cnt ?? 0;
      rep.tombstone = f.tombstone ?? null;
    }
    newReplicas.push(rep);
  }
  await insertRows(trx, limits, 'replicas', newReplicas, { lock_cnt: 0 });
  return { newDids: fresh.length, newReplicas: newReplicas.length };
}

/** Paths to store: from the PFN on non-deterministic RSEs (required there); PFNs checked on deterministic ones. */
async function replicaPaths(
  db: Db,
  row: RseRecord,
  files: readonly ReplicaFile[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const withPfn = files.filter((f) => f.pfn);
  if (row.deterministic !== 1) {
    const missing = files.find((f) => !f.pfn);
    if (missing)
      throw unsupportedOperation(
        `PFN needed for this (non deterministic) RSE ${row.rse}: ${missing.scope}:${missing.name} has none.`,
      );
  }
  if (withPfn.length === 0) return out;
  const protocols = await protocolsOf(db, row.id);
  const algo = (await attributesOf(db, row.id)).lfn2pfn_algorithm;
  for (const f of withPfn) {
    const pfn = f.pfn as string;
    if (row.deterministic === 1) {
      checkDeterministicPfn(protocols, f.scope, f.name, pfn, algo);
      continue;
    }
    const scheme = pfn.split(':')[0]!;
    const p =
      orderedProtocols(protocols, 'write', 'wan', [scheme])[0] ??
      orderedProtocols(protocols, 'write', 'lan', [scheme])[0];
    if (!p)
      throw rseProtocolNotSupported(
        `RSE '${row.rse}' has no write protocol with scheme '${scheme}' for PFN '${pfn}'.`,
      );
    out.set(key(f.scope, f.name), pathOfPfn(p, pfn));
  }
  return out;
}

async function insertFileDids(
  db: Db,
  files: readonly ReplicaFile[],
  account: string,
  t: string,
  limits: { maxParams: number; dialect: DialectName },
) {
  if (files.length === 0) return;
  // Only the columns that carry values: the flags (monotonic, hidden, availability, ...) take their
  // column defaults, which keeps each row to 9 parameters and the statements few. The SQL is built
  // directly (did-bulk.ts): kysely's builder allocates several objects per bound value.
  const withMeta = files.some((f) => f.meta && Object.keys(f.meta).length > 0);
  const rows = files.map((f) => {
    const row: Record<string, unknown> = {
      scope: f.scope,
      name: f.name,
      account,
      did_type: NEW_FILE_TYPE,
      bytes: f.bytes,
      md5: f.md5 ? f.md5.toLowerCase() : null,
      adler32: f.adler32 ? f.adler32.toLowerCase() : null,
      created_at: t,
      updated_at: t,
    };
    if (withMeta) {
      const m = f.meta ?? {};
      for (const k of TEXT_META) row[k] = typeof m[k] === 'string' ? m[k] : null;
      for (const k of INT_META) row[k] = typeof m[k] === 'number' ? m[k] : null;
    }
    return row;
  });
  await insertRows(db, limits, 'dids', rows);
  // Free-form metadata keys (not DID columns) go to did_meta, as Rucio's JSON metadata plugin.
  const fixed = new Set<string>([...TEXT_META, ...INT_META]);
  const meta: { scope: string; name: string; key: string; value_json: string; value_num: number | null }[] =
    [];
  for (const f of files) {
    for (const [k, v] of Object.entries(f.meta ?? {})) {
      if (fixed.has(k) || v === undefined) continue;
      meta.push({
        scope: f.scope,
        name: f.name,
        key: k,
        value_json: JSON.stringify(v),
        value_num: typeof v === 'number' ? v : null,
      });
    }
  }
  await insertRows(db, limits, 'did_meta', meta);
}

async function existingReplicaKeys(
  db: Db,
  rseId: string,
  files: readonly { scope: string; name: string }[],
  maxParams: number,
) {
  const out = new Set<string>();
  for (const [scope, list] of byScope(files)) {
    for (const part of chunks(list, maxParams - 10)) {
      const rows = await db
        .selectFrom('replicas')
        .select(['scope', 'name'])
        .where('rse_id', '=', rseId)
        .where('scope', '=', scope)
        .where(
          'name',
          'in',
          part.map((f) => f.name),
        )
        .execute();
      for (const r of rows) out.add(key(r.scope, r.name));
    }
  }
  return out;
}

/** One state change of updateReplicaStates. */
export interface ReplicaStateChange {
  rse: string;
  scope: string;
  name: string;
  state: string;
  path?: string | null;
}

/** Sets replica states (and paths when given) in one transaction; ReplicaNotFound names the first missing replica. */
export async function updateReplicaStates(db: Db, changes: readonly ReplicaStateChange[]): Promise<void> {
  const t = now();
  const rseIds = new Map<string, string>();
  for (const c of changes) {
    if (!rseIds.has(c.rse)) rseIds.set(c.rse, (await getRseRecord(db, c.rse)).id);
  }
  const codes = changes.map((c) => stateCode(c.state));
  await db.transaction().execute(async (trx) => {
    for (const [i, c] of changes.entries()) {
      const set: { state: string; updated_at: string; path?: string | null } = {
        state: codes[i]!,
        updated_at: t,
      };
      if (c.path !== undefined && c.path !== null) set.path = c.path;
      const res = await trx
        .updateTable('replicas')
        .set(set)
        .where('rse_id', '=', rseIds.get(c.rse)!)
        .where('scope', '=', c.scope)
        .where('name', '=', c.name)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0)
        throw replicaNotFound(`No row found for replica ${c.scope}:${c.name} on RSE ${c.rse}`);
    }
  });
}

/** Deletes replicas of `files` on `rse` in one transaction; ReplicaNotFound if one is absent. */
export async function deleteReplicas(
  db: Db,
  rse: string,
  files: readonly { scope: string; name: string }[],
  o: { ignoreAvailability: boolean; maxParams: number },
): Promise<void> {
  const row = await getRseRecord(db, rse);
  if (row.availability_delete !== 1 && !o.ignoreAvailability)
    throw resourceTemporaryUnavailable(`${row.rse} is temporary unavailable for deleting`);
  await db.transaction().execute(async (trx) => {
    let deleted = 0;
    for (const [scope, list] of byScope(files)) {
      for (const part of chunks([...new Set(list.map((f) => f.name))], o.maxParams - 10)) {
        const res = await trx
          .deleteFrom('replicas')
          .where('rse_id', '=', row.id)
          .where('scope', '=', scope)
          .where('name', 'in', part)
          .executeTakeFirst();
        deleted += Number(res.numDeletedRows);
      }
    }
    const wanted = new Set(files.map((f) => key(f.scope, f.name))).size;
    if (deleted !== wanted)
      throw replicaNotFound(
        `${wanted - deleted} of the ${wanted} replicas to delete do not exist on RSE ${row.rse}; nothing was deleted.`,
      );
  });
}

/** Marks unlocked replicas for immediate deletion (Rucio's set_tombstone). */
export async function setTombstones(
  db: Db,
  replicas: readonly { rse: string; scope: string; name: string }[],
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const r of replicas) {
      const row = await getRseRecord(trx, r.rse);
      const rep = await trx
        .selectFrom('replicas')
        .select('lock_cnt')
        .where('rse_id', '=', row.id)
        .where('scope', '=', r.scope)
        .where('name', '=', r.name)
        .executeTakeFirst();
      if (!rep) throw replicaNotFound(`Replica ${r.scope}:${r.name} on RSE ${r.rse} could not be found.`);
      if (Number(rep.lock_cnt) > 0)
        throw replicaIsLocked(`Replica ${r.scope}:${r.name} on RSE ${r.rse} is locked.`);
      await trx
        .updateTable('replicas')
        .set({ tombstone: OBSOLETE, updated_at: now() })
        .where('rse_id', '=', row.id)
        .where('scope', '=', r.scope)
        .where('name', '=', r.name)
        .execute();
    }
  });
}

/**
 * Replicas of a dataset per RSE (`GET /replicas/{scope}/{name}/datasets`), computed from the dataset's
 * files and their AVAILABLE replicas (Rucio reads its collection_replicas table; Oxbow has none).
 */
export async function listDatasetReplicas(db: Db, scope: string, name: string) {
  const did = await db
    .selectFrom('dids')
    .select(['did_type'])
    .where('scope', '=', scope)
    .where('name', '=', name)
    .executeTakeFirst();
  if (!did) throw didNotFound(`Data identifier '${scope}:${name}' not found`);
  const total = await db
    .selectFrom('contents')
    .select((eb) => [eb.fn.countAll<number>().as('length'), eb.fn.sum<number>('bytes').as('bytes')])
    .where('scope', '=', scope)
    .where('name', '=', name)
    .executeTakeFirst();
  const length = Number(total?.length ?? 0);
  const bytes = Number(total?.bytes ?? 0);
  const rows = await db
    .selectFrom('contents as c')
    .innerJoin('replicas as r', (j) =>
      j.onRef('r.scope', '=', 'c.child_scope').onRef('r.name', '=', 'c.child_name'),
    )
    .innerJoin('rses as s', 's.id', 'r.rse_id')
    .select((eb) => [
      's.rse',
      'r.rse_id',
      eb.fn.countAll<number>().as('available_length'),
      eb.fn.sum<number>('r.bytes').as('available_bytes'),
      eb.fn.min('r.created_at').as('created_at'),
      eb.fn.max('r.updated_at').as('updated_at'),
      eb.fn.max('r.accessed_at').as('accessed_at'),
    ])
    .where('c.scope', '=', scope)
    .where('c.name', '=', name)
    .where('r.state', '=', 'A')
    .where('s.deleted', '=', 0)
    .groupBy(['s.rse', 'r.rse_id'])
    .orderBy('s.rse')
    .execute();
  return rows.map((r) => ({
    scope,
    name,
    rse: r.rse,
    rse_id: r.rse_id,
    bytes,
    length,
    available_bytes: Number(r.available_bytes ?? 0),
    available_length: Number(r.available_length),
    state: Number(r.available_length) === length ? 'AVAILABLE' : 'UNAVAILABLE',
    created_at: rucioDate(r.created_at as string | null),
    updated_at: rucioDate(r.updated_at as string | null),
    accessed_at: rucioDate(r.accessed_at as string | null),
  }));
}
