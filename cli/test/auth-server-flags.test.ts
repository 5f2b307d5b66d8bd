/**
 * The auth flags of `oxbow server` reach the server: started as a child process with a trusted front
 * end (`--x509-dn-header`, `--trusted-frontend`), `--admin-group`, `--voms-dir`, `--oidc-clock-skew`,
 * then observed through the REST API.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { bearerAuth, clientCredentialsLogin, createClient, type RucioClientError } from '@oxbow/client';
import t from 'tap';
import { request } from 'undici';
import { baseEnv, OXBOW_BIN, oxbow, reason } from './helpers.js';

type Support = typeof import('../../client/dist/test/auth-support.js');
const support = (await import(
  new URL('../../../client/dist/test/auth-support.js', import.meta.url).href
)) as Support;

const ROOT_PW = 'auth-flags-root-pw';
const JANE = '/DC=org/DC=oxbow/OU=Users/CN=Jane Doe';

t.test('front-end DN header, trusted front ends and admin groups from the command line', async (t) => {
  const idp = await support.startIssuer();
  t.teardown(() => idp.stop());
  const dataDir = mkdtempSync(join(tmpdir(), 'oxbow-srv-auth-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const args = [
    'server',
    '--data-dir',
    dataDir,
    '--port',
    '0',
    '--daemons',
    'none',
    '--json',
    '--x509-dn-header',
    'X-SSL-Client-S-DN',
    '--trusted-frontend',
    '10.9.9.9',
    '--trusted-frontend',
    '127.0.0.1',
    '--admin-group',
    '/oxbow/admins',
    '--admin-group',
    '/oxbow',
    '--oidc-issuer',
    idp.issuer,
    '--voms-dir',
    join(dataDir, 'vomsdir'),
    '--oidc-clock-skew',
    '5',
  ];
  const child = spawn(process.execPath, [OXBOW_BIN, ...args], {
    env: baseEnv({ OXBOW_ROOT_PASSWORD: ROOT_PW }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.teardown(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  });
  const first = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
  t.notOk(first.done, stderr);
  const url = (JSON.parse(first.value as string) as { url: string }).url;

  const root = createClient({ url, username: 'root', password: ROOT_PW });
  t.teardown(() => root.close());
  await root.accounts.add('jdoe', 'USER', 'j@x.test');
  await root.accounts.addIdentity('jdoe', { identity: JANE, authtype: 'X509', email: 'j@x.test' });

  // This test talks from 127.0.0.1, a trusted front end: the DN header is believed (RFC 2253 form here).
  const res = await request(`${url}/auth/x509`, {
    headers: { 'X-SSL-Client-S-DN': 'CN=Jane Doe,OU=Users,DC=oxbow,DC=org' },
  });
  const body = await res.body.text();
  t.equal(res.statusCode, 200, body);
  t.equal(res.headers['x-rucio-auth-account'], 'jdoe', 'DN from the header mapped to jdoe');

  // wlcg.groups of the issuer's tokens include /oxbow, an --admin-group: its robot may add accounts.
  await root.accounts.add('robot1', 'SERVICE', 'r@x.test');
  await root.accounts.addIdentity('robot1', {
    identity: `SUB=${idp.robotClient}, ISS=${idp.issuer}`,
    authtype: 'OIDC',
    email: 'r@x.test',
  });
  const tokens = await clientCredentialsLogin({
    issuer: idp.issuer,
    clientId: idp.robotClient,
    clientSecret: idp.robotSecret,
  });
  const robot = createClient({ url, auth: bearerAuth({ bearerToken: tokens.accessToken }) });
  t.teardown(() => robot.close());
  t.equal((await robot.accounts.whoami()).account, 'robot1');
  await robot.accounts.add('made-by-robot', 'USER', 'm@x.test');
  t.equal((await root.accounts.get('made-by-robot')).account, 'made-by-robot', 'admin through its group');

  child.kill('SIGTERM');
  t.equal(await exited, 0, 'closed on SIGTERM');
});

t.test(
  'other front ends and no admin group: header ignored, robot not admin; bad values refused',
  async (t) => {
    const idp = await support.startIssuer();
    t.teardown(() => idp.stop());
    const dataDir = mkdtempSync(join(tmpdir(), 'oxbow-srv-auth-'));
    t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
    const child = spawn(
      process.execPath,
      [
        OXBOW_BIN,
        'server',
        '--data-dir',
        dataDir,
        '--port',
        '0',
        '--daemons',
        'none',
        '--json',
        '--x509-dn-header',
        'X-SSL-Client-S-DN',
        '--trusted-frontend',
        '10.9.9.9',
        '--oidc-issuer',
        idp.issuer,
      ],
      { env: baseEnv({ OXBOW_ROOT_PASSWORD: ROOT_PW }), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    t.teardown(async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    });
    const first = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
    t.notOk(first.done, stderr);
    const url = (JSON.parse(first.value as string) as { url: string }).url;
    const root = createClient({ url, username: 'root', password: ROOT_PW });
    t.teardown(() => root.close());
    await root.accounts.add('jdoe', 'USER', 'j@x.test');
    await root.accounts.addIdentity('jdoe', { identity: JANE, authtype: 'X509', email: 'j@x.test' });
    const res = await request(`${url}/auth/x509`, { headers: { 'X-SSL-Client-S-DN': JANE } });
    const body = await res.body.text();
    t.equal(res.statusCode, 401, '127.0.0.1 is not a trusted front end here');
    t.match(body, /CannotAuthenticate/);

    await root.accounts.add('robot1', 'SERVICE', 'r@x.test');
    await root.accounts.addIdentity('robot1', {
      identity: `SUB=${idp.robotClient}, ISS=${idp.issuer}`,
      authtype: 'OIDC',
      email: 'r@x.test',
    });
    const tokens = await clientCredentialsLogin({
      issuer: idp.issuer,
      clientId: idp.robotClient,
      clientSecret: idp.robotSecret,
    });
    const robot = createClient({ url, auth: bearerAuth({ bearerToken: tokens.accessToken }) });
    t.teardown(() => robot.close());
    t.equal((await robot.accounts.whoami()).account, 'robot1');
    const denied = await robot.accounts.add('made-by-robot', 'USER', 'm@x.test').then(
      () => undefined,
      (e: RucioClientError) => e,
    );
    t.equal(denied?.exceptionClass, 'AccessDenied', 'no admin group: the robot may not add accounts');
    child.kill('SIGTERM');
    t.equal(await exited, 0);

    const bad = await oxbow(['server', '--oidc-clock-skew', 'soon'], baseEnv({}));
    t.equal(bad.code, 2, reason(bad));
    t.match(reason(bad), /--oidc-clock-skew/);
    // A DN header nobody is trusted to send is refused at start.
    const lone = await oxbow(
      ['server', '--data-dir', dataDir, '--port', '0', '--x509-dn-header', 'X-SSL-Client-S-DN'],
      baseEnv({}),
    );
    t.equal(lone.code, 1);
    t.match(reason(lone), /no trustedFrontends/);
  },
);
