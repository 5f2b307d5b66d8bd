/** PFNs of replicas: `GET /rses/{rse}/lfns2pfns` and the PFN checks of replica registration. */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import {
  invalidPath,
  replicaNotFound,
  rseOperationNotSupported,
  rseProtocolDomainNotSupported,
} from '../errors.js';
import {
  buildPfn,
  deterministicRsePath,
  orderedProtocols,
  type ProtocolDomain,
  type ProtocolInfo,
  type ProtocolOperation,
  selectProtocol,
} from './rse-pfns.js';
import { protocolsOf } from './rse-protocols.js';
import { attributesOf, getRseRecord } from './rses.js';

type Db = Kysely<Database>;
const OPERATIONS = ['read', 'write', 'delete', 'third_party_copy_read', 'third_party_copy_write'];

/** Checks the operation and domain names of a protocol query. */
export function checkOperationDomain(
  operation: string,
  domain: string,
): { op: ProtocolOperation; domain: ProtocolDomain } {
  if (!OPERATIONS.includes(operation))
    throw rseOperationNotSupported(`Operation '${operation}' is not one of ${OPERATIONS.join(', ')}.`);
  if (domain !== 'lan' && domain !== 'wan')
    throw rseProtocolDomainNotSupported(`Domain '${domain}' is not supported: use 'lan' or 'wan'.`);
  return { op: operation as ProtocolOperation, domain };
}

/**
 * Rucio's rsemanager.lfns2pfns on the server: the best protocol for the operation builds each PFN;
 * deterministic RSEs compute the path, non-deterministic ones use the registered replica's path
 * (files without one are left out; none at all gives ReplicaNotFound).
 */
export async function lfns2pfns(
  db: Db,
  rse: string,
  lfns: { scope: string; name: string }[],
  opts: { scheme?: string; operation: string; domain: string },
): Promise<Record<string, string>> {
  const { op, domain } = checkOperationDomain(opts.operation, opts.domain);
  const row = await getRseRecord(db, rse);
  const protocol = selectProtocol(row.rse, await protocolsOf(db, row.id), op, domain, opts.scheme);
  const out: Record<string, string> = {};
  if (row.deterministic === 1) {
    const algo = (await attributesOf(db, row.id)).lfn2pfn_algorithm;
    for (const l of lfns)
      out[`${l.scope}:${l.name}`] = buildPfn(protocol, deterministicRsePath(l.scope, l.name, algo));
    return out;
  }
  for (const l of lfns) {
    const rep = await db
      .selectFrom('replicas')
      .select('path')
      .where('rse_id', '=', row.id)
      .where('scope', '=', l.scope)
      .where('name', '=', l.name)
      .executeTakeFirst();
    if (rep?.path) out[`${l.scope}:${l.name}`] = buildPfn(protocol, trimSlashes(rep.path));
  }
  if (Object.keys(out).length === 0) throw replicaNotFound('No replicas found');
  return out;
}

/** Rucio's _get_path_nondeterministic_server strips leading and trailing '/'. */
export function trimSlashes(path: string): string {
  return path.replace(/^\/+/, '').replace(/\/+$/, '');
}

/** A PFN with repeated slashes after the authority collapsed, for comparisons. */
export function cleanPfn(pfn: string): string {
  const i = pfn.indexOf('://');
  if (i < 0) return pfn.replace(/\/{2,}/g, '/');
  const rest = pfn.slice(i + 3);
  const slash = rest.indexOf('/');
  if (slash < 0) return pfn;
  return `${pfn.slice(0, i + 3)}${rest.slice(0, slash)}${rest.slice(slash).replace(/\/{2,}/g, '/')}`;
}

/**
 * Checks that a PFN given for a deterministic RSE is one Rucio would build for it with a write protocol
 * of the PFN's scheme (wan first, then lan); InvalidPath otherwise.
 */
export function checkDeterministicPfn(
  protocols: readonly ProtocolInfo[],
  scope: string,
  name: string,
  pfn: string,
  algorithm: unknown,
): void {
  const scheme = pfn.split(':')[0]!;
  const path = deterministicRsePath(scope, name, algorithm);
  const expected = new Set<string>();
  for (const domain of ['wan', 'lan'] as const) {
    for (const p of orderedProtocols(protocols, 'write', domain, [scheme]))
      expected.add(cleanPfn(buildPfn(p, path)));
  }
  if (!expected.has(cleanPfn(pfn))) {
    const list = [...expected];
    throw invalidPath(
      `The PFN '${pfn}' given for ${scope}:${name} does not match the PFNs Rucio expects on this deterministic RSE: ${list.length ? list.join(', ') : `(no write protocol with scheme '${scheme}')`}.`,
    );
  }
}
