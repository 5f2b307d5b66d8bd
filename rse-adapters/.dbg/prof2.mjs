import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { makeTestTls, startNginx, tempDir } from '../dist/test/servers.js';

const tls = makeTestTls(tempDir('pki'));
const s = await startNginx(tls);
const ag = new Agent({ connect: { ca: readFileSync(tls.caPem) } });
const u = `https://127.0.0.1:${s.httpsPort}/x.bin`;
let r = await request(u, { method: 'PUT', body: 'hello', dispatcher: ag });
await r.body.dump();
const body =
  '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>';
for (const [m, b] of [
  ['PROPFIND', body],
  ['PROPFIND', undefined],
  ['HEAD', undefined],
  ['PROPFIND', Buffer.from(body)],
]) {
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    r = await request(u, { method: m, body: b, headers: { Depth: '0' }, dispatcher: ag });
    await r.body.dump();
    console.log(m, typeof b, r.statusCode, (performance.now() - t0).toFixed(1));
  }
}
await ag.close();
await s.stop();
