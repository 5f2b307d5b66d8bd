import { Readable } from 'node:stream';
import { createAdapter } from '../dist/src/index.js';
import { makeTestTls, startNginx, tempDir } from '../dist/test/servers.js';

const tls = makeTestTls(tempDir('pki'));
const s = await startNginx(tls);
const a = createAdapter(
  { scheme: 'https', hostname: '127.0.0.1', port: s.httpsPort, prefix: '/p', impl: 'x', domains: {} },
  { credentials: { caFile: tls.caPem } },
);
const d = Buffer.alloc(4096, 1);
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  await a.write(`d/f${i}.bin`, Readable.from([d]), { size: d.length });
  const t1 = performance.now();
  await a.stat(`d/f${i}.bin`);
  const t2 = performance.now();
  console.log('write', (t1 - t0).toFixed(1), 'stat', (t2 - t1).toFixed(1));
}
await a.close();
await s.stop();
