// Rucio's deterministic lfn2pfn algorithms (rucio.rse.translation.RSEDeterministicTranslation): the path of
// a file below an RSE protocol's prefix. Files written by Oxbow must sit where a Rucio client looks for
// them, so these must match Rucio byte for byte.

import { createHash } from 'node:crypto';

/** Names of the lfn2pfn algorithms implemented here ('default' is Rucio's alias of 'hash'). */
export type Lfn2PfnAlgorithm = 'hash' | 'identity' | 'default';

/**
 * Rucio turns the dots of 'user.*' and 'group.*' scopes into directories. It tests startswith('user'),
 * not 'user.', so any scope beginning with those letters is affected; we keep that behaviour.
 */
function scopeDirectory(scope: string): string {
  return scope.startsWith('user') || scope.startsWith('group') ? scope.replaceAll('.', '/') : scope;
}

/** Rucio's default 'hash' algorithm: scope/xx/yy/name with xxyy the first 4 hex digits of md5('scope:name'). */
export function deterministicPath(scope: string, name: string): string {
  const hex = createHash('md5').update(`${scope}:${name}`, 'utf8').digest('hex');
  return `${scopeDirectory(scope)}/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${name}`;
}

/** Rucio's 'identity' algorithm: scope/name (user./group. scopes split on dots as for 'hash'). */
export function identityPath(scope: string, name: string): string {
  return `${scopeDirectory(scope)}/${name}`;
}

/** Path of scope:name under an RSE with the given lfn2pfn_algorithm attribute (absent = 'hash'). */
export function lfn2pfnPath(scope: string, name: string, algorithm: string | undefined = 'default'): string {
  switch (algorithm) {
    case 'default':
    case 'hash':
      return deterministicPath(scope, name);
    case 'identity':
      return identityPath(scope, name);
    default:
      throw new Error(`Unsupported lfn2pfn algorithm '${algorithm}'; supported: hash (default), identity`);
  }
}

/** A protocol prefix as Rucio normalises it before joining: leading and trailing '/'. */
export function normalizePrefix(prefix: string): string {
  let p = prefix.startsWith('/') ? prefix : `/${prefix}`;
  if (!p.endsWith('/')) p += '/';
  return p;
}

/** Rucio's default pfn2lfn: scope is the first directory of the path, name the file name. */
export function scopeFromPath(path: string, name: string): { scope: string; name: string } {
  return { scope: path.replace(/^\/+/, '').split('/')[0]!, name };
}
