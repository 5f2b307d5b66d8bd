/** `/auth/*`: token issuing is done by the transport; these are the explicit calls. */
import type { TokenValidation } from '@oxbow/common';
import type { TokenGrant } from '../auth.js';
import type { Transport } from '../transport.js';

/** Auth calls. */
export function authApi(t: Transport) {
  return {
    /** Returns the current token, logging in when needed (cached, renewed before expiry). */
    token: (): Promise<TokenGrant> => t.token(),
    /** Forgets the cached token and logs in again. */
    async renew(): Promise<TokenGrant> {
      t.forgetToken();
      return t.token();
    },
    /** `GET /auth/validate`: what the server knows about the current token. */
    async validate(): Promise<TokenValidation> {
      const { token } = await t.token();
      return t.json<TokenValidation>({
        method: 'GET',
        path: '/auth/validate',
        auth: false,
        headers: { 'X-Rucio-Auth-Token': token },
      });
    },
  };
}
