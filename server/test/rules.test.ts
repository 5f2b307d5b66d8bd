/** Replication rules end to end: REST → judge → transfer daemon → verified replicas, on both engines. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { adler32, deterministicPath } from '@oxbow/common/rucio/index';
import t from 'tap';
import { addProtocol } from '../src/catalog/rse-protocols.js';
import { addRse, setRseAttribute } from '../src/catalog/rses.js';
import { reapOnce } from '../src/daemons/reaper.js';
import type { TestServer } from '../src/testing/server.js';
import { forEachDialect, jsonLines } from './support/dialects.js';

const SCOPE = 'phys';

/** Adds a posix RSE like the embedded ones under the server's data dir. */
async function addPosixRse(s: TestServer, rse: string): Promise<string> {
  const prefix = join(s.dataDir, rse);
  mkdirSync(prefix, { recursive: true });
  await addRse(s.catalog.db, rse, { deterministic: true, volatile: false, rse_type: 'DISK' });
  await setRseAttribute(s.catalog.db, rse, 'lfn2pfn_algorithm', 'hash');
  await addProtocol(s.catalog.db, rse, 'file', {
    hostname: 'localhost',
    port: 0,
    prefix,
    impl: 'rucio.rse.protocols.posix.Default',
    domains: { lan: { read: 1, write: 1, delete: 1 }, wan: { read: 1, write: 1, delete: 1 } },
  });
  return prefix;
}

/** Writes files into LOCAL_DISK1 and registers them AVAILABLE there (as scripts/demo.mjs does). */
async function uploadFiles(s: TestServer, names: string[], size = 20_000): Promise<Buffer[]> {
  const prefix = await prefixOf(s, 'LOCAL_DISK1');
  const datas: Buffer[] = [];
  const files = names.map((name, i) => {
    const data = Buffer.alloc(size + i, `${name}:${i}:`);
    datas.push(data);
    const p = join(prefix, deterministicPath(SCOPE, name));
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
    return { scope: SCOPE, name, bytes: data.length, adler32: adler32(data), state: 'A' };
  });
  const res = await s.app.inject({
    method: 'POST',
    url: '/replicas',
    headers: s.headers,
    payload: { rse: 'LOCAL_DISK1', files },
  });
  if (res.statusCode !== 201) throw new Error(`register: ${res.statusCode} ${res.body}`);
  return datas;
}

async function api(s: TestServer, method: string, url: string, payload?: unknown) {
  const res = await s.app.inject({
    method: method as 'GET',
    url,
    headers: s.headers,
    payload: payload as object,
  });
  return { status: res.statusCode, body: res.body, json: () => JSON.parse(res.body) };
}

