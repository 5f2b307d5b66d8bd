/**
 * `oxbow whoami` as a child process with OXBOW_AUTH_TYPE=x509 / x509_proxy / oidc against a real server
 * over HTTPS (the server tests' CA, voms-proxy-init proxies), and `oxbow login` (and `--logout`) against a
 * real OpenID provider (client credentials and device code).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@oxbow/client';
import { freePort } from '@oxbow/server/testing/index';
import t, { type Test } from 'tap';
import { baseEnv, OXBOW_BIN, oxbow, type RunResult, reason } from './helpers.js';

// The client package's test support (compiled), loaded by path at run time.
type Support = typeof import('../../client/dist/test/auth-support.js');
const support = (await import(
  new URL('../../../client/dist/test/auth-support.js', import.meta.url).href
)) as Support;

const pki = await support.buildPki();
const idp = await support.startIssuer();
const server = await support.startHttpsServer(pki, idp.issuer);
const scratch = mkdtempSync(join(tmpdir(), 'oxbow-cli-auth-'));
const uid = process.getuid?.() ?? 0;
t.teardown(async () => {
  await server.close();
  await idp.stop();
  rmSync(pki.dir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

const file = (name: string) => join(pki.dir, name);
/** Environment of a user of this server: its URL and the grid CA directory that signed its certificate. */
const userEnv = (extra: Record<string, string | undefined>) =>
  baseEnv({ OXBOW_URL: server.url, X509_CERT_DIR: pki.caDir, ...extra });
