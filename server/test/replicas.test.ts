import t from 'tap';
import { type ListedFile, listedFileJson, listReplicas } from '../src/catalog/replica-list.js';
import type { TestServer } from '../src/testing/server.js';
import { call, type H } from './support/api.js';
import { forEachDialect, jsonLines } from './support/dialects.js';

type Listed = {
  scope: string;
  name: string;
  bytes: number;
  adler32: string | null;
  md5: string | null;
  pfns: Record<
    string,
    {
      rse: string;
      rse_id: string;
      domain: string;
      priority: number;
      type: string;
      volatile: boolean;
      client_extract: boolean;
    }
  >;
  rses: Record<string, string[]>;
  states: Record<string, string>;
  parents?: string[];
};

async function must(p: ReturnType<typeof call>, what: string) {
  const r = await p;
  if (r.statusCode >= 300) throw new Error(`${what}: ${r.statusCode} ${r.body}`);
  return r;
}

const proto = (scheme: string, hostname: string, port: number, prefix: string, impl: string, prio = 1) => ({
  hostname,
  port,
  prefix,
  impl,
  domains: {
    wan: { read: prio, write: prio, delete: prio, third_party_copy_read: prio, third_party_copy_write: prio },
    lan: { read: prio, write: prio, delete: prio },
  },
  scheme,
});

/** RSEs DISK3 (file), DISK4 (root + file), ND (non-deterministic file); scopes tr (root), user.jdoe (jdoe). */
async function setup(s: TestServer): Promise<H> {
  await must(call(s, 'POST', '/rses/DISK3', {}), 'rse');
  await must(
    call(
      s,
      'POST',
      '/rses/DISK3/protocols/file',
      proto('file', 'localhost', 0, '/tmp/r/disk3', 'rucio.rse.protocols.posix.Default'),
    ),
    'p',
  );
  await must(call(s, 'POST', '/rses/DISK4', {}), 'rse');
  await must(
    call(
      s,
      'POST',
      '/rses/DISK4/protocols/root',
      proto('root', 'xrd.example.org', 1094, '//data/disk4', 'rucio.rse.protocols.xrootd.Default', 1),
    ),
    'p',
  );
  await must(
    call(
      s,
      'POST',
      '/rses/DISK4/protocols/file',
      proto('file', 'localhost', 0, '/tmp/r/disk4', 'rucio.rse.protocols.posix.Default', 2),
    ),
    'p',
  );
  await must(call(s, 'POST', '/rses/DISK4/attr/country', { value: 'DE' }), 'attr');
  await must(call(s, 'POST', '/rses/ND', { deterministic: false }), 'rse');
  await must(
    call(
      s,
      'POST',
      '/rses/ND/protocols/file',
      proto('file', 'localhost', 0, '/tmp/nd', 'rucio.rse.protocols.posix.Default'),
    ),
    'p',
  );
  await must(call(s, 'POST', '/accounts/root/scopes/tr'), 'scope');
  await must(call(s, 'POST', '/accounts/jdoe', { type: 'USER' }), 'account');
  await must(
    s.app.inject({
      method: 'PUT',
      url: '/identities/jdoe/userpass',
      headers: { ...s.headers, 'x-rucio-username': 'jdoe', 'x-rucio-password': 'pw-of-jdoe' },
    }),
    'identity',
  );
  await must(call(s, 'POST', '/accounts/jdoe/scopes/user.jdoe'), 'scope');
  const login = await s.app.inject({
    url: '/auth/userpass',
    headers: { 'x-rucio-account': 'jdoe', 'x-rucio-username': 'jdoe', 'x-rucio-password': 'pw-of-jdoe' },
  });
  return { 'x-rucio-auth-token': login.headers['x-rucio-auth-token'] as string };
}

/** A dataset or container with its contents, written straight into the catalog (independent of the DID routes). */
async function collection(
  s: TestServer,
  scope: string,
  name: string,
  type: 'D' | 'C',
  children: { scope: string; name: string; type: 'F' | 'D' | 'C'; bytes?: number }[],
) {
  const now = new Date().toISOString();
  const db = s.catalog.db;
  await db
    .insertInto('dids')
    .values({
      scope,
      name,
      account: 'root',
      did_type: type,
      is_open: 1,
      monotonic: 0,
      hidden: 0,
      obsolete: 0,
      suppressed: 0,
      purge_replicas: 1,
      availability: 'A',
      created_at: now,
      updated_at: now,
    })
    .execute();
  for (let i = 0; i < children.length; i += 1000) {
    await db
      .insertInto('contents')
      .values(
        children.slice(i, i + 1000).map((c) => ({
          scope,
          name,
          child_scope: c.scope,
          child_name: c.name,
          did_type: type,
          child_type: c.type,
          bytes: c.bytes ?? null,
          created_at: now,
        })),
      )
      .execute();
  }
}

