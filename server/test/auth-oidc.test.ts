/**
 * OIDC/WLCG JWT access tokens in X-Rucio-Auth-Token against a server trusting a real oidc-provider
 * started here: discovery + JWKS over HTTP, identity mapping, WLCG storage scopes and groups, and every
 * rejection with its reason. Bad tokens are forged with jose (mostly with the IdP's own key).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, importJWK, type JWTPayload, SignJWT, UnsecuredJWT } from 'jose';
import t from 'tap';
import { request } from 'undici';
import { resolveSettings } from '../src/config.js';
import { type RunningServer, startServer } from '../src/server.js';
import { TEST_ROOT_PASSWORD } from '../src/testing/server.js';
import { startTestIdp } from './support/oidc-idp.js';

const idp = await startTestIdp();
const otherIdp = await startTestIdp();
const dataDir = mkdtempSync(join(tmpdir(), 'oxbow-oidc-'));
const server: RunningServer = await startServer(
  resolveSettings(
    {
      dataDir,
      port: 0,
      host: '127.0.0.1',
      rootPassword: TEST_ROOT_PASSWORD,
      embeddedRses: false,
      oidcIssuers: [idp.issuer],
      oidcAudience: 'rucio',
      adminGroups: ['/oxbow/admins'],
    },
    {},
  ),
  { logger: false },
);
t.teardown(async () => {
  await server.close();
  await idp.stop();
  await otherIdp.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Res {
  status: number;
  headers: Record<string, string>;
  body: string;
}
async function call(
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<Res> {
  const r = await request(`${server.url}${path}`, {
    method: (opts.method ?? 'GET') as 'GET',
    headers: opts.headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) headers[k] = Array.isArray(v) ? v.join(',') : String(v);
  return { status: r.statusCode, headers, body: await r.body.text() };
}
const bearer = (token: string) => ({ 'x-rucio-auth-token': token });
const ROOT: Record<string, string> = {};

const now = () => Math.floor(Date.now() / 1000);
/** A token signed with the IdP's own key (so only the claim under test is wrong). */
async function forge(claims: JWTPayload, header: { alg?: string; kid?: string } = {}) {
  const alg = header.alg ?? 'RS256';
  return new SignJWT({ scope: 'storage.read:/', ...claims })
    .setProtectedHeader({ alg, kid: header.kid ?? idp.privateJwk.kid, typ: 'at+jwt' })
    .sign(await importJWK(idp.privateJwk, 'RS256'));
}
const base = (): JWTPayload => ({
  iss: idp.issuer,
  aud: 'rucio',
  sub: 'oxbow-test',
  iat: now(),
  exp: now() + 600,
});

t.test('setup', async (t) => {
  const login = await call('/auth/userpass', {
    headers: {
      'x-rucio-account': 'root',
      'x-rucio-username': 'root',
      'x-rucio-password': TEST_ROOT_PASSWORD,
    },
  });
  t.equal(login.status, 200);
  ROOT['x-rucio-auth-token'] = login.headers['x-rucio-auth-token'];
  for (const [path, body] of [
    ['/accounts/jdoe', { type: 'USER' }],
    ['/accounts/jdoe/scopes/user.jdoe', {}],
    [
      '/accounts/jdoe/identities',
      { identity: `SUB=oxbow-test, ISS=${idp.issuer}`, authtype: 'OIDC', email: 'j@x' },
    ],
  ] as const) {
    const r = await call(path, { method: 'POST', headers: ROOT, body });
    t.equal(r.status, 201, `${path}: ${r.body}`);
  }
});

t.test('a token from the IdP is accepted directly in X-Rucio-Auth-Token', async (t) => {
  const token = await idp.token('oxbow-test', 'storage.read:/ storage.create:/user.jdoe');
  t.equal(token.split('.').length, 3, 'the IdP issued a JWT');
  const who = await call('/accounts/whoami', { headers: bearer(token) });
  t.equal(who.status, 303, who.body);
  t.equal(who.headers.location, 'jdoe');
  const v = await call('/auth/validate', { headers: bearer(token) });
  t.equal(v.status, 200);
  t.match(JSON.parse(v.body), {
    account: 'jdoe',
    identity: `SUB=oxbow-test, ISS=${idp.issuer}`,
    authz_scope: 'storage.read:/ storage.create:/user.jdoe',
  });
  const again = await call('/accounts/jdoe', { headers: bearer(token) });
  t.equal(again.status, 200, 'second request (cached verification) works too');
  const limitsOwn = await call('/accounts/jdoe/scopes/user.jdoe2', {
    method: 'POST',
    headers: bearer(token),
    body: {},
  });
  t.equal(limitsOwn.status, 201, 'the account acts on itself');
});

t.test('WLCG storage scopes decide writes under their path', async (t) => {
  const cases: Array<[string, string, number, RegExp | null]> = [
    ['storage.create:/user.jdoe', 'ds-create', 201, null],
    ['storage.modify:/user.jdoe', 'ds-modify', 201, null],
    ['openid', 'ds-identity-only', 201, null],
    [
      'storage.create:/other',
      'ds-other',
      401,
      /at \/user\.jdoe\/?.*do not cover it; it needs storage\.create/,
    ],
    ['storage.create:/user.jdoe/sub', 'ds-sub', 401, /do not cover it/],
    ['storage.read:/', 'ds-read-only', 401, /storage\.read:\/\) do not cover it/],
  ];
  for (const [scope, name, status, reason] of cases) {
    const token = await idp.token('oxbow-test', scope);
    const r = await call(`/dids/user.jdoe/${name}`, {
      method: 'POST',
      headers: bearer(token),
      body: { type: 'DATASET' },
    });
    t.equal(r.status, status, `${scope}: ${status} ${r.body}`);
    if (reason) {
      t.equal(r.headers.exceptionclass, 'AccessDenied', `${scope}: AccessDenied`);
      t.match(JSON.parse(r.body).ExceptionMessage, reason, `${scope}: reason`);
    }
  }
});

