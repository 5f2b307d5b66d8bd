import { createReadStream, writeFileSync } from 'node:fs';
import pLimit from 'p-limit';
import { createAdapter } from '../dist/src/index.js';
import { makeTestTls, startXrootd, tempDir } from '../dist/test/servers.js';

const src = tempDir('src');
writeFileSync(src + '/f', Buffer.alloc(4096, 1));
const tls = makeTestTls(tempDir('pki'));
const s = await startXrootd({ tls });
const a = createAdapter(
  { scheme: 'davs', hostname: '127.0.0.1', port: s.httpPort, prefix: '/p', impl: 'x', domains: {} },
  { credentials: { caFile: tls.caPem }, concurrency: 8 },
);
const d = Buffer.alloc(4096, 1);
for (const conc of [1, 2, 8]) {
  const limit = pLimit(conc);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      limit(() => a.write(`c${conc}/f${i}.bin`, createReadStream(src + '/f'), { size: d.length })),
    ),
  );
  console.log('conc', conc, (60 / ((performance.now() - t0) / 1000)).toFixed(1), 'files/s');
}
await a.close();
await s.stop();
