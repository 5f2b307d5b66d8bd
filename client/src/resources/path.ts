/** Path building shared by the resource modules. */

/** Percent-encodes one path segment (DID names may hold `/`, which becomes `%2F`, as the server expects). */
export const seg = (s: string): string => encodeURIComponent(s);

/** `/dids/{scope}/{name}` plus optional suffix segments. */
export function didPath(scope: string, name: string, ...suffix: string[]): string {
  return ['/dids', seg(scope), seg(name), ...suffix].join('/');
}
