import t from 'tap';
import { call, userToken } from './support/api.js';
import { forEachDialect, jsonLines } from './support/dialects.js';

const posixProtocol = (prefix: string) => ({
  hostname: 'localhost',
  scheme: 'file',
  prefix,
  impl: 'rucio.rse.protocols.posix.Default',
  domains: {
    wan: { read: 1, write: 1, delete: 1, third_party_copy_read: 1, third_party_copy_write: 1 },
    lan: { read: 1, write: 1, delete: 1 },
  },
});

forEachDialect(t, 'embedded RSEs', async (t, s) => {
  const rses = jsonLines((await call(s, 'GET', '/rses/')).body) as { rse: string }[];
  if (s.catalog.dialect === 'sqlite') {
    t.same(
      rses.map((r) => r.rse),
      ['LOCAL_DISK1', 'LOCAL_DISK2'],
      'embedded default has two POSIX RSEs',
    );
    const info = JSON.parse((await call(s, 'GET', '/rses/LOCAL_DISK2')).body);
    t.equal(info.deterministic, true);
    t.equal(info.protocols.length, 1);
    t.match(info.protocols[0], {
      scheme: 'file',
      hostname: 'localhost',
      port: 0,
      impl: 'rucio.rse.protocols.posix.Default',
    });
    t.equal(info.protocols[0].prefix, `${s.dataDir}/rses/LOCAL_DISK2`);
    const attrs = JSON.parse((await call(s, 'GET', '/rses/LOCAL_DISK2/attr/')).body);
    t.match(attrs, { LOCAL_DISK2: true, istape: false });
    const pfns = JSON.parse(
      (await call(s, 'GET', '/rses/LOCAL_DISK1/lfns2pfns?lfn=user.jdoe:data.root')).body,
    );
    t.same(pfns, {
      'user.jdoe:data.root': `file://localhost${s.dataDir}/rses/LOCAL_DISK1/user/jdoe/c9/ae/data.root`,
    });
  } else {
    t.same(rses, [], 'scale-out catalogs start without RSEs');
  }
});