t.test('wlcg.groups reach the policy', async (t) => {
  const member = await forge({ ...base(), 'wlcg.groups': ['/oxbow', '/oxbow/admins'] });
  t.equal(
    (await call('/accounts/bygroup', { method: 'POST', headers: bearer(member), body: { type: 'USER' } }))
      .status,
    201,
  );
  const plain = await idp.token('oxbow-test', 'openid');
  const r = await call('/accounts/bygroup2', {
    method: 'POST',
    headers: bearer(plain),
    body: { type: 'USER' },
  });
  t.equal(r.status, 401, 'groups /oxbow and /oxbow/production are not admin groups');
  t.equal(r.headers.exceptionclass, 'AccessDenied');
});

t.test('rejections: 401 CannotAuthenticate with the reason', async (t) => {
  const { privateKey: otherKey } = await generateKeyPair('RS256');
  const signWith = async (key: Parameters<SignJWT['sign']>[0], kid: string, alg = 'RS256') =>
    new SignJWT({ ...base() }).setProtectedHeader({ alg, kid, typ: 'at+jwt' }).sign(key);
  const good = await idp.token('oxbow-test', 'storage.read:/');
  const [h, p, s] = good.split('.');
  const swapped = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), sub: 'root' })).toString('base64url')}.${s}`;
  const cases: Array<[string, string | Promise<string>, RegExp]> = [
    [
      'wrong issuer (another real IdP)',
      otherIdp.token('oxbow-test', 'storage.read:/'),
      /issuer 'http:\/\/127\.0\.0\.1:\d+' is not a trusted issuer/,
    ],
    [
      'wrong audience',
      forge({ ...base(), aud: 'someone-else' }),
      /audience someone-else does not include rucio/,
    ],
    ['no audience', forge({ ...base(), aud: undefined }), /audience \(none\) does not include rucio/],
    ['expired token', forge({ ...base(), iat: now() - 7200, exp: now() - 3600 }), /JWT expired/],
    ['not yet valid', forge({ ...base(), nbf: now() + 3600 }), /not valid yet/],
    ['alg none', new UnsecuredJWT({ ...base() }).encode(), /alg "none"/],
    [
      'HS256 keyed with the public JWK',
      signWith(new TextEncoder().encode(JSON.stringify(idp.privateJwk)), idp.privateJwk.kid, 'HS256'),
      /algorithm HS256 is not accepted/,
    ],
    [
      'unknown signing key',
      signWith(otherKey, 'unknown-kid'),
      /signed by a key that issuer .* does not publish/,
    ],
    ['other key with the IdP key id', signWith(otherKey, idp.privateJwk.kid), /signature does not verify/],
    ['payload swapped after signing', swapped, /signature does not verify/],
    [
      'subject mapped to no account',
      idp.token('stranger', 'storage.read:/'),
      /Identity SUB=stranger, ISS=http:\/\/127\.0\.0\.1:\d+ \(OIDC\) is not mapped to any account/,
    ],
    ['no sub claim', forge({ ...base(), sub: undefined }), /missing required "sub" claim|sub/],
    ['garbage with dots', 'a.b.c', /neither an Oxbow token nor a decodable JWT/],
  ];
  for (const [what, tokenP, reason] of cases) {
    const r = await call('/accounts/whoami', { headers: bearer(await tokenP) });
    t.equal(r.status, 401, `${what}: 401`);
    t.equal(r.headers.exceptionclass, 'CannotAuthenticate', `${what}: CannotAuthenticate`);
    t.match(JSON.parse(r.body).ExceptionMessage, reason, `${what}: reason`);
  }
});

t.test('X-Rucio-Account with a token mapped to several accounts', async (t) => {
  await call('/accounts/jdoe2', { method: 'POST', headers: ROOT, body: { type: 'USER' } });
  const id = `SUB=oxbow-test, ISS=${idp.issuer}`;
  t.equal(
    (
      await call('/accounts/jdoe2/identities', {
        method: 'POST',
        headers: ROOT,
        body: { identity: id, authtype: 'OIDC', email: 'j@x' },
      })
    ).status,
    201,
  );
  const token = await idp.token('oxbow-test', 'openid');
  const several = await call('/accounts/whoami', { headers: bearer(token) });
  t.equal(several.status, 401);
  t.match(
    JSON.parse(several.body).ExceptionMessage,
    /several accounts \(jdoe, jdoe2\); choose one with the X-Rucio-Account header/,
  );
  const chosen = await call('/accounts/whoami', {
    headers: { ...bearer(token), 'x-rucio-account': 'jdoe2' },
  });
  t.equal(chosen.status, 303);
  t.equal(chosen.headers.location, 'jdoe2');
  const other = await call('/accounts/whoami', { headers: { ...bearer(token), 'x-rucio-account': 'root' } });
  t.equal(other.status, 401);
  t.match(JSON.parse(other.body).ExceptionMessage, /not mapped to account root/);
});

t.test('a server without issuers refuses JWTs with the reason', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'oxbow-oidc-'));
  const plain = await startServer(
    resolveSettings(
      { dataDir: dir, port: 0, host: '127.0.0.1', rootPassword: TEST_ROOT_PASSWORD, embeddedRses: false },
      {},
    ),
    { logger: false },
  );
  t.teardown(async () => {
    await plain.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const r = await request(`${plain.url}/accounts/whoami`, {
    headers: bearer(await idp.token('oxbow-test', 'openid')),
  });
  t.equal(r.statusCode, 401);
  t.match(await r.body.text(), /trusts no OIDC issuer/);
});
