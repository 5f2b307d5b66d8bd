/**
 * oidc in the client: tokens from a real OpenID provider (oidc-provider) by the client-credentials
 * and device-code flows of openid-client, WLCG bearer-token discovery, refresh before sending, token
 * files with mode 0600, against a real server over HTTPS trusting that issuer.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  bearerAuth,
  bearerTokenLocation,
  ClientConfigError,
  CredentialError,
  clientCredentialsLogin,
  clientFromEnvironment,
  createClient,
  currentUid,
  deviceCodeLogin,
  discoverBearerToken,
  jwtExpiry,
  type OxbowClient,
  RucioClientError,
  readSession,
  saveLogin,
  sessionFileFor,
} from '../src/index.js';
import { buildPki, startHttpsServer, startIssuer, TEST_ROOT_PASSWORD } from './auth-support.js';

const pki = await buildPki();
const idp = await startIssuer();
const server = await startHttpsServer(pki, idp.issuer);
const scratch = mkdtempSync(join(tmpdir(), 'oxbow-oidc-client-'));
const sessionDir = join(scratch, 'sessions');
const clients: OxbowClient[] = [];
t.teardown(async () => {
  for (const c of clients) await c.close();
  await server.close();
  await idp.stop();
  rmSync(pki.dir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

function client(opts: Partial<Parameters<typeof createClient>[0]>) {
  const c = createClient({ url: server.url, certDir: pki.caDir, retries: 0, ...opts });
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
const claims = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
const mode = (f: string) => (statSync(f).mode & 0o777).toString(8);
const robot = () => ({ issuer: idp.issuer, clientId: idp.robotClient, clientSecret: idp.robotSecret });
/** Runs the device flow, approving the code as `sub` the way a person would in the browser. */
const deviceLogin = (sub: string) =>
  deviceCodeLogin(
    {
      issuer: idp.issuer,
      clientId: idp.deviceClient,
      scope: 'openid offline_access storage.read:/',
      audience: 'rucio',
    },
    (p) => idp.approveDevice(p.userCode, sub),
  );

t.test('setup: accounts with OIDC identities', async (t) => {
  const root = client({ username: 'root', password: TEST_ROOT_PASSWORD });
  for (const a of ['jdoe', 'robot1']) await root.accounts.add(a, 'USER', `${a}@oxbow.test`);
  const oidc = (sub: string) =>
    ({ identity: `SUB=${sub}, ISS=${idp.issuer}`, authtype: 'OIDC', email: 'x@oxbow.test' }) as const;
  await root.accounts.addIdentity('jdoe', oidc('jdoe'));
  await root.accounts.addIdentity('robot1', oidc(idp.robotClient));
  t.pass('identities added');
});

t.test('client credentials → token in X-Rucio-Auth-Token (BEARER_TOKEN)', async (t) => {
  const tokens = await clientCredentialsLogin({ ...robot(), audience: 'rucio' });
  const c = claims(tokens.accessToken);
  t.equal(c.sub, idp.robotClient);
  t.equal(c.aud, 'rucio');
  t.ok(tokens.expiresAt! > Date.now() + 3000_000, 'expiry from expires_in');
  const viaEnv = client({ auth: bearerAuth({ bearerToken: tokens.accessToken }) });
  t.equal((await viaEnv.accounts.whoami()).account, 'robot1');
  const v = await viaEnv.auth.validate();
  t.equal(v.identity, `SUB=${idp.robotClient}, ISS=${idp.issuer}`);
});

t.test('device code → refresh token; files written with mode 0600', async (t) => {
  const tokens = await deviceLogin('jdoe');
  t.equal(claims(tokens.accessToken).sub, 'jdoe');
  t.ok(tokens.refreshToken, 'offline_access gives a refresh token');
  const tokenFile = join(scratch, 'run', `bt_u${currentUid()}`);
  const sessionFile = saveLogin(
    sessionDir,
    tokenFile,
    { issuer: idp.issuer, clientId: idp.deviceClient, scope: 'openid offline_access', flow: 'device' },
    tokens,
  );
  t.equal(sessionFile, sessionFileFor(sessionDir, tokenFile));
  t.equal(mode(tokenFile), '600', 'access token file 0600');
  t.equal(mode(sessionFile), '600', 'session file 0600');
  t.equal(mode(sessionDir), '700', 'session folder 0700');
  t.equal(readFileSync(tokenFile, 'utf8').trim(), tokens.accessToken, 'the token file holds only the token');
  t.equal(readSession(sessionDir, tokenFile)?.refreshToken, tokens.refreshToken);
  // Found by discovery in $XDG_RUNTIME_DIR/bt_u$UID.
  const env = {
    HOME: scratch,
    OXBOW_URL: server.url,
    OXBOW_AUTH_TYPE: 'oidc',
    XDG_RUNTIME_DIR: join(scratch, 'run'),
    X509_CERT_DIR: pki.caDir,
  };
  const c = clientFromEnvironment({}, env);
  clients.push(c);
  t.equal((await c.accounts.whoami()).account, 'jdoe');
  t.equal(
    bearerTokenLocation({ runtimeDir: env.XDG_RUNTIME_DIR }),
    tokenFile,
    'login writes where discovery reads',
  );
});

