// WebDAV adapter against nginx (dav + dav_ext) over HTTPS, plus X509 client certificates and bearer tokens.
import { rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import t from 'tap';
import { adler32 } from '../src/checksum.js';
import { createAdapter } from '../src/registry.js';
import type { RseProtocol } from '../src/types.js';
import { expectError, runConformance } from './conformance.js';
import { collect } from './data.js';
import { walkFiles } from './helpers/walk.js';
import { freePort, makeTestTls, type NginxServer, startNginx, type TestTls, tempDir } from './servers.js';

const https = (port: number, prefix = '/'): RseProtocol => ({
  scheme: 'https',
  hostname: '127.0.0.1',
  port,
  prefix,
  impl: 'rucio.rse.protocols.gfal.Default',
  domains: { lan: { read: 1, write: 1, delete: 1 }, wan: { read: 1, write: 1, delete: 1 } },
});

let tls: TestTls;
let server: NginxServer;

t.before(async () => {
  const pki = tempDir('pki');
  t.teardown(() => rmSync(pki, { recursive: true, force: true }));
  tls = makeTestTls(pki);
  server = await startNginx(tls);
  t.teardown(() => server.stop());
});

t.test('WebDAV (nginx) conformance', async (t) => {
  const downPort = await freePort();
  const opts = { timeoutMs: 10_000, credentials: { caFile: tls.caPem } };
  await runConformance(t, {
    make: () => createAdapter(https(server.httpsPort), opts),
    spec: { protocol: https(server.httpsPort), options: opts },
    makeDown: () => createAdapter(https(downPort), opts),
    // gfal's lfns2pfns: https://host:port + prefix + path.
    expectedPfn: `https://127.0.0.1:${server.httpsPort}/dir/file.bin`,
    rawFiles: () => walkFiles(server.dataDir),
    serverAdler32: false,
    realDirs: true,
    hidesDotNames: true,
    denied: () => ({ adapter: createAdapter(https(server.httpsPort), opts), path: 'ro/denied.bin' }),
  });
});

t.test('X509 client certificate is presented', async (t) => {
  const d = Buffer.from('needs a certificate');
  const o = { size: d.length, adler32: adler32(d) };
  const anon = createAdapter(https(server.httpsPort, '/certonly'), { credentials: { caFile: tls.caPem } });
  await expectError(
    t,
    anon.write('a.bin', Readable.from([d]), o),
    'PERMISSION_DENIED',
    'without a certificate',
  );
  await anon.close();
  const withCert = createAdapter(https(server.httpsPort, '/certonly'), {
    credentials: { caFile: tls.caPem, x509Cert: tls.clientPem, x509Key: tls.clientKey },
  });
  await withCert.write('a.bin', Readable.from([d]), o);
  t.ok(
    (await collect(await withCert.read('a.bin'))).equals(d),
    'written and read with the client certificate',
  );
  await withCert.close();
});

t.test('bearer token is sent', async (t) => {
  const d = Buffer.from('needs a token');
  const o = { size: d.length, adler32: adler32(d) };
  const wrong = createAdapter(https(server.httpsPort, '/tokenonly'), {
    credentials: { caFile: tls.caPem, bearerToken: 'wrong' },
  });
  await expectError(t, wrong.write('a.bin', Readable.from([d]), o), 'PERMISSION_DENIED', 'wrong token: 401');
  await wrong.close();
  const right = createAdapter(https(server.httpsPort, '/tokenonly'), {
    credentials: { caFile: tls.caPem, bearerToken: 'oxbow-test-token' },
  });
  await right.write('a.bin', Readable.from([d]), o);
  t.equal((await right.stat('a.bin')).size, d.length, 'written with the token');
  await right.close();
});

t.test('server certificate is verified', async (t) => {
  const noCa = createAdapter(https(server.httpsPort), { timeoutMs: 5000 });
  const e = await noCa.stat('x').then(
    () => undefined,
    (err) => err,
  );
  t.ok(e, `unknown CA refused (${e?.message})`);
  t.not(e?.code, 'NOT_FOUND', 'the request never reached the server');
  await noCa.close();
});

t.test('plain http:// works too', async (t) => {
  const a = createAdapter({ ...https(server.httpPort), scheme: 'http' });
  const d = Buffer.from('plain http');
  await a.write('plain/p.bin', Readable.from([d]), { size: d.length, adler32: adler32(d) });
  t.ok((await collect(await a.read('plain/p.bin'))).equals(d));
  t.equal(a.pfn('plain/p.bin'), `http://127.0.0.1:${server.httpPort}/plain/p.bin`);
  await a.close();
});
