/** `/accounts/*`: accounts, attributes, account scopes, identities, usage and limits. */
import type {
  Account,
  AccountAttribute,
  AccountIdentity,
  AccountIdentityBody,
  AccountListItem,
  AccountUsage,
  AddAccountBody,
} from '@oxbow/common';
import type { Transport } from '../transport.js';
import { seg } from './path.js';

/** Filters of `GET /accounts/`. */
export interface ListAccountsFilter {
  account_type?: string;
  identity?: string;
  account?: string;
  [key: string]: string | undefined;
}

/** Account calls. */
export function accountsApi(t: Transport) {
  const base = (account: string) => `/accounts/${seg(account)}`;
  return {
    /** `GET /accounts/`: streamed list. */
    list: (filter: ListAccountsFilter = {}): AsyncGenerator<AccountListItem> =>
      t.list<AccountListItem>({ method: 'GET', path: '/accounts/', query: filter }),
    /** `GET /accounts/{account}` */
    get: (account: string): Promise<Account> => t.json<Account>({ method: 'GET', path: base(account) }),
    /** `GET /accounts/whoami` (303 to the caller's account). */
    whoami: (): Promise<Account> => t.json<Account>({ method: 'GET', path: '/accounts/whoami' }),
    /** `POST /accounts/{account}` */
    add: async (account: string, type: AddAccountBody['type'], email?: string | null): Promise<void> => {
      await t.send({ method: 'POST', path: base(account), body: { type, email: email ?? null } });
    },
    /** `PUT /accounts/{account}` with one key (status, email, account_type). */
    update: async (account: string, key: string, value: string): Promise<void> => {
      await t.send({ method: 'PUT', path: base(account), body: { [key]: value } });
    },
    /** `DELETE /accounts/{account}` */
    delete: async (account: string): Promise<void> => {
      await t.send({ method: 'DELETE', path: base(account) });
    },
    /** `GET /accounts/{account}/attr/` */
    attributes: (account: string): Promise<AccountAttribute[]> =>
      t.json<AccountAttribute[]>({ method: 'GET', path: `${base(account)}/attr/` }),
    /** `POST /accounts/{account}/attr/{key}` */
    addAttribute: async (account: string, key: string, value: string | boolean | number): Promise<void> => {
      await t.send({ method: 'POST', path: `${base(account)}/attr/${seg(key)}`, body: { key, value } });
    },
    /** `DELETE /accounts/{account}/attr/{key}` */
    deleteAttribute: async (account: string, key: string): Promise<void> => {
      await t.send({ method: 'DELETE', path: `${base(account)}/attr/${seg(key)}` });
    },
    /** `GET /accounts/{account}/scopes/` (ScopeNotFound when the account has none, as Rucio). */
    scopes: (account: string): Promise<string[]> =>
      t.json<string[]>({ method: 'GET', path: `${base(account)}/scopes/` }),
    /** `POST /accounts/{account}/scopes/{scope}` */
    addScope: async (account: string, scope: string): Promise<void> => {
      await t.send({ method: 'POST', path: `${base(account)}/scopes/${seg(scope)}` });
    },
    /** `GET /accounts/{account}/identities`: streamed. */
    identities: (account: string): AsyncGenerator<AccountIdentity> =>
      t.list<AccountIdentity>({ method: 'GET', path: `${base(account)}/identities` }),
    /** `POST /accounts/{account}/identities` */
    addIdentity: async (account: string, identity: AccountIdentityBody): Promise<void> => {
      await t.send({ method: 'POST', path: `${base(account)}/identities`, body: identity });
    },
    /** `DELETE /accounts/{account}/identities` */
    deleteIdentity: async (account: string, identity: string, authtype: string): Promise<void> => {
      await t.send({ method: 'DELETE', path: `${base(account)}/identities`, body: { identity, authtype } });
    },
    /** `GET /accounts/{account}/usage/local[/{rse}]`: streamed. */
    usage: (account: string, rse?: string): AsyncGenerator<AccountUsage> =>
      t.list<AccountUsage>({
        method: 'GET',
        path: `${base(account)}/usage/local${rse ? `/${seg(rse)}` : ''}`,
      }),
    /** `GET /accounts/{account}/limits/local[/{rse}]`: RSE → bytes (null = none set). */
    limits: (account: string, rse?: string): Promise<Record<string, number | null>> =>
      t.json<Record<string, number | null>>({
        method: 'GET',
        path: `${base(account)}/limits/local${rse ? `/${seg(rse)}` : ''}`,
      }),
    /** `POST /accounts/{account}/limits/local/{rse}` (-1 = unlimited). */
    setLimit: async (account: string, rse: string, bytes: number): Promise<void> => {
      await t.send({ method: 'POST', path: `${base(account)}/limits/local/${seg(rse)}`, body: { bytes } });
    },
    /** `DELETE /accounts/{account}/limits/local/{rse}` */
    deleteLimit: async (account: string, rse: string): Promise<void> => {
      await t.send({ method: 'DELETE', path: `${base(account)}/limits/local/${seg(rse)}` });
    },
  };
}
