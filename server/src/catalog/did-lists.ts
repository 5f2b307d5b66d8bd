/**
 * Listings of DIDs (Rucio's list_content, list_files, list_parent_dids, scope_list,
 * get_dataset_by_guid, bulk_list_files). Every list is read in keyset-paged queries of PAGE rows
 * ordered by primary key, so memory stays bounded and the database connection is released between
 * pages (a slow client never holds the single SQLite connection).
 */
import { sql } from 'kysely';
import { didNotFound } from '../errors.js';
import { type Db, getDidRow, listChildDatasets, TYPE_CODE, typeName } from './dids.js';

const PAGE = 1000;

/** Yields every row of a keyset-paged query: `fetch(last)` returns the page after row `last`. */
export async function* paged<R>(fetch: (after: R | undefined) => Promise<R[]>): AsyncGenerator<R> {
  let after: R | undefined;
  for (;;) {
    const rows = await fetch(after);
    for (const r of rows) yield r;
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1];
  }
}

interface ContentRow {
  child_scope: string;
  child_name: string;
  child_type: string;
  bytes: number | null;
  adler32: string | null;
  md5: string | null;
  guid: string | null;
  events: number | null;
}

/** Content rows of one collection, in (child_scope, child_name) order. */
function contentRows(db: Db, scope: string, name: string): AsyncGenerator<ContentRow> {
  return paged<ContentRow>((after) => {
    let q = db
      .selectFrom('contents')
      .select(['child_scope', 'child_name', 'child_type', 'bytes', 'adler32', 'md5', 'guid', 'events'])
      .where('scope', '=', scope)
      .where('name', '=', name);
    if (after)
      q = q.where(sql<boolean>`(child_scope, child_name) > (${after.child_scope}, ${after.child_name})`);
    return q.orderBy('child_scope').orderBy('child_name').limit(PAGE).execute();
  });
}

/** `GET /dids/{scope}/{name}/dids`: direct content `{scope, name, type, bytes, adler32, md5}`. */
export async function* listContent(db: Db, scope: string, name: string) {
  let found = false;
  for await (const r of contentRows(db, scope, name)) {
    found = true;
    yield {
      scope: r.child_scope,
      name: r.child_name,
      type: typeName(r.child_type),
      bytes: r.bytes,
      adler32: r.adler32,
      md5: r.md5,
    };
  }
  if (!found) await getDidRow(db, scope, name);
}

/** One line of a file listing as Rucio renders it (guid upper-case, lumiblocknr only when long). */
function fileLine(
  r: {
    scope: string;
    name: string;
    bytes: number | null;
    adler32: string | null;
    guid: string | null;
    events: number | null;
  },
  long: boolean,
  lumiblocknr: number | null,
) {
  const line: Record<string, unknown> = {
    scope: r.scope,
    name: r.name,
    bytes: r.bytes,
    adler32: r.adler32,
    guid: r.guid ? r.guid.toUpperCase() : r.guid,
    events: r.events,
  };
  if (long) line.lumiblocknr = lumiblocknr;
  return line;
}

/** Files of one dataset with their lumiblocknr (only read when `long`). */
async function* datasetFiles(db: Db, scope: string, name: string, long: boolean) {
  if (!long) {
    for await (const r of contentRows(db, scope, name)) {
      if (typeName(r.child_type) !== 'FILE') continue;
      yield fileLine({ ...r, scope: r.child_scope, name: r.child_name }, false, null);
    }
    return;
  }
  const rows = paged<ContentRow & { lumiblocknr: number | null }>((after) => {
    let q = db
      .selectFrom('contents as c')
      .leftJoin('dids as d', (j) =>
        j.onRef('d.scope', '=', 'c.child_scope').onRef('d.name', '=', 'c.child_name'),
      )
      .select([
        'c.child_scope',
        'c.child_name',
        'c.child_type',
        'c.bytes',
        'c.adler32',
        'c.md5',
        'c.guid',
        'c.events',
        'd.lumiblocknr',
      ])
      .where('c.scope', '=', scope)
      .where('c.name', '=', name);
    if (after)
      q = q.where(sql<boolean>`(c.child_scope, c.child_name) > (${after.child_scope}, ${after.child_name})`);
    return q.orderBy('c.child_scope').orderBy('c.child_name').limit(PAGE).execute();
  });
  for await (const r of rows) {
    if (typeName(r.child_type) !== 'FILE') continue;
    yield fileLine({ ...r, scope: r.child_scope, name: r.child_name }, true, r.lumiblocknr);
  }
}

/**
 * `GET /dids/{scope}/{name}/files`: every file below a DID (a file lists itself). Containers are
 * resolved to their datasets first (that list is held in memory; files never are).
 */