t.test('an access token about to expire is refreshed before it is sent', async (t) => {
  idp.setAccessTokenTtl(30); // under the 60 s renewal margin: every use refreshes
  t.teardown(() => idp.setAccessTokenTtl(3600));
  const tokens = await deviceLogin('jdoe');
  const tokenFile = join(scratch, 'short-lived-token');
  saveLogin(
    sessionDir,
    tokenFile,
    { issuer: idp.issuer, clientId: idp.deviceClient, flow: 'device' },
    tokens,
  );
  const c = client({ auth: bearerAuth({ bearerTokenFile: tokenFile, sessionDir }) });
  t.equal((await c.accounts.whoami()).account, 'jdoe');
  const now = readFileSync(tokenFile, 'utf8').trim();
  t.not(now, tokens.accessToken, 'the token file holds a new token');
  t.equal(claims(now).sub, 'jdoe');
  t.ok(jwtExpiry(now)! >= jwtExpiry(tokens.accessToken)!, 'issued later');
  t.equal(mode(tokenFile), '600', 'rewritten with mode 0600');
  t.ok(readSession(sessionDir, tokenFile)?.refreshToken, 'session still refreshable');

  // A robot without refresh token gets a new token by client credentials again.
  const rt = await clientCredentialsLogin(robot());
  const robotFile = join(scratch, 'robot-token');
  saveLogin(sessionDir, robotFile, { ...robot(), flow: 'client_credentials' }, rt);
  const r = client({ auth: bearerAuth({ bearerTokenFile: robotFile, sessionDir }) });
  t.equal((await r.accounts.whoami()).account, 'robot1');
  t.not(readFileSync(robotFile, 'utf8').trim(), rt.accessToken, 'robot token renewed');
});

t.test('discovery order: BEARER_TOKEN, BEARER_TOKEN_FILE, $XDG_RUNTIME_DIR/bt_u$UID', async (t) => {
  const dir = join(scratch, 'disc');
  mkdirSync(dir);
  const name = `bt_u${currentUid()}`;
  writeFileSync(join(dir, name), ' from-xdg \n');
  writeFileSync(join(dir, 'file'), 'from-file\n');
  t.same(
    discoverBearerToken({ bearerToken: 'from-env', bearerTokenFile: join(dir, 'file'), runtimeDir: dir }),
    {
      token: 'from-env',
      source: 'BEARER_TOKEN',
    },
  );
  t.match(discoverBearerToken({ bearerTokenFile: join(dir, 'file'), runtimeDir: dir }), {
    token: 'from-file',
  });
  t.match(discoverBearerToken({ runtimeDir: dir }), { token: 'from-xdg', file: join(dir, name) }, 'trimmed');
  t.same(
    discoverBearerToken({ bearerTokenFile: join(dir, 'absent'), runtimeDir: dir }),
    {
      looked: [`BEARER_TOKEN_FILE=${join(dir, 'absent')} (missing or empty)`],
    },
    'an explicit BEARER_TOKEN_FILE is never replaced by another token',
  );
});

t.test('refusals with their reasons', async (t) => {
  const none = await failure(
    client({ auth: bearerAuth({ bearerTokenFile: join(scratch, 'absent') }) }).accounts.whoami(),
  );
  t.type(none, CredentialError);
  t.match(
    none.message,
    /no bearer token found \(looked at BEARER_TOKEN_FILE=.*absent.*\); run 'oxbow login'/,
  );

  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const stale = `${enc({ alg: 'RS256' })}.${enc({ sub: 'jdoe', exp: Math.floor(Date.now() / 1000) - 600 })}.c2ln`;
  const expired = await failure(client({ auth: bearerAuth({ bearerToken: stale }) }).accounts.whoami());
  t.match(expired.message, /bearer token from BEARER_TOKEN expired at 20\d\d-.*oxbow login/);

  // A valid token of the issuer whose subject is mapped to no account: the server says so.
  const stranger = await deviceLogin('stranger');
  const unmapped = await failure(
    client({ auth: bearerAuth({ bearerToken: stranger.accessToken }) }).accounts.whoami(),
  );
  t.equal(unmapped.status, 401);
  t.match(unmapped.message, /SUB=stranger, ISS=.* is not mapped to any account/);

  const wrongSecret = await failure(clientCredentialsLogin({ ...robot(), clientSecret: 'wrong' }));
  t.match(wrongSecret.message, /OIDC client-credentials grant at .* failed: invalid_client/);

  await t.rejects(
    clientCredentialsLogin({ issuer: 'http://idp.example.org', clientId: 'x', clientSecret: 'y' }),
    ClientConfigError,
    'plain http issuers only on loopback',
  );
  const down = await failure(
    clientCredentialsLogin({ issuer: 'http://127.0.0.1:1', clientId: 'x', clientSecret: 'y' }),
  );
  t.match(down.message, /OIDC discovery at http:\/\/127\.0\.0\.1:1 failed/);
});
