/** `oxbow rse|did|replica …` as a child process against a real server. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@oxbow/client';
import t from 'tap';
import { baseEnv, oxbow, reason, startTestServer, TEST_ROOT_PASSWORD } from './helpers.js';

const server = await startTestServer({ embeddedRses: false });
t.teardown(() => server.close());
const env = baseEnv({ OXBOW_URL: server.url, OXBOW_USERNAME: 'root', OXBOW_PASSWORD: TEST_ROOT_PASSWORD });

async function ok(args: string[], input?: string) {
  const r = await oxbow(args, env, input);
  if (r.code !== 0) throw new Error(`oxbow ${args.join(' ')} → ${r.code}: ${reason(r)}`);
  return r;
}

t.test('rse add/list/show/set-attribute/add-protocol', async (t) => {
  t.same((await ok(['rse', 'add', 'CLI-DISK', '--type', 'DISK', '--city', 'Bern', '--json'])).json(), {
    rse: 'CLI-DISK',
    rse_type: 'DISK',
    city: 'Bern',
    created: true,
  });
  t.equal((await ok(['rse', 'add', 'CLI-TAPE', '--type', 'TAPE'])).stdout, 'Added RSE CLI-TAPE\n');
  const attr = await ok(['rse', 'set-attribute', 'CLI-DISK', 'tier', '1', '--json']);
  t.same(attr.json(), { rse: 'CLI-DISK', key: 'tier', value: '1' });
  t.same((await ok(['rse', 'set-attribute', 'CLI-DISK', 'fast', 'true', '--json'])).json(), {
    rse: 'CLI-DISK',
    key: 'fast',
    value: true,
  });
  const proto = await ok([
    'rse',
    'add-protocol',
    'CLI-DISK',
    '--scheme',
    'file',
    '--prefix',
    '/data/cli-disk',
    '--json',
  ]);
  t.match(proto.json(), {
    rse: 'CLI-DISK',
    scheme: 'file',
    impl: 'rucio.rse.protocols.posix.Default',
    port: 0,
  });
  await ok([
    'rse',
    'add-protocol',
    'CLI-DISK',
    '--scheme',
    'root',
    '--hostname',
    'xrd.example.org',
    '--port',
    '1094',
    '--prefix',
    '//store',
    '--domain-json',
    '{"wan":{"read":2,"write":2,"delete":2}}',
  ]);

  const list = (await ok(['rse', 'list', '--json'])).lines() as { rse: string; rse_type: string }[];
  t.same(list.map((r) => r.rse).sort(), ['CLI-DISK', 'CLI-TAPE']);
  t.same((await ok(['rse', 'list', '--expression', 'tier=1', '--json'])).lines(), [{ rse: 'CLI-DISK' }]);
  t.match(
    (await ok(['rse', 'list'])).stdout,
    /^RSE\s+TYPE\s+DETERMINISTIC\s+VOLATILE\nCLI-DISK\s+DISK\s+true\s+false/,
  );

  const show = (await ok(['rse', 'show', 'CLI-DISK', '--json'])).json() as {
    rse: string;
    attributes: Record<string, unknown>;
    protocols: { scheme: string; hostname: string; port: number; domains: { wan: { read: number } } }[];
  };
  t.equal(show.rse, 'CLI-DISK');
  t.match(show.attributes, { tier: '1', fast: true });
  t.same(show.protocols.map((p) => p.scheme).sort(), ['file', 'root']);
  t.equal(show.protocols.find((p) => p.scheme === 'root')?.domains.wan.read, 2);
  const human = (await ok(['rse', 'show', 'CLI-DISK'])).stdout;
  t.match(human, /Protocols:\n.*file:\/\/localhost\/data\/cli-disk/);
  t.match(human, /root:\/\/xrd\.example\.org:1094\/\/store/);

  const missing = await oxbow(['rse', 'show', 'NOPE'], env);
  t.equal(missing.code, 1);
  t.match(reason(missing), /^oxbow: RSENotFound: /);
  const badJson = await oxbow(
    ['rse', 'add-protocol', 'CLI-DISK', '--scheme', 'file', '--domain-json', '{'],
    env,
  );
  t.equal(badJson.code, 2);
  const noImpl = await oxbow(['rse', 'add-protocol', 'CLI-DISK', '--scheme', 'gsiftp'], env);
  t.equal(noImpl.code, 2);
  t.match(reason(noImpl), /pass --impl/);
  const badExpr = await oxbow(['rse', 'list', '--expression', 'tier=('], env);
  t.equal(badExpr.code, 1);
  t.match(reason(badExpr), /InvalidRSEExpression/);
});

t.test('did add/attach/detach/list/show/meta/content/files and replica list', async (t) => {
  await ok(['scope', 'add', 'cli']);
  // Files are registered as replicas by upload; here through the client library.
  const client = createClient({ url: server.url, username: 'root', password: TEST_ROOT_PASSWORD });
  t.teardown(() => client.close());
  const files = Array.from({ length: 6 }, (_, i) => ({
    scope: 'cli',
    name: `raw/f${i}.root`,
    bytes: 100 + i,
    adler32: (0x20000000 + i).toString(16),
  }));
  await client.replicas.add('CLI-DISK', files);

  t.same((await ok(['did', 'add', 'cli:ds1', '--meta', 'datatype=AOD', '--json'])).lines(), [
    { scope: 'cli', name: 'ds1', type: 'DATASET', created: true },
  ]);
  t.equal(
    (await ok(['did', 'add', 'cli:cont1', '--type', 'container'])).stdout,
    'Added container cli:cont1\n',
  );
  t.equal((await ok(['did', 'add', 'cli:ds2', 'cli:ds3', '--json'])).lines().length, 2);
  const fileAdd = await ok([
    'did',
    'add',
    'cli:extra.root',
    '--type',
    'file',
    '--bytes',
    '7',
    '--adler32',
    '0000abcd',
    '--json',
  ]);
  t.same(fileAdd.lines(), [{ scope: 'cli', name: 'extra.root', type: 'FILE', created: true }]);

  const att = await ok(['did', 'attach', '--to', 'cli:ds1', 'cli:raw/f0.root', 'cli:raw/f1.root', '--json']);
  t.same(att.json(), { parent: 'cli:ds1', attached: 2 });
  const listFile = join(env.HOME!, 'dids.txt');
  writeFileSync(listFile, '# more files\ncli:raw/f2.root\n\ncli:raw/f3.root\n');
  t.same((await ok(['did', 'attach', '--to', 'cli:ds1', '--from-file', listFile, '--json'])).json(), {
    parent: 'cli:ds1',
    attached: 2,
  });
  t.same(
    (
      await ok(['did', 'attach', '--to', 'cli:ds2', '--from-file', '-', '--json'], 'cli:raw/f4.root\n')
    ).json(),
    {
      parent: 'cli:ds2',
      attached: 1,
    },
  );
  await ok(['did', 'attach', '--to', 'cli:cont1', 'cli:ds1', 'cli:ds2']);

  const content = (await ok(['did', 'content', 'cli:cont1', '--json'])).lines() as { name: string }[];
  t.same(content.map((c) => c.name).sort(), ['ds1', 'ds2']);
  const allFiles = (await ok(['did', 'files', 'cli:cont1', '--json'])).lines() as {
    name: string;
    bytes: number;
  }[];
  t.equal(allFiles.length, 5);
  t.match(
    (await ok(['did', 'files', 'cli:ds2'])).stdout,
    /SCOPE:NAME\s+GUID\s+ADLER32\s+BYTES\s+EVENTS\ncli:raw\/f4\.root/,
  );

  const show = (await ok(['did', 'show', 'cli:ds1', '--dynamic', 'FILE', '--json'])).json();
  t.match(show, { scope: 'cli', name: 'ds1', type: 'DATASET', length: 4, bytes: 100 + 101 + 102 + 103 });
  t.match((await ok(['did', 'show', 'cli:raw/f1.root'])).stdout, /bytes:\s+101 \(101 B\)/);

  t.same(
    (await ok(['did', 'meta', 'cli:ds1', '--set', 'run_number=1500', '--set', 'calib=v3', '--json'])).json(),
    {
      did: 'cli:ds1',
      set: { run_number: '1500', calib: 'v3' },
      deleted: [],
    },
  );
  t.match((await ok(['did', 'meta', 'cli:ds1', '--json'])).json(), { datatype: 'AOD', run_number: 1500 });
  t.match((await ok(['did', 'meta', 'cli:ds1', '--plugin', 'JSON', '--json'])).json(), { calib: 'v3' });
  await ok(['did', 'meta', 'cli:ds1', '--delete', 'calib']);
  t.notMatch((await ok(['did', 'meta', 'cli:ds1', '--plugin', 'JSON'])).stdout, /calib/);

  const listed = (await ok(['did', 'list', 'cli:*', '--json'])).lines() as {
    name: string;
    did_type: string;
  }[];
  t.same(listed.map((d) => d.name).sort(), ['cont1', 'ds1', 'ds2', 'ds3']);
  const filtered = (
    await ok(['did', 'list', 'cli:*', '--filter', 'datatype=AOD, run_number>=1000', '--json'])
  ).lines();
  t.match(filtered, [{ scope: 'cli', name: 'ds1', did_type: 'DATASET' }]);
  t.equal(filtered.length, 1);
  t.same((await ok(['did', 'list', 'cli:ds*', '--short', '--json'])).lines().sort(), [
    'cli:ds1',
    'cli:ds2',
    'cli:ds3',
  ]);
  t.equal((await ok(['did', 'list', 'cli:raw/*', '--type', 'file', '--json'])).lines().length, 6);
  t.equal(
    (await ok(['did', 'list', 'cli', '--type', 'all', '--json'])).lines().length,
    11,
    'bare scope = every name',
  );
  t.equal((await ok(['did', 'list', 'cli:*', '--type', 'all', '--limit', '3', '--json'])).lines().length, 3);
  t.match(
    (await ok(['did', 'list', 'cli:cont*'])).stdout,
    /^SCOPE:NAME\s+TYPE\s+BYTES\s+LENGTH\ncli:cont1\s+CONTAINER/,
  );

  const replicas = (await ok(['replica', 'list', 'cli:cont1', '--json'])).lines() as {
    name: string;
    rses: Record<string, string[]>;
  }[];
  t.equal(replicas.length, 5);
  for (const r of replicas) t.match(r.rses['CLI-DISK']?.[0], /^file:\/\/localhost\/data\/cli-disk\/cli\//);
  const rootOnly = (await ok(['replica', 'list', 'cli:ds2', '--schemes', 'root', '--json'])).lines() as {
    rses: Record<string, string[]>;
  }[];
  t.match(rootOnly[0]!.rses['CLI-DISK']?.[0], /^root:\/\/xrd\.example\.org:1094\/\/store\/cli\//);
  const table = (await ok(['replica', 'list', 'cli:ds2'])).stdout;
  t.match(table, /^SCOPE:NAME\s+BYTES\s+ADLER32\s+RSE\s+STATE\s+PFN\n/);
  t.match(table, /cli:raw\/f4\.root\s+104\s+20000004\s+CLI-DISK\s+AVAILABLE\s+(file|root):\/\//);

  t.same((await ok(['did', 'detach', '--from', 'cli:ds1', 'cli:raw/f3.root', '--json'])).json(), {
    parent: 'cli:ds1',
    detached: 1,
  });
  t.equal((await ok(['did', 'content', 'cli:ds1', '--json'])).lines().length, 3);

  const nf = await oxbow(['did', 'show', 'cli:nothing'], env);
  t.equal(nf.code, 1);
  t.match(reason(nf), /^oxbow: DataIdentifierNotFound: /);
  const dup = await oxbow(['did', 'add', 'cli:ds1'], env);
  t.equal(dup.code, 1);
  t.match(reason(dup), /DataIdentifierAlreadyExists/);
  const noneToAttach = await oxbow(['did', 'attach', '--to', 'cli:ds1'], env);
  t.equal(noneToAttach.code, 2);
  const noBytes = await oxbow(['did', 'add', 'cli:x', '--type', 'file'], env);
  t.equal(noBytes.code, 2);
  const badFilter = await oxbow(['did', 'list', 'cli:*', '--filter', 'a=1, a=2'], env);
  t.equal(badFilter.code, 2);
  t.match(reason(badFilter), /Duplicate/);
});
