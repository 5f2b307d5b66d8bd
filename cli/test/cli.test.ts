/** The `oxbow` command as a child process against a real server: accounts, scopes, ping, whoami, exit codes, config. */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { baseEnv, oxbow, reason, startTestServer, TEST_ROOT_PASSWORD } from './helpers.js';

const server = await startTestServer({ embeddedRses: false });
t.teardown(() => server.close());
const rootEnv = () =>
  baseEnv({ OXBOW_URL: server.url, OXBOW_USERNAME: 'root', OXBOW_PASSWORD: TEST_ROOT_PASSWORD });

t.test('ping and whoami', async (t) => {
  const env = rootEnv();
  const ping = await oxbow(['ping', '--json'], env);
  t.equal(ping.code, 0, reason(ping));
  t.match(ping.json(), { url: server.url, version: /oxbow/ });
  const human = await oxbow(['ping'], env);
  t.match(human.stdout, new RegExp(`^${server.url}: Oxbow `));

  const who = await oxbow(['whoami', '--json'], env);
  t.equal(who.code, 0, reason(who));
  t.match(who.json(), { account: 'root', account_type: 'SERVICE', status: 'ACTIVE' });
  const whoHuman = await oxbow(['whoami'], env);
  t.match(whoHuman.stdout, /account:\s+root/);

  // The token went to a 0600 file under $HOME/.config/oxbow/tokens.
  const dir = join(env.HOME!, '.config', 'oxbow', 'tokens');
  const files = readdirSync(dir);
  t.equal(files.length, 1);
  t.equal(statSync(join(dir, files[0]!)).mode & 0o777, 0o600);
  const noCache = baseEnv({
    OXBOW_URL: server.url,
    OXBOW_USERNAME: 'root',
    OXBOW_PASSWORD: TEST_ROOT_PASSWORD,
  });
  t.equal((await oxbow(['whoami', '--no-token-cache'], noCache)).code, 0);
  t.throws(
    () => readdirSync(join(noCache.HOME!, '.config', 'oxbow', 'tokens')),
    'no token file with --no-token-cache',
  );
});

t.test('account list/add/show/identity-add', async (t) => {
  const env = rootEnv();
  const add = await oxbow(['account', 'add', 'alice', '--email', 'alice@example.org', '--json'], env);
  t.equal(add.code, 0, reason(add));
  t.same(add.json(), { account: 'alice', type: 'USER', email: 'alice@example.org', created: true });
  t.equal((await oxbow(['account', 'add', 'svc1', '--type', 'SERVICE'], env)).stdout, 'Added account svc1\n');

  const list = await oxbow(['account', 'list', '--json'], env);
  t.equal(list.code, 0);
  const rows = list.lines() as { account: string; type: string }[];
  t.same(rows.map((r) => r.account).sort(), ['alice', 'root', 'svc1']);
  const users = (await oxbow(['account', 'list', '--type', 'USER', '--json'], env)).lines();
  t.same(users, [{ account: 'alice', type: 'USER', email: 'alice@example.org' }]);
  const table = await oxbow(['account', 'list'], env);
  t.match(table.stdout, /^ACCOUNT\s+TYPE\s+EMAIL\n/);
  t.match(table.stdout, /alice\s+USER\s+alice@example.org/);

  const show = await oxbow(['account', 'show', 'alice', '--json'], env);
  t.match(show.json(), { account: 'alice', account_type: 'USER', email: 'alice@example.org' });

  const id = await oxbow(
    [
      'account',
      'identity-add',
      'alice',
      '--type',
      'userpass',
      '--id',
      'alice',
      '--identity-password',
      'alice-pw',
      '--json',
    ],
    env,
  );
  t.equal(id.code, 0, reason(id));
  t.same(id.json(), { account: 'alice', identity: 'alice', type: 'USERPASS', created: true });
  // The new identity logs in with the CLI and acts as alice.
  const asAlice = await oxbow(
    ['whoami', '--json'],
    baseEnv({ OXBOW_URL: server.url, OXBOW_USERNAME: 'alice', OXBOW_PASSWORD: 'alice-pw' }),
  );
  t.equal(asAlice.code, 0, reason(asAlice));
  t.match(asAlice.json(), { account: 'alice' });
});

t.test('scope add/list', async (t) => {
  const env = rootEnv();
  const mine = await oxbow(['scope', 'add', 'rootscope', '--json'], env);
  t.equal(mine.code, 0, reason(mine));
  t.same(mine.json(), { scope: 'rootscope', account: 'root', created: true });
  await oxbow(['account', 'add', 'bob'], env);
  const bobs = await oxbow(['scope', 'add', 'user.bob', '--owner', 'bob'], env);
  t.equal(bobs.stdout, 'Added scope user.bob for bob\n');
  const all = (await oxbow(['scope', 'list', '--json'], env)).lines();
  t.same(
    (all as { scope: string }[]).sort((a, b) => a.scope.localeCompare(b.scope)),
    [
      { scope: 'rootscope', account: 'root' },
      { scope: 'user.bob', account: 'bob' },
    ],
  );
  t.same((await oxbow(['scope', 'list', '--owner', 'bob', '--json'], env)).lines(), [
    { scope: 'user.bob', account: 'bob' },
  ]);
  const table = await oxbow(['scope', 'list'], env);
  t.match(table.stdout, /SCOPE\s+ACCOUNT\n/);
  const dup = await oxbow(['scope', 'add', 'rootscope'], env);
  t.equal(dup.code, 1);
  t.match(reason(dup), /^oxbow: \w+: .*rootscope/);
});

