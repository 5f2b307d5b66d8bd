/** `/identities/*` */
import type { Transport } from '../transport.js';
import { seg } from './path.js';

/** Identity calls. */
export function identitiesApi(t: Transport) {
  return {
    /** `PUT /identities/{account}/userpass`: adds a username/password identity to an account. */
    addUserpass: async (
      account: string,
      username: string,
      password: string,
      email?: string,
    ): Promise<void> => {
      const headers: Record<string, string> = { 'X-Rucio-Username': username, 'X-Rucio-Password': password };
      if (email) headers['X-Rucio-Email'] = email;
      // Creating an identity twice fails with Duplicate: not safe to repeat blindly.
      await t.send({
        method: 'PUT',
        path: `/identities/${seg(account)}/userpass`,
        headers,
        idempotent: false,
      });
    },
    /** `GET /identities/{identity}/{type}/accounts`: accounts an identity may act as. */
    accounts: (identity: string, type: string): Promise<string[]> =>
      t.json<string[]>({ method: 'GET', path: `/identities/${seg(identity)}/${seg(type)}/accounts` }),
  };
}
