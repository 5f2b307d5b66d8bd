/**
 * list-replicas (Rucio's core/replica.py list_replicas + the REST view's PFN ordering), built to stream
 * 100,000-file datasets with bounded memory: collections are resolved recursively through `contents` in
 * the database, and replicas are joined to the resolved files set-wise, never one query per file.
 *
 * - PostgreSQL: one recursive query, read through a cursor (the pool's other connections stay free).
 * - SQLite: the embedded catalog has a single connection, so a long cursor would block every other
 *   request while a slow client reads. Replicas are read in keyset pages of PAGE files, releasing the
 *   connection between pages: one dataset straight from its contents, anything else from a temporary
 *   table of the resolved files.
 */
import { randomBytes } from 'node:crypto';
import { CompiledQuery, type Kysely, type RawBuilder, sql } from 'kysely';
import type { CatalogDb } from '../db/connect.js';
import type { Database } from '../db/schema.js';
import { sortingAlgorithmNotSupported } from '../errors.js';
import { FILE_TYPES, stateName } from './replicas.js';
import {
  buildPfn,
  deterministicRsePath,
  orderedProtocols,
  type ProtocolDomain,
  type ProtocolInfo,
} from './rse-pfns.js';
import { protocolInfo } from './rse-protocols.js';
import { loadRseSnapshots, type RseSnapshot, selectByExpression } from './rses.js';

type Db = Kysely<Database>;
const PAGE = 1000;
const SORTS = new Set(['geoip', 'custom_table', 'random']);

/** Options of listReplicas (Rucio's list_replicas arguments). */
export interface ListReplicasOptions {
  dids: { scope: string; name: string }[];
  schemes?: string[] | null;
  rseExpression?: string | null;
  unavailable?: boolean;
  allStates?: boolean;
  ignoreAvailability?: boolean;
  domain?: 'wan' | 'lan' | 'all' | null;
  /** client_location.site: RSEs whose `site` attribute matches are read through their lan door. */
  clientSite?: string | null;
  sort?: string | null;
  resolveParents?: boolean;
  nrandom?: number | null;
  /** ISO timestamp: only replicas updated at or after it. */
  updatedAfter?: string | null;
  /** Metalink without schemes lists every readable scheme, as Rucio's SUPPORTED_PROTOCOLS. */
  allSchemes?: boolean;
  /** Keep at most this many PFNs per file (the `limit` query parameter). */
  limit?: number | null;
}

/** One PFN of a listed file. */
export interface ListedPfn {
  rse_id: string;
  rse: string;
  type: string;
  volatile: boolean;
  domain: string;
  priority: number;
  client_extract: boolean;
}

/** One file of the listing, in Rucio's shape. */
export interface ListedFile {
  scope: string;
  name: string;
  bytes: number | null;
  md5: string | null;
  adler32: string | null;
  pfns: Record<string, ListedPfn>;
  rses: Record<string, string[]>;
  states: Record<string, string>;
  parents?: string[];
}

interface Row {
  scope: string;
  name: string;
  direct: number;
  d_bytes: number | null;
  d_md5: string | null;
  d_adler32: string | null;
  rse_id: string | null;
  bytes: number | null;
  md5: string | null;
  adler32: string | null;
  path: string | null;
  state: string | null;
}

interface RseReadPlan {
  snap: RseSnapshot;
  /** (domain, protocol, read priority) triples that build this RSE's PFNs. */
  doors: { domain: ProtocolDomain; protocol: ProtocolInfo; priority: number }[];
}

