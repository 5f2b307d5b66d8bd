import { StorageError } from './errors.js';
import type { Domain, Operation, RseProtocol } from './types.js';

/**
 * Priority of a protocol for an operation in a domain; 0 means unsupported. Rucio stores 0 (or null)
 * for "not supported"; the TPC directions fall back to the single pre-1.30 `third_party_copy` entry.
 */
export function priorityOf(protocol: RseProtocol, operation: Operation, domain: Domain): number {
  const d = protocol.domains?.[domain];
  if (!d) return 0;
  let v = d[operation];
  if ((v === undefined || v === null) && operation.startsWith('third_party_copy')) v = d.third_party_copy;
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
}

/** Filters on top of the priority order (Rucio's `scheme` argument of select_protocol). */
export interface ProtocolFilter {
  /** Accept only these schemes. */
  scheme?: string | string[];
}

/**
 * Protocols supporting `operation` in `domain`, best first (lowest positive priority; ties keep the
 * RSE's definition order, where Rucio would shuffle them to spread load).
 */
export function orderProtocols(
  protocols: readonly RseProtocol[],
  operation: Operation,
  domain: Domain = 'wan',
  filter: ProtocolFilter = {},
): RseProtocol[] {
  const schemes = filter.scheme === undefined ? undefined : ([] as string[]).concat(filter.scheme);
  return protocols
    .map((p, i) => ({ p, i, prio: priorityOf(p, operation, domain) }))
    .filter((x) => x.prio > 0 && (!schemes || schemes.includes(x.p.scheme)))
    .sort((x, y) => x.prio - y.prio || x.i - y.i)
    .map((x) => x.p);
}

/** The protocol Rucio would use for `operation` in `domain`; UNSUPPORTED when none declares it. */
export function selectProtocol(
  protocols: readonly RseProtocol[],
  operation: Operation,
  domain: Domain = 'wan',
  filter: ProtocolFilter = {},
): RseProtocol {
  const best = orderProtocols(protocols, operation, domain, filter)[0];
  if (!best)
    throw new StorageError('UNSUPPORTED', `no protocol supports ${operation} in domain ${domain}`, {
      retryable: false,
    });
  return best;
}
