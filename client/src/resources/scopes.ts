/** `/scopes/*` */
import type { ScopeOwner } from '@oxbow/common';
import type { Transport } from '../transport.js';
import { seg } from './path.js';

/** Scope calls. */
export function scopesApi(t: Transport) {
  return {
    /** `GET /scopes/`: every scope name. */
    list: (): Promise<string[]> => t.json<string[]>({ method: 'GET', path: '/scopes/' }),
    /** `GET /scopes/owner/`: scopes with their owning account. */
    owners: (): Promise<ScopeOwner[]> => t.json<ScopeOwner[]>({ method: 'GET', path: '/scopes/owner/' }),
    /** `GET /scopes/{account}/scopes` */
    ofAccount: (account: string): Promise<string[]> =>
      t.json<string[]>({ method: 'GET', path: `/scopes/${seg(account)}/scopes` }),
    /** `POST /scopes/{account}/{scope}` */
    add: async (scope: string, account: string): Promise<void> => {
      await t.send({ method: 'POST', path: `/scopes/${seg(account)}/${seg(scope)}` });
    },
  };
}