/** Rucio's _get_list_replicas_protocols: the requested schemes (or the best read scheme per domain), one protocol each. */
function readDoors(
  protocols: ProtocolInfo[],
  domains: ProtocolDomain[],
  schemes: string[] | null,
): RseReadPlan['doors'] {
  const wanted: string[] = schemes ? [...schemes] : [];
  if (!schemes) {
    for (const d of domains) {
      const best = orderedProtocols(protocols, 'read', d)[0];
      if (best && !wanted.includes(best.scheme)) wanted.push(best.scheme);
    }
  }
  const doors: RseReadPlan['doors'] = [];
  for (const s of wanted) {
    for (const d of domains) {
      const p = orderedProtocols(protocols, 'read', d, [s])[0];
      if (!p) break;
      doors.push({ domain: d, protocol: p, priority: p.domains[d].read ?? 0 });
    }
  }
  return doors;
}

const inList = (values: readonly string[]) => sql.join(values.map((v) => sql`${v}`));

/** `(scope = ? AND name IN (…)) OR …` over a column pair, for a chunk of DIDs. */
function didCondition(
  scopeCol: string,
  nameCol: string,
  dids: readonly { scope: string; name: string }[],
): RawBuilder<unknown> {
  const byScope = new Map<string, string[]>();
  for (const d of dids) {
    let l = byScope.get(d.scope);
    if (!l) byScope.set(d.scope, (l = []));
    l.push(d.name);
  }
  const parts = [...byScope].map(
    ([scope, names]) => sql`(${sql.ref(scopeCol)} = ${scope} AND ${sql.ref(nameCol)} IN (${inList(names)}))`,
  );
  return sql`(${sql.join(parts, sql` OR `)})`;
}

/** Recursive CTE `tree` of everything below the input collections. */
function treeCte(dids: readonly { scope: string; name: string }[]): RawBuilder<unknown> {
  return sql`tree(scope, name, child_type) AS (
      SELECT child_scope, child_name, child_type FROM contents WHERE ${didCondition('scope', 'name', dids)}
      UNION
      SELECT c.child_scope, c.child_name, c.child_type FROM contents c
        JOIN tree t ON c.scope = t.scope AND c.name = t.name
        WHERE t.child_type NOT IN (${inList(FILE_TYPES)})
    )`;
}

/** Input DIDs in chunks small enough for one statement's parameters. */
function didChunks<T>(dids: readonly T[], maxParams: number): T[][] {
  const size = Math.max(1, Math.floor((maxParams - 100) / 2));
  const out: T[][] = [];
  for (let i = 0; i < dids.length; i += size) out.push(dids.slice(i, i + size));
  return out;
}

/**
 * Runs `produce` on one reserved pool connection and hands its items to the caller one by one (the
 * producer waits for the consumer, so memory stays bounded); the connection is released at the end
 * or when the consumer stops early.
 */
async function* onOneConnection<T>(
  db: Db,
  produce: (conn: Db) => AsyncIterable<T>,
  maxQueued: number,
): AsyncGenerator<T> {
  let wake: (() => void) | undefined;
  const queue: T[] = [];
  let finished = false;
  let failure: unknown;
  let stopped = false;
  let resume: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const done = db
    .connection()
    .execute(async (conn) => {
      for await (const item of produce(conn)) {
        if (stopped) break;
        queue.push(item);
        notify();
        if (queue.length >= maxQueued) await new Promise<void>((r) => (resume = r));
      }
    })
    .catch((err: unknown) => {
      failure = err;
    })
    .finally(() => {
      finished = true;
      notify();
    });
  try {
    for (;;) {
      if (queue.length > 0) {
        const batch = queue.splice(0, queue.length);
        const r = resume;
        resume = undefined;
        r?.();
        yield* batch;
        continue;
      }
      if (finished) break;
      await new Promise<void>((r) => (wake = r));
    }
    if (failure) throw failure;
  } finally {
    stopped = true;
    resume?.();
    await done;
  }
}

