import { request } from 'undici';
import { createHttpAgent } from '../dist/src/http.js';
import { makeTestTls, startXrootd, tempDir } from '../dist/test/servers.js';

const tls = makeTestTls(tempDir('pki'));
const s = await startXrootd({ tls });
const ag = createHttpAgent({ credentials: { caFile: tls.caPem }, timeoutMs: 30000, connections: 8 });
const base = `https://127.0.0.1:${s.httpPort}`;
const d = Buffer.alloc(4096, 1);
const tm = { put: 0, head: 0, headDigest: 0, propfind: 0, move: 0 };
let r = await request(`${base}/q/warm`, { method: 'PUT', body: d, dispatcher: ag });
await r.body.dump();
for (let i = 0; i < 20; i++) {
  let t = performance.now();
  r = await request(`${base}/q/.f${i}.tmp`, { method: 'PUT', body: d, dispatcher: ag });
  await r.body.dump();
  tm.put += performance.now() - t;
  t = performance.now();
  r = await request(`${base}/q/.f${i}.tmp`, { method: 'HEAD', dispatcher: ag });
  await r.body.dump();
  tm.head += performance.now() - t;
  t = performance.now();
  r = await request(`${base}/q/.f${i}.tmp`, {
    method: 'HEAD',
    headers: { 'Want-Digest': 'adler32' },
    dispatcher: ag,
  });
  await r.body.dump();
  tm.headDigest += performance.now() - t;
  t = performance.now();
  r = await request(`${base}/q/.f${i}.tmp`, { method: 'PROPFIND', headers: { Depth: '0' }, dispatcher: ag });
  await r.body.dump();
  tm.propfind += performance.now() - t;
  t = performance.now();
  r = await request(`${base}/q/.f${i}.tmp`, {
    method: 'MOVE',
    headers: { Destination: `${base}/q/f${i}.bin` },
    dispatcher: ag,
  });
  await r.body.dump();
  tm.move += performance.now() - t;
}
for (const k in tm) tm[k] = (tm[k] / 20).toFixed(1);
console.log(JSON.stringify(tm));
await ag.close();
await s.stop();
