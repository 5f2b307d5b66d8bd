/**
 * Transfer limits: Rucio's `/requests/transfer_limits` REST calls, and the transfer daemons' claims
 * staying within them per RSE expression and per activity — also when several daemons claim at once.
 */
import t from 'tap';
import { addRse, getRseRecord } from '../src/catalog/rses.js';
import { claimRequests } from '../src/daemons/transfer.js';
import { REQ } from '../src/rules/codes.js';
import { newId } from '../src/rules/ids.js';
import type { TestServer } from '../src/testing/server.js';
import { call, type H, userToken } from './support/api.js';
import { forEachDialect, jsonLines } from './support/dialects.js';

/** Queues `n` transfer requests into an RSE for an activity. */
async function queue(s: TestServer, rse: string, activity: string, n: number, tag: string) {
  const { id } = await getRseRecord(s.catalog.db, rse);
  const t0 = new Date(Date.now() - 1000).toISOString();
  await s.catalog.db
    .insertInto('requests')
    .values(
      Array.from({ length: n }, (_, i) => ({
        id: newId(),
        scope: 'lim',
        name: `${tag}${i}`,
        dest_rse_id: id,
        rule_id: null,
        source_rse_id: null,
        account: 'root',
        activity,
        priority: 3,
        state: REQ.QUEUED,
        bytes: 1,
        adler32: null,
        md5: null,
        source_replica_expression: null,
        max_attempts: 3,
        next_attempt_at: t0,
        claimed_by: null,
        claimed_until: null,
        err_msg: null,
        created_at: t0,
        updated_at: t0,
      })),
    )
    .execute();
}

/** Active (claimed, lease valid) requests per RSE name and activity. */
async function active(s: TestServer) {
  const rows = await s.catalog.db
    .selectFrom('requests as q')
    .innerJoin('rses as r', 'r.id', 'q.dest_rse_id')
    .select(['r.rse', 'q.activity'])
    .where('q.state', '=', REQ.SUBMITTED)
    .where('q.claimed_until', '>=', new Date().toISOString())
    .execute();
  const count = (rse: string, activity?: string) =>
    rows.filter((r) => r.rse === rse && (!activity || r.activity === activity)).length;
  return { total: rows.length, count };
}

forEachDialect(t, 'transfer limits over REST', async (t, s) => {
  await addRse(s.catalog.db, 'DST_A', { deterministic: true });
  const put = (b: unknown, h?: H) => call(s, 'PUT', '/requests/transfer_limits', b, h);
  t.equal((await put({ rse_expression: 'DST_A', max_transfers: 3 })).statusCode, 201);
  t.equal((await put({ rse_expression: 'DST_A', activity: 'Express', max_transfers: 1 })).statusCode, 201);
  t.equal((await put({ rse_expression: 'DST_A', max_transfers: 5 })).statusCode, 201, 'update');
  const list = jsonLines((await call(s, 'GET', '/requests/transfer_limits')).body);
  t.match(list, [
    {
      rse_expression: 'DST_A',
      activity: 'Express',
      direction: 'DESTINATION',
      max_transfers: 1,
      strategy: 'fifo',
    },
    { rse_expression: 'DST_A', activity: 'all_activities', direction: 'DESTINATION', max_transfers: 5 },
  ]);
  t.equal(list.length, 2);
  t.equal(
    (await call(s, 'DELETE', '/requests/transfer_limits', { rse_expression: 'DST_A', activity: 'Express' }))
      .statusCode,
    200,
  );
  t.equal(jsonLines((await call(s, 'GET', '/requests/transfer_limits')).body).length, 1);

  const bad: [unknown, string, RegExp][] = [
    [{ rse_expression: 'NO_SUCH_RSE', max_transfers: 1 }, 'InvalidRSEExpression', /NO_SUCH_RSE/],
    [{ rse_expression: 'DST_A&(', max_transfers: 1 }, 'InvalidRSEExpression', /./],
    [{ rse_expression: 'DST_A', max_transfers: -1 }, 'InputValidationError', /max_transfers/],
    [{ rse_expression: 'DST_A', direction: 'UP' }, 'InputValidationError', /direction/],
    [{ max_transfers: 1 }, 'InputValidationError', /rse_expression/],
  ];
  for (const [b, cls, msg] of bad) {
    const r = await put(b);
    t.equal(r.statusCode, 400, `${JSON.stringify(b)}: ${r.body}`);
    t.match(JSON.parse(r.body), { ExceptionClass: cls, ExceptionMessage: msg });
  }
  const user = await userToken(s);
  const denied = await put({ rse_expression: 'DST_A', max_transfers: 9 }, user);
  t.equal(denied.statusCode, 401);
  t.match(JSON.parse(denied.body), { ExceptionClass: 'AccessDenied' });
  t.equal(
    (await call(s, 'DELETE', '/requests/transfer_limits', { rse_expression: 'DST_A' }, user)).statusCode,
    401,
  );
});

