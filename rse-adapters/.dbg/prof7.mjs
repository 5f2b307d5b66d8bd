import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { createHttpAgent } from '../dist/src/http.js';
import { makeTestTls, startNginx, tempDir } from '../dist/test/servers.js';

const tls = makeTestTls(tempDir('pki'));
const s = await startNginx(tls);
const base = `https://127.0.0.1:${s.httpsPort}`;
let r = await request(`${base}/h.bin`, {
  method: 'PUT',
  body: 'x',
  dispatcher: new Agent({ connect: { ca: readFileSync(tls.caPem) } }),
});
await r.body.dump();
for (const [name, ag] of [
  ['plain', new Agent({ connect: { ca: readFileSync(tls.caPem) } })],
  ['oxbow', createHttpAgent({ credentials: { caFile: tls.caPem }, timeoutMs: 30000, connections: 8 })],
  ['plain2', new Agent({ connect: { ca: readFileSync(tls.caPem) } })],
]) {
  for (const m of ['HEAD', 'GET', 'PROPFIND']) {
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) {
      r = await request(`${base}/h.bin`, { method: m, headers: { Depth: '0' }, dispatcher: ag });
      await r.body.dump();
    }
    console.log(name, m, ((performance.now() - t0) / 20).toFixed(1), 'ms');
  }
  await ag.close();
}
await s.stop();
