/** RSE protocols (Rucio's add_protocol/get_rse_protocols/update_protocols/del_protocols) and rse_info. */
import type { Kysely, Selectable } from 'kysely';
import type { Database, RseProtocolsTable } from '../db/schema.js';
import {
  duplicate,
  invalidObject,
  rseOperationNotSupported,
  rseProtocolDomainNotSupported,
  rseProtocolNotSupported,
  rseProtocolPriorityError,
} from '../errors.js';
import { now } from '../http/dates.js';
import type { ProtocolInfo } from './rse-pfns.js';
import { attributesOf, availabilityInteger, getRseRecord, type RseRecord } from './rses.js';

type Db = Kysely<Database>;
type ProtocolRecord = Selectable<RseProtocolsTable>;

const PRIORITY_COLUMNS = [
  'read_lan',
  'write_lan',
  'delete_lan',
  'read_wan',
  'write_wan',
  'delete_wan',
  'third_party_copy_read',
  'third_party_copy_write',
] as const;
type PriorityColumn = (typeof PRIORITY_COLUMNS)[number];

const DOMAIN_OPS: Record<string, readonly string[]> = {
  lan: ['read', 'write', 'delete'],
  wan: ['read', 'write', 'delete', 'third_party_copy', 'third_party_copy_read', 'third_party_copy_write'],
};

/** Rucio's protocol dict of one stored row. */
export function protocolInfo(r: ProtocolRecord): ProtocolInfo {
  let ea: ProtocolInfo['extended_attributes'] = r.extended_attributes;
  if (typeof ea === 'string') {
    try {
      ea = JSON.parse(ea) as Record<string, unknown>;
    } catch {
      // Rucio keeps a non-JSON string as it is.
    }
  }
  return {
    hostname: r.hostname,
    scheme: r.scheme,
    port: r.port,
    prefix: r.prefix ?? '',
    impl: r.impl,
    domains: {
      lan: { read: r.read_lan, write: r.write_lan, delete: r.delete_lan },
      wan: {
        read: r.read_wan,
        write: r.write_wan,
        delete: r.delete_wan,
        third_party_copy_read: r.third_party_copy_read,
        third_party_copy_write: r.third_party_copy_write,
      },
    },
    extended_attributes: ea ?? null,
  };
}

/** Protocol dicts of an RSE id, sorted as Rucio sorts them (hostname, scheme, port). */
export async function protocolsOf(db: Db, rseId: string): Promise<ProtocolInfo[]> {
  const rows = await db.selectFrom('rse_protocols').selectAll().where('rse_id', '=', rseId).execute();
  return rows
    .map(protocolInfo)
    .sort((a, b) =>
      a.hostname < b.hostname
        ? -1
        : a.hostname > b.hostname
          ? 1
          : a.scheme < b.scheme
            ? -1
            : a.scheme > b.scheme
              ? 1
              : a.port - b.port,
    );
}

/** Turns `domains: {lan: {read: 1}}` and flat `read_lan` keys into priority columns, validating as Rucio. */
function priorityColumns(body: Record<string, unknown>): Partial<Record<PriorityColumn, number>> {
  const out: Partial<Record<PriorityColumn, number>> = {};
  const put = (col: PriorityColumn, value: unknown, what: string) => {
    if (value === null || value === undefined) {
      out[col] = 0;
      return;
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw rseProtocolPriorityError(
        `The provided priority (${JSON.stringify(value)}) for ${what} is not supported: use an integer ≥ 0.`,
      );
    }
    out[col] = value;
  };
  for (const col of PRIORITY_COLUMNS) if (col in body) put(col, body[col], `'${col}'`);
  const domains = body.domains as Record<string, Record<string, unknown>> | undefined;
  if (domains) {
    for (const [domain, ops] of Object.entries(domains)) {
      if (!(domain in DOMAIN_OPS))
        throw rseProtocolDomainNotSupported(
          `The protocol domain '${domain}' is not defined in the schema (use lan or wan).`,
        );
      for (const [op, prio] of Object.entries(ops ?? {})) {
        if (!DOMAIN_OPS[domain]!.includes(op))
          throw rseOperationNotSupported(`Operation '${op}' not defined in schema for domain '${domain}'.`);
        const what = `operation '${op}' in domain '${domain}'`;
        if (op === 'third_party_copy') {
          // Pre-1.30 clients send one third_party_copy priority for both directions.
          put('third_party_copy_read', prio, what);
          put('third_party_copy_write', prio, what);
        } else if (op.startsWith('third_party_copy')) put(op as PriorityColumn, prio, what);
        else put(`${op}_${domain}` as PriorityColumn, prio, what);
      }
    }
  }
  return out;
}