const list = async (s: TestServer, body: unknown, headers: H = {}) => {
  const r = await call(s, 'POST', '/replicas/list', body, { ...s.headers, ...headers });
  const isJson = r.statusCode === 200 && r.headers['content-type'] === 'application/x-json-stream';
  return { r, files: isJson ? (jsonLines(r.body) as Listed[]) : [] };
};

forEachDialect(t, 'register replicas', async (t, s) => {
  const user = await setup(s);
  // As Rucio's client sends it (upload): ignore_availability, meta, checksums.
  const add = await call(s, 'POST', '/replicas', {
    rse: 'DISK3',
    files: [
      {
        scope: 'tr',
        name: 'f1',
        bytes: 100,
        adler32: '0a0b0c0d',
        md5: '0123456789abcdef0123456789ABCDEF',
        meta: { guid: 'g-1', events: 7, owner: 'x' },
      },
      { scope: 'tr', name: 'f2', bytes: 200, adler32: '00000001', state: 'C' },
    ],
    ignore_availability: true,
  });
  t.equal(add.statusCode, 201);
  t.equal(add.body, 'Created');
  const db = s.catalog.db;
  const f1 = await db
    .selectFrom('dids')
    .selectAll()
    .where('scope', '=', 'tr')
    .where('name', '=', 'f1')
    .executeTakeFirstOrThrow();
  t.match(f1, {
    did_type: 'F',
    account: 'root',
    bytes: 100,
    adler32: '0a0b0c0d',
    md5: '0123456789abcdef0123456789abcdef',
    guid: 'g-1',
    events: 7,
  });
  const meta = await db.selectFrom('did_meta').selectAll().where('name', '=', 'f1').execute();
  t.same(
    meta.map((m) => [m.key, m.value_json]),
    [['owner', '"x"']],
    'free metadata goes to did_meta',
  );
  const reps = await db
    .selectFrom('replicas')
    .select(['name', 'state', 'path'])
    .where('scope', '=', 'tr')
    .orderBy('name')
    .execute();
  t.same(reps, [
    { name: 'f1', state: 'A', path: null },
    { name: 'f2', state: 'C', path: null },
  ]);

  // registering again is no error and changes nothing (Rucio skips existing replicas)
  t.equal(
    (
      await call(s, 'POST', '/replicas', {
        rse: 'DISK3',
        files: [{ scope: 'tr', name: 'f1', bytes: 100, adler32: '0a0b0c0d' }],
      })
    ).statusCode,
    201,
  );
  t.equal((await db.selectFrom('replicas').select('name').where('name', '=', 'f1').execute()).length, 1);
  // a second replica of an existing file on another RSE
  t.equal(
    (
      await call(s, 'POST', '/replicas', {
        rse: 'DISK4',
        files: [{ scope: 'tr', name: 'f1', bytes: 100, adler32: '0A0B0C0D' }],
      })
    ).statusCode,
    201,
  );

  const bad = async (body: unknown, status: number, cls?: string, what = '', headers: H = s.headers) => {
    const r = await call(s, 'POST', '/replicas', body, headers);
    t.equal(r.statusCode, status, `${what} → ${status}`);
    if (cls) t.equal(r.headers.exceptionclass, cls, what);
    t.ok(JSON.parse(r.body).ExceptionMessage.length > 5, 'a message to act on');
  };
  await bad(
    { rse: 'DISK4', files: [{ scope: 'tr', name: 'f2', bytes: 200, adler32: 'ffffffff' }] },
    409,
    'FileConsistencyMismatch',
    'checksum',
  );
  await bad(
    { rse: 'DISK4', files: [{ scope: 'tr', name: 'f2', bytes: 201 }] },
    409,
    'FileConsistencyMismatch',
    'size',
  );
  await bad(
    {
      rse: 'DISK4',
      files: [{ scope: 'tr', name: 'f1', bytes: 100, md5: 'ffffffffffffffffffffffffffffffff' }],
    },
    409,
    'FileConsistencyMismatch',
    'md5',
  );
  await bad(
    {
      rse: 'DISK4',
      files: [
        { scope: 'tr', name: 'f9', bytes: 1 },
        { scope: 'tr', name: 'f9', bytes: 1 },
      ],
    },
    409,
    'Duplicate',
    'same file twice',
  );
  await bad(
    { rse: 'NOPE', files: [{ scope: 'tr', name: 'f9', bytes: 1 }] },
    404,
    'RSENotFound',
    'unknown RSE',
  );
  await bad(
    { rse: 'DISK4', files: [{ scope: 'nosuch', name: 'f9', bytes: 1 }] },
    404,
    'ScopeNotFound',
    'unknown scope',
  );
  await bad(
    { rse: 'DISK4', files: [{ scope: 'tr', name: 'f9', bytes: 'abc' }] },
    400,
    'InputValidationError',
    'wrong type',
  );
  await bad(
    { rse: 'DISK4', files: [{ scope: 'tr', name: 'f9', bytes: -1 }] },
    400,
    undefined,
    'negative size',
  );
  await bad(
    { rse: 'DISK4', files: [{ scope: 'tr', name: 'f9', bytes: 1, adler32: 'xyz' }] },
    400,
    undefined,
    'bad adler32',
  );
  await bad(
    { rse: 'DISK4', files: [{ scope: 'tr', name: '.hidden', bytes: 1 }] },
    400,
    'InvalidObject',
    'bad name',
  );
  await bad(
    { rse: 'DISK4', files: [{ scope: 'tr', name: 'a b', bytes: 1 }] },
    400,
    'InvalidObject',
    'space in name',
  );
  await bad(
    { rse: 'DISK4', files: [{ scope: 'tr', name: 'f9', bytes: 1, meta: { events: 'many' } }] },
    400,
    'InvalidObject',
    'meta type',
  );
  await bad({ rse: 'DISK4' }, 400, 'InputValidationError', 'files missing');
  await bad('{"rse": "DISK4", "files": [', 400, 'ValueError', 'malformed JSON');
  await bad(
    { rse: 'DISK4', files: [{ scope: 'tr', name: 'f9', bytes: 1 }] },
    401,
    'AccessDenied',
    'not the scope owner',
    user,
  );
  await bad(
    {
      rse: 'DISK3',
      files: [{ scope: 'tr', name: 'f1', bytes: 100, pfn: 'file://localhost/tmp/r/disk3/tr/f1' }],
    },
    400,
    'InvalidPath',
    'wrong PFN on deterministic RSE',
  );
  const dataset = await db.selectFrom('dids').select('name').where('name', '=', 'f9').executeTakeFirst();
  t.notOk(dataset, 'failed requests wrote nothing');
  t.equal(
    (
      await call(
        s,
        'POST',
        '/replicas',
        { rse: 'DISK4', files: [{ scope: 'user.jdoe', name: 'mine.root', bytes: 5 }] },
        user,
      )
    ).statusCode,
    201,
    'owner writes own scope',
  );

  // the PFN Rucio would build is accepted on a deterministic RSE
  const pfn = JSON.parse((await call(s, 'GET', '/rses/DISK3/lfns2pfns?lfn=tr:f5')).body)['tr:f5'];
  t.equal(
    (
      await call(s, 'POST', '/replicas', {
        rse: 'DISK3',
        files: [{ scope: 'tr', name: 'f5', bytes: 5, pfn }],
      })
    ).statusCode,
    201,
  );

  // non-deterministic RSE: PFN required, path stored, listed back as given
  await bad(
    { rse: 'ND', files: [{ scope: 'tr', name: 'f6', bytes: 6 }] },
    409,
    'UnsupportedOperation',
    'ND without PFN',
  );
  await bad(
    { rse: 'ND', files: [{ scope: 'tr', name: 'f6', bytes: 6, pfn: 'file://localhost/elsewhere/f6' }] },
    400,
    'RSEFileNameNotSupported',
    'ND outside prefix',
  );
  await bad(
    { rse: 'ND', files: [{ scope: 'tr', name: 'f6', bytes: 6, pfn: 'root://h:1/tmp/nd/f6' }] },
    404,
    'RSEProtocolNotSupported',
    'ND unknown scheme',
  );
  t.equal(
    (
      await call(s, 'POST', '/replicas', {
        rse: 'ND',
        files: [{ scope: 'tr', name: 'f6', bytes: 6, pfn: 'file://localhost/tmp/nd/run1//raw/f6.data' }],
      })
    ).statusCode,
    201,
  );
  t.equal(
    (await db.selectFrom('replicas').select('path').where('name', '=', 'f6').executeTakeFirstOrThrow()).path,
    '/run1/raw/f6.data',
  );
  t.same(JSON.parse((await call(s, 'GET', '/rses/ND/lfns2pfns?lfn=tr:f6')).body), {
    'tr:f6': 'file://localhost/tmp/nd/run1/raw/f6.data',
  });
  t.equal((await call(s, 'GET', '/rses/ND/lfns2pfns?lfn=tr:f1')).statusCode, 404, 'no replica, no PFN on ND');
  const nd = (await list(s, { dids: [{ scope: 'tr', name: 'f6' }] })).files;
  t.same(Object.keys(nd[0]!.pfns), ['file://localhost/tmp/nd/run1/raw/f6.data']);

  // availability and volatility
  t.equal((await call(s, 'PUT', '/rses/DISK4', { availability_write: false })).statusCode, 201);
  await bad(
    { rse: 'DISK4', files: [{ scope: 'user.jdoe', name: 'm2', bytes: 1 }] },
    503,
    'ResourceTemporaryUnavailable',
    'RSE not writable',
    user,
  );
  t.equal(
    (
      await call(s, 'POST', '/replicas', {
        rse: 'DISK4',
        files: [{ scope: 'tr', name: 'f7', bytes: 1 }],
        ignore_availability: true,
      })
    ).statusCode,
    201,
    'admins may ignore availability',
  );
  t.equal((await call(s, 'POST', '/rses/VOL', { volatile: true })).statusCode, 201);
  await bad(
    { rse: 'VOL', files: [{ scope: 'tr', name: 'f8', bytes: 1 }] },
    409,
    'UnsupportedOperation',
    'volatile RSE',
  );

  // usage and RSE deletion
  const usage = jsonLines((await call(s, 'GET', '/rses/DISK3/usage')).body) as {
    files: number;
    used: number;
  }[];
  t.match(usage, [{ files: 3, used: 305 }]);
  const del = await call(s, 'DELETE', '/rses/DISK3');
  t.equal(del.statusCode, 404);
  t.equal(del.headers.exceptionclass, 'RSEOperationNotSupported');
});

