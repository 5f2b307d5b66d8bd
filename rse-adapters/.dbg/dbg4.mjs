import { connect } from 'node:net';

function put(name, hdr) {
  return new Promise((res) => {
    const s = connect(31443, '127.0.0.1', () => {
      s.write(
        `PUT /rw/dbg/${name} HTTP/1.1\r\nHost: 127.0.0.1:31443\r\n${hdr}: 1000\r\n\r\n` + 'A'.repeat(1000),
      );
    });
    let out = '';
    s.on('data', (d) => {
      out += d;
      if (out.includes(':-)') || out.includes('\r\n\r\n')) {
        s.end();
      }
    });
    s.on('close', () => res(out.split('\r\n')[0]));
  });
}
console.log(await put('lc.bin', 'content-length'));
console.log(await put('uc.bin', 'Content-Length'));