forEachDialect(t, 'claims stay within transfer limits', async (t, s) => {
  await addRse(s.catalog.db, 'DST_A', { deterministic: true });
  await addRse(s.catalog.db, 'DST_B', { deterministic: true });
  await queue(s, 'DST_A', 'User Subscriptions', 20, 'a');
  await queue(s, 'DST_A', 'Express', 10, 'x');
  await queue(s, 'DST_B', 'User Subscriptions', 10, 'b');
  await call(s, 'PUT', '/requests/transfer_limits', { rse_expression: 'DST_A', max_transfers: 3 });
  await call(s, 'PUT', '/requests/transfer_limits', {
    rse_expression: 'DST_A',
    activity: 'Express',
    max_transfers: 1,
  });

  const got = await claimRequests(s.catalog, 'w1', 100, 60_000);
  let a = await active(s);
  t.equal(a.count('DST_A'), 3, 'DST_A: its limit of 3');
  t.ok(a.count('DST_A', 'Express') <= 1, 'Express into DST_A: at most 1');
  t.equal(a.count('DST_B'), 10, 'DST_B has no limit');
  t.equal(got.length, 13);
  t.same(await claimRequests(s.catalog, 'w2', 100, 60_000), [], 'nothing more while DST_A is full');

  // A finished transfer frees a slot; a lapsed lease is not active (and its request is claimable again).
  const doneId = got.find((r) => r.name.startsWith('a') || r.name.startsWith('x'))!.id;
  await s.catalog.db.deleteFrom('requests').where('id', '=', doneId).execute();
  t.equal((await claimRequests(s.catalog, 'w2', 100, 60_000)).length, 1, 'one slot, one claim');
  const lapsed = got.find(
    (r) => r.id !== doneId && r.dest_rse_id !== got.find((x) => x.name.startsWith('b'))!.dest_rse_id,
  )!;
  await s.catalog.db
    .updateTable('requests')
    .set({ claimed_until: new Date(Date.now() - 1000).toISOString() })
    .where('id', '=', lapsed.id)
    .execute();
  const retaken = await claimRequests(s.catalog, 'w3', 100, 60_000);
  t.equal(retaken.length, 1, 'the lapsed slot is taken once');
  // A request taken over from a lapsed claim is marked for the orphan check; fresh claims are not.
  t.ok(
    retaken.every((r) => (r.id === lapsed.id) === (r.orphan_check === 1)),
    'orphan check only on the taken-over request',
  );
  t.ok(
    got.every((r) => r.orphan_check === 0),
    'first claims need no orphan check',
  );
  a = await active(s);
  t.equal(a.count('DST_A'), 3);

  // Many daemons claiming at once never overfill: raise the limit, claim concurrently.
  await call(s, 'PUT', '/requests/transfer_limits', { rse_expression: 'DST_A', max_transfers: 12 });
  const batches = await Promise.all(
    Array.from({ length: 6 }, (_, i) => claimRequests(s.catalog, `c${i}`, 4, 60_000)),
  );
  a = await active(s);
  t.equal(
    a.count('DST_A'),
    12,
    `concurrent claims filled DST_A to exactly 12 (batches ${batches.map((b) => b.length)})`,
  );
  t.ok(a.count('DST_A', 'Express') <= 1, 'Express still at most 1');
  const ids = batches.flat().map((r) => r.id);
  t.equal(new Set(ids).size, ids.length, 'no request claimed twice');

  // Without limits, everything queued is claimable.
  await call(s, 'DELETE', '/requests/transfer_limits', { rse_expression: 'DST_A' });
  await call(s, 'DELETE', '/requests/transfer_limits', { rse_expression: 'DST_A', activity: 'Express' });
  await claimRequests(s.catalog, 'w4', 100, 60_000);
  t.equal((await active(s)).total, 39, 'all 39 left active once the limits are gone');
});
