/** Settings resolution: flag > environment > config file > default, JSON and TOML files, errors. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ClientConfigError, requireComplete, resolveClientSettings } from '../src/index.js';

const home = mkdtempSync(join(tmpdir(), 'oxbow-home-'));
mkdirSync(join(home, '.config', 'oxbow'), { recursive: true });
const defaultFile = join(home, '.config', 'oxbow', 'config.json');
writeFileSync(
  defaultFile,
  JSON.stringify({
    url: 'http://file:1',
    account: 'fileacct',
    username: 'fileuser',
    password: 'filepw',
    vo: 'filevo',
  }),
);

t.test('precedence', async (t) => {
  const env = { HOME: home, OXBOW_URL: 'http://env:2', OXBOW_USERNAME: 'envuser' };
  const r = resolveClientSettings({ username: 'flaguser' }, env);
  t.equal(r.configFile, defaultFile);
  t.equal(r.settings.url, 'http://env:2');
  t.equal(r.settings.username, 'flaguser');
  t.equal(r.settings.password, 'filepw');
  t.equal(r.settings.account, 'fileacct');
  t.equal(r.settings.authType, 'userpass');
  t.same(r.sources, {
    url: 'env',
    account: 'file',
    username: 'flag',
    password: 'file',
    vo: 'file',
    authType: 'default',
    tokenCache: 'default',
    timeoutMs: 'default',
    retries: 'default',
    certFile: 'default',
    keyFile: 'default',
    proxyFile: 'default',
    certDir: 'default',
    oidcSessionDir: 'default',
  });
  const complete = requireComplete(r);
  t.equal(complete.url, 'http://env:2');
});

t.test('OXBOW_CONFIG and --config pick the file; TOML is read too', async (t) => {
  const toml = join(home, 'other.toml');
  writeFileSync(
    toml,
    '# comment\n[client]\nurl = "http://toml:3/"\nauth_type = \'userpass\'\ntoken_cache = false\nretries = 7\n',
  );
  const r = resolveClientSettings({}, { HOME: home, OXBOW_CONFIG: toml });
  t.equal(r.settings.url, 'http://toml:3', 'trailing slash removed');
  t.equal(r.settings.tokenCache, false);
  t.equal(r.settings.retries, 7);
  t.equal(r.settings.account, undefined, 'the default file is not read when another is named');
  const json = join(home, 'flag.json');
  writeFileSync(json, JSON.stringify({ client: { url: 'http://flagfile:4' } }));
  t.equal(
    resolveClientSettings({ config: json }, { HOME: home, OXBOW_CONFIG: toml }).settings.url,
    'http://flagfile:4',
  );
});

t.test('errors name what to fix', async (t) => {
  t.throws(
    () => resolveClientSettings({ config: join(home, 'missing.json') }, { HOME: home }),
    ClientConfigError,
  );
  const bad = join(home, 'bad.json');
  writeFileSync(bad, '{"url": ');
  t.throws(() => resolveClientSettings({ config: bad }, { HOME: home }), /not valid JSON/);
  t.throws(
    () => resolveClientSettings({ authType: 'kerberos' }, { HOME: home }),
    /unknown auth type 'kerberos'/,
  );
  t.throws(() => resolveClientSettings({}, { HOME: home, OXBOW_TOKEN_CACHE: 'maybe' }), /true or false/);
  const empty = mkdtempSync(join(tmpdir(), 'oxbow-home-'));
  t.throws(
    () => requireComplete(resolveClientSettings({}, { HOME: empty })),
    /no server URL: pass --url, set OXBOW_URL/,
  );
  t.throws(
    () => requireComplete(resolveClientSettings({ url: 'http://x:1' }, { HOME: empty })),
    /needs a username and a password/,
  );
  t.throws(() => requireComplete(resolveClientSettings({ url: 'ftp://x' }, { HOME: empty })), /not an http/);
  const { authMethodFor } = await import('../src/index.js');
  t.throws(() => authMethodFor({ authType: 'x509', url: 'http://x:1' }), /needs an https:\/\/ server URL/);
});