let dirs = 0;
const freshDir = () => {
  const d = join(scratch, `d${++dirs}`);
  mkdirSync(d, { mode: 0o700 });
  return d;
};
const mode = (f: string) => (statSync(f).mode & 0o777).toString(8);
/** A failed command: exit code 1 and one line `oxbow: <reason>` without a stack trace. */
function failsWith(t: Test, r: RunResult, pattern: RegExp, what: string) {
  t.equal(r.code, 1, `${what}: exit code 1 (${reason(r)})`);
  t.equal(reason(r).split('\n').length, 1, `${what}: one line`);
  t.match(reason(r), pattern, `${what}: reason`);
  t.notMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`);
}
const whoami = async (t: Test, env: NodeJS.ProcessEnv, account: string, what: string) => {
  const r = await oxbow(['whoami', '--json'], env);
  t.equal(r.code, 0, `${what}: ${reason(r)}`);
  if (r.code === 0) t.match(r.json(), { account }, `${what}: account ${account}`);
};

t.test('setup: accounts and identities', async (t) => {
  const root = createClient({
    url: server.url,
    username: 'root',
    password: support.TEST_ROOT_PASSWORD,
    certDir: pki.caDir,
  });
  t.teardown(() => root.close());
  for (const a of ['jdoe', 'jdoe2', 'jdoe3', 'robot1']) await root.accounts.add(a, 'USER', `${a}@x.test`);
  const id = (identity: string, authtype: 'X509' | 'OIDC') => ({ identity, authtype, email: 'x@x.test' });
  await root.accounts.addIdentity('jdoe', id(pki.janeDn, 'X509'));
  await root.accounts.addIdentity('jdoe2', id(pki.nobodyDn, 'X509'));
  await root.accounts.addIdentity('jdoe3', id(pki.nobodyDn, 'X509'));
  await root.accounts.addIdentity('jdoe', id(`SUB=jdoe, ISS=${idp.issuer}`, 'OIDC'));
  await root.accounts.addIdentity('robot1', id(`SUB=${idp.robotClient}, ISS=${idp.issuer}`, 'OIDC'));
  t.pass();
});

t.test('whoami with a certificate and with proxies', async (t) => {
  const cert = { OXBOW_AUTH_TYPE: 'x509', X509_USER_CERT: file('user.pem'), X509_USER_KEY: file('user.key') };
  await whoami(t, userEnv(cert), 'jdoe', 'x509 certificate');
  await whoami(
    t,
    userEnv({ OXBOW_AUTH_TYPE: 'x509_proxy', X509_USER_PROXY: pki.creds.proxy }),
    'jdoe',
    'voms-proxy-init proxy',
  );
  await whoami(
    t,
    userEnv({ OXBOW_AUTH_TYPE: 'x509_proxy', X509_USER_PROXY: pki.creds.vproxy }),
    'jdoe',
    'VOMS proxy',
  );
  const r = await oxbow(
    ['whoami', '--auth-type', 'x509_proxy', '--json'],
    userEnv({ X509_USER_PROXY: pki.creds.p3 }),
  );
  t.equal(r.code, 0, `--auth-type flag, 3-level proxy: ${reason(r)}`);
  // Several accounts for one DN: the reason says how to choose; OXBOW_ACCOUNT chooses.
  const nobody = {
    OXBOW_AUTH_TYPE: 'x509',
    X509_USER_CERT: file('nobody.pem'),
    X509_USER_KEY: file('nobody.key'),
  };
  failsWith(
    t,
    await oxbow(['whoami'], userEnv(nobody)),
    /maps to several accounts \(jdoe2, jdoe3\): choose one with --account or OXBOW_ACCOUNT/,
    'two accounts',
  );
  await whoami(t, userEnv({ ...nobody, OXBOW_ACCOUNT: 'jdoe3' }), 'jdoe3', 'OXBOW_ACCOUNT');
});

t.test('wrong or missing X509 credentials: exit 1 with the reason', async (t) => {
  failsWith(
    t,
    await oxbow(['whoami'], userEnv({ OXBOW_AUTH_TYPE: 'x509' })),
    /X509 certificate .*\.globus\/usercert\.pem does not exist; set X509_USER_CERT/,
    'no certificate',
  );
  failsWith(
    t,
    await oxbow(
      ['whoami'],
      userEnv({ OXBOW_AUTH_TYPE: 'x509_proxy', X509_USER_PROXY: join(scratch, 'none') }),
    ),
    /X509 proxy .*none does not exist; set X509_USER_PROXY/,
    'no proxy',
  );
  failsWith(
    t,
    await oxbow(
      ['whoami'],
      userEnv({ OXBOW_AUTH_TYPE: 'x509_proxy', X509_USER_PROXY: pki.creds['expired-proxy'] }),
    ),
    /X509 proxy .* expired on /,
    'expired proxy',
  );
  failsWith(
    t,
    await oxbow(
      ['whoami'],
      userEnv({ OXBOW_AUTH_TYPE: 'x509_proxy', X509_USER_PROXY: pki.creds['rogue-proxy'] }),
    ),
    /CannotAuthenticate: unknown CA: \/DC=org\/DC=rogue\/CN=Rogue CA/,
    'unknown CA',
  );
  failsWith(
    t,
    await oxbow(
      ['whoami'],
      userEnv({
        OXBOW_AUTH_TYPE: 'x509',
        X509_USER_CERT: file('revoked.pem'),
        X509_USER_KEY: file('revoked.key'),
      }),
    ),
    /revoked/,
    'revoked certificate',
  );
  // Without the CA directory the server's certificate is not trusted.
  failsWith(
    t,
    await oxbow(
      ['whoami'],
      userEnv({ OXBOW_AUTH_TYPE: 'x509_proxy', X509_USER_PROXY: pki.creds.proxy, X509_CERT_DIR: undefined }),
    ),
    /ConnectionError: .*certificate/i,
    'untrusted server',
  );
});

t.test('oxbow login --client-credentials, then whoami with OXBOW_AUTH_TYPE=oidc', async (t) => {
  const run = freshDir();
  const env = userEnv({ XDG_RUNTIME_DIR: run });
  const login = await oxbow(
    [
      'login',
      '--client-credentials',
      '--issuer',
      idp.issuer,
      '--client-id',
      idp.robotClient,
      '--client-secret',
      idp.robotSecret,
      '--scope',
      'storage.read:/',
      '--json',
    ],
    env,
  );
  t.equal(login.code, 0, reason(login));
  const info = login.json() as {
    tokenFile: string;
    sessionFile: string;
    subject: string;
    refreshable: boolean;
  };
  t.equal(
    info.tokenFile,
    join(run, `bt_u${uid}`),
    'written where WLCG discovery looks: $XDG_RUNTIME_DIR/bt_u$UID',
  );
  t.equal(info.subject, idp.robotClient);
  t.ok(info.refreshable, 'a robot renews with its client credentials');
  t.match(info.sessionFile, new RegExp(`^${env.HOME}/\\.config/oxbow/oidc/session-[0-9a-f]{16}\\.json$`));
  t.equal(mode(info.tokenFile), '600', 'token file 0600');
  t.equal(mode(info.sessionFile), '600', 'session file 0600');
  await whoami(t, { ...env, OXBOW_AUTH_TYPE: 'oidc' }, 'robot1', 'token from $XDG_RUNTIME_DIR/bt_u$UID');

  const tmpToken = existsSync(`/tmp/bt_u${uid}`);
  const token = readFileSync(info.tokenFile, 'utf8').trim();
  const other = userEnv({ OXBOW_AUTH_TYPE: 'oidc', XDG_RUNTIME_DIR: freshDir() });
  await whoami(t, { ...other, BEARER_TOKEN: token }, 'robot1', 'BEARER_TOKEN');
  await whoami(t, { ...other, BEARER_TOKEN_FILE: info.tokenFile }, 'robot1', 'BEARER_TOKEN_FILE');
  // The last place discovery looks (/tmp/bt_u$UID) is shared by the whole machine: pin the file when it is taken.
  const absent = join(scratch, 'absent-token');
  const noToken = tmpToken ? { ...other, BEARER_TOKEN_FILE: absent } : other;
  failsWith(
    t,
    await oxbow(['whoami'], noToken),
    tmpToken
      ? /CannotAuthenticate: no bearer token found \(looked at BEARER_TOKEN_FILE=.*absent-token/
      : /CannotAuthenticate: no bearer token found \(looked at .*d\d+\/bt_u\d+, \/tmp\/bt_u\d+\); run 'oxbow login'/,
    'no token',
  );

  const logout = await oxbow(['login', '--logout', '--json'], env);
  t.equal(logout.code, 0, reason(logout));
  t.same((logout.json() as { removed: string[] }).removed.sort(), [info.sessionFile, info.tokenFile].sort());
  failsWith(
    t,
    await oxbow(['whoami'], { ...env, OXBOW_AUTH_TYPE: 'oidc', BEARER_TOKEN_FILE: info.tokenFile }),
    /no bearer token found/,
    'after logout',
  );
});

t.test('oxbow login with the device code: URL and code printed, approved, token stored', async (t) => {
  const tokenFile = join(freshDir(), 'token');
  const env = userEnv({});
  const child = spawn(
    process.execPath,
    [
      OXBOW_BIN,
      'login',
      '--issuer',
      idp.issuer,
      '--client-id',
      idp.deviceClient,
      '--scope',
      'openid offline_access storage.read:/',
      '--token-file',
      tokenFile,
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const code = await new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /open (\S+) and enter the code (\S+) \(valid \d+ s\)/.exec(stderr);
      if (m) resolve(m[2]!);
    });
    child.on('exit', () => reject(new Error(`login exited early: ${stderr}`)));
  });
  t.match(stderr, new RegExp(`open ${idp.issuer}/device and enter the code`), 'verification URL printed');
  // What the person does in the browser.
  await idp.approveDevice(code, 'jdoe');
  const exit = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.equal(exit, 0, stderr);
  t.match(stdout, new RegExp(`Logged in at ${idp.issuer} as jdoe; access token in ${tokenFile}`));
  t.match(stdout, /Refreshed automatically with .*session-[0-9a-f]{16}\.json/);
  t.match(stdout, new RegExp(`export BEARER_TOKEN_FILE=${tokenFile} OXBOW_AUTH_TYPE=oidc`));
  t.equal(mode(tokenFile), '600');
  await whoami(
    t,
    userEnv({ OXBOW_AUTH_TYPE: 'oidc', BEARER_TOKEN_FILE: tokenFile }),
    'jdoe',
    'device-code token',
  );
});

t.test('wrong OIDC credentials: exit 1 with the reason; missing settings: usage errors', async (t) => {
  const env = userEnv({ XDG_RUNTIME_DIR: freshDir() });
  const closedIssuer = `http://127.0.0.1:${await freePort()}`;
  failsWith(
    t,
    await oxbow(
      [
        'login',
        '--client-credentials',
        '--issuer',
        idp.issuer,
        '--client-id',
        idp.robotClient,
        '--client-secret',
        'wrong',
      ],
      env,
    ),
    /OIDC client-credentials grant at .* failed: invalid_client/,
    'wrong secret',
  );
  failsWith(
    t,
    await oxbow(
      ['login', '--client-credentials', '--issuer', closedIssuer, '--client-id', 'x', '--client-secret', 'y'],
      env,
    ),
    /OIDC discovery at http:\/\/127\.0\.0\.1:\d+ failed: .*ECONNREFUSED/,
    'issuer down',
  );
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const expired = `${enc({ alg: 'RS256' })}.${enc({ sub: 'jdoe', exp: Math.floor(Date.now() / 1000) - 600 })}.c2ln`;
  failsWith(
    t,
    await oxbow(['whoami'], { ...env, OXBOW_AUTH_TYPE: 'oidc', BEARER_TOKEN: expired }),
    /bearer token from BEARER_TOKEN expired at/,
    'expired token',
  );
  failsWith(
    t,
    await oxbow(['whoami'], { ...env, OXBOW_AUTH_TYPE: 'oidc', BEARER_TOKEN: 'aaa.bbb.ccc' }),
    /^oxbow: CannotAuthenticate: /,
    'garbage token refused by the server',
  );
  const noIssuer = await oxbow(['login'], env);
  t.equal(noIssuer.code, 2);
  t.match(reason(noIssuer), /no OIDC issuer: pass --issuer or set OXBOW_OIDC_ISSUER/);
  const noSecret = await oxbow(
    ['login', '--client-credentials', '--issuer', idp.issuer, '--client-id', 'x'],
    env,
  );
  t.equal(noSecret.code, 2);
  t.match(reason(noSecret), /--client-credentials needs --client-secret/);
});
