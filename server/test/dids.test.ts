import t from 'tap';
import { type Api, api, loginAs, setupScopes } from './dids-support.js';
import { forEachDialect, jsonLines } from './support/dialects.js';

forEachDialect(t, 'DIDs: add, show, attach, status', async (t, s) => {
  const a: Api = api(s);
  await setupScopes(s);

  // --- add collections (rucio did add --type dataset tr:dstr) ---
  const add = await a.post('/dids/tr/dstr', { type: 'DATASET' });
  t.equal(add.statusCode, 201);
  t.equal(add.body, 'Created');
  t.equal((await a.post('/dids/tr/cnt', { type: 'container', lifetime: 3600 })).statusCode, 201);
  t.equal(
    (await a.post('/dids/tr/mono', { type: 'DATASET', statuses: { monotonic: true } })).statusCode,
    201,
  );

  const dup = await a.post('/dids/tr/dstr', { type: 'DATASET' });
  t.equal(dup.statusCode, 409);
  t.equal(dup.headers.exceptionclass, 'DataIdentifierAlreadyExists');
  const noScope = await a.post('/dids/nosuch/ds', { type: 'DATASET' });
  t.equal(noScope.statusCode, 404);
  t.equal(noScope.headers.exceptionclass, 'ScopeNotFound');
  const badName = await a.post('/dids/tr/bad%20name', { type: 'DATASET' });
  t.equal(badName.statusCode, 400);
  t.equal(badName.headers.exceptionclass, 'InvalidObject');
  t.match(JSON.parse(badName.body).ExceptionMessage, /contains a space at position 3/);
  const badScope = await a.post('/dids/tr$x/ds', { type: 'DATASET' });
  t.equal(badScope.statusCode, 400);
  const badType = await a.post('/dids/tr/ds2', { type: 'BLOB' });
  t.equal(badType.statusCode, 400);
  t.equal(badType.headers.exceptionclass, 'InvalidType');
  const badJson = await a.raw('POST', '/dids/tr/ds2', '{"type": ');
  t.equal(badJson.statusCode, 400);
  t.equal(badJson.headers.exceptionclass, 'ValueError');
  const wrongField = await a.post('/dids/tr/ds2', { type: 'DATASET', colour: 'red' });
  t.equal(wrongField.statusCode, 400);
  t.match(JSON.parse(wrongField.body).ExceptionMessage, /colour/);
  const wrongType = await a.post('/dids/tr/ds2', { type: 7 });
  t.equal(wrongType.statusCode, 400);
  const badLifetime = await a.post('/dids/tr/ds2', { type: 'DATASET', lifetime: 'soon' });
  t.equal(badLifetime.statusCode, 400);
  const hugeLifetime = await a.post('/dids/tr/ds2', { type: 'DATASET', lifetime: 1e308 });
  t.equal(hugeLifetime.statusCode, 400);
  t.match(JSON.parse(hugeLifetime.body).ExceptionMessage, /year 9999/);
  const emptyBody = await a.raw('POST', '/dids/tr/ds2', '');
  t.equal(emptyBody.statusCode, 400);
  const noName = await a.post('/dids/tr/', { type: 'DATASET' });
  t.ok(noName.statusCode >= 400 && noName.statusCode < 500, 'scope without name is a 4xx');

  // --- files (Oxbow extension: type FILE with size and checksums), bulk add ---
  const files = Array.from({ length: 5 }, (_, i) => ({
    scope: 'tr',
    name: `f${i}.root`,
    type: 'FILE',
    bytes: 100 + i,
    adler32: `0000000${i}`,
    meta: { guid: `0c1f5b7e-0000-4000-8000-00000000000${i}`, events: 10 },
  }));
  t.equal((await a.post('/dids', files)).statusCode, 201);
  const bulkDup = await a.post('/dids', [
    { scope: 'tr', name: 'new1', type: 'DATASET' },
    { scope: 'tr', name: 'f0.root', type: 'FILE' },
  ]);
  t.equal(bulkDup.statusCode, 409);
  t.equal((await a.get('/dids/tr/new1')).statusCode, 404, 'bulk add is all or nothing');

  // --- show ---
  const f0 = await a.get('/dids/tr/f0.root?dynamic_depth=DATASET');
  t.equal(f0.statusCode, 200);
  t.equal(f0.headers['content-type'], 'application/json; charset=utf-8');
  t.same(JSON.parse(f0.body), {
    scope: 'tr',
    name: 'f0.root',
    type: 'FILE',
    account: 'root',
    bytes: 100,
    length: 1,
    md5: null,
    adler32: '00000000',
  });
  const cnt = JSON.parse((await a.get('/dids/tr/cnt')).body);
  t.match(cnt, {
    scope: 'tr',
    name: 'cnt',
    type: 'CONTAINER',
    account: 'root',
    open: true,
    monotonic: false,
  });
  t.match(cnt.expired_at, /^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d UTC$/);
  const missing = await a.get('/dids/tr/nothing');
  t.equal(missing.statusCode, 404);
  t.equal(missing.headers.exceptionclass, 'DataIdentifierNotFound');
  t.equal((await a.get('/dids/tr/dstr', { accept: 'text/html' })).statusCode, 406);

  // --- attach files into the dataset (rucio did content add --to-did tr:dstr tr:f0.root) ---
  const att = await a.post('/dids/tr/dstr/dids', { dids: [{ scope: 'tr', name: 'f0.root' }] });
  t.equal(att.statusCode, 201);
  t.equal(att.body, 'Created');
  const att2 = await a.post('/dids/tr/dstr/dids', {
    dids: [
      { scope: 'tr', name: 'f1.root', bytes: 101, adler32: '00000001' },
      { scope: 'tr', name: 'f2.root' },
    ],
  });
  t.equal(att2.statusCode, 201);
  const again = await a.post('/dids/tr/dstr/dids', { dids: [{ scope: 'tr', name: 'f0.root' }] });
  t.equal(again.statusCode, 409);
  t.equal(again.headers.exceptionclass, 'FileAlreadyExists');
  const mismatch = await a.post('/dids/tr/dstr/dids', { dids: [{ scope: 'tr', name: 'f3.root', bytes: 1 }] });
  t.equal(mismatch.statusCode, 412);
  t.equal(mismatch.headers.exceptionclass, 'FileConsistencyMismatch');
  const unknownFile = await a.post('/dids/tr/dstr/dids', { dids: [{ scope: 'tr', name: 'ghost' }] });
  t.equal(unknownFile.statusCode, 404);
  t.equal(unknownFile.headers.exceptionclass, 'DataIdentifierNotFound');
  const intoFile = await a.post('/dids/tr/f0.root/dids', { dids: [{ scope: 'tr', name: 'f1.root' }] });
  t.equal(intoFile.statusCode, 409);
  t.equal(intoFile.headers.exceptionclass, 'UnsupportedOperation');
  const fileIntoCnt = await a.post('/dids/tr/cnt/dids', { dids: [{ scope: 'tr', name: 'f1.root' }] });
  t.equal(fileIntoCnt.statusCode, 409);
  const dsIntoDs = await a.post('/dids/tr/dstr/dids', { dids: [{ scope: 'tr', name: 'mono' }] });
  t.equal(dsIntoDs.statusCode, 409);
  const noDids = await a.post('/dids/tr/dstr/dids', { dids: [] });
  t.equal(noDids.statusCode, 400);
  const badChild = await a.post('/dids/tr/dstr/dids', { dids: [{ scope: 'tr', name: '.hidden' }] });
  t.equal(badChild.statusCode, 400);
  t.match(JSON.parse(badChild.body).ExceptionMessage, /must start with a letter, a digit or '\/'/);
  const rseAttach = await a.post('/dids/tr/dstr/dids', {
    rse: 'NO_SUCH_RSE',
    dids: [{ scope: 'tr', name: 'new.root', bytes: 1, adler32: '00000001' }],
  });
  t.ok([404, 409].includes(rseAttach.statusCode), `attach with rse answers 4xx (${rseAttach.statusCode})`);

  // dataset size is kept current while open; dynamic_depth=FILE counts the content
  t.match(JSON.parse((await a.get('/dids/tr/dstr')).body), { length: 3, bytes: 303, open: true });
  t.match(JSON.parse((await a.get('/dids/tr/dstr?dynamic_depth=FILE')).body), { length: 3, bytes: 303 });

  // --- containers: datasets in, no cycles, no mixing ---
  t.equal((await a.post('/dids/tr/cnt/dids', { dids: [{ scope: 'tr', name: 'dstr' }] })).statusCode, 201);
  t.equal((await a.post('/dids/tr/top', { type: 'CONTAINER' })).statusCode, 201);
  t.equal((await a.post('/dids/tr/top/dids', { dids: [{ scope: 'tr', name: 'cnt' }] })).statusCode, 201);
  const cycle = await a.post('/dids/tr/cnt/dids', { dids: [{ scope: 'tr', name: 'top' }] });
  t.equal(cycle.statusCode, 409);
  t.match(JSON.parse(cycle.body).ExceptionMessage, /Circular attachment/);
  const self = await a.post('/dids/tr/cnt/dids', { dids: [{ scope: 'tr', name: 'cnt' }] });
  t.equal(self.statusCode, 409);
  const mixed = await a.post('/dids/tr/top/dids', {
    dids: [
      { scope: 'tr', name: 'mono' },
      { scope: 'tr', name: 'cnt2' },
    ],
  });
  t.equal(mixed.statusCode, 404, 'unknown child found before mixing');
  t.equal((await a.post('/dids/tr/cnt2', { type: 'CONTAINER' })).statusCode, 201);
  const mixed2 = await a.post('/dids/tr/top/dids', {
    dids: [
      { scope: 'tr', name: 'mono' },
      { scope: 'tr', name: 'cnt2' },
    ],
  });
  t.equal(mixed2.statusCode, 409);
  t.match(JSON.parse(mixed2.body).ExceptionMessage, /Mixed collection/);
  const dupContent = await a.post('/dids/tr/cnt/dids', { dids: [{ scope: 'tr', name: 'dstr' }] });
  t.equal(dupContent.statusCode, 409);
  t.equal(dupContent.headers.exceptionclass, 'DuplicateContent');
  t.match(JSON.parse((await a.get('/dids/tr/top?dynamic_depth=FILE')).body), { length: 3, bytes: 303 });
  t.match(JSON.parse((await a.get('/dids/tr/top?dynamic_depth=DATASET')).body), { length: 3, bytes: 303 });
  t.match(JSON.parse((await a.get('/dids/tr/top')).body), { length: null, bytes: null });

  // --- bulk attach (POST /dids/attachments) ---
  const bulk = await a.post('/dids/attachments', {
    attachments: [
      {
        scope: 'tr',
        name: 'mono',
        dids: [
          { scope: 'tr', name: 'f3.root' },
          { scope: 'tr', name: 'f4.root' },
        ],
      },
      {
        scope: 'tr',
        name: 'dstr',
        dids: [
          { scope: 'tr', name: 'f0.root' },
          { scope: 'tr', name: 'f3.root' },
        ],
      },
    ],
    ignore_duplicate: true,
  });
  t.equal(bulk.statusCode, 201);
  const bulkFail = await a.post('/dids/attachments', {
    attachments: [
      { scope: 'tr', name: 'cnt2', dids: [{ scope: 'tr', name: 'mono' }] },
      { scope: 'tr', name: 'dstr', dids: [{ scope: 'tr', name: 'f0.root' }] },
    ],
  });
  t.equal(bulkFail.statusCode, 409, 'duplicate without ignore_duplicate');
  t.equal(jsonLines((await a.get('/dids/tr/cnt2/dids')).body).length, 0, 'bulk attach is one transaction');
  const bulkList = await a.post('/dids/attachments', [
    { scope: 'tr', name: 'cnt2', dids: [{ scope: 'tr', name: 'mono' }] },
  ]);
  t.equal(bulkList.statusCode, 201, 'bare list form');
  const bulkBad = await a.post('/dids/attachments', { attachments: 'x' });
  t.equal(bulkBad.statusCode, 400);

  // --- content, files, parents ---
  const content = await a.get('/dids/tr/dstr/dids');
  t.equal(content.headers['content-type'], 'application/x-json-stream');
  t.same(jsonLines(content.body), [
    { scope: 'tr', name: 'f0.root', type: 'FILE', bytes: 100, adler32: '00000000', md5: null },
    { scope: 'tr', name: 'f1.root', type: 'FILE', bytes: 101, adler32: '00000001', md5: null },
    { scope: 'tr', name: 'f2.root', type: 'FILE', bytes: 102, adler32: '00000002', md5: null },
    { scope: 'tr', name: 'f3.root', type: 'FILE', bytes: 103, adler32: '00000003', md5: null },
  ]);
  t.equal((await a.get('/dids/tr/nothing/dids')).statusCode, 404);
  t.equal((await a.get('/dids/tr/cnt2/dids')).body.trim().split('\n').length, 1);
  const topFiles = jsonLines((await a.get('/dids/tr/top/files')).body) as Record<string, unknown>[];
  t.equal(topFiles.length, 4);
  t.same(topFiles[0], {
    scope: 'tr',
    name: 'f0.root',
    bytes: 100,
    adler32: '00000000',
    guid: '0C1F5B7E-0000-4000-8000-000000000000',
    events: 10,
  });
  const longFiles = jsonLines((await a.get('/dids/tr/dstr/files?long=True')).body) as Record<
    string,
    unknown
  >[];
  t.ok('lumiblocknr' in longFiles[0]!);
  t.same(jsonLines((await a.get('/dids/tr/f1.root/files')).body).length, 1);
  const parents = jsonLines((await a.get('/dids/tr/f3.root/parents')).body);
  t.same(parents, [
    { scope: 'tr', name: 'dstr', type: 'DATASET' },
    { scope: 'tr', name: 'mono', type: 'DATASET' },
  ]);
  const byGuid = jsonLines((await a.get('/dids/0c1f5b7e-0000-4000-8000-000000000003/guid')).body);
  t.same(byGuid, [
    { scope: 'tr', name: 'dstr' },
    { scope: 'tr', name: 'mono' },
  ]);
  t.equal((await a.get('/dids/0c1f5b7e-ffff-4000-8000-000000000003/guid')).statusCode, 404);
  const bulkFiles = jsonLines(
    (
      await a.post('/dids/bulkfiles', {
        dids: [
          { scope: 'tr', name: 'mono' },
          { scope: 'tr', name: 'ghost' },
        ],
      })
    ).body,
  ) as Record<string, unknown>[];
  t.equal(bulkFiles.length, 2);
  t.match(bulkFiles[0], { parent_scope: 'tr', parent_name: 'mono' });

  // --- scope listing ---
  const scopeTop = jsonLines((await a.get('/dids/tr/')).body) as Record<string, unknown>[];
  t.same(
    scopeTop.map((d) => d.name),
    ['cnt2', 'top'],
  );
  t.notOk(
    scopeTop.some((d) => d.name === 'dstr'),
    'attached datasets are not top level',
  );
  t.match(
    scopeTop.find((d) => d.name === 'top'),
    { type: 'CONTAINER', parent: null, level: 0 },
  );
  const scopeRec = jsonLines((await a.get('/dids/tr/?name=top&recursive=True')).body) as Record<
    string,
    unknown
  >[];
  t.match(scopeRec[0], { name: 'cnt', level: 1, parent: { scope: 'tr', name: 'top' } });
  t.ok(scopeRec.some((d) => d.name === 'f0.root' && d.level === 3));

  // --- status: close computes size, closed refuses attach, monotonic refuses detach ---
  const close = await a.put('/dids/tr/mono/status', { open: false });
  t.equal(close.statusCode, 200);
  const closed = JSON.parse((await a.get('/dids/tr/mono/status')).body);
  t.match(closed, { open: false, length: 2, bytes: 207 });
  const closeAgain = await a.put('/dids/tr/mono/status', { open: false });
  t.equal(closeAgain.statusCode, 409);
  t.equal(closeAgain.headers.exceptionclass, 'UnsupportedOperation');
  const intoClosed = await a.post('/dids/tr/mono/dids', { dids: [{ scope: 'tr', name: 'f1.root' }] });
  t.equal(intoClosed.statusCode, 409);
  t.match(JSON.parse(intoClosed.body).ExceptionMessage, /is closed/);
  const badStatus = await a.put('/dids/tr/dstr/status', { colour: 'red' });
  t.equal(badStatus.statusCode, 409);
  t.equal(badStatus.headers.exceptionclass, 'UnsupportedStatus');
  const fileStatus = await a.put('/dids/tr/f0.root/status', { open: false });
  t.equal(fileStatus.statusCode, 409);
  t.equal((await a.put('/dids/tr/ghost/status', { open: false })).statusCode, 404);
  const reopen = await a.put('/dids/tr/mono/status', { open: true });
  t.equal(reopen.statusCode, 200, 'root may reopen');
  const monoDetach = await a.del('/dids/tr/mono/dids', { dids: [{ scope: 'tr', name: 'f3.root' }] });
  t.equal(monoDetach.statusCode, 409);
  t.match(JSON.parse(monoDetach.body).ExceptionMessage, /monotonic/);

  // --- detach ---
  const det = await a.del('/dids/tr/dstr/dids', { dids: [{ scope: 'tr', name: 'f2.root' }] });
  t.equal(det.statusCode, 200);
  t.match(JSON.parse((await a.get('/dids/tr/dstr')).body), { length: 3, bytes: 303 - 102 + 103 });
  const detMissing = await a.del('/dids/tr/dstr/dids', { dids: [{ scope: 'tr', name: 'f2.root' }] });
  t.equal(detMissing.statusCode, 404);
  const detSelf = await a.del('/dids/tr/dstr/dids', { dids: [{ scope: 'tr', name: 'dstr' }] });
  t.equal(detSelf.statusCode, 409);
  t.equal((await a.del('/dids/tr/dstr/dids', { nope: 1 })).statusCode, 400);
  t.equal((await a.del('/dids/tr/ghost/dids', { dids: [{ scope: 'tr', name: 'f2.root' }] })).statusCode, 404);

  // --- rules of a DID: none exist yet ---
  const rules = await a.get('/dids/tr/dstr/rules');
  t.equal(rules.statusCode, 200);
  t.equal(rules.body, '');
  t.equal((await a.get('/dids/tr/ghost/rules')).statusCode, 404);

  // --- permissions: another account may not write into tr, but into its own scope ---
  const jdoe = await loginAs(s, 'jdoe');
  const denied = await a.post('/dids/tr/mine', { type: 'DATASET' }, jdoe);
  t.equal(denied.statusCode, 401);
  t.equal(denied.headers.exceptionclass, 'AccessDenied');
  t.equal((await a.post('/dids/user.jdoe/mine', { type: 'DATASET' }, jdoe)).statusCode, 201);
  t.match(JSON.parse((await a.get('/dids/user.jdoe/mine', {}, jdoe)).body), { account: 'jdoe' });
  const deniedAttach = await a.post('/dids/tr/dstr/dids', { dids: [{ scope: 'tr', name: 'f2.root' }] }, jdoe);
  t.equal(deniedAttach.statusCode, 401);
  const deniedBulk = await a.post(
    '/dids/attachments',
    { attachments: [{ scope: 'tr', name: 'dstr', dids: [{ scope: 'tr', name: 'f2.root' }] }] },
    jdoe,
  );
  t.equal(deniedBulk.statusCode, 401);
  t.equal((await a.put('/dids/user.jdoe/mine/status', { open: false }, jdoe)).statusCode, 200);
  const userReopen = await a.put('/dids/user.jdoe/mine/status', { open: true }, jdoe);
  t.equal(userReopen.statusCode, 401, 'only admins reopen');
  const deniedStatus = await a.put('/dids/tr/dstr/status', { open: false }, jdoe);
  t.equal(deniedStatus.statusCode, 401);
  const noToken = await s.app.inject({ method: 'GET', url: '/dids/tr/dstr' });
  t.equal(noToken.statusCode, 400);
});

