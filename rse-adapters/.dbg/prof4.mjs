import { readFileSync } from 'node:fs';
import pLimit from 'p-limit';
import { Agent, request } from 'undici';
import { makeTestTls, startNginx, tempDir } from '../dist/test/servers.js';

const tls = makeTestTls(tempDir('pki'));
const s = await startNginx(tls);
const ag = new Agent({ connections: 8, connect: { ca: readFileSync(tls.caPem) } });
const base = `https://127.0.0.1:${s.httpsPort}`;
const d = Buffer.alloc(4096, 1);
const limit = pLimit(8);
const tm = { put: 0, head: 0, move: 0 };
const t0 = performance.now();
await Promise.all(
  Array.from({ length: 200 }, (_, i) =>
    limit(async () => {
      let t = performance.now();
      let r = await request(`${base}/q/.f${i}.tmp`, { method: 'PUT', body: d, dispatcher: ag });
      await r.body.dump();
      tm.put += performance.now() - t;
      t = performance.now();
      r = await request(`${base}/q/.f${i}.tmp`, { method: 'HEAD', dispatcher: ag });
      await r.body.dump();
      tm.head += performance.now() - t;
      t = performance.now();
      r = await request(`${base}/q/.f${i}.tmp`, {
        method: 'MOVE',
        headers: { Destination: `${base}/q/f${i}.bin` },
        dispatcher: ag,
      });
      await r.body.dump();
      tm.move += performance.now() - t;
    }),
  ),
);
console.log((200 / ((performance.now() - t0) / 1000)).toFixed(1), 'files/s', JSON.stringify(tm));
await ag.close();
await s.stop();
