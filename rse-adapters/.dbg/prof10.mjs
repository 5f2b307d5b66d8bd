import { readFileSync } from 'node:fs';
import { Agent, buildConnector, request } from 'undici';
import { makeTestTls, startNginx, startXrootd, tempDir } from '../dist/test/servers.js';

const tls = makeTestTls(tempDir('pki'));
const s = await startNginx(tls);
const x = await startXrootd({ tls });
const ca = readFileSync(tls.caPem);
const bc = buildConnector({ ca });
let n = 0;
const ag = new Agent({
  connect: (o, cb) => {
    n++;
    bc(o, cb);
  },
});
for (const base of [`https://127.0.0.1:${s.httpsPort}`, `https://127.0.0.1:${x.httpPort}`]) {
  let r = await request(`${base}/h.bin`, { method: 'PUT', body: 'x', dispatcher: ag });
  await r.body.dump();
  for (const m of ['HEAD', 'GET', 'PROPFIND', 'MOVE']) {
    n = 0;
    for (let i = 0; i < 10; i++) {
      r = await request(`${base}/h.bin`, {
        method: m,
        headers: m === 'MOVE' ? { Destination: `${base}/h.bin` } : {},
        dispatcher: ag,
      });
      await r.body.dump();
    }
    console.log(
      base.slice(-5),
      m,
      'connections for 10 requests:',
      n,
      r.statusCode,
      JSON.stringify(r.headers.connection),
    );
  }
}
await ag.close();
await s.stop();
await x.stop();
