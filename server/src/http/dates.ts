/** Date renderings Rucio's REST API uses. */

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

/** Rucio's `date_to_str`: `Mon, 23 Nov 2026 14:24:00 UTC` (used in JSON bodies and token expiry headers). */
export function rucioDate(iso: string | null | undefined): string | null {
  if (!iso) return null;
  const d = new Date(iso);
  return `${DAYS[d.getUTCDay()]}, ${p2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} UTC`;
}

/** `%Y-%m-%dT%H:%M:%S` without zone, as Rucio renders account dates. */
export function isoSeconds(iso: string | null | undefined): string | null {
  return iso ? iso.slice(0, 19) : null;
}

/** Current time as stored in the catalog. */
export function now(): string {
  return new Date().toISOString();
}