function postgresRows(
  catalog: CatalogDb,
  dids: { scope: string; name: string }[],
  filter: RawBuilder<unknown>,
) {
  // Right after a bulk registration the planner has no statistics for the new rows and misestimates
  // the recursive CTE (1 row for 100,000): with a plain join it picked a nested loop re-scanning every
  // replica of the RSE per file (quadratic: 20,000 files took 22 s). LATERAL subqueries fenced with
  // OFFSET 0 leave it one choice whatever the estimates: a primary-key lookup per file, in file order.
  return onOneConnection<Row[]>(
    catalog.db,
    async function* (conn) {
      for (const part of didChunks(dids, catalog.maxParams)) {
        const query = sql<Row>`WITH RECURSIVE ${treeCte(part)}
        SELECT f.scope AS scope, f.name AS name, f.direct AS direct,
          d.bytes AS d_bytes, d.md5 AS d_md5, d.adler32 AS d_adler32,
          r.rse_id AS rse_id, r.bytes AS bytes, r.md5 AS md5, r.adler32 AS adler32, r.path AS path, r.state AS state
        FROM (SELECT scope, name, max(direct) AS direct FROM (
            SELECT scope, name, 0 AS direct FROM tree WHERE child_type IN (${inList(FILE_TYPES)})
            UNION ALL
            SELECT scope, name, 1 AS direct FROM dids WHERE did_type IN (${inList(FILE_TYPES)}) AND ${didCondition('scope', 'name', part)}
          ) u GROUP BY scope, name ORDER BY scope, name) f
        LEFT JOIN LATERAL (SELECT rse_id, bytes, md5, adler32, path, state, updated_at FROM replicas
          WHERE scope = f.scope AND name = f.name OFFSET 0) r ON ${filter}
        LEFT JOIN LATERAL (SELECT bytes, md5, adler32 FROM dids
          WHERE f.direct = 1 AND scope = f.scope AND name = f.name OFFSET 0) d ON true
        ORDER BY f.scope, f.name`;
        for await (const chunk of conn.getExecutor().stream(query.compile(conn), 2000)) {
          if (chunk.rows.length > 0) yield chunk.rows as Row[];
        }
      }
    },
    2,
  );
}

/** Columns of a listing page, in `Row` order (read as arrays: better-sqlite3 builds objects slowly). */
const PAGE_COLUMNS = `f.scope, f.name, f.direct, d.bytes, d.md5, d.adler32,
  r.rse_id, r.bytes, r.md5, r.adler32, r.path, r.state`;

function rowOf(a: unknown[]): Row {
  return {
    scope: a[0] as string,
    name: a[1] as string,
    direct: a[2] as number,
    d_bytes: a[3] as number | null,
    d_md5: a[4] as string | null,
    d_adler32: a[5] as string | null,
    rse_id: a[6] as string | null,
    bytes: a[7] as number | null,
    md5: a[8] as string | null,
    adler32: a[9] as string | null,
    path: a[10] as string | null,
    state: a[11] as string | null,
  };
}

/**
 * Pages of the replica join over a files source (a subquery with `?` placeholders taking `before`,
 * then the keyset `(scope, name) > (?, ?)`), PAGE files at a time in (scope, name) order. The
 * connection is held for one page at a time only.
 */
async function* sqlitePages(
  catalog: CatalogDb,
  source: string,
  before: unknown[],
  filter: RawBuilder<unknown>,
  direct: boolean,
): AsyncGenerator<Row[]> {
  const db = catalog.db;
  const f = filter.compile(db);
  // DID columns only matter for files named directly in the request.
  const dids = direct
    ? 'LEFT JOIN dids d ON f.direct = 1 AND d.scope = f.scope AND d.name = f.name'
    : 'LEFT JOIN (SELECT NULL AS bytes, NULL AS md5, NULL AS adler32) d ON 1 = 0';
  const text = `SELECT ${PAGE_COLUMNS} FROM (${source}) f
    LEFT JOIN replicas r ON r.scope = f.scope AND r.name = f.name AND ${f.sql}
    ${dids}
    ORDER BY f.scope, f.name`;
  const raw = catalog.sqlite;
  const stmt = raw ? raw.prepare(text).raw(true) : undefined;
  // Every scope is a non-empty string, so ('', '') is before the first file.
  let after: [string, string] = ['', ''];
  for (;;) {
    const params = [...before, after[0], after[1], ...f.parameters];
    const rows = stmt
      ? await db.connection().execute(async () => (stmt.all(params) as unknown[][]).map(rowOf))
      : (await db.executeQuery<Row>(CompiledQuery.raw(text, params))).rows;
    if (rows.length === 0) return;
    yield rows;
    const last = rows[rows.length - 1]!;
    after = [last.scope, last.name];
    let files = 0;
    let prev = '';
    for (const r of rows) {
      const k = `${r.scope}\u0000${r.name}`;
      if (k !== prev) files++;
      prev = k;
    }
    if (files < PAGE) return;
  }
}

