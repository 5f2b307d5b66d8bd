import { Readable } from 'node:stream';
import { createAdapter } from '../dist/src/index.js';
import { makeTestTls, startNginx, tempDir } from '../dist/test/servers.js';

const tls = makeTestTls(tempDir('pki'));
const s = await startNginx(tls);
const a = createAdapter(
  { scheme: 'https', hostname: '127.0.0.1', port: s.httpsPort, prefix: '/p', impl: 'x', domains: {} },
  { credentials: { caFile: tls.caPem }, concurrency: 8 },
);
const d = Buffer.alloc(4096, 1);
await a.write(`w/warm.bin`, Readable.from([d]), { size: d.length });
let t0 = performance.now();
for (let i = 0; i < 30; i++) await a.write(`w/f${i}.bin`, Readable.from([d]), { size: d.length });
console.log('seq write ms/file', ((performance.now() - t0) / 30).toFixed(1));
t0 = performance.now();
for (let i = 0; i < 30; i++) await a.stat(`w/f${i}.bin`);
console.log('seq stat ms/file', ((performance.now() - t0) / 30).toFixed(1));
t0 = performance.now();
for (let i = 0; i < 30; i++) await a.exists(`w/f${i}.bin`);
console.log('seq exists(HEAD) ms/file', ((performance.now() - t0) / 30).toFixed(1));
await a.close();
await s.stop();
