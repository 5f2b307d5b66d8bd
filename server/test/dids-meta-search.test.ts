import { didSearchQueryString, type RucioFilterDict } from '@oxbow/common/rucio/index';
import t from 'tap';
import { api, loginAs, setupScopes } from './dids-support.js';
import { forEachDialect, jsonLines } from './support/dialects.js';

forEachDialect(t, 'DIDs: metadata', async (t, s) => {
  const a = api(s);
  await setupScopes(s);
  t.equal(
    (await a.post('/dids/tr/ds1', { type: 'DATASET', meta: { datatype: 'AOD', run_number: 1000 } }))
      .statusCode,
    201,
  );
  t.equal(
    (await a.post('/dids/tr/f.root', { type: 'FILE', bytes: 10, adler32: 'ABCDEF01' })).statusCode,
    201,
  );
  t.equal((await a.post('/dids/tr/ds1/dids', { dids: [{ scope: 'tr', name: 'f.root' }] })).statusCode, 201);

  // rucio upload asks for the metadata of a file that does not exist yet and expects a 404
  const missing = await a.get('/dids/tr/tr1.dat/meta?plugin=DID_COLUMN');
  t.equal(missing.statusCode, 404);
  t.equal(missing.headers.exceptionclass, 'DataIdentifierNotFound');

  const col = JSON.parse((await a.get('/dids/tr/ds1/meta?plugin=DID_COLUMN')).body);
  t.match(col, {
    scope: 'tr',
    name: 'ds1',
    account: 'root',
    did_type: 'DATASET',
    is_open: true,
    monotonic: false,
    availability: 'AVAILABLE',
    datatype: 'AOD',
    run_number: 1000,
    project: null,
    length: 1,
    bytes: 10,
  });
  t.match(col.created_at, /UTC$/);
  t.same(JSON.parse((await a.get('/dids/tr/ds1/meta')).body).datatype, 'AOD', 'DID_COLUMN is the default');
  t.match(JSON.parse((await a.get('/dids/tr/f.root/meta')).body), {
    did_type: 'FILE',
    adler32: 'abcdef01',
    bytes: 10,
  });
  const badPlugin = await a.get('/dids/tr/ds1/meta?plugin=MONGO');
  t.equal(badPlugin.statusCode, 400);
  t.equal(badPlugin.headers.exceptionclass, 'UnsupportedMetadataPlugin');

  // set one key (DIDClient.set_metadata) and several (set_metadata_bulk)
  const one = await a.post('/dids/tr/ds1/meta/energy', { value: 13.6, recursive: false });
  t.equal(one.statusCode, 201);
  t.equal(one.body, 'Created');
  const bulk = await a.post('/dids/tr/ds1/meta', {
    meta: {
      project: 'data18',
      tag: 'physics_Main',
      flags: { a: [1, 2] },
      stream_name: 'main',
      run_number: '1001',
    },
    recursive: false,
  });
  t.equal(bulk.statusCode, 201);
  t.same(JSON.parse((await a.get('/dids/tr/ds1/meta?plugin=JSON')).body), {
    energy: 13.6,
    flags: { a: [1, 2] },
    tag: 'physics_Main',
  });
  t.match(JSON.parse((await a.get('/dids/tr/ds1/meta?plugin=ALL')).body), {
    project: 'data18',
    run_number: 1001,
    stream_name: 'main',
    energy: 13.6,
    tag: 'physics_Main',
  });
  t.same(JSON.parse((await a.get('/dids/tr/f.root/meta?plugin=JSON')).body), {});

  // bad metadata
  const reserved = await a.post('/dids/tr/ds1/meta/bytes', { value: 5 });
  t.equal(reserved.statusCode, 401);
  t.equal(reserved.headers.exceptionclass, 'AccessDenied');
  const dotted = await a.post('/dids/tr/ds1/meta', { meta: { 'a.b': 1 } });
  t.equal(dotted.statusCode, 400);
  t.equal(dotted.headers.exceptionclass, 'InvalidMetadata');
  const badRun = await a.post('/dids/tr/ds1/meta/run_number', { value: 'abc' });
  t.equal(badRun.statusCode, 400);
  t.equal(badRun.headers.exceptionclass, 'InvalidValueForKey');
  const guidOnDs = await a.post('/dids/tr/ds1/meta/guid', { value: 'x' });
  t.equal(guidOnDs.statusCode, 409);
  t.equal((await a.post('/dids/tr/ghost/meta/energy', { value: 1 })).statusCode, 404);
  t.equal((await a.post('/dids/tr/ds1/meta/energy', { novalue: 1 })).statusCode, 400);
  t.equal((await a.post('/dids/tr/ds1/meta', { meta: 'x' })).statusCode, 400);
  const badMetaJson = await a.raw('POST', '/dids/tr/ds1/meta', '{meta:');
  t.equal(badMetaJson.statusCode, 400);

  // file-only keys flow into the parents' content rows; events are summed into the dataset
  t.equal((await a.post('/dids/tr/f.root/meta', { meta: { guid: 'abcd-1', events: 42 } })).statusCode, 201);
  t.match(JSON.parse((await a.get('/dids/tr/ds1/meta')).body), { events: 42 });
  t.match(jsonLines((await a.get('/dids/tr/ds1/files')).body)[0], { guid: 'ABCD-1', events: 42 });

  // lifetime and expired_at
  t.equal((await a.post('/dids/tr/ds1/meta/lifetime', { value: 86400 })).statusCode, 201);
  const exp = JSON.parse((await a.get('/dids/tr/ds1')).body).expired_at as string;
  t.ok(
    Math.abs(Date.parse(exp.replace(' UTC', 'Z')) - Date.now() - 86400_000) < 60_000,
    `expires in a day: ${exp}`,
  );
  t.equal((await a.post('/dids/tr/ds1/meta/expired_at', { value: '2031-01-02T03:04:05' })).statusCode, 201);
  t.equal(JSON.parse((await a.get('/dids/tr/ds1')).body).expired_at, 'Thu, 02 Jan 2031 03:04:05 UTC');
  t.equal((await a.post('/dids/tr/ds1/meta/expired_at', { value: 'tomorrow' })).statusCode, 400);
  t.equal((await a.post('/dids/tr/ds1/meta/lifetime', { value: null })).statusCode, 201);
  t.equal(JSON.parse((await a.get('/dids/tr/ds1')).body).expired_at, null);

  // recursive: column metadata goes one level down (as Rucio)
  t.equal(
    (await a.post('/dids/tr/ds1/meta', { meta: { campaign: 'mc23' }, recursive: true })).statusCode,
    201,
  );
  t.match(JSON.parse((await a.get('/dids/tr/f.root/meta')).body), { campaign: 'mc23' });

  // delete keys
  t.equal((await a.del('/dids/tr/ds1/meta?key=tag')).statusCode, 200);
  const gone = await a.del('/dids/tr/ds1/meta?key=tag');
  t.equal(gone.statusCode, 404);
  t.equal(gone.headers.exceptionclass, 'KeyNotFound');
  const noKey = await a.del('/dids/tr/ds1/meta');
  t.equal(noKey.statusCode, 404);
  t.equal(noKey.headers.exceptionclass, 'KeyNotFound');
  t.equal((await a.del('/dids/tr/ds1/meta?key=project')).statusCode, 200, 'fixed columns are cleared');
  t.equal(JSON.parse((await a.get('/dids/tr/ds1/meta')).body).project, null);
  t.equal((await a.del('/dids/tr/ghost/meta?key=tag')).statusCode, 404);

  // bulk: set on several DIDs in one transaction, read them back as a stream (with inheritance)
  t.equal((await a.post('/dids/tr/ds2', { type: 'DATASET' })).statusCode, 201);
  const setMany = await a.post('/dids/bulkdidsmeta', {
    dids: [
      { scope: 'tr', name: 'ds1', meta: { owner: 'alice' } },
      { scope: 'tr', name: 'ds2', meta: { owner: 'bob', datatype: 'ESD' } },
    ],
  });
  t.equal(setMany.statusCode, 201);
  const setBad = await a.post('/dids/bulkdidsmeta', {
    dids: [
      { scope: 'tr', name: 'ds1', meta: { owner: 'carol' } },
      { scope: 'tr', name: 'ghost', meta: { owner: 'bob' } },
    ],
  });
  t.equal(setBad.statusCode, 404);
  const many = await a.post('/dids/bulkmeta', {
    dids: [
      { scope: 'tr', name: 'ds1' },
      { scope: 'tr', name: 'ghost' },
      { scope: 'tr', name: 'ds2' },
    ],
    plugin: 'JSON',
  });
  t.equal(many.headers['content-type'], 'application/x-json-stream');
  t.same(jsonLines(many.body), [
    { scope: 'tr', name: 'ds1', energy: 13.6, flags: { a: [1, 2] }, owner: 'alice' },
    { scope: 'tr', name: 'ds2', owner: 'bob' },
  ]);
  const inherited = jsonLines(
    (
      await a.post('/dids/bulkmeta', {
        dids: [{ scope: 'tr', name: 'f.root' }],
        inherit: true,
        plugin: 'JSON',
      })
    ).body,
  );
  t.same(inherited, [{ scope: 'tr', name: 'f.root', energy: 13.6, flags: { a: [1, 2] }, owner: 'alice' }]);
  const colMany = jsonLines((await a.post('/dids/bulkmeta', { dids: [{ scope: 'tr', name: 'ds2' }] })).body);
  t.match(colMany, [{ name: 'ds2', datatype: 'ESD', did_type: 'DATASET' }]);

  // permission: jdoe may not set metadata in tr
  const jdoe = await loginAs(s, 'jdoe');
  t.equal((await a.post('/dids/tr/ds1/meta/energy', { value: 1 }, jdoe)).statusCode, 401);
  t.equal(
    (await a.post('/dids/bulkdidsmeta', { dids: [{ scope: 'tr', name: 'ds1', meta: { x: 1 } }] }, jdoe))
      .statusCode,
    401,
  );
});