forEachDialect(t, 'RSE create, show, update, delete', async (t, s) => {
  // rucio rse add DISK3 (the client sends an empty JSON object)
  const add = await call(s, 'POST', '/rses/DISK3', {});
  t.equal(add.statusCode, 201);
  t.equal(add.body, 'Created');
  t.equal((await call(s, 'POST', '/rses/TAPE-1_X')).statusCode, 201, 'no body at all is fine too');
  const dup = await call(s, 'POST', '/rses/DISK3', {});
  t.equal(dup.statusCode, 409);
  t.equal(dup.headers.exceptionclass, 'Duplicate');
  for (const bad of ['disk3', 'DISK_', 'A__B', '-X']) {
    const r = await call(s, 'POST', `/rses/${bad}`, {});
    t.equal(r.statusCode, 400, `invalid name ${bad}`);
    t.equal(r.headers.exceptionclass, 'InvalidObject');
  }
  const lower = await call(s, 'POST', '/rses/disk9', {});
  t.match(JSON.parse(lower.body).ExceptionMessage, /did you mean 'DISK9'/);
  t.equal((await call(s, 'POST', '/rses/DISK4', { deterministic: 'yes' })).statusCode, 400, 'wrong type');
  t.equal((await call(s, 'POST', '/rses/DISK4', { colour: 'red' })).statusCode, 400, 'unknown field');
  const badJson = await call(s, 'POST', '/rses/DISK4', '{"deterministic": ');
  t.equal(badJson.statusCode, 400);
  t.equal(badJson.headers.exceptionclass, 'ValueError');
  const both = await call(s, 'POST', '/rses/DISK4', { availability: 7, availability_read: true });
  t.equal(both.statusCode, 422);

  t.equal(
    (
      await call(s, 'POST', '/rses/ND1', {
        deterministic: false,
        rse_type: 'TAPE',
        city: 'Geneva',
        availability: 5,
      })
    ).statusCode,
    201,
  );
  const nd = JSON.parse((await call(s, 'GET', '/rses/ND1')).body);
  t.match(nd, {
    rse: 'ND1',
    rse_type: 'TAPE',
    deterministic: false,
    volatile: false,
    availability: 5,
    availability_read: true,
    availability_write: false,
    availability_delete: true,
    lfn2pfn_algorithm: 'hash',
    verify_checksum: true,
    credentials: null,
    domain: ['lan', 'wan'],
    protocols: [],
  });
  t.match(nd.id, /^[0-9a-f]{32}$/);
  const ndAttrs = JSON.parse((await call(s, 'GET', '/rses/ND1/attr/')).body);
  t.same(ndAttrs, { ND1: true, city: 'Geneva' }, 'name and RSE settings become attributes');

  const list = jsonLines((await call(s, 'GET', '/rses/')).body) as Record<string, unknown>[];
  const disk3 = list.find((r) => r.rse === 'DISK3')!;
  t.match(disk3, {
    rse: 'DISK3',
    rse_type: 'DISK',
    deterministic: true,
    volatile: false,
    staging_area: false,
    availability: 7,
    deleted: false,
    ISP: null,
  });
  t.match(disk3.created_at, /^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d UTC$/);
  t.equal(
    (await call(s, 'GET', '/rses/', undefined, { ...s.headers, accept: 'application/json' })).statusCode,
    406,
  );

  const missing = await call(s, 'GET', '/rses/NOPE');
  t.equal(missing.statusCode, 404);
  t.equal(missing.headers.exceptionclass, 'RSENotFound');

  // update
  t.equal((await call(s, 'PUT', '/rses/DISK3', { availability_write: false, city: 'Bern' })).statusCode, 201);
  let d3 = JSON.parse((await call(s, 'GET', '/rses/DISK3')).body);
  t.equal(d3.availability_write, false);
  t.equal(d3.availability, 5);
  t.equal(JSON.parse((await call(s, 'GET', '/rses/DISK3/attr/')).body).city, 'Bern');
  t.equal((await call(s, 'PUT', '/rses/DISK3', { availability: 7 })).statusCode, 201);
  d3 = JSON.parse((await call(s, 'GET', '/rses/DISK3')).body);
  t.equal(d3.availability_write, true);
  const badKey = await call(s, 'PUT', '/rses/DISK3', { colour: 'red' });
  t.equal(badKey.statusCode, 400);
  t.equal((await call(s, 'PUT', '/rses/NOPE', { availability_read: false })).statusCode, 404);
  // rename moves the name attribute
  t.equal((await call(s, 'PUT', '/rses/TAPE-1_X', { name: 'TAPE2' })).statusCode, 201);
  t.equal((await call(s, 'GET', '/rses/TAPE-1_X')).statusCode, 404);
  t.same(JSON.parse((await call(s, 'GET', '/rses/TAPE2/attr/')).body), { TAPE2: true });
  t.equal((await call(s, 'PUT', '/rses/TAPE2', { name: 'DISK3' })).statusCode, 409);
  t.equal((await call(s, 'PUT', '/rses/TAPE2', { name: 'bad name' })).statusCode, 400);

  // permissions
  const user = await userToken(s);
  const denied = await call(s, 'POST', '/rses/USERRSE', {}, user);
  t.equal(denied.statusCode, 401);
  t.equal(denied.headers.exceptionclass, 'AccessDenied');
  t.equal((await call(s, 'PUT', '/rses/DISK3', { availability_read: false }, user)).statusCode, 401);
  t.equal((await call(s, 'DELETE', '/rses/DISK3', undefined, user)).statusCode, 401);
  t.equal((await call(s, 'GET', '/rses/DISK3', undefined, user)).statusCode, 200, 'reading needs no admin');

  // delete
  t.equal((await call(s, 'DELETE', '/rses/TAPE2')).statusCode, 200);
  t.equal((await call(s, 'GET', '/rses/TAPE2')).statusCode, 404);
  t.equal((await call(s, 'DELETE', '/rses/TAPE2')).statusCode, 404);
  t.notOk(
    (jsonLines((await call(s, 'GET', '/rses/')).body) as { rse: string }[]).some((r) => r.rse === 'TAPE2'),
    'deleted RSEs are not listed',
  );
  t.equal((await call(s, 'POST', '/rses/TAPE2', {})).statusCode, 409, 'names are never reused, as Rucio');
  const noTok = await s.app.inject({ url: '/rses/' });
  t.equal(noTok.statusCode, 400);
});

