/**
 * DID names may contain `/`, so DID routes cannot use the router's parameters. These helpers split
 * the raw (still percent-encoded) path the way Rucio's `parse_scope_name` does.
 */
import { invalidValue } from '../errors.js';

/** Decodes one path segment, turning malformed escapes into a 400. */
export function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw invalidValue(`Malformed percent-encoding in path segment '${s}'.`);
  }
}

/** Raw path (no query) of a request URL after `prefix`. */
export function rawPathAfter(url: string, prefix: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  return path.startsWith(prefix) ? path.slice(prefix.length) : path;
}

/**
 * Splits `scope/name[/suffix…]`: `suffixes` lists the known trailing resources (longest first),
 * e.g. `['dids/history', 'dids', 'meta', 'status']`. Returns the decoded scope, name and suffix.
 */
export function parseScopeName(
  rawPath: string,
  suffixes: string[],
): { scope: string; name: string; suffix: string } {
  const path = rawPath.replace(/^\/+/, '');
  let suffix = '';
  let body = path;
  for (const s of suffixes) {
    if (body.endsWith(`/${s}`)) {
      suffix = s;
      body = body.slice(0, -(s.length + 1));
      break;
    }
  }
  if (body.endsWith('/')) body = body.slice(0, -1);
  const slash = body.indexOf('/');
  if (slash <= 0 || slash === body.length - 1) {
    throw invalidValue(`Cannot read a DID from '${rawPath}': the path must be /{scope}/{name}.`);
  }
  return { scope: decodeSegment(body.slice(0, slash)), name: decodeSegment(body.slice(slash + 1)), suffix };
}