forEachDialect(t, 'DIDs: names with slashes, Rucio client paths', async (t, s) => {
  const a = api(s);
  await setupScopes(s);
  // Rucio's client quotes names with quote_plus, so '/' arrives as %2F; plain '/' works too.
  t.equal((await a.post('/dids/tr/data%2F2024%2Fds', { type: 'DATASET' })).statusCode, 201);
  t.equal((await a.post('/dids/tr/data/2024/f.root', { type: 'FILE', bytes: 5 })).statusCode, 201);
  t.equal((await a.post('/dids/tr/%2Fabs%2Fname', { type: 'DATASET' })).statusCode, 201);
  t.match(JSON.parse((await a.get('/dids/tr/data/2024/ds')).body), { name: 'data/2024/ds', type: 'DATASET' });
  t.match(JSON.parse((await a.get('/dids/tr/%2Fabs%2Fname')).body), { name: '/abs/name' });
  const att = await a.post('/dids/tr/data%2F2024%2Fds/dids', {
    dids: [{ scope: 'tr', name: 'data/2024/f.root' }],
  });
  t.equal(att.statusCode, 201);
  t.same(jsonLines((await a.get('/dids/tr/data/2024/ds/dids')).body), [
    { scope: 'tr', name: 'data/2024/f.root', type: 'FILE', bytes: 5, adler32: null, md5: null },
  ]);
  t.same(jsonLines((await a.get('/dids/tr/data%2F2024%2Ff.root/parents')).body), [
    { scope: 'tr', name: 'data/2024/ds', type: 'DATASET' },
  ]);
  t.equal((await a.put('/dids/tr/data%2F2024%2Fds/status', { open: false })).statusCode, 200);
  t.match(JSON.parse((await a.get('/dids/tr/data/2024/ds/status')).body), {
    open: false,
    length: 1,
    bytes: 5,
  });
  const badEscape = await a.get('/dids/tr/bad%zzname');
  t.equal(badEscape.statusCode, 400);
  const tooLong = await a.post(`/dids/tr/${'x'.repeat(300)}`, { type: 'DATASET' });
  t.equal(tooLong.statusCode, 400);
  t.match(JSON.parse(tooLong.body).ExceptionMessage, /at most 250/);
});

