// The HTTP pool survives answers that close their connection while a slow consumer holds the body
// back (undici < 8 crashed the process there: nodejs/undici#5360). The peer is a raw socket because
// no real server can be told to close at exactly these moments; the real servers' side of it is the
// conformance suite's slow-reader case.
import { createServer, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import t from 'tap';
import { request } from 'undici';
import { createHttpAgent } from '../src/http.js';
import { randomBuffer } from './data.js';

const BODY = randomBuffer(3 * 1024 * 1024 + 5, 4);

/** A peer answering every request with `Connection: close`, then FIN; `cut` bytes of the body withheld. */
async function closingPeer(cut: number, closeHeader = true) {
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.once('data', () => {
      sock.write(
        `HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\n${closeHeader ? 'Connection: close\r\n' : ''}\r\n`,
      );
      sock.end(BODY.subarray(0, BODY.length - cut));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/f`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Reads a body slowly, after letting it sit unread (so undici pauses it). */
async function readSlowly(body: NodeJS.ReadableStream): Promise<Buffer> {
  // An error while it sits unread is kept by the stream and reported by pipeline() below.
  body.on('error', () => undefined);
  await new Promise((r) => setTimeout(r, 300));
  const parts: Buffer[] = [];
  await pipeline(
    body,
    new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _e, cb) {
        parts.push(chunk);
        setTimeout(cb, 1);
      },
    }),
  );
  return Buffer.concat(parts);
}

for (const closeHeader of [true, false])
  t.test(`complete answer, slow reader (${closeHeader ? 'Connection: close' : 'FIN only'})`, async (t) => {
    const peer = await closingPeer(0, closeHeader);
    const agent = createHttpAgent({ timeoutMs: 10_000, connections: 2 });
    t.teardown(async () => {
      await agent.close();
      await peer.close();
    });
    for (let i = 0; i < 3; i++) {
      const res = await request(peer.url, { dispatcher: agent });
      t.equal(res.statusCode, 200);
      if (closeHeader) t.ok((await readSlowly(res.body)).equals(BODY), `read ${i}: every byte`);
      else {
        // A keep-alive answer cut by FIN is an error undici reports; it must just not crash.
        const got = await readSlowly(res.body).catch((e: Error) => e);
        t.ok(got instanceof Error || got.equals(BODY), `read ${i}: bytes or a clean error`);
      }
    }
  });

t.test('truncated closing answer, slow reader: an error, not a crash', async (t) => {
  const peer = await closingPeer(100_000);
  const agent = createHttpAgent({ timeoutMs: 10_000, connections: 2 });
  t.teardown(async () => {
    await agent.close();
    await peer.close();
  });
  for (let i = 0; i < 3; i++) {
    const res = await request(peer.url, { dispatcher: agent });
    const got = await readSlowly(res.body).catch((e: Error) => e);
    t.ok(got instanceof Error, `read ${i}: rejected (${got instanceof Error ? got.message : got.length})`);
  }
});