forEachDialect(t, 'list replicas of files, datasets and containers', async (t, s) => {
  await setup(s);
  const files = Array.from({ length: 6 }, (_, i) => ({
    scope: 'tr',
    name: `file.${i}`,
    bytes: 10 + i,
    adler32: `0000000${i}`,
  }));
  await must(call(s, 'POST', '/replicas', { rse: 'DISK3', files }), 'add');
  await must(call(s, 'POST', '/replicas', { rse: 'DISK4', files: files.slice(0, 3) }), 'add');
  await must(
    call(s, 'POST', '/replicas', {
      rse: 'DISK3',
      files: [{ scope: 'user.jdoe', name: 'data.root', bytes: 1 }],
    }),
    'add',
  );
  // a file DID without any replica
  await s.catalog.db
    .insertInto('dids')
    .values({
      scope: 'tr',
      name: 'lonely',
      account: 'root',
      did_type: 'F',
      bytes: 3,
      adler32: 'aaaaaaaa',
      monotonic: 0,
      hidden: 0,
      obsolete: 0,
      suppressed: 0,
      purge_replicas: 1,
      availability: 'A',
      created_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
    })
    .execute();
  await collection(
    s,
    'tr',
    'ds1',
    'D',
    [0, 1, 2].map((i) => ({ scope: 'tr', name: `file.${i}`, type: 'F' as const })),
  );
  await collection(s, 'tr', 'ds2', 'D', [
    ...[2, 3, 4].map((i) => ({ scope: 'tr', name: `file.${i}`, type: 'F' as const })),
    { scope: 'tr', name: 'lonely', type: 'F' },
  ]);
  await collection(s, 'tr', 'ds3', 'D', [{ scope: 'user.jdoe', name: 'data.root', type: 'F' }]);
  await collection(s, 'tr', 'inner', 'C', [{ scope: 'tr', name: 'ds3', type: 'D' }]);
  await collection(s, 'tr', 'cont', 'C', [
    { scope: 'tr', name: 'ds1', type: 'D' },
    { scope: 'tr', name: 'ds2', type: 'D' },
    { scope: 'tr', name: 'inner', type: 'C' },
  ]);

  // one file, exactly in Rucio's shape
  const one = await list(s, {
    dids: [{ scope: 'tr', name: 'file.0' }],
    all_states: false,
    resolve_archives: true,
    resolve_parents: false,
    domain: null,
    ignore_availability: true,
  });
  t.equal(one.r.headers['content-type'], 'application/x-json-stream');
  const disk3 = JSON.parse((await call(s, 'GET', '/rses/DISK3')).body);
  const disk4 = JSON.parse((await call(s, 'GET', '/rses/DISK4')).body);
  const f0 = one.files[0]!;
  const p3 =
    '/tr/' +
    JSON.parse((await call(s, 'GET', '/rses/DISK3/lfns2pfns?lfn=tr:file.0')).body)['tr:file.0'].split(
      '/tr/',
    )[1];
  t.same(f0, {
    scope: 'tr',
    name: 'file.0',
    bytes: 10,
    md5: null,
    adler32: '00000000',
    pfns: {
      [`file://localhost/tmp/r/disk3${p3}`]: {
        rse_id: disk3.id,
        rse: 'DISK3',
        type: 'DISK',
        volatile: false,
        domain: 'wan',
        priority: 1,
        client_extract: false,
      },
      [`root://xrd.example.org:1094//data/disk4${p3}`]: {
        rse_id: disk4.id,
        rse: 'DISK4',
        type: 'DISK',
        volatile: false,
        domain: 'wan',
        priority: 2,
        client_extract: false,
      },
    },
    rses: {
      DISK3: [`file://localhost/tmp/r/disk3${p3}`],
      DISK4: [`root://xrd.example.org:1094//data/disk4${p3}`],
    },
    states: { DISK3: 'AVAILABLE', DISK4: 'AVAILABLE' },
  });

  // a container resolves recursively; every file once, ordered by scope and name; files without replicas are left out
  const cont = await list(s, { dids: [{ scope: 'tr', name: 'cont' }] });
  t.same(
    cont.files.map((f) => `${f.scope}:${f.name}`),
    ['tr:file.0', 'tr:file.1', 'tr:file.2', 'tr:file.3', 'tr:file.4', 'user.jdoe:data.root'],
  );
  // a file asked for directly is listed even without replicas (bytes/checksums of the DID)
  const mixed = await list(s, {
    dids: [
      { scope: 'tr', name: 'lonely' },
      { scope: 'tr', name: 'ds1' },
      { scope: 'tr', name: 'file.0' },
      { scope: 'tr', name: 'nosuch' },
    ],
  });
  t.same(
    mixed.files.map((f) => f.name),
    ['file.0', 'file.1', 'file.2', 'lonely'],
  );
  t.same(mixed.files[3], {
    scope: 'tr',
    name: 'lonely',
    bytes: 3,
    md5: null,
    adler32: 'aaaaaaaa',
    pfns: {},
    rses: {},
    states: {},
  });
  const unknown = await list(s, { dids: [{ scope: 'tr', name: 'nosuch' }] });
  t.equal(unknown.r.statusCode, 200, 'unknown DIDs are skipped, as Rucio');
  t.equal(unknown.r.body, '');

  // filters: RSE expression, schemes, domain, states
  const onlyDe = await list(s, { dids: [{ scope: 'tr', name: 'ds2' }], rse_expression: 'country=DE' });
  t.same(
    onlyDe.files.map((f) => [f.name, Object.keys(f.rses)]),
    [['file.2', ['DISK4']]],
  );
  const bothSchemes = await list(s, {
    dids: [{ scope: 'tr', name: 'file.1' }],
    rse_expression: 'DISK4',
    schemes: ['root', 'file'],
  });
  t.same(
    Object.entries(bothSchemes.files[0]!.pfns).map(([p, v]) => [p.split(':')[0], v.priority]),
    [
      ['root', 1],
      ['file', 2],
    ],
    'ordered by protocol priority',
  );
  const fileOnly = await list(s, { dids: [{ scope: 'tr', name: 'ds1' }], schemes: ['file'] });
  t.ok(fileOnly.files.every((f) => Object.keys(f.pfns).every((p) => p.startsWith('file://'))));
  t.equal(Object.keys(fileOnly.files[0]!.pfns).length, 2, 'file door of both RSEs');
  // The wan and lan doors of DISK3 build the same PFN: one entry, the lan one (Rucio's dict keeps the last).
  const all = await list(s, {
    dids: [{ scope: 'tr', name: 'file.0' }],
    domain: 'all',
    rse_expression: 'DISK3',
  });
  t.same(
    Object.values(all.files[0]!.pfns).map((v) => [v.domain, v.priority]),
    [['lan', 1]],
  );
  const all4 = await list(s, {
    dids: [{ scope: 'tr', name: 'file.0' }],
    domain: 'all',
    rse_expression: 'DISK4',
    schemes: ['root', 'file'],
  });
  t.same(
    Object.entries(all4.files[0]!.pfns).map(([p, v]) => [p.split(':')[0], v.domain, v.priority]),
    [
      ['root', 'lan', 1],
      ['file', 'lan', 2],
    ],
    'by protocol priority',
  );
  for (const expr of ['(DISK3', 'NOSUCH']) {
    const r = await list(s, { dids: [{ scope: 'tr', name: 'ds1' }], rse_expression: expr });
    t.equal(r.r.statusCode, 400);
    t.equal(r.r.headers.exceptionclass, 'InvalidRSEExpression');
  }

  // states: PUT /replicas as Rucio's client sends it
  t.equal(
    (
      await call(s, 'PUT', '/replicas', {
        rse: 'DISK3',
        files: [{ scope: 'tr', name: 'file.1', state: 'U' }],
      })
    ).statusCode,
    200,
  );
  t.equal(
    (
      await call(s, 'PUT', '/replicas', {
        replicas: [{ scope: 'tr', name: 'file.2', rse: 'DISK4', state: 'BEING_DELETED' }],
      })
    ).statusCode,
    200,
  );
  const ds1 = await list(s, { dids: [{ scope: 'tr', name: 'ds1' }] });
  t.same(
    ds1.files.map((f) => [f.name, f.states]),
    [
      ['file.0', { DISK3: 'AVAILABLE', DISK4: 'AVAILABLE' }],
      ['file.1', { DISK4: 'AVAILABLE' }],
      ['file.2', { DISK3: 'AVAILABLE' }],
    ],
  );
  const ds1all = await list(s, { dids: [{ scope: 'tr', name: 'ds1' }], all_states: true });
  t.same(ds1all.files[1]!.states, { DISK3: 'UNAVAILABLE', DISK4: 'AVAILABLE' });
  t.same(ds1all.files[2]!.states, { DISK3: 'AVAILABLE', DISK4: 'BEING_DELETED' });
  const ds1un = await list(s, { dids: [{ scope: 'tr', name: 'ds1' }], unavailable: true });
  t.same(ds1un.files[1]!.states, { DISK3: 'UNAVAILABLE', DISK4: 'AVAILABLE' });
  const put = async (body: unknown, status: number, cls?: string, headers: H = s.headers) => {
    const r = await call(s, 'PUT', '/replicas', body, headers);
    t.equal(r.statusCode, status);
    if (cls) t.equal(r.headers.exceptionclass, cls);
  };
  await put({ rse: 'DISK3', files: [{ scope: 'tr', name: 'nosuch', state: 'A' }] }, 404, 'ReplicaNotFound');
  await put({ rse: 'DISK3', files: [{ scope: 'tr', name: 'file.1', state: 'X' }] }, 400);
  await put({ files: [{ scope: 'tr', name: 'file.1', state: 'A' }] }, 400, 'InvalidObject');
  await put({ rse: 'NOPE', files: [{ scope: 'tr', name: 'file.1', state: 'A' }] }, 404, 'RSENotFound');
  await put('{', 400);
  const user = await (async () => {
    const login = await s.app.inject({
      url: '/auth/userpass',
      headers: { 'x-rucio-account': 'jdoe', 'x-rucio-username': 'jdoe', 'x-rucio-password': 'pw-of-jdoe' },
    });
    return { 'x-rucio-auth-token': login.headers['x-rucio-auth-token'] as string };
  })();
  await put(
    { rse: 'DISK3', files: [{ scope: 'tr', name: 'file.1', state: 'A' }] },
    401,
    'AccessDenied',
    user,
  );
  await put(
    { rse: 'DISK3', files: [{ scope: 'user.jdoe', name: 'data.root', state: 'A' }] },
    200,
    undefined,
    user,
  );

  // wrong shapes of the listing body
  for (const body of [
    {},
    { dids: 'tr:ds1' },
    { dids: [{ scope: 'tr' }] },
    { dids: [{ scope: 'tr', name: 'ds1' }], domain: 'moon' },
    { dids: [], nrandom: -1 },
  ]) {
    const r = await list(s, body);
    t.equal(r.r.statusCode, 400, JSON.stringify(body));
  }
  t.equal((await list(s, { dids: [{ scope: 'tr', name: 'ds1' }], sort: 'fastest' })).r.statusCode, 400);
  t.equal(
    (await list(s, { dids: [{ scope: 'tr', name: 'ds1' }], updated_after: 'yesterday' })).r.statusCode,
    400,
  );
  t.equal(
    (await list(s, { dids: [{ scope: 'tr', name: 'ds1' }], updated_after: '2000-01-01T00:00:00' })).files
      .length,
    3,
  );
  t.equal(
    (await list(s, { dids: [{ scope: 'tr', name: 'ds1' }], updated_after: 4102444800 })).files.length,
    0,
  );
  t.equal((await list(s, { dids: [] })).r.body, '');
  t.equal((await list(s, { dids: [{ scope: 'tr', name: 'cont' }], nrandom: 2 })).files.length, 2);
  const parents = await list(s, { dids: [{ scope: 'user.jdoe', name: 'data.root' }], resolve_parents: true });
  t.same(parents.files[0]!.parents, ['tr:cont', 'tr:ds3', 'tr:inner']);
  t.equal(
    (await list(s, { dids: [{ scope: 'tr', name: 'ds1' }] }, { accept: 'text/html' })).r.statusCode,
    406,
  );

  // metalink, Rucio's format
  const ml = await list(
    s,
    { dids: [{ scope: 'tr', name: 'file.0' }], rse_expression: 'DISK3' },
    { accept: 'application/metalink4+xml' },
  );
  t.equal(ml.r.headers['content-type'], 'application/metalink4+xml');
  t.equal(
    ml.r.body,
    '<?xml version="1.0" encoding="UTF-8"?>\n<metalink xmlns="urn:ietf:params:xml:ns:metalink">\n' +
      ' <file name="file.0">\n  <identity>tr:file.0</identity>\n  <hash type="adler32">00000000</hash>\n  <size>10</size>\n' +
      '  <glfn name="/generic/rucio/tr:file.0"></glfn>\n' +
      `  <url location="DISK3" domain="wan" priority="1" client_extract="false">file://localhost/tmp/r/disk3${p3}</url>\n` +
      ' </file>\n</metalink>\n',
  );
  const emptyMl = await list(
    s,
    { dids: [{ scope: 'tr', name: 'nosuch' }] },
    { accept: 'application/metalink4+xml' },
  );
  t.equal(
    emptyMl.r.body,
    '<?xml version="1.0" encoding="UTF-8"?>\n<metalink xmlns="urn:ietf:params:xml:ns:metalink">\n</metalink>\n',
  );
  const badMl = await list(
    s,
    { dids: [{ scope: 'tr', name: 'ds1' }], rse_expression: '(' },
    { accept: 'application/metalink4+xml' },
  );
  t.equal(badMl.r.statusCode, 400, 'errors before the metalink header stay 4xx');

  // GET /replicas/{scope}/{name}: json stream or metalink (ATLAS glfn, short URLs)
  const g = await call(s, 'GET', '/replicas/tr/file.0');
  t.equal(g.statusCode, 200);
  t.same(
    (jsonLines(g.body) as Listed[]).map((f) => Object.keys(f.rses).sort()),
    [['DISK3', 'DISK4']],
  );
  const gm = await call(s, 'GET', '/replicas/tr/file.0?schemes=root', undefined, {
    ...s.headers,
    accept: 'application/metalink4+xml',
  });
  t.match(
    gm.body,
    /<glfn name="\/atlas\/rucio\/tr:file.0"><\/glfn>\n {2}<url location="DISK4" priority="1">root:\/\/xrd/,
  );
  t.equal((await call(s, 'GET', '/replicas/tr')).statusCode, 400, 'no name');
  t.equal((await call(s, 'GET', '/replicas/tr/%zz')).statusCode, 400, 'bad escape');

  // dataset replicas per RSE
  const dsr = jsonLines((await call(s, 'GET', '/replicas/tr/ds2/datasets')).body) as Record<
    string,
    unknown
  >[];
  t.match(dsr, [
    { scope: 'tr', name: 'ds2', rse: 'DISK3', length: 4, available_length: 3, state: 'UNAVAILABLE' },
  ]);
  t.equal(dsr.length, 1, 'DISK4 holds no AVAILABLE replica of ds2 any more');
  t.equal((await call(s, 'GET', '/replicas/tr/nosuch/datasets')).statusCode, 404);

  // tombstones and deletion
  t.equal(
    (
      await call(s, 'POST', '/replicas/tombstone', {
        replicas: [{ rse: 'DISK3', scope: 'tr', name: 'file.5' }],
      })
    ).statusCode,
    201,
  );
  t.ok(
    (
      await s.catalog.db
        .selectFrom('replicas')
        .select('tombstone')
        .where('name', '=', 'file.5')
        .executeTakeFirstOrThrow()
    ).tombstone,
  );
  t.equal(
    (
      await call(s, 'POST', '/replicas/tombstone', {
        replicas: [{ rse: 'DISK3', scope: 'tr', name: 'nosuch' }],
      })
    ).statusCode,
    404,
  );
  t.equal(
    (
      await call(
        s,
        'POST',
        '/replicas/tombstone',
        { replicas: [{ rse: 'DISK3', scope: 'tr', name: 'file.5' }] },
        user,
      )
    ).statusCode,
    401,
  );
  t.equal(
    (await call(s, 'DELETE', '/replicas', { rse: 'DISK3', files: [{ scope: 'tr', name: 'file.5' }] }, user))
      .statusCode,
    401,
  );
  const missing = await call(s, 'DELETE', '/replicas', {
    rse: 'DISK3',
    files: [
      { scope: 'tr', name: 'file.5' },
      { scope: 'tr', name: 'nosuch' },
    ],
  });
  t.equal(missing.statusCode, 404);
  t.equal(missing.headers.exceptionclass, 'ReplicaNotFound');
  t.equal(
    (await call(s, 'DELETE', '/replicas', { rse: 'DISK3', files: [{ scope: 'tr', name: 'file.5' }] }))
      .statusCode,
    200,
  );
  t.equal(
    (await list(s, { dids: [{ scope: 'tr', name: 'file.5' }] })).files[0]!.pfns &&
      Object.keys((await list(s, { dids: [{ scope: 'tr', name: 'file.5' }] })).files[0]!.rses).length,
    0,
  );
});

