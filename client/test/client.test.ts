/** Login, token reuse, whoami, accounts/scopes/identities calls and typed errors against a real server. */
import t from 'tap';
import { createClient, RucioClientError } from '../src/index.js';
import { rootClient, startTestServer, TEST_ROOT_PASSWORD } from './helpers.js';

const server = await startTestServer();
t.teardown(() => server.close());

t.test('login once, reuse the token, whoami, ping', async (t) => {
  const { client, events } = rootClient(server.url, TEST_ROOT_PASSWORD);
  t.teardown(() => client.close());
  const ping = await client.ping();
  t.match(ping.version, /oxbow/);
  t.equal(events.length, 0, 'ping needs no login');
  const me = await client.accounts.whoami();
  t.equal(me.account, 'root');
  t.equal(me.account_type, 'SERVICE');
  t.equal(client.account, 'root', 'default account learnt from the login answer');
  await Promise.all([client.accounts.get('root'), client.scopes.list(), client.accounts.attributes('root')]);
  t.equal(events.filter((e) => e.type === 'login').length, 1, 'one login for every call');
  const v = await client.auth.validate();
  t.equal(v.account, 'root');
  t.equal(v.identity, 'root');
});

t.test('concurrent first calls share one login', async (t) => {
  const { client, events } = rootClient(server.url, TEST_ROOT_PASSWORD);
  t.teardown(() => client.close());
  await Promise.all(Array.from({ length: 10 }, () => client.accounts.get('root')));
  t.equal(events.filter((e) => e.type === 'login').length, 1);
});

t.test('accounts, identities and scopes round trip', async (t) => {
  const { client } = rootClient(server.url, TEST_ROOT_PASSWORD);
  t.teardown(() => client.close());
  await client.accounts.add('carol', 'USER', 'carol@example.org');
  const carol = await client.accounts.get('carol');
  t.equal(carol.email, 'carol@example.org');
  await client.accounts.update('carol', 'email', 'c2@example.org');
  t.equal((await client.accounts.get('carol')).email, 'c2@example.org');
  await client.accounts.addAttribute('carol', 'country', 'ch');
  t.same(await client.accounts.attributes('carol'), [{ key: 'country', value: 'ch' }]);
  await client.accounts.deleteAttribute('carol', 'country');
  t.same(await client.accounts.attributes('carol'), []);

  await client.accounts.addIdentity('carol', {
    identity: 'carol',
    authtype: 'USERPASS',
    password: 'carol-secret',
    email: 'carol@example.org',
    default: true,
  });
  const ids = [];
  for await (const i of client.accounts.identities('carol')) ids.push(i);
  t.match(ids, [{ identity: 'carol', type: 'USERPASS' }]);
  t.same(await client.identities.accounts('carol', 'USERPASS'), ['carol']);
  await client.identities.addUserpass('carol', 'carol2', 'other-secret', 'c@example.org');
  t.same(await client.identities.accounts('carol2', 'USERPASS'), ['carol']);

  await client.scopes.add('carolscope', 'carol');
  await client.accounts.addScope('carol', 'carol2');
  t.same((await client.accounts.scopes('carol')).sort(), ['carol2', 'carolscope']);
  t.same((await client.scopes.ofAccount('carol')).sort(), ['carol2', 'carolscope']);
  t.ok((await client.scopes.list()).includes('carolscope'));
  t.ok((await client.scopes.owners()).some((o) => o.scope === 'carolscope' && o.account === 'carol'));

  // The new identity logs in and acts as carol without naming the account.
  const asCarol = createClient({ url: server.url, username: 'carol', password: 'carol-secret' });
  t.teardown(() => asCarol.close());
  t.equal((await asCarol.accounts.whoami()).account, 'carol');
  t.equal(asCarol.account, 'carol');
});

