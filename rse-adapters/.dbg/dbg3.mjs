import { createServer } from 'node:net';
import { request } from 'undici';

const srv = createServer((s) => {
  let buf = Buffer.alloc(0);
  s.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    if (buf.length > 150) {
      console.log(JSON.stringify(buf.subarray(0, 200).toString('latin1')));
      s.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    }
  });
});
srv.listen(31999, async () => {
  const r = await request('http://127.0.0.1:31999/x', {
    method: 'PUT',
    body: Buffer.alloc(1000, 65),
    headers: { 'Content-Length': '1000' },
  });
  console.log(r.statusCode);
  await r.body.dump();
  srv.close();
  process.exit(0);
});
