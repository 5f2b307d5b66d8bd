// WebDAV adapter against XRootD's HTTPS interface (XrdHttp) with HTTP third-party copy between two servers.

import { rmSync } from 'node:fs';
import t from 'tap';
import { createAdapter } from '../src/registry.js';
import type { RseProtocol } from '../src/types.js';
import { runConformance } from './conformance.js';
import { walkFiles } from './helpers/walk.js';
import { freePort, makeTestTls, startXrootd, tempDir } from './servers.js';

const davs = (port: number): RseProtocol => ({
  scheme: 'davs',
  hostname: '127.0.0.1',
  port,
  prefix: '/webdav',
  impl: 'rucio.rse.protocols.webdav.Default',
  domains: {
    lan: { read: 1, write: 1, delete: 1 },
    wan: { read: 1, write: 1, delete: 1, third_party_copy_read: 1, third_party_copy_write: 1 },
  },
});

t.test('WebDAV (XrdHttp) conformance', async (t) => {
  const pki = tempDir('pki');
  t.teardown(() => rmSync(pki, { recursive: true, force: true }));
  const tls = makeTestTls(pki);
  const a = await startXrootd({ tls, readOnlyPath: '/webdav/ro', tag: 'httpA' });
  t.teardown(() => a.stop());
  const b = await startXrootd({ tls, tag: 'httpB' });
  t.teardown(() => b.stop());
  const downPort = await freePort();
  const opts = { timeoutMs: 10_000, credentials: { caDir: tls.caDir } };
  await runConformance(t, {
    make: () => createAdapter(davs(a.httpPort!), opts),
    spec: { protocol: davs(a.httpPort!), options: opts },
    // XrdHttp writes a PUT body into the file as it arrives and keeps what came before a disconnect.
    partialWritesStay: true,
    makeDown: () => createAdapter(davs(downPort), opts),
    expectedPfn: `davs://127.0.0.1:${a.httpPort}/webdav/dir/file.bin`,
    rawFiles: () => walkFiles(a.dataDir),
    serverAdler32: true,
    realDirs: true,
    denied: () => ({ adapter: createAdapter(davs(a.httpPort!), opts), path: 'ro/denied.bin' }),
    tpc: { source: () => createAdapter(davs(b.httpPort!), opts), modes: ['pull', 'push'] },
  });
});
