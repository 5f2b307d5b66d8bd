/** Retries with backoff: refused connections, 503 answers, and what is not retried. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSettings, startServer } from '@oxbow/server';
import t from 'tap';
import { createClient, RucioClientError } from '../src/index.js';
import { flakyProxy, freePort, rootClient, startTestServer, TEST_ROOT_PASSWORD } from './helpers.js';

t.test('a port that refuses, then accepts', async (t) => {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'oxbow-retry-'));
  const url = `http://127.0.0.1:${port}`;
  const { client, events } = rootClient(url, TEST_ROOT_PASSWORD, {
    retries: 8,
    retryBaseMs: 100,
    retryMaxMs: 800,
  });
  t.teardown(() => client.close());
  let started: Awaited<ReturnType<typeof startServer>> | undefined;
  t.teardown(async () => {
    await started?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const starting = (async () => {
    await new Promise((r) => setTimeout(r, 400));
    started = await startServer(
      resolveSettings(
        { dataDir, port, host: '127.0.0.1', rootPassword: TEST_ROOT_PASSWORD, embeddedRses: false },
        {},
      ),
      { logger: false },
    );
  })();
  // Login (GET /auth/userpass) and the call itself both go through the retry loop.
  const me = await client.accounts.whoami();
  await starting;
  t.equal(me.account, 'root');
  const retries = events.filter((e) => e.type === 'retry');
  t.ok(retries.length >= 1, `retried ${retries.length} time(s)`);
  t.ok(retries.every((e) => e.type === 'retry' && e.reason === 'ECONNREFUSED'));
});

t.test('gives up with a ConnectionError after the retries', async (t) => {
  const port = await freePort();
  const client = createClient({ url: `http://127.0.0.1:${port}`, retries: 2, retryBaseMs: 10 });
  t.teardown(() => client.close());
  const started = Date.now();
  const err = (await client.ping().catch((e: unknown) => e)) as RucioClientError;
  t.ok(err instanceof RucioClientError);
  t.equal(err.exceptionClass, 'ConnectionError');
  t.equal(err.status, 0);
  t.ok(err.isConnection);
  t.match(err.message, /ECONNREFUSED.*after 3 attempts/);
  t.ok(Date.now() - started < 5000);
});

t.test('503 answers: GET/PUT/DELETE retried, POST not', async (t) => {
  const server = await startTestServer({ embeddedRses: false });
  t.teardown(() => server.close());

  const getProxy = await flakyProxy(server.url, { failures: 2, match: (r) => r.url === '/accounts/root' });
  t.teardown(() => getProxy.close());
  const a = rootClient(getProxy.url, TEST_ROOT_PASSWORD);
  t.teardown(() => a.client.close());
  t.equal((await a.client.accounts.get('root')).account, 'root');
  t.same(
    a.events.filter((e) => e.type === 'retry').map((e) => (e.type === 'retry' ? e.reason : '')),
    ['HTTP 503', 'HTTP 503'],
  );

  const putProxy = await flakyProxy(server.url, { failures: 1, match: (r) => r.method === 'PUT' });
  t.teardown(() => putProxy.close());
  const b = rootClient(putProxy.url, TEST_ROOT_PASSWORD);
  t.teardown(() => b.client.close());
  await b.client.accounts.add('retryput', 'USER');
  await b.client.accounts.update('retryput', 'email', 'x@example.org');
  t.equal((await b.client.accounts.get('retryput')).email, 'x@example.org');
  t.equal(b.events.filter((e) => e.type === 'retry').length, 1);

  const postProxy = await flakyProxy(server.url, { failures: 1, match: (r) => r.method === 'POST' });
  t.teardown(() => postProxy.close());
  const c = rootClient(postProxy.url, TEST_ROOT_PASSWORD);
  t.teardown(() => c.client.close());
  const err = (await c.client.accounts.add('retrypost', 'USER').catch((e: unknown) => e)) as RucioClientError;
  t.equal(err.status, 503);
  t.equal(err.exceptionClass, 'ServiceUnavailable');
  t.equal(err.message, 'injected failure');
  t.equal(
    c.events.filter((e) => e.type === 'retry').length,
    0,
    'a POST that reached the server is not repeated',
  );
  const missing = (await c.client.accounts.get('retrypost').catch((e: unknown) => e)) as RucioClientError;
  t.ok(missing.isNotFound, 'and it was not applied');

  const exhausted = await flakyProxy(server.url, { failures: 100, match: (r) => r.url === '/ping' });
  t.teardown(() => exhausted.close());
  const d = createClient({ url: exhausted.url, retries: 3, retryBaseMs: 5 });
  t.teardown(() => d.close());
  const e503 = (await d.ping().catch((e: unknown) => e)) as RucioClientError;
  t.equal(e503.status, 503);
  t.equal(exhausted.seen.length, 4, 'first attempt + 3 retries');
});