forEachDialect(t, 'RSE attributes and expressions', async (t, s) => {
  for (const rse of ['SITE-A_DISK', 'SITE-B_DISK', 'SITE-B_TAPE'])
    t.equal((await call(s, 'POST', `/rses/${rse}`, {})).statusCode, 201);
  const set = async (rse: string, key: string, value: unknown) =>
    (await call(s, 'POST', `/rses/${rse}/attr/${key}`, { value })).statusCode;
  t.equal(await set('SITE-A_DISK', 'tier', 1), 201);
  t.equal(await set('SITE-B_DISK', 'tier', 2), 201);
  t.equal(await set('SITE-B_TAPE', 'tier', 2), 201);
  t.equal(await set('SITE-A_DISK', 'country', 'CH'), 201);
  t.equal(await set('SITE-B_DISK', 'country', 'DE'), 201);
  t.equal(await set('SITE-B_TAPE', 'country', 'DE'), 201);
  t.equal(await set('SITE-B_TAPE', 'istape', true), 201);
  t.equal(await set('SITE-A_DISK', 'istape', false), 201);
  t.equal(await set('SITE-A_DISK', 'tier', 0), 201, 'setting again replaces, as Rucio merges');
  t.same(JSON.parse((await call(s, 'GET', '/rses/SITE-A_DISK/attr/')).body), {
    'SITE-A_DISK': true,
    country: 'CH',
    istape: false,
    tier: 0,
  });
  t.equal(await set('NOPE', 'tier', 1), 404);
  t.equal((await call(s, 'POST', '/rses/SITE-A_DISK/attr/bad%20key', { value: 1 })).statusCode, 400);
  t.equal(
    (await call(s, 'POST', '/rses/SITE-A_DISK/attr/tier', { value: [1, 2] })).statusCode,
    400,
    'arrays are no values',
  );
  t.equal(
    (await call(s, 'POST', '/rses/SITE-A_DISK/attr/tier', { value: { a: 1 } })).statusCode,
    400,
    'objects neither',
  );
  t.equal((await call(s, 'POST', '/rses/SITE-A_DISK/attr/tier', {})).statusCode, 400, 'value missing');

  const expr = async (e: string) => {
    const r = await call(s, 'GET', `/rses/?expression=${encodeURIComponent(e)}`);
    const names = r.statusCode === 200 ? (jsonLines(r.body) as { rse: string }[]).map((x) => x.rse) : [];
    // The embedded RSEs of the SQLite default are not part of this test.
    return {
      status: r.statusCode,
      cls: r.headers.exceptionclass,
      rses: names.filter((n) => !n.startsWith('LOCAL_')).sort(),
    };
  };
  t.same((await expr('SITE-A_DISK')).rses, ['SITE-A_DISK'], 'bare name = NAME=True');
  t.same((await expr('country=DE')).rses, ['SITE-B_DISK', 'SITE-B_TAPE']);
  t.same((await expr('country=DE\\istape=true')).rses, ['SITE-B_DISK']);
  t.same((await expr('tier<2')).rses, ['SITE-A_DISK']);
  t.same((await expr('tier>0&country=DE')).rses, ['SITE-B_DISK', 'SITE-B_TAPE']);
  // No precedence: A|B&C is (A|B)&C.
  t.same((await expr('SITE-A_DISK|SITE-B_DISK&country=DE')).rses, ['SITE-B_DISK']);
  t.same((await expr('SITE-A_DISK|(SITE-B_DISK&country=DE)')).rses, ['SITE-A_DISK', 'SITE-B_DISK']);
  t.same((await expr('*')).rses, ['SITE-A_DISK', 'SITE-B_DISK', 'SITE-B_TAPE']);
  t.same(
    (await expr('rse_type=DISK')).rses,
    ['SITE-A_DISK', 'SITE-B_DISK', 'SITE-B_TAPE'],
    'column comparison',
  );
  for (const bad of ['(country=DE', 'country=DE|', 'tier<1.5', 'a b', 'NOSUCH']) {
    const r = await expr(bad);
    t.equal(r.status, 400, `invalid: ${bad}`);
    t.equal(r.cls, 'InvalidRSEExpression');
  }

  const del = await call(s, 'DELETE', '/rses/SITE-A_DISK/attr/country');
  t.equal(del.statusCode, 200);
  const again = await call(s, 'DELETE', '/rses/SITE-A_DISK/attr/country');
  t.equal(again.statusCode, 404);
  t.equal(again.headers.exceptionclass, 'RSEAttributeNotFound');
  const user = await userToken(s);
  t.equal((await call(s, 'POST', '/rses/SITE-A_DISK/attr/x', { value: 1 }, user)).statusCode, 401);
  t.equal((await call(s, 'DELETE', '/rses/SITE-A_DISK/attr/tier', undefined, user)).statusCode, 401);
});

