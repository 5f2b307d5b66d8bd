import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';

const ag = new Agent({ connect: { ca: readFileSync('/tmp/rsex/tls/ca.pem') } });
for (const r of ['bytes=1000-5999', 'bytes=0-9', 'bytes=99990-99999']) {
  try {
    const res = await request('https://127.0.0.1:31443/rw/dbg/r.bin', {
      headers: { Range: r },
      reset: true,
      dispatcher: ag,
    });
    let n = 0;
    for await (const c of res.body) n += c.length;
    console.log(r, res.statusCode, res.headers['content-length'], res.headers['content-range'], 'got', n);
  } catch (e) {
    console.log(r, 'ERR', e.code, e.message);
  }
}
await ag.close();
