import { StorageError } from './errors.js';
import type { RseProtocol } from './types.js';

/** Rucio's lazy-prefix rule: the prefix always starts and ends with '/' (a leading '//' is kept). */
export function normalizePrefix(prefix: string): string {
  let p = prefix ?? '';
  if (!p.startsWith('/')) p = `/${p}`;
  if (!p.endsWith('/')) p = `${p}/`;
  return p;
}

/** Collapses repeated slashes, as Rucio's parse_pfns does before comparing paths. */
export function collapseSlashes(path: string): string {
  return path.replace(/\/{2,}/g, '/');
}

/**
 * Validates a catalog path relative to an RSE prefix and returns it in canonical form
 * (no leading '/', single slashes, no '.' segments). Any '..' segment, NUL or backslash is a
 * PATH_ESCAPE error: a path that names something outside the prefix is never forwarded to storage.
 * The empty string (the prefix itself) is allowed.
 */
export function cleanRelativePath(path: string): string {
  if (typeof path !== 'string') throw new StorageError('INVALID_ARGUMENT', `path must be a string`);
  if (path.includes('\0') || path.includes('\\'))
    throw new StorageError('PATH_ESCAPE', `refusing path with NUL or backslash: ${JSON.stringify(path)}`, {
      target: path,
    });
  const parts: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..')
      throw new StorageError('PATH_ESCAPE', `refusing path with '..': ${JSON.stringify(path)}`, {
        target: path,
      });
    parts.push(seg);
  }
  return parts.join('/');
}

/** Rucio implementation families whose lfns2pfns differ. */
type PfnStyle = 'posix' | 'gfal' | 'base';

/** Which of Rucio's lfns2pfns variants applies to a protocol's impl. */
function pfnStyle(protocol: RseProtocol): PfnStyle {
  const impl = (protocol.impl ?? '').toLowerCase();
  if (impl.includes('.posix.') || (impl === '' && protocol.scheme === 'file')) return 'posix';
  if (impl.includes('.xrootd.') || impl.includes('.webdav.')) return 'base';
  // gfal's variant is the most general (port 0 omitted, web_service_path): used for Oxbow's own impls too.
  return 'gfal';
}

/** The web_service_path extended attribute (e.g. SRM's '/srm/managerv2?SFN='), or ''. */
export function webServicePath(protocol: RseProtocol): string {
  const w = protocol.extended_attributes?.web_service_path;
  return typeof w === 'string' ? w : '';
}

/** Hostname without a scheme some RSE definitions put in front of it. */
export function bareHostname(protocol: RseProtocol): string {
  const h = protocol.hostname ?? '';
  const i = h.indexOf('://');
  return i >= 0 ? h.slice(i + 3) : h;
}

/**
 * PFN of a relative path, built as Rucio's lfns2pfns does for the protocol's impl:
 * posix `scheme://host` + prefix + path (no port); xrootd/webdav `scheme://host:port` + prefix + path;
 * gfal and others also omit port 0 and insert web_service_path. With prefix `//data/` a root
 * protocol therefore gives `root://host:1094//data/path`, with `/data` `root://host:1094/data/path`.
 */
export function buildPfn(protocol: RseProtocol, path: string): string {
  const rel = cleanRelativePath(path);
  const prefix = normalizePrefix(protocol.prefix);
  const style = pfnStyle(protocol);
  if (style === 'posix') return `${protocol.scheme}://${protocol.hostname ?? ''}${prefix}${rel}`;
  if (style === 'base') return `${protocol.scheme}://${protocol.hostname}:${protocol.port}${prefix}${rel}`;
  const port = protocol.port ? `:${protocol.port}` : '';
  return `${protocol.scheme}://${bareHostname(protocol)}${port}${webServicePath(protocol)}${prefix}${rel}`;
}

const PFN_RE = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/:?#]*)(?::(\d+))?(\/.*)?$/;

/** True when the string looks like a URL (scheme://…) rather than a relative path. */
export function isPfn(s: string): boolean {
  return PFN_RE.test(s);
}

/** Schemes that name the same transport for the purpose of matching a PFN to a protocol. */
function sameScheme(a: string, b: string): boolean {
  const norm = (s: string) => {
    const l = s.toLowerCase();
    if (l === 'davs') return 'https';
    if (l === 'dav') return 'http';
    if (l === 'xroot') return 'root';
    return l;
  };
  return norm(a) === norm(b);
}

/**
 * Relative path of a PFN of this protocol. Scheme, host, port (when present) and prefix must match;
 * otherwise PATH_ESCAPE (the PFN names something outside this RSE's prefix).
 */
export function pathFromPfn(protocol: RseProtocol, pfn: string): string {
  const m = PFN_RE.exec(pfn);
  if (!m) throw new StorageError('INVALID_ARGUMENT', `not a PFN: ${pfn}`, { target: pfn });
  const [, scheme, host, port, rawPath = '/'] = m;
  if (!sameScheme(scheme, protocol.scheme))
    throw new StorageError('PATH_ESCAPE', `PFN ${pfn} is not a ${protocol.scheme}:// PFN`, { target: pfn });
  if (host.toLowerCase() !== bareHostname(protocol).toLowerCase())
    throw new StorageError('PATH_ESCAPE', `PFN ${pfn} is not on host ${protocol.hostname}`, { target: pfn });
  if (port && protocol.port && Number(port) !== Number(protocol.port))
    throw new StorageError('PATH_ESCAPE', `PFN ${pfn} is not on port ${protocol.port}`, { target: pfn });
  let path = rawPath.split('?')[0];
  const wsp = webServicePath(protocol);
  if (wsp && path.startsWith(wsp)) path = path.slice(wsp.length);
  // PFNs are not percent-encoded (Rucio builds them by concatenation), so none is undone here.
  path = collapseSlashes(path);
  const prefix = collapseSlashes(normalizePrefix(protocol.prefix));
  if (!path.startsWith(prefix) && `${path}/` !== prefix)
    throw new StorageError('PATH_ESCAPE', `PFN ${pfn} is outside prefix ${protocol.prefix}`, { target: pfn });
  return cleanRelativePath(path.slice(prefix.length));
}

/** Accepts either a relative path or a PFN of this protocol; returns the clean relative path. */
export function toRelativePath(protocol: RseProtocol, pathOrPfn: string): string {
  return isPfn(pathOrPfn) ? pathFromPfn(protocol, pathOrPfn) : cleanRelativePath(pathOrPfn);
}

/** Percent-encodes each segment of a relative path for use in an HTTP URL (slashes kept). */
export function encodePathSegments(rel: string): string {
  return rel
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}
