/** Test helpers: a real server per test file, clients logged in as root, a fault-injecting proxy. */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { type ClientOptions, createClient, type OxbowClient, type TransportEvent } from '../src/index.js';

export { freePort, startTestServer, TEST_ROOT_PASSWORD, type TestServer } from '@oxbow/server/testing/index';

/** A root client with an event log. */
export function rootClient(
  url: string,
  password: string,
  extra: Partial<ClientOptions> = {},
): { client: OxbowClient; events: TransportEvent[] } {
  const events: TransportEvent[] = [];
  const client = createClient({
    url,
    username: 'root',
    password,
    retryBaseMs: 20,
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return { client, events };
}

/** A reverse proxy in front of a real server that answers the first `failures` requests matching `match` itself. */
export async function flakyProxy(
  target: string,
  opts: { failures: number; status?: number; match?: (req: IncomingMessage) => boolean },
): Promise<{
  url: string;
  seen: { method: string; url: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}> {
  let left = opts.failures;
  const seen: { method: string; url: string; headers: IncomingMessage['headers'] }[] = [];
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (left > 0 && (opts.match?.(req) ?? true)) {
      left--;
      res.writeHead(opts.status ?? 503, {
        ExceptionClass: 'ServiceUnavailable',
        ExceptionMessage: 'injected failure',
        'Retry-After': '0',
      });
      res.end(JSON.stringify({ ExceptionClass: 'ServiceUnavailable', ExceptionMessage: 'injected failure' }));
      return;
    }
    const headers = { ...req.headers };
    delete headers.host;
    delete headers.connection;
    const up = await request(`${target}${req.url}`, {
      method: req.method as 'GET',
      headers,
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(up.headers))
      if (v !== undefined && k !== 'transfer-encoding') out[k] = v;
    res.writeHead(up.statusCode, out);
    for await (const c of up.body) res.write(c);
    res.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
