/**
 * /auth/x509 and /auth/x509_proxy over real HTTPS: a server started with --tls-cert/--tls-key/--ca-dir,
 * clients presenting certificates and proxies made by openssl, voms-proxy-init and voms-proxy-fake.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type Agent, request } from 'undici';
import { resolveSettings } from '../src/config.js';
import { type RunningServer, startServer } from '../src/server.js';
import { TEST_ROOT_PASSWORD } from '../src/testing/server.js';
import { buildTestPki, JANE_DN, tlsAgent } from './support/pki.js';

const pki = await buildTestPki();
const dataDirs: string[] = [];
const servers: RunningServer[] = [];
const agents: Agent[] = [];
t.teardown(async () => {
  for (const a of agents) await a.close();
  for (const s of servers) await s.close();
  for (const d of [...dataDirs, pki.dir]) rmSync(d, { recursive: true, force: true });
});

async function start(extra: Parameters<typeof resolveSettings>[0]): Promise<RunningServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'oxbow-x509-'));
  dataDirs.push(dataDir);
  const s = await startServer(
    resolveSettings(
      {
        dataDir,
        port: 0,
        host: '127.0.0.1',
        rootPassword: TEST_ROOT_PASSWORD,
        embeddedRses: false,
        ...extra,
      },
      {},
    ),
    { logger: false },
  );
  servers.push(s);
  return s;
}

const server = await start({
  tlsCert: pki.host.cert,
  tlsKey: pki.host.key,
  caDir: pki.caDir,
  vomsDir: pki.vomsDir,
  adminGroups: ['/oxbow/Role=production'],
});
const agentFor = (cred?: string) => {
  const a = tlsAgent(pki, cred ? pki.creds[cred] : undefined);
  agents.push(a);
  return a;
};
const anon = agentFor();

interface Res {
  status: number;
  headers: Record<string, string>;
  body: string;
}
async function call(
  path: string,
  opts: {
    agent?: Agent;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    reset?: boolean;
  } = {},
): Promise<Res> {
  const r = await request(`${server.url}${path}`, {
    method: (opts.method ?? 'GET') as 'GET',
    headers: opts.headers,
    body: opts.body,
    dispatcher: opts.agent ?? anon,
    reset: opts.reset,
  });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) headers[k] = Array.isArray(v) ? v.join(',') : String(v);
  return { status: r.statusCode, headers, body: await r.body.text() };
}

const ROOT: Record<string, string> = {};
const post = (path: string, body: unknown, headers = ROOT) =>
  call(path, { method: 'POST', headers, body: JSON.stringify(body) });

t.test('setup over HTTPS', async (t) => {
  t.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/, 'TLS configured → the port serves HTTPS');
  const rootLogin = await call('/auth/userpass', {
    headers: {
      'x-rucio-account': 'root',
      'x-rucio-username': 'root',
      'x-rucio-password': TEST_ROOT_PASSWORD,
    },
  });
  t.equal(rootLogin.status, 200, 'userpass still works over HTTPS without a client certificate');
  ROOT['x-rucio-auth-token'] = rootLogin.headers['x-rucio-auth-token'];

  t.equal((await post('/accounts/jdoe', { type: 'USER' })).status, 201);
  // RFC 2253 input is stored in the slash form Rucio uses.
  const idAdd = await post('/accounts/jdoe/identities', {
    identity: 'CN=Jane Doe,OU=Users,DC=oxbow,DC=org',
    authtype: 'X509',
    email: 'jane@oxbow.test',
  });
  t.equal(idAdd.status, 201, idAdd.body);
  const ids = await call('/accounts/jdoe/identities', { headers: ROOT });
  t.match(ids.body, JSON.stringify(JANE_DN).slice(1, -1), 'identity stored as the slash DN');
});

t.test('certificate and proxies get tokens', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['user-cred', '/auth/x509', 'x509'],
    ['proxy', '/auth/x509_proxy', 'voms-proxy-init -rfc'],
    ['p3', '/auth/x509_proxy', 'three proxy levels'],
    ['limited', '/auth/x509_proxy', 'limited proxy'],
    ['vproxy', '/auth/x509_proxy', 'VOMS proxy'],
    ['user-cred', '/auth/x509/webui', 'webui variant'],
  ];
  for (const [cred, path, what] of cases) {
    const r = await call(path, { agent: agentFor(cred) });
    t.equal(r.status, 200, `${what}: 200 ${r.body}`);
    t.equal(r.headers['x-rucio-auth-account'], 'jdoe', `${what}: account`);
    t.match(r.headers['x-rucio-auth-token'], /^jdoe-[A-Za-z0-9]+$/, `${what}: token without dots`);
    t.match(
      r.headers['x-rucio-auth-token-expires'],
      /^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d UTC$/,
    );
    const who = await call('/accounts/whoami', {
      headers: { 'x-rucio-auth-token': r.headers['x-rucio-auth-token'] },
    });
    t.equal(who.status, 303, `${what}: token works`);
    t.equal(who.headers.location, 'jdoe');
    const v = await call('/auth/validate', {
      headers: { 'x-rucio-auth-token': r.headers['x-rucio-auth-token'] },
    });
    t.equal(JSON.parse(v.body).identity, JANE_DN, `${what}: token identity is the EEC DN`);
  }
});

t.test(
  'keep-alive and new connections of one client (no TLS session resumption losing the chain)',
  async (t) => {
    const a = agentFor('proxy');
    for (let i = 0; i < 4; i++) {
      const r = await call('/auth/x509_proxy', { agent: a, reset: i % 2 === 0 });
      t.equal(r.status, 200, `request ${i}: ${r.body}`);
    }
  },
);

t.test('rejections: 401 CannotAuthenticate with the reason', async (t) => {
  const cases: Array<[string | undefined, RegExp, string]> = [
    ['expired-cred', /Expired User expired on 2020-01-02/, 'expired certificate'],
    ['expired-proxy', /proxy .*CN=Jane Doe\/CN=\d+ expired on/, 'expired proxy'],
    [
      'wrong-key',
      /(signature was not made by its issuer|arrived without its issuer)/,
      'proxy signed by another key than its issuer',
    ],
    [
      'subj-other',
      /subject must be its issuer's subject .* plus exactly one CN/,
      'proxy subject not extending its issuer',
    ],
    ['vproxy-newsubject', /plus exactly one CN/, 'voms-proxy-fake -newsubject'],
    ['pl0child', /proxy path length constraint 0 exceeded/, 'path length exceeded'],
    ['rogue-proxy', /unknown CA: \/DC=org\/DC=rogue\/CN=Rogue CA/, 'unknown CA'],
    ['rogue-cred', /unknown CA/, 'unknown CA (certificate)'],
    ['revoked-cred', /Revoked User .*was revoked by/, 'revoked by CRL'],
    ['revoked-proxy', /Revoked User .*was revoked by/, 'proxy of a revoked certificate'],
    ['limited-escalate', /limited proxy can only sign limited proxies/, 'full proxy under a limited one'],
    [
      'nobody-cred',
      /DN \/DC=org\/DC=oxbow\/OU=Users\/CN=Nobody Mapped is not mapped to any account/,
      'DN mapped to no account',
    ],
    [undefined, /no client certificate was presented/, 'no certificate'],
  ];
  for (const [cred, reason, what] of cases) {
    const r = await call('/auth/x509_proxy', { agent: cred ? agentFor(cred) : anon });
    t.equal(r.status, 401, `${what}: 401`);
    t.equal(r.headers.exceptionclass, 'CannotAuthenticate', `${what}: CannotAuthenticate`);
    t.match(JSON.parse(r.body).ExceptionMessage, reason, `${what}: reason`);
  }
});

t.test('X-Rucio-Account chooses among several accounts', async (t) => {
  t.equal((await post('/accounts/jdoeprod', { type: 'SERVICE' })).status, 201);
  t.equal(
    (await post('/accounts/jdoeprod/identities', { identity: JANE_DN, authtype: 'X509', email: 'j@x' }))
      .status,
    201,
  );
  const a = agentFor('proxy');
  const several = await call('/auth/x509_proxy', { agent: a });
  t.equal(several.status, 401);
  t.match(JSON.parse(several.body).ExceptionMessage, /Multiple accounts .*jdoe, jdoeprod/);
  const list = await call('/auth/x509_proxy', {
    agent: a,
    headers: { 'x-rucio-allow-return-multiple-accounts': 'True' },
  });
  t.equal(list.status, 206);
  t.same(JSON.parse(list.body), ['jdoe', 'jdoeprod']);
  t.equal(list.headers['x-rucio-auth-accounts'], 'jdoe,jdoeprod');
  const chosen = await call('/auth/x509_proxy', { agent: a, headers: { 'x-rucio-account': 'jdoeprod' } });
  t.equal(chosen.status, 200);
  t.equal(chosen.headers['x-rucio-auth-account'], 'jdoeprod');
  const notMine = await call('/auth/x509_proxy', { agent: a, headers: { 'x-rucio-account': 'root' } });
  t.equal(notMine.status, 401);
  t.match(JSON.parse(notMine.body).ExceptionMessage, /not mapped to it/);
  const del = await call('/accounts/jdoeprod/identities', {
    method: 'DELETE',
    headers: ROOT,
    body: JSON.stringify({ identity: JANE_DN, authtype: 'X509' }),
  });
  t.equal(del.status, 200);
});

t.test('VOMS role and limited proxy reach the policy', async (t) => {
  const token = async (cred: string) =>
    (await call('/auth/x509_proxy', { agent: agentFor(cred) })).headers['x-rucio-auth-token'];
  const plain = { 'x-rucio-auth-token': await token('proxy') };
  const voms = { 'x-rucio-auth-token': await token('vproxy') };
  const limited = { 'x-rucio-auth-token': await token('limited') };
  const denied = await post('/accounts/byplain', { type: 'USER' }, plain);
  t.equal(denied.status, 401, 'plain proxy of a non-admin account cannot add accounts');
  t.equal(denied.headers.exceptionclass, 'AccessDenied');
  t.equal(
    (await post('/accounts/byvoms', { type: 'USER' }, voms)).status,
    201,
    '/oxbow/Role=production is an admin group',
  );
  const lim = await post('/accounts/jdoe/scopes/user.jdoe', {}, limited);
  t.equal(lim.status, 401, 'a limited proxy may not add a scope');
  t.match(JSON.parse(lim.body).ExceptionMessage, /limited proxy/);
  t.equal((await post('/accounts/jdoe/scopes/user.jdoe', {}, plain)).status, 201, 'a full proxy may');
  // The expired AC gives no role: same as a plain proxy.
  const expiredAc = { 'x-rucio-auth-token': await token('vproxy-expired-ac') };
  t.equal((await post('/accounts/byexpiredac', { type: 'USER' }, expiredAc)).status, 401);
});

t.test('front-end DN header', async (t) => {
  // Not configured: the header is never read, even on the TLS port.
  const ignored = await call('/auth/x509', { headers: { 'x-ssl-client-s-dn': JANE_DN } });
  t.equal(ignored.status, 401);
  t.match(JSON.parse(ignored.body).ExceptionMessage, /no client certificate/);

  const fe = await start({ x509DnHeader: 'X-SSL-Client-S-DN', trustedFrontends: ['127.0.0.1'] });
  const root = await request(`${fe.url}/auth/userpass`, {
    headers: {
      'x-rucio-account': 'root',
      'x-rucio-username': 'root',
      'x-rucio-password': TEST_ROOT_PASSWORD,
    },
  });
  await root.body.text();
  const rootH = { 'x-rucio-auth-token': String(root.headers['x-rucio-auth-token']) };
  for (const [path, body] of [
    ['/accounts/jdoe', { type: 'USER' }],
    ['/accounts/jdoe/identities', { identity: JANE_DN, authtype: 'X509', email: 'j@x' }],
  ] as const) {
    const r = await request(`${fe.url}${path}`, {
      method: 'POST',
      headers: rootH,
      body: JSON.stringify(body),
    });
    t.equal(r.statusCode, 201, await r.body.text());
  }
  // nginx forwards RFC 2253 with proxy CNs; Rucio strips the proxy CNs.
  const ok = await request(`${fe.url}/auth/x509_proxy`, {
    headers: { 'x-ssl-client-s-dn': 'CN=1234567,CN=Jane Doe,OU=Users,DC=oxbow,DC=org' },
  });
  await ok.body.text();
  t.equal(ok.statusCode, 200);
  t.equal(ok.headers['x-rucio-auth-account'], 'jdoe');
  const none = await request(`${fe.url}/auth/x509`);
  t.equal(none.statusCode, 401);
  t.match(await none.body.text(), /X509 authentication needs HTTPS/);

  const untrusted = await start({ x509DnHeader: 'X-SSL-Client-S-DN', trustedFrontends: ['192.0.2.1'] });
  const r = await request(`${untrusted.url}/auth/x509`, { headers: { 'x-ssl-client-s-dn': JANE_DN } });
  t.equal(r.statusCode, 401);
  t.match(await r.body.text(), /only accepted from the trusted front end, not from 127\.0\.0\.1/);
  await t.rejects(start({ x509DnHeader: 'X-SSL-Client-S-DN' }), /no trustedFrontends/);
});