t.test('exit codes: 1 on failures, 2 on usage errors, one line on stderr', async (t) => {
  const env = rootEnv();
  const missing = await oxbow(['account', 'show', 'nobody'], env);
  t.equal(missing.code, 1);
  t.equal(reason(missing), "oxbow: AccountNotFound: Account with ID 'nobody' cannot be found");
  t.equal(missing.stdout, '');

  const badPw = await oxbow(['whoami', '--password', 'wrong'], env);
  t.equal(badPw.code, 1);
  t.match(reason(badPw), /^oxbow: (CannotAuthenticate|IdentityNotFound): /);

  const unreachable = await oxbow(['ping'], baseEnv({ OXBOW_URL: 'http://127.0.0.1:1', OXBOW_RETRIES: '0' }));
  t.equal(unreachable.code, 1);
  t.match(reason(unreachable), /^oxbow: ConnectionError: cannot reach http:\/\/127.0.0.1:1/);

  for (const args of [
    ['bogus'],
    ['account', 'show'],
    ['account', 'add', 'x', '--type', 'ROBOT'],
    ['did', 'list', 'a:b:c'],
    ['did', 'list', 'scope:*', '--filter', 'run_number=>1'],
    ['did', 'show', ':x'],
  ]) {
    const r = await oxbow(args, env);
    t.equal(r.code, 2, `${args.join(' ')} → 2 (${reason(r)})`);
    t.equal(reason(r).split('\n').length, 1, 'one line');
    t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  const noUrl = await oxbow(['whoami'], baseEnv({}));
  t.equal(noUrl.code, 2);
  t.match(reason(noUrl), /^oxbow: no server URL: pass --url, set OXBOW_URL/);
  const noUser = await oxbow(['whoami'], baseEnv({ OXBOW_URL: server.url }));
  t.equal(noUser.code, 2);
  t.match(reason(noUser), /needs a username and a password/);
  const x509 = await oxbow(['whoami', '--auth-type', 'x509'], baseEnv({ OXBOW_URL: server.url }));
  t.equal(x509.code, 2);
  t.match(reason(x509), /x509 authentication needs an https:\/\/ server URL/);

  const help = await oxbow(['--help'], env);
  t.equal(help.code, 0);
  t.match(help.stdout, /Usage: oxbow/);
  const version = await oxbow(['--version'], env);
  t.equal(version.code, 0);
});

t.test('config file precedence: flag > env > file > default', async (t) => {
  const env = baseEnv({});
  const dir = join(env.HOME!, '.config', 'oxbow');
  mkdirSync(dir, { recursive: true });
  // The default config file alone is enough.
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ url: server.url, username: 'root', password: TEST_ROOT_PASSWORD }),
  );
  const fromFile = await oxbow(['whoami', '--json'], env);
  t.equal(fromFile.code, 0, reason(fromFile));
  t.match(fromFile.json(), { account: 'root' });

  // The environment beats the file: a wrong URL in the environment fails.
  const envWins = await oxbow(['ping'], { ...env, OXBOW_URL: 'http://127.0.0.1:1', OXBOW_RETRIES: '0' });
  t.equal(envWins.code, 1);
  t.match(reason(envWins), /127\.0\.0\.1:1/);

  // A flag beats the environment.
  const flagWins = await oxbow(['ping', '--url', server.url, '--json'], {
    ...env,
    OXBOW_URL: 'http://127.0.0.1:1',
  });
  t.equal(flagWins.code, 0, reason(flagWins));

  // OXBOW_CONFIG names another file; --config beats it.
  const other = join(env.HOME!, 'other.json');
  writeFileSync(other, JSON.stringify({ url: 'http://127.0.0.1:1', retries: 0 }));
  const viaEnv = await oxbow(['ping'], { ...env, OXBOW_CONFIG: other });
  t.equal(viaEnv.code, 1, 'OXBOW_CONFIG file used instead of the default one');
  const viaFlag = await oxbow(['ping', '--config', join(dir, 'config.json'), '--json'], {
    ...env,
    OXBOW_CONFIG: other,
  });
  t.equal(viaFlag.code, 0, reason(viaFlag));

  // Password from the file, username overridden by a flag: wrong combination fails.
  const mixed = await oxbow(['whoami', '--username', 'nobody', '--no-token-cache'], env);
  t.equal(mixed.code, 1);

  const broken = join(env.HOME!, 'broken.json');
  writeFileSync(broken, '{');
  const bad = await oxbow(['whoami', '--config', broken], env);
  t.equal(bad.code, 2);
  t.match(reason(bad), /is not valid JSON/);
});
