/**
 * RSE space (usage per source, limits) through Rucio's REST calls, and the reaper's modes on real
 * posix storage: only OBSOLETE replicas by default, the shortfall below MinFreeSpace oldest first,
 * everything expired when greedy (daemon option or the RSE's greedyDeletion attribute).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { adler32, deterministicPath } from '@oxbow/common/rucio/index';
import t from 'tap';
import { addProtocol } from '../src/catalog/rse-protocols.js';
import { addRse, getRseRecord, setRseAttribute } from '../src/catalog/rses.js';
import { reapOnce } from '../src/daemons/reaper.js';
import { OBSOLETE } from '../src/rules/codes.js';
import type { TestServer } from '../src/testing/server.js';
import { call, userToken } from './support/api.js';
import { forEachDialect, jsonLines } from './support/dialects.js';

const SCOPE = 'space';
const SIZE = 10_000;

/** A posix RSE under the server's data dir; returns its prefix. */
async function addPosixRse(s: TestServer, rse: string): Promise<string> {
  const prefix = join(s.dataDir, rse);
  mkdirSync(prefix, { recursive: true });
  await addRse(s.catalog.db, rse, { deterministic: true, volatile: false, rse_type: 'DISK' });
  await addProtocol(s.catalog.db, rse, 'file', {
    hostname: 'localhost',
    port: 0,
    prefix,
    impl: 'rucio.rse.protocols.posix.Default',
    domains: { lan: { read: 1, write: 1, delete: 1 }, wan: { read: 1, write: 1, delete: 1 } },
  });
  return prefix;
}

/**
 * Files on an RSE with the given tombstones (null: none; a number: that many hours ago; OBSOLETE);
 * `locked` ones get a lock count as a rule would give them.
 */
async function seed(
  s: TestServer,
  rse: string,
  prefix: string,
  files: { name: string; tombstone: number | null | typeof OBSOLETE; locked?: boolean }[],
) {
  const res = await s.app.inject({
    method: 'POST',
    url: '/replicas',
    headers: s.headers,
    payload: {
      rse,
      files: files.map((f) => {
        const data = Buffer.alloc(SIZE, f.name);
        const p = join(prefix, deterministicPath(SCOPE, f.name));
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, data);
        return { scope: SCOPE, name: f.name, bytes: SIZE, adler32: adler32(data), state: 'A' };
      }),
    },
  });
  if (res.statusCode !== 201) throw new Error(`register: ${res.statusCode} ${res.body}`);
  const { id } = await getRseRecord(s.catalog.db, rse);
  for (const f of files)
    await s.catalog.db
      .updateTable('replicas')
      .set({
        tombstone:
          f.tombstone === null || f.tombstone === OBSOLETE
            ? f.tombstone
            : new Date(Date.now() - f.tombstone * 3600_000).toISOString(),
        lock_cnt: f.locked ? 1 : 0,
      })
      .where('rse_id', '=', id)
      .where('scope', '=', SCOPE)
      .where('name', '=', f.name)
      .execute();
}

/** Names of the replicas left on an RSE, and whether each file is still on disk. */
async function left(s: TestServer, rse: string, prefix: string) {
  const { id } = await getRseRecord(s.catalog.db, rse);
  const rows = await s.catalog.db
    .selectFrom('replicas')
    .select('name')
    .where('rse_id', '=', id)
    .orderBy('name')
    .execute();
  return rows.map(
    (r) => `${r.name}${existsSync(join(prefix, deterministicPath(SCOPE, r.name))) ? '' : ' (no file)'}`,
  );
}