forEachDialect(t, 'protocols and lfns2pfns', async (t, s) => {
  t.equal((await call(s, 'POST', '/rses/MOCK', {})).statusCode, 201);
  const none = await call(s, 'GET', '/rses/MOCK/protocols');
  t.equal(none.statusCode, 404);
  t.equal(none.headers.exceptionclass, 'RSEProtocolNotSupported');
  const noProto = await call(s, 'GET', '/rses/MOCK/lfns2pfns?lfn=tr:f1');
  t.equal(noProto.statusCode, 404);
  t.equal(noProto.headers.exceptionclass, 'RSEProtocolNotSupported');

  // The Rucio CLI's `rse protocol add` body; prefix without trailing slash.
  t.equal(
    (await call(s, 'POST', '/rses/MOCK/protocols/file', posixProtocol('/tmp/rucio/mock'))).statusCode,
    201,
  );
  const dup = await call(s, 'POST', '/rses/MOCK/protocols/file', posixProtocol('/other'));
  t.equal(dup.statusCode, 409);
  t.equal(dup.headers.exceptionclass, 'Duplicate');
  t.equal(
    (
      await call(s, 'POST', '/rses/MOCK/protocols/root', {
        scheme: 'root',
        hostname: 'eos.example.org',
        port: 1094,
        prefix: '//eos/mock/',
        impl: 'rucio.rse.protocols.xrootd.Default',
        domains: { wan: { read: 2, write: 2, delete: 2 }, lan: { read: 0, write: 0, delete: 0 } },
      })
    ).statusCode,
    201,
  );
  t.equal(
    (
      await call(s, 'POST', '/rses/MOCK/protocols/davs', {
        hostname: 'dav.example.org',
        port: 443,
        prefix: 'dpm/data',
        impl: 'rucio.rse.protocols.gfal.Default',
        domains: { wan: { read: 3, write: 3, delete: 3, third_party_copy: 1 } },
        extended_attributes: { web_service_path: '' },
      })
    ).statusCode,
    201,
  );
  t.equal(
    (
      await call(s, 'POST', '/rses/MOCK/protocols/https', {
        hostname: 'web.example.org',
        port: 0,
        prefix: '/web',
        impl: 'rucio.rse.protocols.gfal.Default',
        domains: { wan: { read: 4 } },
      })
    ).statusCode,
    201,
  );
  // bad inputs
  t.equal(
    (await call(s, 'POST', '/rses/MOCK/protocols/gsiftp', { hostname: 'h' })).statusCode,
    400,
    'impl missing',
  );
  t.equal(
    (await call(s, 'POST', '/rses/MOCK/protocols/gsiftp', { impl: 'x', domains: { wan: { read: -1 } } }))
      .statusCode,
    400,
    'negative priority',
  );
  t.equal(
    (await call(s, 'POST', '/rses/MOCK/protocols/gsiftp', { impl: 'x', domains: { moon: { read: 1 } } }))
      .statusCode,
    400,
    'unknown domain',
  );
  t.equal((await call(s, 'POST', '/rses/MOCK/protocols/gsiftp', { impl: 'x', port: 'abc' })).statusCode, 400);
  t.equal(
    (await call(s, 'POST', '/rses/MOCK/protocols/srm', { impl: 'x' })).statusCode,
    400,
    'srm needs web_service_path',
  );
  t.equal((await call(s, 'POST', '/rses/NOPE/protocols/file', posixProtocol('/x'))).statusCode, 404);
  t.equal(
    (await call(s, 'POST', '/rses/MOCK/protocols/file', { ...posixProtocol('/x'), scheme: 'root' }))
      .statusCode,
    400,
  );

  const protos = JSON.parse((await call(s, 'GET', '/rses/MOCK/protocols')).body);
  t.same(
    protos.map((p: { hostname: string; scheme: string }) => `${p.hostname}/${p.scheme}`),
    ['dav.example.org/davs', 'eos.example.org/root', 'localhost/file', 'web.example.org/https'],
    'sorted by hostname, scheme, port',
  );
  t.same(protos.find((p: { scheme: string }) => p.scheme === 'davs').domains, {
    lan: { read: 0, write: 0, delete: 0 },
    wan: { read: 3, write: 3, delete: 3, third_party_copy_read: 1, third_party_copy_write: 1 },
  });
  t.same(protos.find((p: { scheme: string }) => p.scheme === 'davs').extended_attributes, {
    web_service_path: '',
  });
  const info = JSON.parse((await call(s, 'GET', '/rses/MOCK/protocols/root')).body);
  t.equal(info.rse, 'MOCK');
  t.equal(info.protocols.length, 4);

  // lfns2pfns: pinned Rucio paths, each protocol class's way of joining host, port and prefix.
  const l2p = async (q: string) => {
    const r = await call(s, 'GET', `/rses/MOCK/lfns2pfns?${q}`);
    return {
      status: r.statusCode,
      cls: r.headers.exceptionclass,
      body: r.statusCode === 200 ? JSON.parse(r.body) : r.body,
    };
  };
  t.same((await l2p('lfn=user.jdoe:data.root')).body, {
    'user.jdoe:data.root': 'file://localhost/tmp/rucio/mock/user/jdoe/c9/ae/data.root',
  });
  t.same((await l2p('lfn=user.jdoe:data.root&scheme=root')).body, {
    'user.jdoe:data.root': 'root://eos.example.org:1094//eos/mock/user/jdoe/c9/ae/data.root',
  });
  t.same((await l2p('lfn=user.jdoe:data.root&scheme=davs')).body, {
    'user.jdoe:data.root': 'davs://dav.example.org:443/dpm/data/user/jdoe/c9/ae/data.root',
  });
  t.same((await l2p('lfn=user.jdoe:data.root&scheme=https&operation=read')).body, {
    'user.jdoe:data.root': 'https://web.example.org/web/user/jdoe/c9/ae/data.root',
  });
  const two = (await l2p('lfn=user.jdoe:data.root&lfn=tr:tr1.dat&lfns=group.phys.x:y/z.root')).body;
  t.same(Object.keys(two).sort(), ['group.phys.x:y/z.root', 'tr:tr1.dat', 'user.jdoe:data.root']);
  t.match(
    two['group.phys.x:y/z.root'],
    /^file:\/\/localhost\/tmp\/rucio\/mock\/group\/phys\/x\/[0-9a-f]{2}\/[0-9a-f]{2}\/y\/z\.root$/,
  );
  t.match(
    two['tr:tr1.dat'],
    /^file:\/\/localhost\/tmp\/rucio\/mock\/tr\/[0-9a-f]{2}\/[0-9a-f]{2}\/tr1\.dat$/,
  );
  t.equal((await l2p('lfn=user.jdoe:data.root&scheme=https')).status, 404, 'https has no write priority');
  t.equal((await l2p('lfn=user.jdoe:data.root&scheme=root&domain=lan')).status, 404, 'root has no lan door');
  t.equal((await l2p('lfn=nocolon')).status, 400);
  t.equal((await l2p('lfn=nocolon')).cls, 'InvalidPath');
  t.equal((await l2p('')).status, 400);
  t.equal((await l2p('lfn=a:b&domain=moon')).status, 404);
  t.equal((await l2p('lfn=a:b&operation=fly')).status, 404);
  t.equal((await call(s, 'GET', '/rses/NOPE/lfns2pfns?lfn=a:b')).statusCode, 404);
  t.equal(
    (await call(s, 'POST', '/rses/MOCK/attr/lfn2pfn_algorithm', { value: 'identity' })).statusCode,
    201,
  );
  t.same((await l2p('lfn=user.jdoe:data.root')).body, {
    'user.jdoe:data.root': 'file://localhost/tmp/rucio/mock/user/jdoe/data.root',
  });
  t.equal(JSON.parse((await call(s, 'GET', '/rses/MOCK')).body).lfn2pfn_algorithm, 'identity');
  t.equal((await call(s, 'POST', '/rses/MOCK/attr/lfn2pfn_algorithm', { value: 'nosuch' })).statusCode, 201);
  t.equal((await l2p('lfn=a:b')).status, 400, 'unknown algorithm is a clear 400');
  t.equal((await call(s, 'DELETE', '/rses/MOCK/attr/lfn2pfn_algorithm')).statusCode, 200);

  // update and delete protocols
  t.equal(
    (await call(s, 'PUT', '/rses/MOCK/protocols/root/eos.example.org/1094', { prefix: '/eos/new' }))
      .statusCode,
    200,
  );
  t.same((await l2p('lfn=user.jdoe:data.root&scheme=root')).body, {
    'user.jdoe:data.root': 'root://eos.example.org:1094/eos/new/user/jdoe/c9/ae/data.root',
  });
  t.equal(
    (await call(s, 'PUT', '/rses/MOCK/protocols/root', { domains: { lan: { read: 1 } } })).statusCode,
    200,
  );
  t.equal((await l2p('lfn=a:b&scheme=root&domain=lan&operation=read')).status, 200);
  t.equal((await call(s, 'PUT', '/rses/MOCK/protocols/root/nohost', { prefix: '/x' })).statusCode, 404);
  t.equal((await call(s, 'PUT', '/rses/MOCK/protocols/root', { port: 'x' })).statusCode, 400);
  t.equal(
    (await call(s, 'PUT', '/rses/MOCK/protocols/root', { hostname: 'localhost', port: 0 })).statusCode,
    200,
  );
  t.equal(
    (await call(s, 'PUT', '/rses/MOCK/protocols/davs', { hostname: 'localhost', port: 0 })).statusCode,
    200,
    'same host/port under another scheme is fine',
  );
  const user = await userToken(s);
  t.equal((await call(s, 'POST', '/rses/MOCK/protocols/gsiftp', { impl: 'x' }, user)).statusCode, 401);
  t.equal((await call(s, 'DELETE', '/rses/MOCK/protocols/root', undefined, user)).statusCode, 401);
  t.equal((await call(s, 'DELETE', '/rses/MOCK/protocols/root')).statusCode, 200);
  const gone = await call(s, 'DELETE', '/rses/MOCK/protocols/root');
  t.equal(gone.statusCode, 404);
  t.equal(gone.headers.exceptionclass, 'RSEProtocolNotSupported');
  t.equal((await call(s, 'DELETE', '/rses/MOCK/protocols/davs/localhost/0')).statusCode, 200);
  t.equal(JSON.parse((await call(s, 'GET', '/rses/MOCK/protocols')).body).length, 2);

  // usage of an empty RSE
  const usage = jsonLines((await call(s, 'GET', '/rses/MOCK/usage')).body);
  t.match(usage, [{ rse: 'MOCK', source: 'rucio', used: 0, files: 0, total: 0, free: null }]);
  t.equal((await call(s, 'GET', '/rses/NOPE/usage')).statusCode, 404);
});
