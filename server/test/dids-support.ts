/** Helpers shared by the DID tests: authenticated inject calls and a standard set of scopes/accounts. */
import type { LightMyRequestResponse } from 'fastify';
import type { TestServer } from '../src/testing/server.js';

type Headers = Record<string, string>;

/** Thin wrapper over `app.inject` with root's token unless other headers are given. */
export interface Api {
  get(url: string, extra?: Headers, auth?: Headers): Promise<LightMyRequestResponse>;
  post(url: string, body: unknown, auth?: Headers): Promise<LightMyRequestResponse>;
  put(url: string, body: unknown, auth?: Headers): Promise<LightMyRequestResponse>;
  del(url: string, body?: unknown, auth?: Headers): Promise<LightMyRequestResponse>;
  raw(method: 'POST' | 'PUT' | 'DELETE', url: string, payload: string): Promise<LightMyRequestResponse>;
}

/** An Api bound to a test server. */
export function api(s: TestServer): Api {
  const send = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body: unknown, headers: Headers) =>
    s.app.inject({
      method,
      url,
      headers,
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
  return {
    get: (url, extra = {}, auth = s.headers) => send('GET', url, undefined, { ...auth, ...extra }),
    post: (url, body, auth = s.headers) => send('POST', url, body, auth),
    put: (url, body, auth = s.headers) => send('PUT', url, body, auth),
    del: (url, body, auth = s.headers) => send('DELETE', url, body, auth),
    raw: (method, url, payload) => s.app.inject({ method, url, headers: s.headers, payload }),
  };
}

async function ok(res: Promise<LightMyRequestResponse>, what: string): Promise<LightMyRequestResponse> {
  const r = await res;
  if (r.statusCode >= 300) throw new Error(`${what}: ${r.statusCode} ${r.body}`);
  return r;
}

/** Scope `tr` (root), account `jdoe` with password login and its scope `user.jdoe`. */
export async function setupScopes(s: TestServer): Promise<void> {
  const H = s.headers;
  await ok(s.app.inject({ method: 'POST', url: '/accounts/root/scopes/tr', headers: H }), 'scope tr');
  await ok(
    s.app.inject({ method: 'POST', url: '/accounts/jdoe', headers: H, payload: { type: 'USER' } }),
    'account jdoe',
  );
  await ok(
    s.app.inject({
      method: 'PUT',
      url: '/identities/jdoe/userpass',
      headers: {
        ...H,
        'x-rucio-username': 'jdoe',
        'x-rucio-password': 'pw-of-jdoe',
        'x-rucio-email': 'j@x.org',
      },
    }),
    'identity jdoe',
  );
  await ok(
    s.app.inject({ method: 'POST', url: '/accounts/jdoe/scopes/user.jdoe', headers: H }),
    'scope user.jdoe',
  );
}

/** Token headers of an account set up by setupScopes. */
export async function loginAs(s: TestServer, account: string): Promise<Headers> {
  const r = await ok(
    s.app.inject({
      url: '/auth/userpass',
      headers: { 'x-rucio-username': account, 'x-rucio-password': `pw-of-${account}` },
    }),
    `login ${account}`,
  );
  return { 'x-rucio-auth-token': r.headers['x-rucio-auth-token'] as string };
}
