import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { Agent, buildConnector, type Dispatcher } from 'undici';
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
  });
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
