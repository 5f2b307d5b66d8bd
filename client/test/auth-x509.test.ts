/**
 * x509 and x509_proxy in the client against a real server over HTTPS: certificates made by openssl,
 * proxies by voms-proxy-init / voms-proxy-fake (the server tests' PKI), CA trust from a grid CA dir.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  authMethodFor,
  ClientConfigError,
  CredentialError,
  clientFromEnvironment,
  createClient,
  loadCaDir,
  type OxbowClient,
  RucioClientError,
  type TransportEvent,
  x509Auth,
  x509ProxyAuth,
} from '../src/index.js';
import { buildPki, startHttpsServer, TEST_ROOT_PASSWORD } from './auth-support.js';

const pki = await buildPki();
const server = await startHttpsServer(pki);
const scratch = mkdtempSync(join(tmpdir(), 'oxbow-x509-client-'));
const clients: OxbowClient[] = [];
t.teardown(async () => {
  for (const c of clients) await c.close();
  await server.close();
  rmSync(pki.dir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

const file = (name: string) => join(pki.dir, name);
function client(opts: Partial<Parameters<typeof createClient>[0]>, events?: TransportEvent[]) {
  const c = createClient({
    url: server.url,
    certDir: pki.caDir,
    retries: 0,
    onEvent: events ? (e) => events.push(e) : undefined,
    ...opts,
  });
  clients.push(c);
  return c;
}
async function failure(p: Promise<unknown>): Promise<RucioClientError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RucioClientError) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

const root = client({ username: 'root', password: TEST_ROOT_PASSWORD });

t.test('setup: accounts and X509 identities (root over HTTPS with the CA dir)', async (t) => {
  for (const a of ['jdoe', 'jdoe2', 'jdoe3']) await root.accounts.add(a, 'USER', `${a}@oxbow.test`);
  const x509 = (identity: string) => ({ identity, authtype: 'X509', email: 'j@oxbow.test' }) as const;
  await root.accounts.addIdentity('jdoe', x509(pki.janeDn));
  // One DN with two accounts: the client must ask which.
  await root.accounts.addIdentity('jdoe2', x509(pki.nobodyDn));
  await root.accounts.addIdentity('jdoe3', x509(pki.nobodyDn));
  t.equal((await root.accounts.whoami()).account, 'root');
});

t.test('CA directory: HASH.N certificates only (the HASH.r0 CRL is skipped)', async (t) => {
  const cas = loadCaDir(pki.caDir);
  t.equal(cas.length, 1, 'one CA certificate');
  t.equal(cas[0]!.trim(), readFileSync(pki.caPem, 'utf8').trim(), 'it is the test CA');
  // Without the CA the server certificate is not trusted: the CA dir is what makes HTTPS work.
  const untrusted = client({ certDir: undefined, auth: x509Auth(file('user.pem'), file('user.key')) });
  const e = await failure(untrusted.accounts.whoami());
  t.equal(e.exceptionClass, 'ConnectionError');
  t.match(e.message, /certificate/i, e.message);
});

t.test('certificate: GET /auth/x509 presenting X509_USER_CERT/KEY', async (t) => {
  const events: TransportEvent[] = [];
  const c = client({ auth: x509Auth(file('user.pem'), file('user.key')) }, events);
  t.equal((await c.accounts.whoami()).account, 'jdoe');
  t.equal(c.account, 'jdoe', 'account from X-Rucio-Auth-Account');
  t.same(
    events.filter((e) => e.type === 'login'),
    [{ type: 'login', account: 'jdoe' }],
  );
  const v = await c.auth.validate();
  t.equal(v.identity, pki.janeDn, 'the token belongs to the certificate DN');
});

t.test('proxies: voms-proxy-init, three levels, limited, VOMS', async (t) => {
  for (const name of ['proxy', 'p3', 'limited', 'vproxy']) {
    const c = client({ auth: x509ProxyAuth(pki.creds[name]!) });
    t.equal((await c.accounts.whoami()).account, 'jdoe', `${name}: whoami`);
    t.equal((await c.auth.validate()).identity, pki.janeDn, `${name}: identity is the EEC DN`);
  }
});

t.test('settings from the environment (X509_USER_PROXY, X509_CERT_DIR, defaults in ~/.globus)', async (t) => {
  const home = join(scratch, 'home');
  mkdirSync(join(home, '.globus'), { recursive: true });
  copyFileSync(file('user.pem'), join(home, '.globus', 'usercert.pem'));
  copyFileSync(file('user.key'), join(home, '.globus', 'userkey.pem'));
  chmodSync(join(home, '.globus', 'userkey.pem'), 0o400);
  const env = { HOME: home, OXBOW_URL: server.url, X509_CERT_DIR: pki.caDir, OXBOW_TOKEN_CACHE: 'false' };
  const viaDefaults = clientFromEnvironment({}, { ...env, OXBOW_AUTH_TYPE: 'x509' });
  clients.push(viaDefaults);
  t.equal((await viaDefaults.accounts.whoami()).account, 'jdoe', 'x509 with ~/.globus defaults');
  const viaProxy = clientFromEnvironment(
    {},
    { ...env, OXBOW_AUTH_TYPE: 'x509_proxy', X509_USER_PROXY: pki.creds.vproxy },
  );
  clients.push(viaProxy);
  t.equal((await viaProxy.accounts.whoami()).account, 'jdoe', 'x509_proxy from X509_USER_PROXY');
  const chosen = clientFromEnvironment(
    { account: 'jdoe3' },
    {
      ...env,
      OXBOW_AUTH_TYPE: 'x509',
      X509_USER_CERT: file('nobody.pem'),
      X509_USER_KEY: file('nobody.key'),
    },
  );
  clients.push(chosen);
  t.equal((await chosen.accounts.whoami()).account, 'jdoe3', 'X-Rucio-Account picks one of several');
});

t.test('token cache: a second client of the same certificate reuses the token file', async (t) => {
  const tokenDir = join(scratch, 'tokens');
  const first: TransportEvent[] = [];
  await client({ auth: x509ProxyAuth(pki.creds.proxy!), tokenDir }, first).accounts.whoami();
  const second: TransportEvent[] = [];
  const c = client({ auth: x509ProxyAuth(pki.creds.proxy!), tokenDir }, second);
  t.equal((await c.accounts.whoami()).account, 'jdoe');
  t.equal(first.filter((e) => e.type === 'login').length, 1);
  t.equal(second.filter((e) => e.type === 'login').length, 0, 'no second login');
  // Another proxy of the same user is another credential: it logs in itself.
  const other: TransportEvent[] = [];
  await client({ auth: x509ProxyAuth(pki.creds.p3!), tokenDir }, other).accounts.whoami();
  t.equal(other.filter((e) => e.type === 'login').length, 1);
});

t.test('refusals, each with its reason', async (t) => {
  const several = await failure(
    client({ auth: x509Auth(file('nobody.pem'), file('nobody.key')) }).accounts.whoami(),
  );
  t.equal(several.exceptionClass, 'CannotAuthenticate');
  t.match(several.message, /maps to several accounts \(jdoe2, jdoe3\).*OXBOW_ACCOUNT/);

  const missing = await failure(
    client({ auth: x509Auth(join(scratch, 'nope.pem'), file('user.key')) }).accounts.whoami(),
  );
  t.type(missing, CredentialError);
  t.match(missing.message, /X509 certificate .*nope\.pem does not exist; set X509_USER_CERT/);
  t.notOk(missing.isConnection);

  const loose = join(scratch, 'loose.key');
  copyFileSync(file('user.key'), loose);
  chmodSync(loose, 0o644);
  const mode = await failure(client({ auth: x509Auth(file('user.pem'), loose) }).accounts.whoami());
  t.match(mode.message, /readable by other users \(mode 0644\); run chmod 600/);

  const expired = await failure(
    client({ auth: x509ProxyAuth(pki.creds['expired-proxy']!) }).accounts.whoami(),
  );
  t.match(expired.message, /X509 proxy .* expired on 20\d\d-/, 'expired proxy caught before sending');

  const notKey = await failure(
    client({ auth: x509Auth(file('user.pem'), file('user.pem')) }).accounts.whoami(),
  );
  t.match(notKey.message, /holds no PEM private key/);

  // Refused by the server, with its reason.
  const rogue = await failure(client({ auth: x509ProxyAuth(pki.creds['rogue-proxy']!) }).accounts.whoami());
  t.equal(rogue.status, 401);
  t.match(rogue.message, /unknown CA|not trusted|Rogue CA/i, rogue.message);
  const revoked = await failure(
    client({ auth: x509Auth(file('revoked.pem'), file('revoked.key')) }).accounts.whoami(),
  );
  t.equal(revoked.status, 401);
  t.match(revoked.message, /revoked/i, revoked.message);

  t.throws(
    () => authMethodFor({ authType: 'x509', url: 'http://127.0.0.1:1' }),
    ClientConfigError,
    'x509 over plain http is a settings error',
  );
  t.throws(
    () =>
      clientFromEnvironment(
        {},
        {
          HOME: scratch,
          OXBOW_URL: server.url,
          OXBOW_USERNAME: 'root',
          OXBOW_PASSWORD: 'x',
          X509_CERT_DIR: join(scratch, 'none'),
        },
      ),
    /cannot read the CA directory/,
    'an explicit X509_CERT_DIR must exist',
  );
});