forEachDialect(t, 'DIDs: concurrent requests', async (t, s) => {
  const a = api(s);
  await setupScopes(s);
  // The same DID added ten times at once: one wins, the others get 409, nobody a 500.
  const adds = await Promise.all(
    Array.from({ length: 10 }, () => a.post('/dids/tr/race', { type: 'DATASET' })),
  );
  t.same(adds.map((r) => r.statusCode).sort(), [201, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
  // Concurrent attaches of different files into one dataset: the size counters add up.
  const files = Array.from({ length: 40 }, (_, i) => ({
    scope: 'tr',
    name: `c${i}`,
    type: 'FILE',
    bytes: 10,
  }));
  t.equal((await a.post('/dids', files)).statusCode, 201);
  const attaches = await Promise.all(
    Array.from({ length: 8 }, (_, k) =>
      a.post('/dids/tr/race/dids', {
        dids: files.slice(k * 5, k * 5 + 5).map((f) => ({ scope: 'tr', name: f.name })),
      }),
    ),
  );
  t.ok(
    attaches.every((r) => r.statusCode === 201),
    attaches.map((r) => r.statusCode).join(','),
  );
  t.match(JSON.parse((await a.get('/dids/tr/race')).body), { length: 40, bytes: 400 });
  // The same files attached twice at once: one request wins, the other is refused whole.
  t.equal((await a.post('/dids/tr/race2', { type: 'DATASET' })).statusCode, 201);
  const same = await Promise.all(
    [0, 1].map(() =>
      a.post('/dids/tr/race2/dids', { dids: files.map((f) => ({ scope: 'tr', name: f.name })) }),
    ),
  );
  t.same(same.map((r) => r.statusCode).sort(), [201, 409]);
  t.match(JSON.parse((await a.get('/dids/tr/race2')).body), { length: 40, bytes: 400 });
});