forEachDialect(t, 'RSE usage and limits over REST', async (t, s) => {
  await addPosixRse(s, 'SPACE_DISK');
  t.equal(
    (await call(s, 'PUT', '/rses/SPACE_DISK/usage', { source: 'srm', used: 100, free: 900, files: 3 }))
      .statusCode,
    200,
  );
  const usage = jsonLines((await call(s, 'GET', '/rses/SPACE_DISK/usage')).body) as Record<string, unknown>[];
  t.match(usage, [
    { rse: 'SPACE_DISK', source: 'rucio', used: 0, total: 0, files: 0 },
    { rse: 'SPACE_DISK', source: 'srm', used: 100, free: 900, total: 1000, files: 3 },
  ]);
  t.match(usage[1]!.updated_at, /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} UTC$/, "Rucio's date format");
  t.same(
    (jsonLines((await call(s, 'GET', '/rses/SPACE_DISK/usage?source=srm')).body) as { source: string }[]).map(
      (u) => u.source,
    ),
    ['srm'],
    'one source',
  );
  t.equal(
    (await call(s, 'PUT', '/rses/SPACE_DISK/usage', { source: 'srm', used: 50, free: null })).statusCode,
    200,
  );
  t.match(jsonLines((await call(s, 'GET', '/rses/SPACE_DISK/usage?source=srm')).body), [
    { used: 50, free: null, total: 50, files: null },
  ]);

  t.same(JSON.parse((await call(s, 'GET', '/rses/SPACE_DISK/limits')).body), {});
  t.equal(
    (await call(s, 'PUT', '/rses/SPACE_DISK/limits', { name: 'MinFreeSpace', value: 5_000_000 })).statusCode,
    200,
  );
  t.equal(
    (await call(s, 'PUT', '/rses/SPACE_DISK/limits', { name: 'MinFreeSpace', value: 7_000_000 })).statusCode,
    200,
  );
  t.same(JSON.parse((await call(s, 'GET', '/rses/SPACE_DISK/limits')).body), { MinFreeSpace: 7_000_000 });
  t.equal((await call(s, 'DELETE', '/rses/SPACE_DISK/limits', { name: 'MinFreeSpace' })).statusCode, 200);
  t.equal(
    (await call(s, 'DELETE', '/rses/SPACE_DISK/limits', { name: 'MinFreeSpace' })).statusCode,
    200,
    'twice',
  );
  t.same(JSON.parse((await call(s, 'GET', '/rses/SPACE_DISK/limits')).body), {});

  // Bad inputs: clear 4xx, never a 500.
  const bad: [string, string, unknown, number, string, RegExp][] = [
    ['PUT', '/rses/SPACE_DISK/usage', { source: 'srm' }, 400, 'InputValidationError', /used/],
    ['PUT', '/rses/SPACE_DISK/usage', { source: 'srm', used: -1 }, 400, 'InputValidationError', /used/],
    ['PUT', '/rses/SPACE_DISK/usage', { source: '', used: 1 }, 400, 'InputValidationError', /source/],
    ['PUT', '/rses/SPACE_DISK/usage', '{"source": ', 400, 'ValueError', /json/i],
    [
      'PUT',
      '/rses/SPACE_DISK/limits',
      { name: 'MinFreeSpace', value: 'lots' },
      400,
      'InputValidationError',
      /value/,
    ],
    ['PUT', '/rses/SPACE_DISK/limits', { value: 3 }, 400, 'InputValidationError', /name/],
    ['DELETE', '/rses/SPACE_DISK/limits', {}, 400, 'InputValidationError', /name/],
    ['PUT', '/rses/NO_SUCH/limits', { name: 'MinFreeSpace', value: 1 }, 404, 'RSENotFound', /NO_SUCH/],
    ['GET', '/rses/NO_SUCH/limits', undefined, 404, 'RSENotFound', /NO_SUCH/],
    ['GET', '/rses/NO_SUCH/usage', undefined, 404, 'RSENotFound', /NO_SUCH/],
    ['PUT', '/rses/NO_SUCH/usage', { source: 'srm', used: 1 }, 404, 'RSENotFound', /NO_SUCH/],
  ];
  for (const [method, url, body, status, cls, msg] of bad) {
    const r = await call(s, method as 'PUT', url, body);
    t.equal(r.statusCode, status, `${method} ${url} ${JSON.stringify(body)}: ${r.body}`);
    t.equal(JSON.parse(r.body).ExceptionClass, cls);
    t.match(JSON.parse(r.body).ExceptionMessage, msg);
  }
  const user = await userToken(s);
  for (const [url, body] of [
    ['/rses/SPACE_DISK/usage', { source: 'srm', used: 1 }],
    ['/rses/SPACE_DISK/limits', { name: 'MinFreeSpace', value: 1 }],
  ] as const) {
    const r = await call(s, 'PUT', url, body, user);
    t.equal(r.statusCode, 401, `${url}: admins only`);
    t.match(JSON.parse(r.body), { ExceptionClass: 'AccessDenied', ExceptionMessage: /jdoe/ });
  }
  t.equal(
    (await call(s, 'GET', '/rses/SPACE_DISK/limits', undefined, user)).statusCode,
    200,
    'anyone reads limits',
  );
});

