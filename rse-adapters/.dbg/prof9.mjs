import { readFileSync } from 'node:fs';
import { Agent, buildConnector, request } from 'undici';
import { createHttpAgent } from '../dist/src/http.js';
import { makeTestTls, startNginx, tempDir } from '../dist/test/servers.js';

const tls = makeTestTls(tempDir('pki'));
const s = await startNginx(tls);
const base = `https://127.0.0.1:${s.httpsPort}`;
const ca = readFileSync(tls.caPem);
let r = await request(`${base}/h.bin`, {
  method: 'PUT',
  body: 'x',
  dispatcher: new Agent({ connect: { ca } }),
});
await r.body.dump();
const bc = buildConnector({ ca });
function patch(socket) {
  const w = socket.write.bind(socket);
  socket.write = (c, ...rest) => w(c, ...rest);
}
const variants = [
  ['wrapped', new Agent({ connect: (o, cb) => bc(o, cb) })],
  [
    'wrapped+patch',
    new Agent({
      connect: (o, cb) =>
        bc(o, (e, s) => {
          if (s) patch(s);
          cb(e, s);
        }),
    }),
  ],
  ['oxbow', createHttpAgent({ credentials: { caFile: tls.caPem }, timeoutMs: 30000, connections: 8 })],
  ['wrapped', new Agent({ connect: (o, cb) => bc(o, cb) })],
];
for (const [name, ag] of variants) {
  for (const m of ['HEAD', 'GET']) {
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) {
      r = await request(`${base}/h.bin`, { method: m, dispatcher: ag });
      await r.body.dump();
    }
    console.log(name.padEnd(15), m, ((performance.now() - t0) / 20).toFixed(1), 'ms');
  }
  await ag.close();
}
await s.stop();