t.test('typed errors', async (t) => {
  const { client, events } = rootClient(server.url, TEST_ROOT_PASSWORD);
  t.teardown(() => client.close());

  const notFound = await client.accounts.get('nobody').catch((e: unknown) => e);
  t.ok(notFound instanceof RucioClientError);
  const nf = notFound as RucioClientError;
  t.equal(nf.exceptionClass, 'AccountNotFound');
  t.equal(nf.status, 404);
  t.ok(nf.isNotFound);
  t.notOk(nf.isDuplicate);
  t.match(nf.message, /nobody/);
  t.equal(nf.request, 'GET /accounts/nobody');

  await client.accounts.add('dave', 'USER');
  const dup = (await client.accounts.add('dave', 'USER').catch((e: unknown) => e)) as RucioClientError;
  t.equal(dup.status, 409);
  t.ok(dup.isDuplicate);

  const invalid = (await client.accounts
    .add('Bad Name!', 'USER')
    .catch((e: unknown) => e)) as RucioClientError;
  t.equal(invalid.status, 400);
  t.ok(invalid.isInvalid);
  t.match(invalid.exceptionClass, /InputValidationError|InvalidObject/);

  const noScopes = (await client.accounts.scopes('dave').catch((e: unknown) => e)) as RucioClientError;
  t.equal(noScopes.exceptionClass, 'ScopeNotFound');

  // A non-admin account is refused (Rucio: 401 AccessDenied) without a re-login loop.
  await client.accounts.addIdentity('dave', { identity: 'dave', authtype: 'USERPASS', password: 'dave-pw' });
  const daveEvents: string[] = [];
  const dave = createClient({
    url: server.url,
    username: 'dave',
    password: 'dave-pw',
    onEvent: (e) => daveEvents.push(e.type),
  });
  t.teardown(() => dave.close());
  const denied = (await dave.accounts.add('eve', 'USER').catch((e: unknown) => e)) as RucioClientError;
  t.equal(denied.exceptionClass, 'AccessDenied');
  t.equal(denied.status, 401);
  t.ok(denied.isAccessDenied);
  t.same(daveEvents, ['login'], 'AccessDenied does not trigger a token renewal');

  const wrong = createClient({ url: server.url, username: 'root', password: 'wrong' });
  t.teardown(() => wrong.close());
  const authErr = (await wrong.accounts.whoami().catch((e: unknown) => e)) as RucioClientError;
  t.equal(authErr.status, 401);
  t.ok(authErr.isAuthFailure, `auth failure class ${authErr.exceptionClass}`);

  const noCreds = createClient({ url: server.url });
  t.teardown(() => noCreds.close());
  const nc = (await noCreds.accounts.whoami().catch((e: unknown) => e)) as RucioClientError;
  t.equal(nc.exceptionClass, 'CannotAuthenticate');

  const route = (await client.transport
    .json({ method: 'GET', path: '/no/such/endpoint' })
    .catch((e: unknown) => e)) as RucioClientError;
  t.equal(route.status, 404);
  t.ok(route.isNotFound);
  t.equal(events.filter((e) => e.type === 'login').length, 1);
});

t.test('an identity mapped to several accounts must choose one', async (t) => {
  const { client } = rootClient(server.url, TEST_ROOT_PASSWORD);
  t.teardown(() => client.close());
  await client.accounts.add('multi1', 'USER');
  await client.accounts.add('multi2', 'USER');
  await client.accounts.addIdentity('multi1', {
    identity: 'shared',
    authtype: 'USERPASS',
    password: 'pw-shared',
  });
  await client.accounts.addIdentity('multi2', {
    identity: 'shared',
    authtype: 'USERPASS',
    password: 'pw-shared',
  });
  const ambiguous = createClient({ url: server.url, username: 'shared', password: 'pw-shared' });
  t.teardown(() => ambiguous.close());
  const err = (await ambiguous.accounts.whoami().catch((e: unknown) => e)) as RucioClientError;
  t.equal(err.exceptionClass, 'CannotAuthenticate');
  t.match(err.message, /multi1.*multi2|multi2.*multi1/);
  const chosen = createClient({
    url: server.url,
    username: 'shared',
    password: 'pw-shared',
    account: 'multi2',
  });
  t.teardown(() => chosen.close());
  t.equal((await chosen.accounts.whoami()).account, 'multi2');
});

t.test('X-Rucio-VO is sent when configured', async (t) => {
  const { flakyProxy } = await import('./helpers.js');
  const proxy = await flakyProxy(server.url, { failures: 0 });
  t.teardown(() => proxy.close());
  const { client } = rootClient(proxy.url, TEST_ROOT_PASSWORD, { vo: 'atl' });
  t.teardown(() => client.close());
  await client.accounts.get('root');
  t.ok(proxy.seen.length >= 2);
  t.ok(proxy.seen.every((r) => r.headers['x-rucio-vo'] === 'atl'));
  t.ok(proxy.seen.some((r) => r.url === '/auth/userpass' && r.headers['x-rucio-username'] === 'root'));
});
