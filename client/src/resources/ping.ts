/** `GET /ping` (no authentication). */
import type { Transport } from '../transport.js';

/** Answer of `GET /ping`. */
export interface PingInfo {
  version: string;
  [key: string]: unknown;
}

/** Ping calls. */
export function pingApi(t: Transport) {
  return {
    /** Server version; also a cheap reachability check (retried like every GET). */
    ping: (): Promise<PingInfo> => t.json<PingInfo>({ method: 'GET', path: '/ping', auth: false }),
  };
}
