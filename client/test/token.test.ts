/** Token cache and renewal: file cache with mode 0600, reuse across clients, renewal before expiry and on 401. */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { fileTokenCache, tokenKey, userpassAuth } from '../src/index.js';
import { rootClient, startTestServer, TEST_ROOT_PASSWORD } from './helpers.js';

const server = await startTestServer();
t.teardown(() => server.close());

t.test('file cache: 0600 file in a 0700 folder, reused by the next client', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'oxbow-tokens-')), 'tokens');
  const a = rootClient(server.url, TEST_ROOT_PASSWORD, { tokenDir: dir });
  t.teardown(() => a.client.close());
  await a.client.accounts.whoami();
  const files = readdirSync(dir);
  t.equal(files.length, 1);
  t.equal(statSync(join(dir, files[0]!)).mode & 0o777, 0o600);
  t.equal(statSync(dir).mode & 0o777, 0o700);
  const saved = JSON.parse(readFileSync(join(dir, files[0]!), 'utf8'));
  t.match(saved, { token: String, expiresAt: Number, account: 'root' });
  t.notMatch(JSON.stringify(saved), TEST_ROOT_PASSWORD, 'the password is never written');

  const b = rootClient(server.url, TEST_ROOT_PASSWORD, { tokenDir: dir });
  t.teardown(() => b.client.close());
  t.equal((await b.client.accounts.whoami()).account, 'root');
  t.same(b.events, [], 'second client used the cached token without logging in');

  const other = rootClient(server.url, 'a-different-password', { tokenDir: dir });
  t.teardown(() => other.client.close());
  const err = await other.client.accounts.whoami().catch((e: unknown) => e);
  t.ok(err instanceof Error, 'a different password does not reuse the cached token');
});

t.test('a rejected token (401) is replaced once and the call repeated', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'oxbow-tokens-')), 'tokens');
  // Plant a token the server does not know, valid for another hour as far as the client can tell.
  const key = tokenKey(
    new URL(server.url).href,
    undefined,
    undefined,
    userpassAuth('root', TEST_ROOT_PASSWORD),
  );
  fileTokenCache(dir).set(key, {
    token: 'root-revoked0token',
    expiresAt: Date.now() + 3600_000,
    account: 'root',
  });
  const { client, events } = rootClient(server.url, TEST_ROOT_PASSWORD, { tokenDir: dir });
  t.teardown(() => client.close());
  t.equal((await client.accounts.get('root')).account, 'root');
  t.same(
    events.map((e) => e.type),
    ['renew', 'login'],
  );
  const stored = fileTokenCache(dir).get(key);
  t.not(stored?.token, 'root-revoked0token', 'the new token replaced the rejected one on disk');
  // POST is repeated too: a 401 means the server did nothing.
  await client.accounts.add('tok1', 'USER');
  t.equal((await client.accounts.get('tok1')).account, 'tok1');
});

t.test('a token close to expiry is renewed before use', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'oxbow-tokens-')), 'tokens');
  const first = rootClient(server.url, TEST_ROOT_PASSWORD, { tokenDir: dir });
  t.teardown(() => first.client.close());
  const grant = await first.client.auth.token();
  const key = tokenKey(
    new URL(server.url).href,
    undefined,
    undefined,
    userpassAuth('root', TEST_ROOT_PASSWORD),
  );
  // Same valid token, but the client believes it expires in 10 s (< renewBeforeMs).
  fileTokenCache(dir).set(key, { ...grant, expiresAt: Date.now() + 10_000 });
  const second = rootClient(server.url, TEST_ROOT_PASSWORD, { tokenDir: dir, renewBeforeMs: 60_000 });
  t.teardown(() => second.client.close());
  await second.client.accounts.whoami();
  t.same(
    second.events.map((e) => e.type),
    ['renew', 'login'],
  );
  const renewed = await second.client.auth.token();
  t.not(renewed.token, grant.token);
  t.ok(renewed.expiresAt > Date.now() + 3000_000, 'new expiry from X-Rucio-Auth-Token-Expires (~1 h)');
});

t.test('a corrupt token file is ignored', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'oxbow-tokens-'));
  const key = tokenKey(
    new URL(server.url).href,
    undefined,
    undefined,
    userpassAuth('root', TEST_ROOT_PASSWORD),
  );
  writeFileSync(join(dir, `token-${key}.json`), '{not json');
  const { client, events } = rootClient(server.url, TEST_ROOT_PASSWORD, { tokenDir: dir });
  t.teardown(() => client.close());
  t.equal((await client.accounts.whoami()).account, 'root');
  t.same(
    events.map((e) => e.type),
    ['login'],
  );
});