async function* sqliteRows(
  catalog: CatalogDb,
  dids: { scope: string; name: string }[],
  filter: RawBuilder<unknown>,
): AsyncGenerator<Row[]> {
  const db = catalog.db;
  if (dids.length === 1) {
    // The common case, one dataset: its files are read straight off the contents primary key (a
    // dataset holds only files), with no temporary table to fill first.
    const did = await db
      .selectFrom('dids')
      .select('did_type')
      .where('scope', '=', dids[0]!.scope)
      .where('name', '=', dids[0]!.name)
      .executeTakeFirst();
    if (did?.did_type === 'D' || did?.did_type === 'DATASET') {
      yield* sqlitePages(
        catalog,
        `SELECT child_scope AS scope, child_name AS name, 0 AS direct FROM contents
          WHERE scope = ? AND name = ? AND (child_scope, child_name) > (?, ?)
          ORDER BY child_scope, child_name LIMIT ${PAGE}`,
        [dids[0]!.scope, dids[0]!.name],
        filter,
        false,
      );
      return;
    }
  }
  const table = `temp.oxbow_list_${randomBytes(8).toString('hex')}`;
  const t = sql.raw(table);
  await sql`CREATE TABLE ${t} (scope TEXT NOT NULL, name TEXT NOT NULL, direct INTEGER NOT NULL, PRIMARY KEY (scope, name)) WITHOUT ROWID`.execute(
    db,
  );
  try {
    for (const part of didChunks(dids, catalog.maxParams)) {
      await sql`WITH RECURSIVE ${treeCte(part)}
        INSERT OR IGNORE INTO ${t} (scope, name, direct)
        SELECT scope, name, 0 FROM tree WHERE child_type IN (${inList(FILE_TYPES)})`.execute(db);
      await sql`INSERT INTO ${t} (scope, name, direct)
        SELECT scope, name, 1 FROM dids WHERE did_type IN (${inList(FILE_TYPES)}) AND ${didCondition('scope', 'name', part)}
        ON CONFLICT (scope, name) DO UPDATE SET direct = 1`.execute(db);
    }
    yield* sqlitePages(
      catalog,
      `SELECT scope, name, direct FROM ${table} WHERE (scope, name) > (?, ?) ORDER BY scope, name LIMIT ${PAGE}`,
      [],
      filter,
      true,
    );
  } finally {
    await sql`DROP TABLE IF EXISTS ${t}`.execute(db).catch(() => {});
  }
}

/** Files of a DID (recursively up the contents tree) as 'scope:name' parents, Rucio's list_all_parent_dids. */
async function parentsOf(db: Db, scope: string, name: string): Promise<string[]> {
  const { rows } = await sql<{ scope: string; name: string }>`WITH RECURSIVE up(scope, name) AS (
      SELECT scope, name FROM contents WHERE child_scope = ${scope} AND child_name = ${name}
      UNION
      SELECT c.scope, c.name FROM contents c JOIN up u ON c.child_scope = u.scope AND c.child_name = u.name
    ) SELECT scope, name FROM up ORDER BY scope, name`.execute(db);
  return rows.map((r) => `${r.scope}:${r.name}`);
}

/**
 * Groups consecutive rows of the same file, a page at a time (one async step per page rather than per
 * row keeps 100,000-file listings cheap); a file whose rows straddle two pages is held back until the next.
 */