function extendedAttributes(v: unknown): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string' && (typeof v !== 'object' || Array.isArray(v)))
    throw invalidObject(
      `extended_attributes must be an object (or its JSON text), got ${JSON.stringify(v)}.`,
    );
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Adds a protocol to an RSE (hostname defaults to 'localhost', port to 0, as Rucio). */
export async function addProtocol(
  db: Db,
  rse: string,
  scheme: string,
  body: Record<string, unknown>,
): Promise<void> {
  const row = await getRseRecord(db, rse);
  const prios = priorityColumns(body);
  const hostname = typeof body.hostname === 'string' ? body.hostname : 'localhost';
  const port = typeof body.port === 'number' ? body.port : 0;
  const ea = extendedAttributes(body.extended_attributes);
  if (scheme === 'srm' && !(ea ?? '').includes('web_service_path')) {
    throw invalidObject(
      'Missing values! For SRM, extended_attributes and web_service_path must be specified',
    );
  }
  const existing = await db
    .selectFrom('rse_protocols')
    .select('scheme')
    .where('rse_id', '=', row.id)
    .where('scheme', '=', scheme)
    .where('hostname', '=', hostname)
    .where('port', '=', port)
    .executeTakeFirst();
  if (existing)
    throw duplicate(
      `Protocol '${scheme}' on port ${port} already registered for '${rse}' with hostname '${hostname}'.`,
    );
  await db
    .insertInto('rse_protocols')
    .values({
      rse_id: row.id,
      scheme,
      hostname,
      port,
      prefix: typeof body.prefix === 'string' ? body.prefix : '',
      impl: String(body.impl),
      read_lan: prios.read_lan ?? 0,
      write_lan: prios.write_lan ?? 0,
      delete_lan: prios.delete_lan ?? 0,
      read_wan: prios.read_wan ?? 0,
      write_wan: prios.write_wan ?? 0,
      delete_wan: prios.delete_wan ?? 0,
      third_party_copy_read: prios.third_party_copy_read ?? 0,
      third_party_copy_write: prios.third_party_copy_write ?? 0,
      extended_attributes: ea,
      created_at: now(),
    })
    .execute();
}

/** Which protocols a `{scheme}[/{hostname}[/{port}]]` path names. */
interface ProtocolKey {
  scheme: string;
  hostname?: string;
  port?: number;
}

function describeKey(rse: string, k: ProtocolKey): string {
  return `RSE '${rse}' does not support protocol '${k.scheme}'${k.hostname ? ` for hostname '${k.hostname}'` : ''}${k.port !== undefined ? ` on port '${k.port}'` : ''}`;
}

/** Updates the protocols matching the key (Rucio needs hostname and port; Oxbow matches on what is given). */
export async function updateProtocols(
  db: Db,
  rse: string,
  key: ProtocolKey,
  body: Record<string, unknown>,
): Promise<void> {
  const row = await getRseRecord(db, rse);
  const prios = priorityColumns(body);
  const set: Record<string, unknown> = { ...prios };
  if (typeof body.hostname === 'string') set.hostname = body.hostname;
  if (typeof body.port === 'number') set.port = body.port;
  if ('prefix' in body) set.prefix = body.prefix ?? '';
  if (typeof body.impl === 'string') set.impl = body.impl;
  if ('extended_attributes' in body) set.extended_attributes = extendedAttributes(body.extended_attributes);
  await db.transaction().execute(async (trx) => {
    let q = trx
      .selectFrom('rse_protocols')
      .select(['scheme', 'hostname', 'port'])
      .where('rse_id', '=', row.id)
      .where('scheme', '=', key.scheme);
    if (key.hostname !== undefined) q = q.where('hostname', '=', key.hostname);
    if (key.port !== undefined) q = q.where('port', '=', key.port);
    const matches = await q.execute();
    if (matches.length === 0) throw rseProtocolNotSupported(describeKey(rse, key));
    if (Object.keys(set).length === 0) return;
    for (const m of matches) {
      const target = {
        hostname: (set.hostname as string) ?? m.hostname,
        port: (set.port as number) ?? m.port,
      };
      if (target.hostname !== m.hostname || target.port !== m.port) {
        const clash = await trx
          .selectFrom('rse_protocols')
          .select('scheme')
          .where('rse_id', '=', row.id)
          .where('scheme', '=', m.scheme)
          .where('hostname', '=', target.hostname)
          .where('port', '=', target.port)
          .executeTakeFirst();
        if (clash)
          throw duplicate(
            `Protocol '${m.scheme}' on port ${target.port} already registered for '${rse}' with hostname '${target.hostname}'.`,
          );
      }
      await trx
        .updateTable('rse_protocols')
        .set(set)
        .where('rse_id', '=', row.id)
        .where('scheme', '=', m.scheme)
        .where('hostname', '=', m.hostname)
        .where('port', '=', m.port)
        .execute();
    }
  });
}

/** Deletes the protocols matching the key, or RSEProtocolNotSupported. */
export async function deleteProtocols(db: Db, rse: string, key: ProtocolKey): Promise<void> {
  const row = await getRseRecord(db, rse);
  let q = db.deleteFrom('rse_protocols').where('rse_id', '=', row.id).where('scheme', '=', key.scheme);
  if (key.hostname !== undefined) q = q.where('hostname', '=', key.hostname);
  if (key.port !== undefined) q = q.where('port', '=', key.port);
  const res = await q.executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw rseProtocolNotSupported(describeKey(rse, key));
}

/** Rucio's rse_info (`GET /rses/{rse}`, `GET /rses/{rse}/protocols/{scheme}`), plus the availability integer. */
export async function rseInfo(db: Db, rse: string | RseRecord) {
  const r = typeof rse === 'string' ? await getRseRecord(db, rse) : rse;
  const attrs = await attributesOf(db, r.id);
  const protocols = await protocolsOf(db, r.id);
  const algo = attrs.lfn2pfn_algorithm;
  const verify = attrs.verify_checksum;
  return {
    availability: availabilityInteger(r),
    availability_delete: r.availability_delete === 1,
    availability_read: r.availability_read === 1,
    availability_write: r.availability_write === 1,
    credentials: null,
    deterministic: r.deterministic === 1,
    domain: ['lan', 'wan'],
    id: r.id,
    lfn2pfn_algorithm: typeof algo === 'string' && algo !== '' ? algo : 'hash',
    protocols,
    qos_class: r.qos_class,
    rse: r.rse,
    rse_type: r.rse_type,
    sign_url: typeof attrs.sign_url === 'string' ? attrs.sign_url : null,
    staging_area: r.staging_area === 1,
    verify_checksum: verify === undefined ? true : verify === true || verify === 'true' || verify === 'True',
    volatile: r.volatile === 1,
  };
}
