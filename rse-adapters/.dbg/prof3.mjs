import { createReadStream, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import pLimit from 'p-limit';
import { createAdapter } from '../dist/src/index.js';
import { makeTestTls, startNginx, tempDir } from '../dist/test/servers.js';

const tls = makeTestTls(tempDir('pki'));
const s = await startNginx(tls);
const a = createAdapter(
  { scheme: 'https', hostname: '127.0.0.1', port: s.httpsPort, prefix: '/p', impl: 'x', domains: {} },
  { credentials: { caFile: tls.caPem }, concurrency: 8 },
);
const d = Buffer.alloc(4096, 1);
const src = tempDir('src');
writeFileSync(`${src}/f`, d);
const limit = pLimit(8);
for (const kind of ['buffer', 'file']) {
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      limit(() =>
        a.write(`${kind}/f${i}.bin`, kind === 'buffer' ? Readable.from([d]) : createReadStream(`${src}/f`), {
          size: d.length,
          computeMd5: true,
        }),
      ),
    ),
  );
  console.log(kind, (200 / ((performance.now() - t0) / 1000)).toFixed(1), 'files/s');
}
await a.close();
await s.stop();