async function* groups(pages: AsyncIterable<Row[]>): AsyncGenerator<Row[][]> {
  let cur: Row[] = [];
  for await (const page of pages) {
    const out: Row[][] = [];
    for (const r of page) {
      if (cur.length > 0 && (cur[0]!.scope !== r.scope || cur[0]!.name !== r.name)) {
        out.push(cur);
        cur = [];
      }
      cur.push(r);
    }
    if (out.length > 0) yield out;
  }
  if (cur.length > 0) yield [cur];
}

function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/**
 * Streams the replicas of `dids`: files given directly are listed even without replicas (bytes and
 * checksums from the DID), files found in datasets/containers only when they have a replica passing the
 * filters. Files come in (scope, name) order; unknown DIDs are skipped, as Rucio does.
 */
export async function* listReplicas(catalog: CatalogDb, o: ListReplicasOptions): AsyncGenerator<ListedFile> {
  for await (const batch of listReplicaBatches(catalog, o)) yield* batch;
}

/** listReplicas in non-empty batches of files (what the JSON-lines view consumes). */
export async function* listReplicaBatches(
  catalog: CatalogDb,
  o: ListReplicasOptions,
): AsyncGenerator<ListedFile[]> {
  const listing = await openListing(catalog, o);
  if (!listing) return;
  const batches = buildFiles(catalog.db, groups(listing.rows), listing.plans, o);
  if (!o.nrandom) {
    yield* batches;
    return;
  }
  // Reservoir sampling: nrandom files with bounded memory, whatever the dataset size.
  const picked: ListedFile[] = [];
  let n = 0;
  for await (const batch of batches) {
    for (const f of batch) {
      n++;
      if (picked.length < o.nrandom) picked.push(f);
      else {
        const j = Math.floor(Math.random() * n);
        if (j < o.nrandom) picked[j] = f;
      }
    }
  }
  if (picked.length > 0) yield picked;
}

/**
 * The listing as JSON lines, one string of `\n`-separated documents per non-empty batch, each line
 * exactly JSON.stringify of the file listReplicas gives. A file with one replica read through one
 * door (the usual case) is written straight from its row, without the intermediate objects.
 */
export async function* listReplicaJsonLines(
  catalog: CatalogDb,
  o: ListReplicasOptions,
): AsyncGenerator<string> {
  if (o.nrandom || o.resolveParents) {
    for await (const batch of listReplicaBatches(catalog, o)) yield batch.map(listedFileJson).join('\n');
    return;
  }
  const listing = await openListing(catalog, o);
  if (!listing) return;
  const { plans } = listing;
  // The PFN attributes of each single-door RSE, serialized once per listing.
  const tails = new Map<string, { rse: string; pfnTail: string }>();
  for (const [id, plan] of plans) {
    if (plan.doors.length !== 1) continue;
    const { snap, doors } = plan;
    tails.set(id, {
      rse: q(snap.rse),
      pfnTail: `:{"rse_id":${q(snap.id)},"rse":${q(snap.rse)},"type":${q(snap.record.rse_type)},"volatile":${snap.record.volatile === 1},"domain":${q(doors[0]!.domain)},"priority":1,"client_extract":false}`,
    });
  }
  for await (const page of groups(listing.rows)) {
    let out = '';
    for (const g of page) {
      let line: string | undefined;
      const r = g[0]!;
      const tail = g.length === 1 && r.direct !== 1 && r.rse_id !== null ? tails.get(r.rse_id) : undefined;
      const plan = tail && plans.get(r.rse_id!)!;
      let path: string | undefined = r.path ? r.path : undefined;
      if (plan && path === undefined && plan.snap.record.deterministic === 1) {
        try {
          path = deterministicRsePath(r.scope, r.name, plan.snap.attributes.lfn2pfn_algorithm);
        } catch {
          path = undefined;
        }
      }
      if (tail && plan && path !== undefined) {
        const pfn = q(buildPfn(plan.doors[0]!.protocol, path));
        const bytes = r.bytes === null ? 'null' : q(Number(r.bytes));
        line = `{"scope":${q(r.scope)},"name":${q(r.name)},"bytes":${bytes},"md5":${qn(r.md5)},"adler32":${qn(r.adler32)},"pfns":{${pfn}${tail.pfnTail}},"rses":{${tail.rse}:[${pfn}]},"states":{${tail.rse}:${q(stateName(r.state ?? ''))}}}`;
      } else {
        const file = buildFile(g, plans, o);
        if (file) line = listedFileJson(file);
      }
      if (line === undefined) continue;
      out += out ? `\n${line}` : line;
    }
    if (out) yield out;
  }
}