forEachDialect(t, 'bulk registration and a dataset larger than one page', async (t, s) => {
  await setup(s);
  const n = 12_345;
  const files = Array.from({ length: n }, (_, i) => ({
    scope: 'tr',
    name: `run1/f${String(i).padStart(6, '0')}.root`,
    bytes: i,
    adler32: i.toString(16).padStart(8, '0'),
  }));
  t.equal((await call(s, 'POST', '/replicas', { rse: 'DISK3', files })).statusCode, 201);
  t.equal(
    (await call(s, 'POST', '/replicas', { rse: 'DISK4', files: files.filter((_, i) => i % 2 === 0) }))
      .statusCode,
    201,
  );
  await collection(
    s,
    'tr',
    'big',
    'D',
    files.map((f) => ({ scope: f.scope, name: f.name, type: 'F' as const, bytes: f.bytes })),
  );
  const r = await list(s, { dids: [{ scope: 'tr', name: 'big' }] });
  t.equal(r.files.length, n, 'every file once');
  t.ok(
    r.files.every((f, i) => f.name === files[i]!.name && f.bytes === i),
    'in name order with their sizes',
  );
  t.ok(
    r.files.every((f, i) => Object.keys(f.rses).length === (i % 2 === 0 ? 2 : 1)),
    'both RSEs where both hold a copy',
  );
  const objects: string[] = [];
  for await (const f of listReplicas(s.catalog, { dids: [{ scope: 'tr', name: 'big' }] }))
    objects.push(JSON.stringify(f));
  t.ok(
    r.r.body === `${objects.join('\n')}\n`,
    'the JSON lines are exactly JSON.stringify of the listed files (string-built lines agree)',
  );
  const g = await call(s, 'GET', '/replicas/tr/run1/f000007.root');
  t.equal((jsonLines(g.body) as Listed[])[0]!.name, 'run1/f000007.root', 'names with slashes');
});

