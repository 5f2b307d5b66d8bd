/** RSEs, DIDs and replicas through the client against a real server (routes of issue 2). */
import t from 'tap';
import type { RucioClientError } from '../src/index.js';
import { rootClient, startTestServer, TEST_ROOT_PASSWORD } from './helpers.js';

const server = await startTestServer({ embeddedRses: false });
t.teardown(() => server.close());
const { client } = rootClient(server.url, TEST_ROOT_PASSWORD);
t.teardown(() => client.close());

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
const adler = (i: number) => (0x10000000 + i).toString(16);

await client.scopes.add('cat', 'root');

t.test('RSEs: add, get, list, attributes, protocols, lfns2pfns, update', async (t) => {
  await client.rses.add('CLIENT-DISK', { rse_type: 'DISK', city: 'Geneva' });
  await client.rses.add('CLIENT-TAPE', { rse_type: 'TAPE' });
  const info = await client.rses.get('CLIENT-DISK');
  t.match(info, { rse: 'CLIENT-DISK', rse_type: 'DISK', deterministic: true, protocols: [] });
  const rows = await all(client.rses.list());
  t.same(rows.map((r) => r.rse).sort(), ['CLIENT-DISK', 'CLIENT-TAPE']);
  t.match(
    rows.find((r) => r.rse === 'CLIENT-DISK'),
    { city: 'Geneva' },
  );

  await client.rses.setAttribute('CLIENT-DISK', 'tier', '1');
  await client.rses.setAttribute('CLIENT-TAPE', 'tier', '2');
  await client.rses.setAttribute('CLIENT-DISK', 'fast', true);
  t.match(await client.rses.attributes('CLIENT-DISK'), { tier: '1', fast: true, 'CLIENT-DISK': true });
  t.same(
    (await all(client.rses.list('tier=1'))).map((r) => r.rse),
    ['CLIENT-DISK'],
  );
  t.same((await all(client.rses.list('rse_type=TAPE|tier=1'))).map((r) => r.rse).sort(), [
    'CLIENT-DISK',
    'CLIENT-TAPE',
  ]);
  await client.rses.deleteAttribute('CLIENT-DISK', 'fast');
  t.notOk('fast' in (await client.rses.attributes('CLIENT-DISK')));

  await client.rses.addProtocol('CLIENT-DISK', {
    scheme: 'file',
    hostname: 'localhost',
    port: 0,
    prefix: '/data/client-disk',
    impl: 'rucio.rse.protocols.posix.Default',
    domains: { lan: { read: 1, write: 1, delete: 1 }, wan: { read: 1, write: 1, delete: 1 } },
  });
  await client.rses.addProtocol('CLIENT-DISK', {
    scheme: 'root',
    hostname: 'xrd.example.org',
    port: 1094,
    prefix: '//data',
    impl: 'rucio.rse.protocols.xrootd.Default',
  });
  const protocols = await client.rses.protocols('CLIENT-DISK');
  t.same(protocols.map((p) => p.scheme).sort(), ['file', 'root']);
  t.same(
    (await client.rses.protocols('CLIENT-DISK', { scheme: 'root' })).map((p) => p.hostname),
    ['xrd.example.org'],
  );
  const pfns = await client.rses.lfns2pfns('CLIENT-DISK', ['cat:f1.root', 'cat:dir/f2.root'], {
    scheme: 'file',
  });
  t.match(
    pfns['cat:f1.root'],
    /^file:\/\/localhost\/data\/client-disk\/cat\/[0-9a-f]{2}\/[0-9a-f]{2}\/f1\.root$/,
  );
  t.ok(pfns['cat:dir/f2.root']);

  await client.rses.updateProtocol('CLIENT-DISK', 'root', { port: 1095 }, { hostname: 'xrd.example.org' });
  t.equal((await client.rses.protocols('CLIENT-DISK', { scheme: 'root' }))[0]!.port, 1095);
  await client.rses.deleteProtocol('CLIENT-DISK', 'root');
  t.same(
    (await client.rses.protocols('CLIENT-DISK')).map((p) => p.scheme),
    ['file'],
  );
  await client.rses.update('CLIENT-TAPE', { availability_write: false });
  t.equal((await client.rses.get('CLIENT-TAPE')).availability_write, false);
  t.ok(Array.isArray(await all(client.rses.usage('CLIENT-DISK'))));

  const missing = (await client.rses.get('NO-SUCH-RSE').catch((e: unknown) => e)) as RucioClientError;
  t.equal(missing.exceptionClass, 'RSENotFound');
  t.ok(missing.isNotFound);
  const dup = (await client.rses.add('CLIENT-DISK').catch((e: unknown) => e)) as RucioClientError;
  t.ok(dup.isDuplicate);
  const badExpr = (await all(client.rses.list('tier=(')).catch((e: unknown) => e)) as RucioClientError;
  t.equal(badExpr.status, 400);
  t.equal(badExpr.exceptionClass, 'InvalidRSEExpression');
});

