/** The files a rule covers: a file DID itself, a dataset's files, a container's datasets' files. */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { didNotFound } from '../errors.js';

type Db = Kysely<Database>;

/** One file with what locks and transfer requests need. */
export interface RuleFile {
  scope: string;
  name: string;
  bytes: number;
  adler32: string | null;
  md5: string | null;
}

/** Files grouped by the dataset they belong to (null for a rule on a single file). */
export interface FileGroup {
  dataset: { scope: string; name: string } | null;
  files: RuleFile[];
}

/** Type code of a DID; DataIdentifierNotFound when absent. */
export async function didTypeOf(db: Db, scope: string, name: string): Promise<string> {
  const row = await db
    .selectFrom('dids')
    .select('did_type')
    .where('scope', '=', scope)
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) throw didNotFound(`Data identifier '${scope}:${name}' not found`);
  return row.did_type.charAt(0);
}

/**
 * Groups of files under a DID. Datasets are read with one join each; a container is walked
 * breadth-first (cycles cannot occur: attaching refuses them, and visited collections are skipped).
 */
export async function filesOf(db: Db, scope: string, name: string): Promise<FileGroup[]> {
  const type = await didTypeOf(db, scope, name);
  if (type === 'F') {
    const f = await db
      .selectFrom('dids')
      .select(['scope', 'name', 'bytes', 'adler32', 'md5'])
      .where('scope', '=', scope)
      .where('name', '=', name)
      .executeTakeFirstOrThrow();
    return [{ dataset: null, files: [{ ...f, bytes: Number(f.bytes ?? 0) }] }];
  }
  const groups: FileGroup[] = [];
  const seen = new Set<string>();
  const queue = [{ scope, name }];
  while (queue.length) {
    const c = queue.shift()!;
    const k = `${c.scope}\u0000${c.name}`;
    if (seen.has(k)) continue;
    seen.add(k);
    const children = await db
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
        'd.bytes as dbytes',
        'd.adler32 as dadler32',
        'd.md5 as dmd5',
      ])
      .where('c.scope', '=', c.scope)
      .where('c.name', '=', c.name)
      .orderBy('c.child_name')
      .execute();
    const files: RuleFile[] = [];
    for (const ch of children) {
      if (ch.child_type.charAt(0) === 'F')
        files.push({
          scope: ch.child_scope,
          name: ch.child_name,
          bytes: Number(ch.dbytes ?? ch.bytes ?? 0),
          adler32: ch.dadler32 ?? ch.adler32,
          md5: ch.dmd5 ?? ch.md5,
        });
      else queue.push({ scope: ch.child_scope, name: ch.child_name });
    }
    if (files.length) groups.push({ dataset: { scope: c.scope, name: c.name }, files });
  }
  return groups;
}
