/**
 * Adding DIDs (Rucio's add_did / add_dids): datasets and containers, and — an Oxbow extension —
 * files with their size and checksums. Metadata, lifetime and initial content are applied in the
 * same transaction; replication rules in the request are accepted and ignored until rules exist.
 */
import type { BulkAddDid } from '@oxbow/common';
import type { Kysely } from 'kysely';
import type { Database, DidMetaTable } from '../db/schema.js';
import { dataIdentifierAlreadyExists, invalidObject, invalidValue } from '../errors.js';
import { now } from '../http/dates.js';
import { type AttachOptions, type AttachRequest, attachDids } from './did-attach.js';
import { planMeta, upsertJsonMeta } from './did-meta.js';
import {
  checkDid,
  type DidRow,
  didKey,
  didTypeOf,
  expiryFromLifetime,
  insertDidRows,
  newDidRow,
} from './dids.js';

/** Options of addDids. */
export interface AddDidsOptions extends Omit<AttachOptions, 'ignoreDuplicate'> {}

/** Builds the row (and free metadata) of one DID to add; throws on invalid input. */
function prepare(item: BulkAddDid, issuer: string, t: string): { row: DidRow; json: DidMetaTable[] } {
  checkDid(item.scope, item.name);
  const type = didTypeOf(item.type);
  const label = didKey(item.scope, item.name);
  const extra: Partial<DidRow> = {};
  if (item.statuses?.monotonic) extra.monotonic = 1;
  if (item.statuses?.open === false)
    throw invalidValue(`${label}: a new DID is always open; close it afterwards.`);
  extra.expired_at = expiryFromLifetime(item.lifetime);
  if (type === 'FILE') {
    if (item.bytes !== undefined) extra.bytes = item.bytes;
    if (item.adler32 !== undefined) extra.adler32 = item.adler32.toLowerCase();
    if (item.md5 !== undefined) extra.md5 = item.md5.toLowerCase();
    if (item.guid !== undefined) extra.guid = item.guid;
    if (item.dids?.length) throw invalidObject(`${label} is a file: it cannot have content.`);
  } else if (item.bytes !== undefined || item.adler32 !== undefined || item.md5 !== undefined) {
    throw invalidObject(`${label}: bytes, adler32 and md5 can only be given for files.`);
  }
  const plan = planMeta(item.meta ?? {}, issuer, label);
  if (type !== 'FILE' && Object.keys(plan.fileColumns).length)
    throw invalidObject(`${label}: guid and events can only be set on files.`);
  Object.assign(extra, plan.columns, plan.fileColumns);
  const row = newDidRow(item.scope, item.name, type, item.account ?? issuer, extra, t);
  return { row, json: plan.json.map((j) => ({ scope: item.scope, name: item.name, ...j })) };
}

/**
 * Adds DIDs in one transaction: all or nothing. Unknown scope → ScopeNotFound, existing DID →
 * DataIdentifierAlreadyExists, content problems as for attach.
 */
export async function addDids(
  db: Kysely<Database>,
  items: BulkAddDid[],
  issuer: string,
  opts: AddDidsOptions,
): Promise<void> {
  const t = now();
  const prepared = items.map((i) => prepare(i, issuer, t));
  const content: AttachRequest[] = items
    .filter((i) => i.dids?.length)
    .map((i) => ({ scope: i.scope, name: i.name, dids: i.dids ?? [], rse: i.rse }));
  try {
    await db.transaction().execute(async (trx) => {
      await insertDidRows(
        trx,
        prepared.map((p) => p.row),
        opts,
      );
      const json = prepared.flatMap((p) => p.json);
      if (json.length) await upsertJsonMeta(trx, json, opts.maxParams);
      if (content.length) await attachDids(trx, content, { ...opts, ignoreDuplicate: false });
    });
  } catch (e) {
    // A concurrent request added the same DID between our check and our insert (PostgreSQL).
    if ((e as { code?: string }).code === '23505' || /UNIQUE constraint failed: dids/.test(String(e)))
      throw dataIdentifierAlreadyExists('Data Identifier already exists!');
    throw e;
  }
}
