/** REST calls the API tests share: an authenticated inject, and a second (non-admin) account. */
import type { TestServer } from '../../src/testing/server.js';

/** Request headers. */
export type H = Record<string, string>;

/** Authenticated inject with a JSON body (sent without Content-Type, as Rucio's client does). */
export function call(
  s: TestServer,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  body?: unknown,
  headers: H = s.headers,
) {
  return s.app.inject({
    method,
    url,
    headers,
    ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

/** Creates account `jdoe` (not an admin) with a password and returns its token headers. */
export async function userToken(s: TestServer): Promise<H> {
  await call(s, 'POST', '/accounts/jdoe', { type: 'USER' });
  await s.app.inject({
    method: 'PUT',
    url: '/identities/jdoe/userpass',
    headers: { ...s.headers, 'x-rucio-username': 'jdoe', 'x-rucio-password': 'pw-of-jdoe' },
  });
  const login = await s.app.inject({
    url: '/auth/userpass',
    headers: { 'x-rucio-account': 'jdoe', 'x-rucio-username': 'jdoe', 'x-rucio-password': 'pw-of-jdoe' },
  });
  return { 'x-rucio-auth-token': login.headers['x-rucio-auth-token'] as string };
}