forEachDialect(t, 'attach with rse registers and attaches in one transaction', async (t, s) => {
  await setup(s);
  await must(call(s, 'POST', '/dids/tr/ds.atomic', { type: 'DATASET' }), 'dataset');
  const file = (i: number) => ({ scope: 'tr', name: `atomic.${i}`, bytes: 100 + i, adler32: '0000000a' });
  const ok = await call(s, 'POST', '/dids/attachments', {
    attachments: [{ scope: 'tr', name: 'ds.atomic', rse: 'DISK3', dids: [file(1), file(2)] }],
  });
  t.equal(ok.statusCode, 201, 'files registered and attached');
  t.equal((await list(s, { dids: [{ scope: 'tr', name: 'ds.atomic' }] })).files.length, 2);
  // atomic.2 is attached already: the attach fails, and the replicas of atomic.3/atomic.4 must not stay behind.
  const dup = await call(s, 'POST', '/dids/attachments', {
    attachments: [{ scope: 'tr', name: 'ds.atomic', rse: 'DISK4', dids: [file(3), file(2), file(4)] }],
  });
  t.equal(dup.statusCode, 409, `a duplicate attachment is refused (${dup.body})`);
  const after = await list(s, {
    dids: ['atomic.2', 'atomic.3', 'atomic.4'].map((name) => ({ scope: 'tr', name })),
  });
  t.same(
    after.files.map((f) => [f.name, Object.keys(f.rses).sort()]),
    [['atomic.2', ['DISK3']]],
    'no replica, no file DID of the failed request remains',
  );
  const ds = JSON.parse((await call(s, 'GET', '/dids/tr/ds.atomic')).body) as { length: number };
  t.equal(ds.length, 2, 'the dataset length is unchanged');
});

