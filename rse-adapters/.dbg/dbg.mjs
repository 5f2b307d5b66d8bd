import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { adler32, createAdapter } from '/work/main/rse-adapters/dist/src/index.js';

const a = createAdapter(
  {
    scheme: 'davs',
    hostname: '127.0.0.1',
    port: 31443,
    prefix: '/rw',
    impl: 'rucio.rse.protocols.webdav.Default',
    domains: {},
  },
  { credentials: { caDir: '/tmp/rsex/cadir' } },
);
const d = Buffer.alloc(1000, 7);
try {
  console.log(await a.write('dbg/x.bin', Readable.from([d]), { size: d.length, adler32: adler32(d) }));
} catch (e) {
  console.log('ERR', e.message);
}
const ag = new Agent({ connect: { ca: readFileSync('/tmp/rsex/tls/ca.pem') } });
let r = await request('https://127.0.0.1:31443/rw/dbg/y.bin', {
  method: 'PUT',
  body: d,
  headers: { 'content-length': '1000' },
  dispatcher: ag,
});
console.log('PUT buf', r.statusCode, await r.body.text());
r = await request('https://127.0.0.1:31443/rw/dbg/z.bin', {
  method: 'PUT',
  body: Readable.from([d]),
  headers: { 'content-length': '1000' },
  dispatcher: ag,
});
console.log('PUT stream', r.statusCode, await r.body.text());
r = await request('https://127.0.0.1:31443/rw/dbg/y.bin', {
  method: 'MOVE',
  headers: { destination: 'https://127.0.0.1:31443/rw/dbg/y2.bin', overwrite: 'T' },
  dispatcher: ag,
});
console.log('MOVE', r.statusCode, await r.body.text());
r = await request('https://127.0.0.1:31443/rw/dbg/z.bin', {
  method: 'MOVE',
  headers: { Destination: 'https://127.0.0.1:31443/rw/dbg/z2.bin' },
  dispatcher: ag,
});
console.log('MOVE2', r.statusCode, await r.body.text());
await a.close();
await ag.close();
