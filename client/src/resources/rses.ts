/** `/rses/*`: RSEs, attributes, protocols, lfns2pfns, usage, limits. */
import type {
  AddProtocolBody,
  AddRseBody,
  RseAttributes,
  RseInfo,
  RseLimits,
  RseProtocol,
  RseRow,
  RseUsage,
  SetRseUsageBody,
  UpdateProtocolBody,
  UpdateRseBody,
} from '@oxbow/common';
import type { Transport } from '../transport.js';
import { seg } from './path.js';

/** Selection of protocols (`GET /rses/{rse}/protocols`). */
export interface ProtocolQuery {
  scheme?: string;
  operation?: 'read' | 'write' | 'delete' | 'third_party_copy_read' | 'third_party_copy_write';
  domain?: 'lan' | 'wan' | 'ALL';
  default?: boolean;
}

/** Protocol add: Rucio's body with the scheme (which also goes in the path). */
export type NewProtocol = AddProtocolBody & { scheme: string };

/** RSE calls. */
export function rsesApi(t: Transport) {
  const base = (rse: string) => `/rses/${seg(rse)}`;
  const protocolPath = (rse: string, scheme: string, hostname?: string, port?: number) =>
    [
      base(rse),
      'protocols',
      seg(scheme),
      ...(hostname ? [seg(hostname)] : []),
      ...(port ? [String(port)] : []),
    ].join('/');
  return {
    /** `GET /rses/[?expression=…]`: RSE rows (or `{rse}` items for an expression), streamed. */
    list: (expression?: string): AsyncGenerator<RseRow | { rse: string }> =>
      t.list<RseRow | { rse: string }>({ method: 'GET', path: '/rses/', query: { expression } }),
    /** `POST /rses/{rse}` */
    add: async (rse: string, props: AddRseBody = {}): Promise<void> => {
      await t.send({ method: 'POST', path: base(rse), body: props });
    },
    /** `GET /rses/{rse}`: settings with protocols (what storage clients work from). */
    get: (rse: string): Promise<RseInfo> => t.json<RseInfo>({ method: 'GET', path: base(rse) }),
    /** `PUT /rses/{rse}` */
    update: async (rse: string, props: UpdateRseBody): Promise<void> => {
      await t.send({ method: 'PUT', path: base(rse), body: props });
    },
    /** `DELETE /rses/{rse}` */
    delete: async (rse: string): Promise<void> => {
      await t.send({ method: 'DELETE', path: base(rse) });
    },
    /** `GET /rses/{rse}/attr/` */
    attributes: (rse: string): Promise<RseAttributes> =>
      t.json<RseAttributes>({ method: 'GET', path: `${base(rse)}/attr/` }),
    /** `POST /rses/{rse}/attr/{key}` */
    setAttribute: async (rse: string, key: string, value: string | boolean | number): Promise<void> => {
      await t.send({ method: 'POST', path: `${base(rse)}/attr/${seg(key)}`, body: { value } });
    },
    /** `DELETE /rses/{rse}/attr/{key}` */
    deleteAttribute: async (rse: string, key: string): Promise<void> => {
      await t.send({ method: 'DELETE', path: `${base(rse)}/attr/${seg(key)}` });
    },
    /** `POST /rses/{rse}/protocols/{scheme}` */
    addProtocol: async (rse: string, protocol: NewProtocol): Promise<void> => {
      await t.send({ method: 'POST', path: protocolPath(rse, protocol.scheme), body: protocol });
    },
    /**
     * `GET /rses/{rse}/protocols[/{scheme}]`: the protocols, those of one scheme when given
     * (Rucio answers the whole rse_info for a scheme; the list is taken from it).
     */
    async protocols(rse: string, q: ProtocolQuery = {}): Promise<RseProtocol[]> {
      const answer = await t.json<RseProtocol[] | { protocols: RseProtocol[] }>({
        method: 'GET',
        path: q.scheme ? protocolPath(rse, q.scheme) : `${base(rse)}/protocols`,
        query: { operation: q.operation, domain: q.domain, default: q.default ? 'True' : undefined },
      });
      const list = Array.isArray(answer) ? answer : answer.protocols;
      return q.scheme ? list.filter((p) => p.scheme === q.scheme) : list;
    },
    /** `PUT /rses/{rse}/protocols/{scheme}[/{hostname}[/{port}]]` */
    updateProtocol: async (
      rse: string,
      scheme: string,
      changes: UpdateProtocolBody,
      where: { hostname?: string; port?: number } = {},
    ): Promise<void> => {
      await t.send({
        method: 'PUT',
        path: protocolPath(rse, scheme, where.hostname, where.port),
        body: changes,
      });
    },
    /** `DELETE /rses/{rse}/protocols/{scheme}[/{hostname}[/{port}]]` */
    deleteProtocol: async (rse: string, scheme: string, where: { hostname?: string; port?: number } = {}) => {
      await t.send({ method: 'DELETE', path: protocolPath(rse, scheme, where.hostname, where.port) });
    },
    /** `GET /rses/{rse}/lfns2pfns?lfn=scope:name…`: `scope:name` → PFN. */
    lfns2pfns: (
      rse: string,
      lfns: string[],
      opts: { scheme?: string; operation?: string; domain?: string } = {},
    ): Promise<Record<string, string>> =>
      t.json<Record<string, string>>({
        method: 'GET',
        path: `${base(rse)}/lfns2pfns`,
        query: { lfn: lfns, scheme: opts.scheme, operation: opts.operation, domain: opts.domain },
      }),
    /** `GET /rses/{rse}/usage[?source=]`, streamed: the catalog's 'rucio' source and reported ones. */
    usage: (rse: string, source?: string): AsyncGenerator<RseUsage> =>
      t.list<RseUsage>({ method: 'GET', path: `${base(rse)}/usage`, query: { source } }),
    /** `PUT /rses/{rse}/usage`: what a source (e.g. 'storage') reports as used and free bytes. */
    setUsage: async (rse: string, usage: SetRseUsageBody): Promise<void> => {
      await t.send({ method: 'PUT', path: `${base(rse)}/usage`, body: usage });
    },
    /** `GET /rses/{rse}/limits` */
    limits: (rse: string): Promise<RseLimits> =>
      t.json<RseLimits>({ method: 'GET', path: `${base(rse)}/limits` }),
    /** `PUT /rses/{rse}/limits` (e.g. MinFreeSpace in bytes, which the reaper works to). */
    setLimit: async (rse: string, name: string, value: number): Promise<void> => {
      await t.send({ method: 'PUT', path: `${base(rse)}/limits`, body: { name, value } });
    },
    /** `DELETE /rses/{rse}/limits` */
    deleteLimit: async (rse: string, name: string): Promise<void> => {
      await t.send({ method: 'DELETE', path: `${base(rse)}/limits`, body: { name } });
    },
  };
}