t.test('listed files are serialized exactly as JSON.stringify would', async (t) => {
  const pfns = Object.create(null) as ListedFile['pfns'];
  pfns['root://h:1094//a "quoted"\\path/ü.root'] = {
    rse_id: 'id1',
    rse: 'DISK_A',
    type: 'DISK',
    volatile: false,
    domain: 'wan',
    priority: 1,
    client_extract: false,
  };
  pfns['file:///b/\u0001ctl'] = {
    rse_id: 'id2',
    rse: 'DISK_B',
    type: 'TAPE',
    volatile: true,
    domain: 'lan',
    priority: 2,
    client_extract: false,
  };
  const files: ListedFile[] = [
    {
      scope: 'user.x',
      name: 'a "quoted"\\path/ü.root',
      bytes: 12345678901,
      md5: null,
      adler32: '0000000a',
      pfns,
      rses: { DISK_A: ['root://h:1094//a "quoted"\\path/ü.root'], DISK_B: ['file:///b/\u0001ctl'] },
      states: { DISK_A: 'AVAILABLE', DISK_B: 'COPYING' },
      parents: ['user.x:ds1', 'user.x:ds/2'],
    },
    { scope: 's', name: 'n', bytes: null, md5: 'abc', adler32: null, pfns: {}, rses: {}, states: {} },
  ];
  for (const f of files) t.equal(listedFileJson(f), JSON.stringify(f));
});