export async function* listFiles(db: Db, scope: string, name: string, long = false) {
  const did = await getDidRow(db, scope, name);
  if (did.did_type === 'FILE') {
    yield fileLine(did, long, did.lumiblocknr);
    return;
  }
  if (did.did_type === 'DATASET') {
    yield* datasetFiles(db, scope, name, long);
    return;
  }
  for (const ds of await listChildDatasets(db, scope, name)) yield* datasetFiles(db, ds.scope, ds.name, long);
}

/** `POST /dids/bulkfiles`: files of several DIDs, each line tagged with its parent; unknown DIDs skipped. */
export async function* bulkListFiles(db: Db, dids: { scope: string; name: string }[], long = false) {
  for (const d of dids) {
    const exists = await db
      .selectFrom('dids')
      .select('name')
      .where('scope', '=', d.scope)
      .where('name', '=', d.name)
      .executeTakeFirst();
    if (!exists) continue;
    for await (const f of listFiles(db, d.scope, d.name, long))
      yield { ...f, parent_scope: d.scope, parent_name: d.name };
  }
}

/** `GET /dids/{scope}/{name}/parents`: the collections directly holding a DID. */
export async function* listParents(db: Db, scope: string, name: string) {
  const rows = paged<{ scope: string; name: string; did_type: string }>((after) => {
    let q = db
      .selectFrom('contents')
      .select(['scope', 'name', 'did_type'])
      .where('child_scope', '=', scope)
      .where('child_name', '=', name);
    if (after) q = q.where(sql<boolean>`(scope, name) > (${after.scope}, ${after.name})`);
    return q.orderBy('scope').orderBy('name').limit(PAGE).execute();
  });
  for await (const r of rows) yield { scope: r.scope, name: r.name, type: typeName(r.did_type) };
}

interface Node {
  scope: string;
  name: string;
  type: string;
  parent: { scope: string; name: string } | null;
  level: number;
  bytes?: number | null;
}

/** Children of a collection as scope_list nodes, descending depth-first when `recursive`. */
async function* drill(db: Db, node: Node, recursive: boolean): AsyncGenerator<Node> {
  for await (const r of contentRows(db, node.scope, node.name)) {
    const child: Node = {
      scope: r.child_scope,
      name: r.child_name,
      type: typeName(r.child_type),
      parent: { scope: node.scope, name: node.name },
      level: node.level + 1,
    };
    yield child;
    if (recursive && child.type !== 'FILE') yield* drill(db, child, true);
  }
}

/**
 * `GET /dids/{scope}/`: without `name`, the DIDs of a scope that no collection of the same scope
 * holds (level 0); with `name`, that DID's content. `recursive` descends into collections.
 */
export async function* scopeList(db: Db, scope: string, name: string | undefined, recursive: boolean) {
  if (name !== undefined) {
    const row = await getDidRow(db, scope, name);
    yield* drill(db, { scope, name, type: row.did_type, parent: null, level: 0 }, recursive);
    return;
  }
  const tops = paged<{ name: string; did_type: string; bytes: number | null }>((after) => {
    let q = db
      .selectFrom('dids as d')
      .select(['d.name', 'd.did_type', 'd.bytes'])
      .where('d.scope', '=', scope)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('contents as c')
              .select('c.child_name')
              .where('c.scope', '=', scope)
              .whereRef('c.child_scope', '=', 'd.scope')
              .whereRef('c.child_name', '=', 'd.name'),
          ),
        ),
      );
    if (after) q = q.where('d.name', '>', after.name);
    return q.orderBy('d.name').limit(PAGE).execute();
  });
  for await (const r of tops) {
    const node: Node = {
      scope,
      name: r.name,
      type: typeName(r.did_type),
      parent: null,
      level: 0,
      bytes: typeName(r.did_type) === 'FILE' ? r.bytes : null,
    };
    yield node;
    if (recursive && node.type !== 'FILE') yield* drill(db, node, true);
  }
}

/** `GET /dids/{guid}/guid`: the datasets holding the file with this GUID. */
export async function* datasetsByGuid(db: Db, guid: string) {
  const variants = [...new Set([guid, guid.toLowerCase(), guid.toUpperCase()])];
  const files = await db
    .selectFrom('dids')
    .select(['scope', 'name'])
    .where('guid', 'in', variants)
    .where('did_type', '=', TYPE_CODE.FILE)
    .limit(2)
    .execute();
  if (files.length === 0) throw didNotFound(`No file associated to GUID : ${guid}`);
  for (const f of files.slice(0, 1)) {
    for await (const p of listParents(db, f.scope, f.name)) yield { scope: p.scope, name: p.name };
  }
}
