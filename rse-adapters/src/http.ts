import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher } from 'undici';
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
 * undici pool with the grid's TLS set-up: servers verified against the CA dir (plus the public
 * roots), an X509 client certificate or proxy presented when given, and connect/headers timeouts
 * so that a dead endpoint fails fast. Bodies get no idle timeout beyond timeoutMs.
 */
export function createHttpAgent(opts: HttpAgentOptions): Dispatcher {
  const c = opts.credentials ?? {};
  const cas = loadCaCertificates(c.caDir, c.caFile);
  const cert = c.x509Cert ? readFileSync(c.x509Cert, 'utf8') : undefined;
  const key = c.x509Cert ? readFileSync(c.x509Key ?? c.x509Cert, 'utf8') : undefined;
  return new Agent({
    connections: opts.connections,
    connectTimeout: opts.timeoutMs,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    keepAliveTimeout: 10_000,
    connect: {
      ca: cas.length ? [...rootCertificates, ...cas] : undefined,
      cert,
      key,
      // Grid hosts are verified by name like any HTTPS host.
      rejectUnauthorized: true,
    },
  });
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