forEachDialect(t, 'reaper: obsolete only, MinFreeSpace shortfall, greedy', async (t, s) => {
  t.equal(
    (await s.app.inject({ method: 'POST', url: `/scopes/root/${SCOPE}`, headers: s.headers })).statusCode,
    201,
  );
  const prefix = await addPosixRse(s, 'SPACE_DISK');
  await seed(s, 'SPACE_DISK', prefix, [
    { name: 'obsolete1', tombstone: OBSOLETE },
    { name: 'obsolete2', tombstone: OBSOLETE },
    // Expired tombstones, oldest first: e5 (50 h ago) … e1 (10 h ago).
    ...[1, 2, 3, 4, 5].map((i) => ({ name: `e${i}`, tombstone: i * 10 })),
    { name: 'future', tombstone: -5 },
    { name: 'kept', tombstone: null },
    { name: 'locked', tombstone: OBSOLETE, locked: true },
  ]);
  const logs: Record<string, unknown>[] = [];
  const log = (r: Record<string, unknown>) => logs.push(r);
  const all = ['e1', 'e2', 'e3', 'e4', 'e5', 'future', 'kept', 'locked', 'obsolete1', 'obsolete2'];

  // Default (Rucio's non-greedy reaper) and no MinFreeSpace: only OBSOLETE replicas go, never a locked one.
  t.equal(await reapOnce(s.catalog, { log }), 2);
  t.same(
    await left(s, 'SPACE_DISK', prefix),
    all.filter((n) => !n.startsWith('obsolete')),
  );
  t.equal(await reapOnce(s.catalog, { log }), 0, 'nothing more without a space shortfall');
  // The reaper measured the posix file system as the 'storage' source.
  const [storage] = jsonLines((await call(s, 'GET', '/rses/SPACE_DISK/usage?source=storage')).body) as {
    used: number;
    free: number;
    total: number;
  }[];
  t.ok(
    storage && storage.total > 0 && storage.free > 0 && storage.used + storage.free === storage.total,
    JSON.stringify(storage),
  );

  // A reported source with 25,000 bytes less free space than MinFreeSpace: three files (the oldest) go.
  await setRseAttribute(s.catalog.db, 'SPACE_DISK', 'source_for_total_space', 'srm');
  await setRseAttribute(s.catalog.db, 'SPACE_DISK', 'source_for_used_space', 'srm');
  await call(s, 'PUT', '/rses/SPACE_DISK/usage', { source: 'srm', used: 1_000_000, free: 75_000 });
  await call(s, 'PUT', '/rses/SPACE_DISK/limits', { name: 'MinFreeSpace', value: 100_000 });
  t.equal(await reapOnce(s.catalog, { log }), 3);
  t.same(await left(s, 'SPACE_DISK', prefix), ['e1', 'e2', 'future', 'kept', 'locked']);
  t.match(
    logs.find((l) => l.event === 'reaper_space'),
    { rse: 'SPACE_DISK', needed: 25_000, free: 75_000, min_free_space: 100_000 },
  );
  t.match(
    jsonLines((await call(s, 'GET', '/rses/SPACE_DISK/usage?source=srm')).body),
    [{ used: 1_000_000 - 3 * SIZE, free: 75_000 + 3 * SIZE }],
    'the freed bytes are credited to the reported source until it reports again',
  );
  t.equal(await reapOnce(s.catalog, { log }), 0, 'free space above MinFreeSpace again: nothing more');

  // A configured source with no record: only obsolete replicas (as Rucio).
  await setRseAttribute(s.catalog.db, 'SPACE_DISK', 'source_for_used_space', 'nosuch');
  await call(s, 'PUT', '/rses/SPACE_DISK/usage', { source: 'srm', used: 1_000_000, free: 0 });
  t.equal(await reapOnce(s.catalog, { log }), 0);

  // Used space from the catalog ('rucio': the 5 replicas left, 50,000 bytes), total reported by srm:
  // free 10,000 against MinFreeSpace 15,000, so the oldest expired replica (e2) goes.
  await setRseAttribute(s.catalog.db, 'SPACE_DISK', 'source_for_used_space', 'rucio');
  await call(s, 'PUT', '/rses/SPACE_DISK/usage', { source: 'srm', used: 0, free: 60_000 });
  await call(s, 'PUT', '/rses/SPACE_DISK/limits', { name: 'MinFreeSpace', value: 15_000 });
  t.equal(await reapOnce(s.catalog, { log }), 1);
  t.same(await left(s, 'SPACE_DISK', prefix), ['e1', 'future', 'kept', 'locked']);
  t.equal(await reapOnce(s.catalog, { log }), 0, 'the catalog count fell with it: no shortfall left');

  // Greedy: the RSE attribute (Rucio's greedyDeletion) — every expired unlocked replica, not the future one.
  await setRseAttribute(s.catalog.db, 'SPACE_DISK', 'greedyDeletion', true);
  t.equal(await reapOnce(s.catalog, { log }), 1);
  t.same(await left(s, 'SPACE_DISK', prefix), ['future', 'kept', 'locked']);

  // Greedy: the daemon option, on another RSE.
  const p2 = await addPosixRse(s, 'SPACE_DISK2');
  await seed(s, 'SPACE_DISK2', p2, [
    { name: 'g1', tombstone: 1 },
    { name: 'g2', tombstone: 2 },
    { name: 'g3', tombstone: null },
  ]);
  t.equal(await reapOnce(s.catalog, { log }), 0, 'not without greedy');
  t.equal(await reapOnce(s.catalog, { log, greedy: true }), 2);
  t.same(await left(s, 'SPACE_DISK2', p2), ['g3']);
  t.ok(
    logs.filter((l) => l.event === 'reaper').every((l) => l.result === 'DELETED'),
    'every deletion logged as DELETED',
  );
});
