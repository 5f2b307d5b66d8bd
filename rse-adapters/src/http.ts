import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { Agent, buildConnector, DecoratorHandler, type Dispatcher } from 'undici';
import type { Credentials } from './types.js';

/** PEM certificates of a hashed CA directory (X509_CERT_DIR) plus an optional bundle file. */
export function loadCaCertificates(caDir?: string, caFile?: string): string[] {
  const out: string[] = [];
  if (caDir) {
    for (const name of readdirSync(caDir)) {
      // Hashed links (abcd1234.0) and *.pem both hold one CA; reading both yields duplicates, harmless.
      if (!/\.(\d+|pem|crt)$/.test(name)) continue;
      const p = join(caDir, name);
      try {
        if (statSync(p).isFile()) {
          const text = readFileSync(p, 'utf8');
          if (text.includes('BEGIN CERTIFICATE')) out.push(text);
        }
      } catch {
        // A dangling link in a CA dir is common and not fatal.
      }
    }
  }
  if (caFile) out.push(readFileSync(caFile, 'utf8'));
  return out;
}

/** Options for an HTTP(S) connection pool. */
export interface HttpAgentOptions {
  credentials?: Credentials;
  timeoutMs: number;
  connections: number;
}

/**
 * undici pool with the grid's TLS set-up: servers verified against the CA dir/file when given
 * (Node's public roots otherwise), an X509 client certificate or proxy presented when given, and
 * connect/headers/body timeouts so that a dead endpoint fails fast.
 */
export function createHttpAgent(opts: HttpAgentOptions): Dispatcher {
  const c = opts.credentials ?? {};
  const cas = loadCaCertificates(c.caDir, c.caFile);
  const cert = c.x509Cert ? readFileSync(c.x509Cert, 'utf8') : undefined;
  const key = c.x509Cert ? readFileSync(c.x509Key ?? c.x509Cert, 'utf8') : undefined;
  const base = buildConnector({
    // A grid CA dir is the whole trust store (as for gfal/davix): the public roots are not added.
    ca: cas.length ? cas : undefined,
    cert,
    key,
    // Grid hosts are verified by name like any HTTPS host.
    rejectUnauthorized: true,
    timeout: opts.timeoutMs,
  });
  return new Agent({
    connections: opts.connections,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    keepAliveTimeout: 10_000,
    connect: (options, callback) =>
      base(options, (err, socket) => {
        if (socket) canonicalHeaderCase(socket as Socket);
        // The union type of the callback does not narrow; the two cases are passed on unchanged.
        if (err) callback(err, null);
        else callback(null, socket!);
      }),
  }).compose((dispatch) => (options, handler) => dispatch(options, new NoPauseWhereUndiciCrashes(handler)));
}

/** undici's DecoratorHandler as it is at run time (its typings omit the forwarding methods). */
type ForwardingHandler = new (
  handler: Dispatcher.DispatchHandlers,
) => {
  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean;
  onData(chunk: Buffer): boolean;
};

/** Responses that close their connection are buffered whole (never paused) up to this size. */
const CLOSE_BUFFER_MAX = 16 * 1024 * 1024;

/**
 * Works around undici < 8 (nodejs/undici#5360; fixed only in undici 8, which needs Node 22): when a
 * response body is paused by backpressure and the server then closes the connection, undici throws
 * an uncatchable AssertionError from the socket's 'end' handler and the process dies. That happens
 * with a slow consumer when the answer says `Connection: close` (our ranged reads, a server's last
 * request on a connection, a server dying mid-body). So the body is never paused on its last chunk,
 * and a closing answer of known, bounded size is not paused at all (the bytes are in flight anyway).
 */
class NoPauseWhereUndiciCrashes extends (DecoratorHandler as unknown as ForwardingHandler) {
  private left = -1;
  private noPause = false;

  override onHeaders(
    statusCode: number,
    rawHeaders: Buffer[],
    resume: () => void,
    statusText: string,
  ): boolean {
    let closing = false;
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = rawHeaders[i].toString('latin1').toLowerCase();
      if (name === 'content-length') this.left = Number(rawHeaders[i + 1].toString('latin1'));
      else if (name === 'connection') closing = /\bclose\b/i.test(rawHeaders[i + 1].toString('latin1'));
    }
    if (!Number.isSafeInteger(this.left)) this.left = -1;
    this.noPause = closing && this.left >= 0 && this.left <= CLOSE_BUFFER_MAX;
    return super.onHeaders(statusCode, rawHeaders, resume, statusText);
  }

  override onData(chunk: Buffer): boolean {
    const more = super.onData(chunk);
    if (this.left >= 0) {
      this.left -= chunk.length;
      if (this.left <= 0) return true;
    }
    return this.noPause || more;
  }
}

const REQUEST_HEAD = /^[A-Z]+ \S+ HTTP\/1\.1\r\n/;
const GENERATED = /\r\n(host|content-length|transfer-encoding): /g;
const CANONICAL: Record<string, string> = {
  host: 'Host',
  'content-length': 'Content-Length',
  'transfer-encoding': 'Transfer-Encoding',
};

/**
 * undici writes the headers it generates itself (host, content-length, transfer-encoding) in lower
 * case. Header names are case-insensitive, but XrdHttp 5.5 matches `Content-Length` exactly and
 * otherwise stores a PUT body as an empty file (answering 200). Rewriting those three names in the
 * request head restores interoperability and is invisible to compliant servers; bodies (Buffers)
 * are never touched.
 */
function canonicalHeaderCase(socket: Socket): void {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk === 'string' && REQUEST_HEAD.test(chunk))
      chunk = chunk.replace(GENERATED, (_m, name: string) => `\r\n${CANONICAL[name]}: `);
    return write(chunk, ...rest);
  }) as Socket['write'];
}

/** Reads at most `limit` bytes of an error body as text (the server's message), discarding the rest. */
export async function readErrorText(
  body: AsyncIterable<Uint8Array> | null | undefined,
  limit = 4096,
): Promise<string> {
  if (!body) return '';
  const parts: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of body) {
      if (n < limit) {
        parts.push(Buffer.from(chunk));
        n += chunk.length;
      }
    }
  } catch {
    // The message is best-effort; the status already classifies the error.
  }
  return Buffer.concat(parts).toString('utf8').slice(0, limit).trim();
}
