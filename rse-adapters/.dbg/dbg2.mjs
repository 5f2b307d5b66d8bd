import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';

const ag = new Agent({ connect: { ca: readFileSync('/tmp/rsex/tls/ca.pem') } });
const d = Buffer.alloc(100000, 7);
async function* delayed() {
  await new Promise((r) => setTimeout(r, 30));
  yield d;
}
let r = await request('https://127.0.0.1:31443/rw/dbg/w3.bin', {
  method: 'PUT',
  body: Readable.from(delayed()),
  headers: { 'Content-Length': String(d.length) },
  dispatcher: ag,
});
console.log('PUT delayed', r.statusCode, await r.body.text());
r = await request('http://127.0.0.1:31443/rw/dbg/h3.bin', {
  method: 'PUT',
  body: d,
  headers: { 'Content-Length': String(d.length) },
});
console.log('PUT http', r.statusCode, await r.body.text());
await ag.close();
