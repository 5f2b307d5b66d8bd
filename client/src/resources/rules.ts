/** `/rules/*`: add, list, show, update and delete replication rules; their locks and analysis. */
import type {
  AddRulesBody,
  LockInfo,
  RuleAnalysis,
  RuleDid,
  RuleInfo,
  RuleUpdateOptions,
} from '@oxbow/common';
import type { Transport } from '../transport.js';
import { didPath, seg } from './path.js';

/** Filters of `GET /rules/` (Rucio's list_replication_rules filters). */
export interface ListRulesFilter {
  scope?: string;
  name?: string;
  account?: string;
  /** State name (`OK`, `REPLICATING`, `STUCK`, `SUSPENDED`) or code. */
  state?: string;
  rse_expression?: string;
  activity?: string;
  did_type?: string;
  id?: string;
  grouping?: string;
}

/** Rule calls. */
export function rulesApi(t: Transport) {
  return {
    /** `POST /rules/`: one rule per DID; resolves to the new rule ids. */
    add: (body: AddRulesBody): Promise<string[]> =>
      t.json<string[]>({ method: 'POST', path: '/rules/', body, idempotent: false }),
    /** Shorthand for `add` with `copies` and `rse_expression` positional. */
    addFor: (
      dids: RuleDid[],
      copies: number,
      rseExpression: string,
      opts: Omit<AddRulesBody, 'dids' | 'copies' | 'rse_expression'> = {},
    ): Promise<string[]> =>
      t.json<string[]>({
        method: 'POST',
        path: '/rules/',
        body: { ...opts, dids, copies, rse_expression: rseExpression },
        idempotent: false,
      }),
    /** `GET /rules/`: rules matching the filters, streamed. */
    list: (filter: ListRulesFilter = {}): AsyncGenerator<RuleInfo> =>
      t.list<RuleInfo>({ method: 'GET', path: '/rules/', query: { ...filter } }),
    /** `GET /rules/{id}` */
    get: (id: string): Promise<RuleInfo> => t.json<RuleInfo>({ method: 'GET', path: `/rules/${seg(id)}` }),
    /** `PUT /rules/{id}`: lifetime, locked, comment, state (e.g. STUCK to retry), … */
    update: async (id: string, options: RuleUpdateOptions): Promise<void> => {
      await t.send({ method: 'PUT', path: `/rules/${seg(id)}`, body: { options } });
    },
    /** `DELETE /rules/{id}`; with `purgeReplicas` the replicas it leaves unprotected are deleted at once. */
    delete: async (id: string, purgeReplicas?: boolean): Promise<void> => {
      await t.send({
        method: 'DELETE',
        path: `/rules/${seg(id)}`,
        body: purgeReplicas === undefined ? {} : { purge_replicas: purgeReplicas },
      });
    },
    /** `GET /rules/{id}/locks`: the rule's replica locks, streamed. */
    locks: (id: string): AsyncGenerator<LockInfo> =>
      t.list<LockInfo>({ method: 'GET', path: `/rules/${seg(id)}/locks` }),
    /** `GET /rules/{id}/analysis`: lock counts per state, bytes done/total, last error per problem file. */
    analysis: (id: string): Promise<RuleAnalysis> =>
      t.json<RuleAnalysis>({ method: 'GET', path: `/rules/${seg(id)}/analysis` }),
    /** `GET /dids/{scope}/{name}/rules`: rules on one DID, streamed. */
    ofDid: (scope: string, name: string): AsyncGenerator<RuleInfo> =>
      t.list<RuleInfo>({ method: 'GET', path: didPath(scope, name, 'rules') }),
    /** `GET /dids/{scope}/{name}/associated_rules`: rules holding a lock on a file, streamed. */
    associated: (scope: string, name: string): AsyncGenerator<RuleInfo> =>
      t.list<RuleInfo>({ method: 'GET', path: didPath(scope, name, 'associated_rules') }),
  };
}