t.test('DIDs and replicas: register, attach, content, metadata, search, replica list', async (t) => {
  const files = Array.from({ length: 5 }, (_, i) => ({
    scope: 'cat',
    name: `run1/file${i}.root`,
    bytes: 1000 + i,
    adler32: adler(i),
  }));
  await client.replicas.add('CLIENT-DISK', files);
  await client.dids.add('cat', 'ds1', { type: 'DATASET', meta: { datatype: 'AOD' } });
  await client.dids.add('cat', 'cont1', { type: 'CONTAINER' });
  await client.dids.attach(
    'cat',
    'ds1',
    files.map((f) => ({ scope: f.scope, name: f.name })),
  );
  await client.dids.attach('cat', 'cont1', [{ scope: 'cat', name: 'ds1' }]);

  const ds = await client.dids.get('cat', 'ds1', { dynamicDepth: 'FILE' });
  t.match(ds, { scope: 'cat', name: 'ds1', type: 'DATASET', account: 'root', length: 5, bytes: 5010 });
  const file = await client.dids.get('cat', 'run1/file3.root');
  t.match(file, { type: 'FILE', bytes: 1003, adler32: adler(3) });

  t.same(
    (await all(client.dids.content('cat', 'cont1'))).map((c) => c.name),
    ['ds1'],
  );
  t.equal((await all(client.dids.content('cat', 'ds1'))).length, 5);
  const inCont = await all(client.dids.files('cat', 'cont1'));
  t.same(inCont.map((f) => f.name).sort(), files.map((f) => f.name).sort());
  t.same(
    (await all(client.dids.parents('cat', 'ds1'))).map((p) => p.name),
    ['cont1'],
  );
  t.ok((await all(client.dids.filesOfMany([{ scope: 'cat', name: 'ds1' }]))).length === 5);

  // run_number is a DID column (as in Rucio); other keys go to the JSON metadata.
  await client.dids.setMeta('cat', 'ds1', 'run_number', 1234);
  await client.dids.setMeta('cat', 'ds1', 'calibration', 'v2');
  await client.dids.setMetaMany('cat', 'cont1', { datatype: 'AOD', run_number: 999 });
  t.match(await client.dids.meta('cat', 'ds1'), {
    scope: 'cat',
    name: 'ds1',
    did_type: 'DATASET',
    run_number: 1234,
  });
  t.match(await client.dids.meta('cat', 'ds1', 'JSON'), { calibration: 'v2' });
  t.match(await client.dids.meta('cat', 'cont1'), { datatype: 'AOD', run_number: 999 });
  const viaBulk = await all(client.dids.metaOfMany([{ scope: 'cat', name: 'ds1' }]));
  t.equal(viaBulk.length, 1);

  const names = await all(client.dids.search('cat', { filters: 'run_number>=1000' }));
  t.same(names, ['ds1']);
  const long = await all(client.dids.searchLong('cat', { filters: 'datatype=AOD', type: 'all' }));
  t.same(long.map((d) => d.name).sort(), ['cont1', 'ds1']);
  t.same((await all(client.dids.search('cat', { name: 'run1/file*', type: 'file' }))).length, 5);
  t.same(await all(client.dids.search('cat', { filters: [{ 'run_number.lt': 1000, name: '*' }] })), [
    'cont1',
  ]);

  await client.dids.deleteMeta('cat', 'ds1', 'calibration');
  t.notOk('calibration' in (await client.dids.meta('cat', 'ds1', 'JSON')));

  const replicas = await all(client.replicas.list({ dids: [{ scope: 'cat', name: 'cont1' }] }));
  t.equal(replicas.length, 5);
  for (const r of replicas) {
    t.same(Object.keys(r.rses), ['CLIENT-DISK']);
    t.match(r.rses['CLIENT-DISK']![0], /^file:\/\/localhost\/data\/client-disk\/cat\//);
    t.equal(r.states['CLIENT-DISK'], 'AVAILABLE');
  }
  const one = await all(client.replicas.ofDid('cat', 'run1/file0.root'));
  t.equal(one.length, 1);
  t.equal(one[0]!.bytes, 1000);
  const dsReplicas = await all(client.replicas.datasetReplicas('cat', 'ds1'));
  t.match(dsReplicas, [{ rse: 'CLIENT-DISK', length: 5 }]);

  await client.replicas.updateStates('CLIENT-DISK', [
    { scope: 'cat', name: 'run1/file4.root', state: 'UNAVAILABLE' },
  ]);
  const afterUpdate = await all(client.replicas.list({ dids: [{ scope: 'cat', name: 'ds1' }] }));
  t.equal(afterUpdate.length, 4, 'unavailable replica not listed by default');
  t.equal(
    (await all(client.replicas.list({ dids: [{ scope: 'cat', name: 'ds1' }], all_states: true }))).length,
    5,
  );

  await client.dids.detach('cat', 'ds1', [{ scope: 'cat', name: 'run1/file4.root' }]);
  t.equal((await all(client.dids.content('cat', 'ds1'))).length, 4);
  await client.dids.setStatus('cat', 'ds1', { open: false });
  t.equal(((await client.dids.get('cat', 'ds1')) as { open: boolean | null }).open, false);
  const closed = (await client.dids
    .attach('cat', 'ds1', [{ scope: 'cat', name: 'run1/file4.root' }])
    .catch((e: unknown) => e)) as RucioClientError;
  t.equal(closed.exceptionClass, 'UnsupportedOperation');

  const nf = (await client.dids.get('cat', 'nothing').catch((e: unknown) => e)) as RucioClientError;
  t.equal(nf.exceptionClass, 'DataIdentifierNotFound');
  t.ok(nf.isNotFound);
  const dupDid = (await client.dids
    .add('cat', 'ds1', { type: 'DATASET' })
    .catch((e: unknown) => e)) as RucioClientError;
  t.equal(dupDid.exceptionClass, 'DataIdentifierAlreadyExists');
  t.ok(dupDid.isDuplicate);
  const badFilter = (await all(client.dids.search('cat', { filters: [{ 'name.gt': 'x' }] })).catch(
    (e: unknown) => e,
  )) as RucioClientError;
  t.equal(badFilter.status, 400);
});

t.test('a long DID list streams (20,000 files)', async (t) => {
  const N = 20_000;
  const chunk = 5_000;
  const started = Date.now();
  for (let i = 0; i < N; i += chunk) {
    const files = Array.from({ length: chunk }, (_, j) => ({
      scope: 'cat',
      name: `bulk/f${String(i + j).padStart(6, '0')}`,
      bytes: 10,
      adler32: adler(i + j),
    }));
    await client.replicas.add('CLIENT-DISK', files);
    await client.dids.add('cat', `bulkds${i / chunk}`, {
      type: 'DATASET',
      dids: files.map(({ scope, name }) => ({ scope, name })),
    });
  }
  const regMs = Date.now() - started;
  await client.dids.add('cat', 'bulkcont', { type: 'CONTAINER' });
  await client.dids.attach(
    'cat',
    'bulkcont',
    Array.from({ length: N / chunk }, (_, k) => ({ scope: 'cat', name: `bulkds${k}` })),
  );
  const t0 = Date.now();
  let n = 0;
  let bytes = 0;
  for await (const f of client.dids.files('cat', 'bulkcont')) {
    n++;
    bytes += f.bytes ?? 0;
  }
  const listMs = Date.now() - t0;
  t.equal(n, N, `registered ${N} files in ${regMs} ms, listed them in ${listMs} ms`);
  t.equal(bytes, 10 * N);
  const t1 = Date.now();
  let m = 0;
  for await (const _ of client.dids.search('cat', { name: 'bulk/*', type: 'file' })) m++;
  t.equal(m, N, `search streamed ${N} names in ${Date.now() - t1} ms`);
  let r = 0;
  for await (const _ of client.replicas.list({ dids: [{ scope: 'cat', name: 'bulkcont' }] })) r++;
  t.equal(r, N);
});
