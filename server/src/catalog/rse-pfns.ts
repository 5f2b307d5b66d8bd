/**
 * PFNs as Rucio's protocol classes build them (rucio.rse.protocols.*.lfns2pfns) and protocol choice as
 * rsemanager's select_protocol: pure functions over a protocol description, no I/O.
 */
import { lfn2pfnPath, normalizePrefix } from '@oxbow/common/rucio/index';
import { invalidPath, rseFileNameNotSupported, rseProtocolNotSupported } from '../errors.js';

/** Operations a protocol declares a priority for. */
export type ProtocolOperation =
  | 'read'
  | 'write'
  | 'delete'
  | 'third_party_copy_read'
  | 'third_party_copy_write';
export type ProtocolDomain = 'lan' | 'wan';

/** A protocol in Rucio's rse_info shape (priority 0 or null: not supported). */
export interface ProtocolInfo {
  hostname: string;
  scheme: string;
  port: number;
  prefix: string;
  impl: string;
  domains: {
    lan: { read: number | null; write: number | null; delete: number | null };
    wan: {
      read: number | null;
      write: number | null;
      delete: number | null;
      third_party_copy_read: number | null;
      third_party_copy_write: number | null;
    };
  };
  extended_attributes: Record<string, unknown> | string | null;
}

/** Priority of `op` in `domain`, 0 when unsupported (third-party copy exists only in wan, as Rucio). */
export function priorityOf(p: ProtocolInfo, op: ProtocolOperation, domain: ProtocolDomain): number {
  const d = p.domains[domain] as Record<string, number | null | undefined>;
  const v = d[op];
  return typeof v === 'number' && v > 0 ? v : 0;
}

/** Protocols supporting `op` in `domain` (restricted to `schemes` when given), best first; ties keep definition order. */
export function orderedProtocols(
  protocols: readonly ProtocolInfo[],
  op: ProtocolOperation,
  domain: ProtocolDomain,
  schemes?: readonly string[] | null,
): ProtocolInfo[] {
  return protocols
    .map((p, i) => ({ p, i, prio: priorityOf(p, op, domain) }))
    .filter((x) => x.prio > 0 && (!schemes || schemes.length === 0 || schemes.includes(x.p.scheme)))
    .sort((a, b) => a.prio - b.prio || a.i - b.i)
    .map((x) => x.p);
}

/** rsemanager.select_protocol: the best protocol, or RSEProtocolNotSupported naming what was asked. */
export function selectProtocol(
  rse: string,
  protocols: readonly ProtocolInfo[],
  op: ProtocolOperation,
  domain: ProtocolDomain,
  scheme?: string | null,
): ProtocolInfo {
  const best = orderedProtocols(protocols, op, domain, scheme ? [scheme] : undefined)[0];
  if (!best) {
    throw rseProtocolNotSupported(
      `No protocol for provided settings found: RSE '${rse}' has no ${scheme ? `'${scheme}' ` : ''}protocol supporting '${op}' in domain '${domain}'.`,
    );
  }
  return best;
}

type PfnStyle = 'posix' | 'base' | 'gfal';

/** Which of Rucio's lfns2pfns variants an implementation uses (Oxbow's own names fall back by scheme). */
function pfnStyle(p: ProtocolInfo): PfnStyle {
  const impl = p.impl.toLowerCase();
  if (impl.includes('.posix.') || ((impl === '' || !impl.includes('.')) && p.scheme === 'file'))
    return 'posix';
  if (impl.includes('.xrootd.') || impl.includes('.webdav.') || impl.includes('.ssh.')) return 'base';
  return 'gfal';
}

function webServicePath(p: ProtocolInfo): string {
  const ea = p.extended_attributes;
  if (ea && typeof ea === 'object' && typeof ea.web_service_path === 'string') return ea.web_service_path;
  return '';
}

/**
 * PFN of `path` (relative to the prefix) as the protocol class builds it: posix
 * `scheme://host/prefix/path` (no port; an empty host gives `file:///…`), xrootd/webdav
 * `scheme://host:port/prefix/path`, gfal and others omit port 0 and insert web_service_path.
 * The prefix always gets a leading and trailing '/'.
 */
export function buildPfn(p: ProtocolInfo, path: string): string {
  const prefix = normalizePrefix(p.prefix ?? '');
  const style = pfnStyle(p);
  if (style === 'posix')
    return `${p.scheme}://${p.hostname}${prefix}${path.startsWith('/') ? path.slice(1) : path}`;
  if (style === 'base')
    return `${p.scheme}://${p.hostname}:${p.port}${prefix}${path.startsWith('/') ? path.slice(1) : path}`;
  const host = p.hostname.includes('://') ? p.hostname.split('://')[1]! : p.hostname;
  const rel = p.scheme !== 'root' && path.startsWith('/') ? path.slice(1) : path;
  if (/^\w+:\/\//.test(rel)) return rel;
  const port = p.port === 0 ? '' : `:${p.port}`;
  return `${p.scheme}://${host}${port}${webServicePath(p)}${prefix}${rel}`;
}

/** Path of scope:name below the prefix on a deterministic RSE (lfn2pfn_algorithm attribute, default hash). */
export function deterministicRsePath(scope: string, name: string, algorithm: unknown): string {
  try {
    return lfn2pfnPath(scope, name, typeof algorithm === 'string' ? algorithm : 'default');
  } catch (err) {
    throw invalidPath((err as Error).message);
  }
}

/**
 * Path of a PFN below the protocol's prefix, as Rucio's parse_pfns finds it for non-deterministic RSEs
 * ('/dir/…/name'); RSEFileNameNotSupported when host, port or prefix do not match.
 */
export function pathOfPfn(p: ProtocolInfo, pfn: string): string {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)(\/[^?#]*)?/.exec(pfn);
  if (!m) throw invalidPath(`'${pfn}' is not a PFN (scheme://host[:port]/path).`);
  const [, , netloc = '', rawPath = '/'] = m;
  const [host = '', portText = ''] = netloc.split(':');
  const port = portText === '' ? 0 : Number(portText);
  const wsp = webServicePath(p);
  let path = rawPath.replace(/\/{2,}/g, '/');
  if (wsp && pfn.includes(wsp)) {
    path = pfn.slice(pfn.indexOf(wsp) + wsp.length).replace(/\/{2,}/g, '/');
  }
  const prefix = normalizePrefix(p.prefix.replace(/\/{2,}/g, '/'));
  if (p.hostname !== host && p.hostname !== 'localhost' && p.hostname !== '') {
    throw rseFileNameNotSupported(
      `Invalid hostname in PFN '${pfn}': provided '${host}', expected '${p.hostname}'.`,
    );
  }
  if (port !== p.port && !(port === 0 && pfnStyle(p) === 'posix')) {
    throw rseFileNameNotSupported(`Invalid port in PFN '${pfn}': provided '${port}', expected '${p.port}'.`);
  }
  if (!path.startsWith(prefix)) {
    throw rseFileNameNotSupported(`Invalid prefix in PFN '${pfn}': expected it to start with '${prefix}'.`);
  }
  const rel = path.slice(prefix.length);
  if (rel === '' || rel.endsWith('/')) throw invalidPath(`PFN '${pfn}' names a directory, not a file.`);
  return `/${rel}`;
}
