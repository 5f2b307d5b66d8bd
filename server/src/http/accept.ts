/** Accept-header negotiation the way Rucio's `check_accept_header_wrapper_flask` does it. */

/** True when `accept` (an Accept header value) admits one of `produces`; absent header admits all. */
export function acceptable(accept: string | undefined, produces: string[]): boolean {
  if (!accept) return true;
  for (const part of accept.split(',')) {
    const [range, ...params] = part.trim().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q && Number(q.slice(2)) === 0) continue;
    const r = range.trim().toLowerCase();
    if (r === '*/*' || r === '') return true;
    for (const type of produces) {
      if (r === type) return true;
      if (r.endsWith('/*') && type.startsWith(r.slice(0, -1))) return true;
    }
  }
  return false;
}