async function waitRule(s: TestServer, id: string, states: string[], ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    const r = (await api(s, 'GET', `/rules/${id}`)).json();
    if (states.includes(r.state)) return r;
    if (Date.now() > end) throw new Error(`rule ${id} still ${r.state} (${JSON.stringify(r)})`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

/** Prefix of an RSE's file protocol. */
async function prefixOf(s: TestServer, rse: string): Promise<string> {
  const row = await s.catalog.db
    .selectFrom('rse_protocols as p')
    .innerJoin('rses as r', 'r.id', 'p.rse_id')
    .select('p.prefix')
    .where('r.rse', '=', rse)
    .executeTakeFirstOrThrow();
  return row.prefix;
}

/** Scope, the two embedded RSEs (created on PostgreSQL, where the server makes none) and THIRD_DISK. */
async function setup(s: TestServer) {
  const r = await api(s, 'POST', `/scopes/root/${SCOPE}`);
  if (r.status !== 201) throw new Error(`scope: ${r.status} ${r.body}`);
  for (const rse of ['LOCAL_DISK1', 'LOCAL_DISK2'])
    if (!(await s.catalog.db.selectFrom('rses').select('id').where('rse', '=', rse).executeTakeFirst()))
      await addPosixRse(s, rse);
  return addPosixRse(s, 'THIRD_DISK');
}

forEachDialect(t, 'dataset replicated by a rule to two posix RSEs, then purged', async (t, s) => {
  const third = await setup(s);
  const names = Array.from({ length: 12 }, (_, i) => `run1.file${i}.root`);
  const datas = await uploadFiles(s, names);
  t.equal((await api(s, 'POST', `/dids/${SCOPE}/run1.ds`, { type: 'DATASET' })).status, 201);
  t.equal(
    (
      await api(s, 'POST', `/dids/${SCOPE}/run1.ds/dids`, {
        dids: names.map((name) => ({ scope: SCOPE, name })),
      })
    ).status,
    201,
  );

  const add = await api(s, 'POST', '/rules/', {
    dids: [{ scope: SCOPE, name: 'run1.ds' }],
    copies: 2,
    rse_expression: 'LOCAL_DISK2|THIRD_DISK',
    grouping: 'DATASET',
  });
  t.equal(add.status, 201, add.body);
  const [id] = add.json() as string[];
  t.match(id, /^[0-9a-f]{32}$/);
  const ok = await waitRule(s, id!, ['OK', 'STUCK']);
  t.equal(ok.state, 'OK', JSON.stringify(ok));
  t.equal(ok.locks_ok_cnt, 24);
  t.equal(ok.locks_replicating_cnt, 0);
  t.equal(ok.did_type, 'DATASET');
  t.equal(ok.grouping, 'DATASET');
  for (const prefix of [await prefixOf(s, 'LOCAL_DISK2'), third])
    for (const [i, n] of names.entries())
      t.same(readFileSync(join(prefix, deterministicPath(SCOPE, n))), datas[i], `${n} bytes`);
  const locks = jsonLines((await api(s, 'GET', `/rules/${id}/locks`)).body) as {
    state: string;
    rse: string;
  }[];
  t.equal(locks.length, 24);
  t.ok(locks.every((l) => l.state === 'OK'));
  const reps = await s.catalog.db
    .selectFrom('replicas')
    .select(['state', 'lock_cnt'])
    .where('scope', '=', SCOPE)
    .where(
      'rse_id',
      '!=',
      (
        await s.catalog.db
          .selectFrom('rses')
          .select('id')
          .where('rse', '=', 'LOCAL_DISK1')
          .executeTakeFirstOrThrow()
      ).id,
    )
    .execute();
  t.equal(reps.length, 24);
  t.ok(reps.every((r) => r.state === 'A' && Number(r.lock_cnt) === 1));
  const onDid = jsonLines((await api(s, 'GET', `/dids/${SCOPE}/run1.ds/rules`)).body) as { id: string }[];
  t.same(
    onDid.map((r) => r.id),
    [id],
  );
  const assoc = jsonLines((await api(s, 'GET', `/dids/${SCOPE}/${names[0]}/associated_rules`)).body) as {
    id: string;
  }[];
  t.same(
    assoc.map((r) => r.id),
    [id],
  );
  const listed = jsonLines((await api(s, 'GET', '/rules/?state=OK')).body) as { id: string }[];
  t.ok(listed.some((r) => r.id === id));
  const analysis = (await api(s, 'GET', `/rules/${id}/analysis`)).json();
  t.same(analysis.locks, { OK: 24, REPLICATING: 0, STUCK: 0 });
  t.equal(analysis.bytes_done, analysis.bytes_total);

  // A file attached later follows the dataset's rule (judge re-evaluation).
  const late = await uploadFiles(s, ['run1.late.root'], 5000);
  t.equal(
    (
      await api(s, 'POST', `/dids/${SCOPE}/run1.ds/dids`, {
        dids: [{ scope: SCOPE, name: 'run1.late.root' }],
      })
    ).status,
    201,
  );
  const end = Date.now() + 30_000;
  let r = (await api(s, 'GET', `/rules/${id}`)).json();
  while (!(r.locks_ok_cnt === 26 && r.state === 'OK') && Date.now() < end) {
    await new Promise((ok) => setTimeout(ok, 250));
    r = (await api(s, 'GET', `/rules/${id}`)).json();
  }
  t.equal(r.locks_ok_cnt, 26, 'late file locked and copied on both RSEs');
  t.same(readFileSync(join(third, deterministicPath(SCOPE, 'run1.late.root'))), late[0]);

  // Duplicate, locked deletion refused, then removal with purge and the reaper.
  const dup = await api(s, 'POST', '/rules/', {
    dids: [{ scope: SCOPE, name: 'run1.ds' }],
    copies: 2,
    rse_expression: 'LOCAL_DISK2|THIRD_DISK',
  });
  t.equal(dup.status, 409);
  t.match(dup.json(), { ExceptionClass: 'DuplicateRule' });
  t.equal((await api(s, 'PUT', `/rules/${id}`, { options: { locked: true } })).status, 200);
  t.equal((await api(s, 'DELETE', `/rules/${id}`, { purge_replicas: true })).status, 401);
  t.equal((await api(s, 'PUT', `/rules/${id}`, { options: { locked: false } })).status, 200);
  t.equal((await api(s, 'DELETE', `/rules/${id}`, { purge_replicas: true })).status, 200);
  t.equal((await api(s, 'GET', `/rules/${id}`)).status, 404);
  let reaped = 0;
  for (let i = 0; i < 5 && reaped < 26; i++) reaped += await reapOnce(s.catalog, { log: () => {} });
  const left = await s.catalog.db
    .selectFrom('replicas')
    .select('rse_id')
    .where('scope', '=', SCOPE)
    .execute();
  t.equal(left.length, 13, 'only the LOCAL_DISK1 replicas are left');
  t.notOk(existsSync(join(third, deterministicPath(SCOPE, names[0]!))), 'purged bytes deleted from storage');
  t.ok(
    existsSync(join(await prefixOf(s, 'LOCAL_DISK1'), deterministicPath(SCOPE, names[0]!))),
    'source untouched',
  );
});

forEachDialect(t, 'corrupted source, quota and bad inputs', async (t, s) => {
  await setup(s);
  const [data] = await uploadFiles(s, ['bad.root'], 50_000);
  // Same size, other bytes: only the checksum can tell.
  const p = join(await prefixOf(s, 'LOCAL_DISK1'), deterministicPath(SCOPE, 'bad.root'));
  const bad = Buffer.from(data!);
  bad[100] = bad[100]! ^ 0xff;
  writeFileSync(p, bad);
  const add = await api(s, 'POST', '/rules/', {
    dids: [{ scope: SCOPE, name: 'bad.root' }],
    copies: 1,
    rse_expression: 'LOCAL_DISK2',
  });
  t.equal(add.status, 201, add.body);
  const [id] = add.json();
  const stuck = await waitRule(s, id, ['STUCK', 'OK']);
  t.equal(stuck.state, 'STUCK');
  t.match(stuck.error, /CHECKSUM_MISMATCH/);
  t.equal(stuck.locks_stuck_cnt, 1);
  const analysis = (await api(s, 'GET', `/rules/${id}/analysis`)).json();
  t.equal(analysis.transfers.length, 1);
  t.match(analysis.transfers[0], {
    name: 'bad.root',
    rse: 'LOCAL_DISK2',
    lock_state: 'STUCK',
    last_error: /CHECKSUM_MISMATCH/,
  });
  const rep = await s.catalog.db
    .selectFrom('replicas as r')
    .innerJoin('rses as s', 's.id', 'r.rse_id')
    .select('r.state')
    .where('s.rse', '=', 'LOCAL_DISK2')
    .where('r.name', '=', 'bad.root')
    .executeTakeFirstOrThrow();
  t.equal(rep.state, 'C', 'never AVAILABLE without verified bytes');
  t.notOk(existsSync(join(await prefixOf(s, 'LOCAL_DISK2'), deterministicPath(SCOPE, 'bad.root'))));

  // Quota: a user account with a 10-byte limit on LOCAL_DISK2 and none elsewhere.
  t.equal((await api(s, 'POST', '/accounts/alice', { type: 'USER', email: 'a@example.org' })).status, 201);
  await s.catalog.db
    .insertInto('account_limits')
    .values({
      account: 'alice',
      rse_id: (
        await s.catalog.db
          .selectFrom('rses')
          .select('id')
          .where('rse', '=', 'LOCAL_DISK2')
          .executeTakeFirstOrThrow()
      ).id,
      bytes: 10,
    })
    .execute();
  const q = await api(s, 'POST', '/rules/', {
    dids: [{ scope: SCOPE, name: 'bad.root' }],
    copies: 1,
    rse_expression: 'LOCAL_DISK2|THIRD_DISK',
    account: 'alice',
  });
  t.equal(q.status, 409, q.body);
  t.match(q.json(), {
    ExceptionClass: 'InsufficientAccountLimit',
    ExceptionMessage: /alice needs 50000 bytes.*LOCAL_DISK2: 10 bytes left/,
  });

  for (const [payload, status] of [
    [{ dids: [{ scope: SCOPE, name: 'nothere' }], copies: 1, rse_expression: 'LOCAL_DISK2' }, 404],
    [{ dids: [{ scope: SCOPE, name: 'bad.root' }], copies: 0, rse_expression: 'LOCAL_DISK2' }, 400],
    [{ dids: [{ scope: SCOPE, name: 'bad.root' }], copies: 1, rse_expression: 'LOCAL_DISK2&(' }, 400],
    [
      { dids: [{ scope: SCOPE, name: 'bad.root' }], copies: 3, rse_expression: 'LOCAL_DISK2|THIRD_DISK' },
      409,
    ],
    [
      {
        dids: [{ scope: SCOPE, name: 'bad.root' }],
        copies: 1,
        rse_expression: 'LOCAL_DISK2',
        grouping: 'SOME',
      },
      400,
    ],
    [{ dids: 'x', copies: 1, rse_expression: 'LOCAL_DISK2' }, 400],
  ] as const) {
    const r = await api(s, 'POST', '/rules/', payload);
    t.equal(r.status, status, `${JSON.stringify(payload)} → ${r.body}`);
  }
  const malformed = await s.app.inject({
    method: 'POST',
    url: '/rules/',
    headers: s.headers,
    payload: '{"dids": [',
  });
  t.equal(malformed.statusCode, 400);
  t.equal((await api(s, 'GET', '/rules/00000000000000000000000000000000')).status, 404);
  t.equal((await api(s, 'PUT', `/rules/${id}`, { options: { bogus: 1 } })).status, 400);
  t.equal((await api(s, 'DELETE', '/rules/00000000000000000000000000000000')).status, 404);
  t.equal((await api(s, 'GET', `/dids/${SCOPE}/nothere/rules`)).status, 404);
});
