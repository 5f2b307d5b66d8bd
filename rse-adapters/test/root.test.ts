// root:// adapter against two real xrootd 5.5 servers on loopback.
import t from 'tap';
import { createAdapter } from '../src/registry.js';
import type { RseProtocol } from '../src/types.js';
import { runConformance } from './conformance.js';
import { walkFiles } from './helpers/walk.js';
import { freePort, startXrootd, type XrootdServer } from './servers.js';

const rootProtocol = (port: number): RseProtocol => ({
  scheme: 'root',
  hostname: '127.0.0.1',
  port,
  // Rucio's root prefixes start with '//': the PFN keeps the double slash.
  prefix: '//rucio/',
  impl: 'rucio.rse.protocols.xrootd.Default',
  domains: {
    lan: { read: 1, write: 1, delete: 1 },
    wan: { read: 1, write: 1, delete: 1, third_party_copy_read: 1, third_party_copy_write: 1 },
  },
});

t.test('root:// conformance', async (t) => {
  const a: XrootdServer = await startXrootd({ readOnlyPath: '/rucio/ro', tag: 'xrdA' });
  t.teardown(() => a.stop());
  const b: XrootdServer = await startXrootd({ tag: 'xrdB' });
  t.teardown(() => b.stop());
  const downPort = await freePort();
  const opts = { timeoutMs: 10_000 };
  await runConformance(t, {
    make: () => createAdapter(rootProtocol(a.rootPort), opts),
    spec: { protocol: rootProtocol(a.rootPort), options: opts },
    // xrdcp is fed through a pipe: when its parent dies it sees end-of-input and stores what it got.
    partialWritesStay: true,
    makeDown: () => createAdapter(rootProtocol(downPort), opts),
    expectedPfn: `root://127.0.0.1:${a.rootPort}//rucio/dir/file.bin`,
    rawFiles: () => walkFiles(a.dataDir),
    serverAdler32: true,
    realDirs: true,
    denied: () => ({ adapter: createAdapter(rootProtocol(a.rootPort), opts), path: 'ro/denied.bin' }),
    tpc: { source: () => createAdapter(rootProtocol(b.rootPort), opts), modes: ['pull'] },
  });
});