/** The RSE read plans and the row source of a listing; undefined when no DID is asked for. */
async function openListing(
  catalog: CatalogDb,
  o: ListReplicasOptions,
): Promise<{ plans: Map<string, RseReadPlan>; rows: AsyncIterable<Row[]> } | undefined> {
  const db = catalog.db;
  if (o.sort && !SORTS.has(o.sort))
    throw sortingAlgorithmNotSupported(
      `Sorting algorithm: ${o.sort} is not supported. Supported: ${[...SORTS].join(', ')}`,
    );
  const seen = new Set<string>();
  const dids = o.dids.filter((d) => {
    const k = `${d.scope}\u0000${d.name}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  if (dids.length === 0) return undefined;

  let rses = await loadRseSnapshots(db);
  if (o.rseExpression) rses = selectByExpression(o.rseExpression, rses);
  if (!o.ignoreAvailability) rses = rses.filter((r) => r.record.availability_read === 1);
  const plans = new Map<string, RseReadPlan>();
  const protoRows = rses.length
    ? await db
        .selectFrom('rse_protocols')
        .selectAll()
        .where(
          'rse_id',
          'in',
          rses.map((r) => r.id),
        )
        .execute()
    : [];
  const schemes = o.schemes && o.schemes.length > 0 ? o.schemes : null;
  for (const snap of rses) {
    const protocols = protoRows.filter((p) => p.rse_id === snap.id).map(protocolInfo);
    let domains: ProtocolDomain[];
    if (o.domain === 'all') domains = ['wan', 'lan'];
    else if (o.domain) domains = [o.domain];
    else domains = o.clientSite && snap.attributes.site === o.clientSite ? ['lan'] : ['wan'];
    const wanted = schemes ?? (o.allSchemes ? [...new Set(protocols.map((p) => p.scheme))] : null);
    plans.set(snap.id, { snap, doors: readDoors(protocols, domains, wanted) });
  }

  const states = o.allStates ? null : o.unavailable ? ['A', 'U', 'C'] : ['A'];
  const filters: RawBuilder<unknown>[] = [
    rses.length ? sql`r.rse_id IN (${inList(rses.map((r) => r.id))})` : sql`1 = 0`,
  ];
  if (states) filters.push(sql`r.state IN (${inList(states)})`);
  if (o.updatedAfter) filters.push(sql`r.updated_at >= ${o.updatedAfter}`);
  const filter = sql.join(filters, sql` AND `);
  const rows =
    catalog.dialect === 'postgres' ? postgresRows(catalog, dids, filter) : sqliteRows(catalog, dids, filter);
  return { plans, rows };
}

async function* buildFiles(
  db: Db,
  pages: AsyncIterable<Row[][]>,
  plans: Map<string, RseReadPlan>,
  o: ListReplicasOptions,
): AsyncGenerator<ListedFile[]> {
  for await (const page of pages) {
    const out: ListedFile[] = [];
    for (const g of page) {
      const file = buildFile(g, plans, o);
      if (!file) continue;
      if (o.resolveParents) file.parents = await parentsOf(db, file.scope, file.name);
      out.push(file);
    }
    if (out.length > 0) yield out;
  }
}

/** One file of the listing from its rows; undefined for a file found in a collection without any replica. */
function buildFile(
  g: Row[],
  plans: Map<string, RseReadPlan>,
  o: ListReplicasOptions,
): ListedFile | undefined {
  const first = g[0]!;
  const direct = first.direct === 1;
  // Most files have one row: no per-file arrays or maps unless there are several replicas.
  const withReplica = g.length === 1 ? (first.rse_id === null ? [] : g) : g.filter((r) => r.rse_id !== null);
  if (!direct && withReplica.length === 0) return undefined;
  const src = direct ? undefined : withReplica[0]!;
  const bytes = src ? src.bytes : first.d_bytes;
  const file: ListedFile = {
    scope: first.scope,
    name: first.name,
    bytes: bytes === null ? null : Number(bytes),
    md5: src ? src.md5 : first.d_md5,
    adler32: src ? src.adler32 : first.d_adler32,
    pfns: {},
    rses: {},
    states: {},
  };
  const found: { pfn: string; v: ListedPfn }[] = [];
  // Deterministic path per lfn2pfn algorithm, computed once per file (md5 of scope:name).
  let paths: Map<unknown, string> | undefined;
  for (const r of withReplica) {
    const plan = plans.get(r.rse_id!);
    if (!plan) continue;
    file.states[plan.snap.rse] = stateName(r.state ?? '');
    let path: string | undefined;
    if (r.path) path = r.path;
    else if (plan.snap.record.deterministic === 1) {
      const algo = plan.snap.attributes.lfn2pfn_algorithm;
      path = paths?.get(algo);
      if (path === undefined) {
        try {
          path = deterministicRsePath(first.scope, first.name, algo);
        } catch {
          path = undefined;
        }
        if (path !== undefined) (paths ??= new Map()).set(algo, path);
      }
    }
    // A non-deterministic replica without a path has no PFN (Rucio logs ReplicaNotFound and goes on).
    if (path === undefined) continue;
    for (const door of plan.doors) {
      const pfn = buildPfn(door.protocol, path);
      found.push({
        pfn,
        v: {
          rse_id: plan.snap.id,
          rse: plan.snap.rse,
          type: plan.snap.record.rse_type,
          volatile: plan.snap.record.volatile === 1,
          domain: door.domain,
          priority: door.priority,
          client_extract: false,
        },
      });
    }
  }
  if (found.length > 0) orderPfns(file, found, o);
  return file;
}

/**
 * Rucio's total order of a file's PFNs: lan before wan, then by protocol priority, then by PFN, numbered
 * from 1 (as metalink wants); `sort=random` shuffles the wan ones; `rses` lists each RSE's PFNs by rse_id.
 */
function orderPfns(file: ListedFile, found: { pfn: string; v: ListedPfn }[], o: ListReplicasOptions): void {
  // PFNs are unique keys: a prototype-less (dictionary-mode) object avoids one V8 hidden class per PFN.
  file.pfns = Object.create(null) as Record<string, ListedPfn>;
  if (found.length === 1) {
    const { pfn, v } = found[0]!;
    v.priority = 1;
    file.pfns[pfn] = v;
    file.rses[v.rse] = [pfn];
    return;
  }
  const unique = new Map<string, ListedPfn>();
  // Same PFN from the wan and the lan door: the later one wins, as in Rucio's dict.
  for (const f of found) unique.set(f.pfn, f.v);
  let sorted = [...unique].sort(
    ([pa, a], [pb, b]) =>
      (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0) ||
      a.priority - b.priority ||
      (pa < pb ? -1 : pa > pb ? 1 : 0),
  );
  if (o.sort === 'random') {
    const lan = sorted.filter(([, v]) => v.domain === 'lan');
    sorted = [...lan, ...shuffle(sorted.filter(([, v]) => v.domain !== 'lan'))];
  }
  if (o.limit && o.limit > 0) sorted = sorted.slice(0, o.limit);
  sorted.forEach(([pfn, v], i) => {
    v.priority = i + 1;
    file.pfns[pfn] = v;
  });
  const byRse = [...sorted].sort(
    ([pa, a], [pb, b]) =>
      (a.rse_id < b.rse_id ? -1 : a.rse_id > b.rse_id ? 1 : 0) ||
      a.priority - b.priority ||
      (pa < pb ? -1 : pa > pb ? 1 : 0),
  );
  for (const [pfn, v] of byRse) (file.rses[v.rse] ??= []).push(pfn);
}

const q = JSON.stringify;
const qn = (s: string | null | undefined) => (s === null || s === undefined ? 'null' : q(s));

/**
 * The JSON text of a listed file, the same document as JSON.stringify(file) (same key order) built as a
 * string: at 100,000 files per listing, serializing objects was a quarter of the server's time.
 */
export function listedFileJson(f: ListedFile): string {
  let pfns = '';
  for (const pfn in f.pfns) {
    const v = f.pfns[pfn]!;
    if (pfns) pfns += ',';
    pfns += `${q(pfn)}:{"rse_id":${q(v.rse_id)},"rse":${q(v.rse)},"type":${q(v.type)},"volatile":${v.volatile},"domain":${q(v.domain)},"priority":${v.priority},"client_extract":${v.client_extract}}`;
  }
  let rses = '';
  for (const rse in f.rses) rses += `${rses ? ',' : ''}${q(rse)}:${q(f.rses[rse])}`;
  let states = '';
  for (const rse in f.states) states += `${states ? ',' : ''}${q(rse)}:${q(f.states[rse])}`;
  const bytes = f.bytes === null || f.bytes === undefined ? 'null' : q(f.bytes);
  const parents = f.parents ? `,"parents":${q(f.parents)}` : '';
  return `{"scope":${q(f.scope)},"name":${q(f.name)},"bytes":${bytes},"md5":${qn(f.md5)},"adler32":${qn(f.adler32)},"pfns":{${pfns}},"rses":{${rses}},"states":{${states}}${parents}}`;
}

/** XML text escaping of a PFN (Rucio uses xml.sax.saxutils.escape). */
function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Rucio's metalink rendering of a listing: header, one `<file>` per file, footer (also for an empty list). */
export async function* metalink(
  files: AsyncIterable<ListedFile>,
  policySchema: string,
  detailedUrl: boolean,
): AsyncGenerator<string> {
  // The first file is fetched before the header so that a failing query still becomes a 4xx.
  const it = files[Symbol.asyncIterator]();
  let next = await it.next();
  yield '<?xml version="1.0" encoding="UTF-8"?>\n<metalink xmlns="urn:ietf:params:xml:ns:metalink">\n';
  for (; !next.done; next = await it.next()) {
    const f = next.value;
    let s = ` <file name="${f.name}">\n`;
    if (f.parents?.length) {
      s += '  <parents>\n';
      for (const p of f.parents) s += `   <did>${p}</did>\n`;
      s += '  </parents>\n';
    }
    s += `  <identity>${f.scope}:${f.name}</identity>\n`;
    if (f.adler32 !== null) s += `  <hash type="adler32">${f.adler32}</hash>\n`;
    if (f.md5 !== null) s += `  <hash type="md5">${f.md5}</hash>\n`;
    s += `  <size>${f.bytes}</size>\n`;
    s += `  <glfn name="/${policySchema}/rucio/${f.scope}:${f.name}"></glfn>\n`;
    for (const [pfn, r] of Object.entries(f.pfns)) {
      s += detailedUrl
        ? `  <url location="${r.rse}" domain="${r.domain}" priority="${r.priority}" client_extract="${String(r.client_extract)}">${xmlEscape(pfn)}</url>\n`
        : `  <url location="${r.rse}" priority="${r.priority}">${xmlEscape(pfn)}</url>\n`;
    }
    s += ' </file>\n';
    yield s;
  }
  yield '</metalink>\n';
}
