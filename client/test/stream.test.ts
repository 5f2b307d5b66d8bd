/** JSON-lines lists: parsed incrementally, long lists, early stop, odd chunk boundaries. */
import t from 'tap';
import { parseJsonLines, RucioClientError } from '../src/index.js';
import { rootClient, startTestServer, TEST_ROOT_PASSWORD } from './helpers.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function* chunks(parts: (string | Buffer)[]) {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p) : p;
}

t.test('line parser: split lines, split UTF-8 characters, no final newline, blank lines', async (t) => {
  const text = '{"a":"é"}\n\n{"b":2}\r\n{"c":"日本"}';
  const bytes = Buffer.from(text);
  // Every possible split into two chunks, including inside multi-byte characters.
  for (let i = 0; i <= bytes.length; i++) {
    const got = await collect(parseJsonLines(chunks([bytes.subarray(0, i), bytes.subarray(i)])));
    t.same(got, [{ a: 'é' }, { b: 2 }, { c: '日本' }], `split at ${i}`);
  }
  t.same(await collect(parseJsonLines(chunks([]))), []);
  const bad = await collect(parseJsonLines(chunks(['{"a":1}\n{oops\n']))).catch((e: unknown) => e);
  t.ok(bad instanceof RucioClientError);
  t.match((bad as RucioClientError).message, /line 2/);
});

t.test('a long list streams from the server', async (t) => {
  const server = await startTestServer({ embeddedRses: false });
  t.teardown(() => server.close());
  const { client } = rootClient(server.url, TEST_ROOT_PASSWORD);
  t.teardown(() => client.close());
  const N = 3000;
  const names = Array.from({ length: N }, (_, i) => `user${String(i).padStart(5, '0')}`);
  // Bounded concurrency: 8 requests in flight.
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < names.length) {
        const name = names[next++]!;
        await client.accounts.add(name, 'USER', `${name}@example.org`);
      }
    }),
  );
  const heapBefore = process.memoryUsage().heapUsed;
  let count = 0;
  let firstAt = 0;
  const started = Date.now();
  let malformed = 0;
  for await (const a of client.accounts.list({ account_type: 'USER' })) {
    if (count === 0) firstAt = Date.now() - started;
    if (!/^user\d{5}$/.test(a.account) || a.type !== 'USER') malformed++;
    count++;
  }
  t.equal(malformed, 0, 'every line is a USER account');
  const ms = Date.now() - started;
  t.equal(count, N, `${N} accounts listed in ${ms} ms (first after ${firstAt} ms)`);
  t.ok(process.memoryUsage().heapUsed - heapBefore < 200 * 1024 * 1024);

  // Stopping early releases the connection: later calls still work.
  let seen = 0;
  for await (const _ of client.accounts.list()) {
    if (++seen === 10) break;
  }
  t.equal(seen, 10);
  t.equal((await client.accounts.get('user00042')).email, 'user00042@example.org');

  // A JSON-array answer is iterated the same way.
  const owners = await collect(
    client.transport.list<{ scope: string }>({ method: 'GET', path: '/scopes/owner/' }),
  );
  t.ok(Array.isArray(owners));
});