forEachDialect(t, 'DIDs: search', async (t, s) => {
  const a = api(s);
  await setupScopes(s);
  const add = async (name: string, type: string, meta: Record<string, unknown> = {}, extra = {}) => {
    const r = await a.post(`/dids/tr/${encodeURIComponent(name)}`, { type, meta, ...extra });
    t.equal(r.statusCode, 201, `add ${name}`);
  };
  await add('dstr', 'DATASET', { datatype: 'AOD', run_number: 1000, energy: 13 });
  await add('ds_2', 'DATASET', { datatype: 'ESD', run_number: 2000, energy: 7, tag: 'physics_Main' });
  await add('dsx2', 'DATASET', { datatype: 'AOD', run_number: 3000, energy: '900' });
  await add('cnt', 'CONTAINER', { datatype: 'AOD' });
  await add('tr1.dat', 'FILE', { run_number: 1000 }, { bytes: 7 });
  await add('dir/f2.dat', 'FILE', {}, { bytes: 8 });
  t.equal((await a.post('/dids/tr/dstr/dids', { dids: [{ scope: 'tr', name: 'tr1.dat' }] })).statusCode, 201);
  t.equal((await a.post('/dids/tr/cnt/dids', { dids: [{ scope: 'tr', name: 'dstr' }] })).statusCode, 201);

  const search = async (q: string) => {
    const r = await a.get(`/dids/tr/dids/search?${q}`);
    t.equal(r.statusCode, 200, q);
    t.match(r.headers['content-type'], /^application\/x-json-stream/);
    return jsonLines(r.body);
  };
  const names = async (type: string, filters: RucioFilterDict[], extra = '') =>
    (await search(
      didSearchQueryString({ type, filters, long: false, recursive: false }) + extra,
    )) as string[];

  // exactly what `rucio did list tr:*` and `rucio did list --filter type=all tr:*` send
  const long = await search(
    'type=collection&filters=%5B%7B%27name%27%3A+%27%2A%27%7D%5D&long=True&recursive=False',
  );
  t.same(long, [
    { scope: 'tr', name: 'cnt', did_type: 'CONTAINER', bytes: null, length: null },
    { scope: 'tr', name: 'ds_2', did_type: 'DATASET', bytes: null, length: null },
    { scope: 'tr', name: 'dstr', did_type: 'DATASET', bytes: 7, length: 1 },
    { scope: 'tr', name: 'dsx2', did_type: 'DATASET', bytes: null, length: null },
  ]);
  const all = await search(
    'type=collection&filters=%5B%7B%27type%27%3A+%27all%27%2C+%27name%27%3A+%27%2A%27%7D%5D&long=True&recursive=False',
  );
  t.equal(all.length, 6);
  t.ok(all.some((d) => (d as { name: string }).name === 'dir/f2.dat'));
  // `rucio download tr:dstr`
  t.same(await search('type=all&filters=%5B%7B%27name%27%3A+%27dstr%27%7D%5D&long=True&recursive=False'), [
    { scope: 'tr', name: 'dstr', did_type: 'DATASET', bytes: 7, length: 1 },
  ]);

  // names only without long; wildcards ('_' is literal); case-sensitive
  t.same(await names('dataset', [{ name: 'ds*' }]), ['ds_2', 'dstr', 'dsx2']);
  t.same(await names('dataset', [{ name: 'ds_*' }]), ['ds_2']);
  t.same(await names('dataset', [{ name: '*2' }]), ['ds_2', 'dsx2']);
  t.same(await names('dataset', [{ name: 'DS*' }]), []);
  t.same(await names('all', [{ name: 'dir/*' }]), ['dir/f2.dat']);
  t.same(await names('dataset', [{ 'name.ne': 'ds*' }]), []);
  t.same(await names('file', [{ name: '*' }]), ['dir/f2.dat', 'tr1.dat']);
  t.same(await names('container', []), ['cnt']);

  // fixed columns: equality, ranges, != (includes NULL), OR of groups, typed values as the client sends them
  t.same(await names('collection', [{ datatype: 'AOD' }]), ['cnt', 'dstr', 'dsx2']);
  t.same(await names('dataset', [{ 'run_number.gte': '1500', name: '*' }]), ['ds_2', 'dsx2']);
  t.same(await names('dataset', [{ 'run_number.gt': '1000', 'run_number.lt': '3000' }]), ['ds_2']);
  t.same(await names('collection', [{ 'datatype.ne': 'AOD' }]), ['ds_2']);
  t.same(await names('collection', [{ datatype: 'ESD' }, { run_number: 3000 }]), ['ds_2', 'dsx2']);
  t.same(await names('all', [{ run_number: '1000' }]), ['dstr', 'tr1.dat']);
  t.same(await names('all', [{ type: 'file', run_number: '1000' }, { type: 'container' }]), [
    'cnt',
    'tr1.dat',
  ]);
  t.same(await names('all', [{ 'length.gte': 1 }]), ['dstr']);
  t.same(await names('dataset', [{ 'created_at.gte': '2000-01-01T00:00:00' }]), ['ds_2', 'dstr', 'dsx2']);
  t.same(await names('dataset', [{ created_before: '2000-01-01 00:00:00' }]), []);
  t.same(await names('collection', [{ is_open: true, datatype: 'AOD' }]), ['cnt', 'dstr', 'dsx2']);

  // free metadata: numeric comparison through value_num (numbers and numeric strings), strings, wildcards
  t.same(await names('dataset', [{ 'energy.gt': '10' }]), ['dstr', 'dsx2']);
  t.same(await names('dataset', [{ energy: 7 }]), ['ds_2']);
  t.same(await names('dataset', [{ tag: 'physics_Main' }]), ['ds_2']);
  t.same(await names('dataset', [{ tag: 'physics*' }]), ['ds_2']);
  t.same(await names('dataset', [{ 'tag.ne': 'physics_Main' }]), ['dstr', 'dsx2']);
  t.same(await names('dataset', [{ 'energy.lte': 13, datatype: 'AOD' }]), ['dstr']);
  t.same(await names('dataset', [{ nosuchkey: 'x' }]), []);

  // limit and recursive
  t.same(await names('dataset', [{ name: '*' }], '&limit=2'), ['ds_2', 'dstr']);
  const rec = (await search(
    didSearchQueryString({ type: 'all', filters: [{ name: 'cnt' }], long: false, recursive: true }),
  )) as string[];
  t.same(rec, ['cnt', 'dstr', 'tr1.dat']);
  const recFiltered = (await search(
    didSearchQueryString({
      type: 'all',
      filters: [{ name: 'cnt', datatype: 'AOD' }],
      long: false,
      recursive: true,
    }),
  )) as string[];
  t.same(recFiltered, ['cnt', 'dstr']);

  // old clients: filters as plain query parameters
  t.same(await search('type=dataset&name=ds*&long=False'), ['ds_2', 'dstr', 'dsx2']);
  // JSON filters are accepted too
  t.same(await search(`type=dataset&filters=${encodeURIComponent('[{"datatype": "ESD"}]')}`), ['ds_2']);

  // bad input: 4xx with Rucio's classes, never 500
  const bad = async (q: string, status: number, cls: string) => {
    const r = await a.get(`/dids/tr/dids/search?${q}`);
    t.equal(r.statusCode, status, `${q} → ${status}`);
    t.equal(r.headers.exceptionclass, cls, q);
  };
  await bad('type=blob', 409, 'UnsupportedOperation');
  await bad(`filters=${encodeURIComponent("[{'name': 'x'")}`, 400, 'DIDFilterSyntaxError');
  await bad(`filters=${encodeURIComponent("[{'run_number.foo': 1}]")}`, 400, 'DIDFilterSyntaxError');
  await bad(`filters=${encodeURIComponent("[{'run_number.gte': 'abc'}]")}`, 400, 'DIDFilterSyntaxError');
  await bad(
    `filters=${encodeURIComponent("[{'created_at.gte': 'yesterday'}]")}`,
    400,
    'DIDFilterSyntaxError',
  );
  await bad(`filters=${encodeURIComponent("[{'name.gt': 'a'}]")}`, 400, 'DIDFilterSyntaxError');
  await bad(`filters=${encodeURIComponent("[{'bad key': 1}]")}`, 400, 'DIDFilterSyntaxError');
  await bad(`filters=${encodeURIComponent("[{'type': 'blob'}]")}`, 409, 'UnsupportedOperation');
  await bad('limit=-1', 400, 'InputValidationError');
  await bad('long=maybe', 400, 'ValueError');
  t.equal((await a.get('/dids/tr/dids/search', { accept: 'application/json' })).statusCode, 406);
  t.same(await search('type=all&filters=%5B%7B%27name%27%3A+%27%2A%27%7D%5D').then((x) => x.length), 6);
  const otherScope = await a.get('/dids/user.jdoe/dids/search?type=all');
  t.equal(otherScope.statusCode, 200);
  t.equal(otherScope.body, '');
});
