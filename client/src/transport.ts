/**
 * HTTP transport shared by every resource module: one undici Pool per server, token handling
 * (cache, renewal before expiry and on 401), retries with exponential backoff for idempotent calls,
 * Rucio error mapping, JSON and JSON-lines bodies.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { Pool } from 'undici';
import { type AuthMethod, type RawResponse, type TokenGrant, tokenKey } from './auth.js';
import { errorFromResponse, RucioClientError } from './errors.js';
import { parseJsonLines } from './json-lines.js';
import { layeredTokenCache, memoryTokenCache, type TokenCache } from './token-cache.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';
type QueryValue = string | number | boolean | undefined | null;

/** One call to the server. */
export interface CallOptions {
  method: HttpMethod;
  /** Path under the base URL, already percent-encoded, starting with `/`. */
  path: string;
  /** Query parameters, or a ready query string (without `?`). */
  query?: Record<string, QueryValue | QueryValue[]> | string;
  /** JSON body (serialized here). */
  body?: unknown;
  headers?: Record<string, string>;
  accept?: string;
  /** Safe to repeat after a failure; defaults to true for GET/PUT/DELETE. */
  idempotent?: boolean;
  /** Send the token (default true). */
  auth?: boolean;
}

/** What happened inside the transport, for diagnostics and tests. */
export type TransportEvent =
  | { type: 'login'; account?: string }
  | { type: 'renew'; reason: 'expiring' | 'rejected' }
  | { type: 'retry'; attempt: number; delayMs: number; reason: string };

/** Transport settings. */
export interface TransportOptions {
  url: string;
  auth?: AuthMethod;
  account?: string;
  vo?: string;
  tokenCache?: TokenCache;
  /** Retries after the first attempt (default 4). */
  retries?: number;
  /** First backoff delay in ms (default 250, doubled each retry as Rucio does). */
  retryBaseMs?: number;
  /** Longest single backoff delay in ms (default 10 s). */
  retryMaxMs?: number;
  /** Headers and body inactivity timeout in ms (default 120 s). */
  timeoutMs?: number;
  /** Renew a token this long before it expires (default 60 s). */
  renewBeforeMs?: number;
  /** Concurrent connections to the server (default 16). */
  connections?: number;
  /** CA certificates for https. */
  ca?: string | Buffer | Array<string | Buffer>;
  onEvent?: (e: TransportEvent) => void;
}

/** A successful response whose body has not been read yet. */
export interface OpenResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

// Errors raised before a request reached the server: retrying is safe even for POST.
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);
// Errors after which the server may or may not have acted: retried for idempotent calls only.
const MAYBE_SENT = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

function errCode(e: unknown): string | undefined {
  const err = e as { code?: string; cause?: { code?: string } };
  return err?.code ?? err?.cause?.code;
}

function header(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function queryString(q: CallOptions['query']): string {
  if (q === undefined) return '';
  if (typeof q === 'string') return q;
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    for (const item of Array.isArray(v) ? v : [v]) {
      if (item !== undefined && item !== null) p.append(k, String(item));
    }
  }
  return p.toString();
}

/** The transport of one client. */
export class Transport {
  readonly baseUrl: URL;
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly cache: TokenCache;
  private loginInFlight?: Promise<TokenGrant>;
  private readonly opts: Required<
    Pick<TransportOptions, 'retries' | 'retryBaseMs' | 'retryMaxMs' | 'timeoutMs' | 'renewBeforeMs'>
  >;
  /** Account the token acts for: the configured one, or the default one the server chose. */
  account?: string;

  constructor(private readonly o: TransportOptions) {
    this.baseUrl = new URL(o.url);
    this.basePath = this.baseUrl.pathname.replace(/\/+$/, '');
    this.account = o.account;
    // A bearer token already lives in its own file: keep it in memory only (see AuthMethod.persistTokens).
    this.cache = o.auth?.persistTokens === false ? memoryTokenCache() : (o.tokenCache ?? layeredTokenCache());
    this.opts = {
      retries: o.retries ?? 4,
      retryBaseMs: o.retryBaseMs ?? 250,
      retryMaxMs: o.retryMaxMs ?? 10_000,
      timeoutMs: o.timeoutMs ?? 120_000,
      renewBeforeMs: o.renewBeforeMs ?? 60_000,
    };
    const tls = { ...(o.ca ? { ca: o.ca } : {}), ...(o.auth?.tls ?? {}) };
    this.pool = new Pool(this.baseUrl.origin, {
      connections: o.connections ?? 16,
      headersTimeout: this.opts.timeoutMs,
      bodyTimeout: this.opts.timeoutMs,
      ...(Object.keys(tls).length ? { connect: tls } : {}),
    });
  }

  private get tokenKey(): string {
    return tokenKey(this.baseUrl.href, this.o.vo, this.o.account, this.o.auth!);
  }

  /** Returns a valid token, logging in (once, shared by concurrent callers) when none is cached or it expires soon. */
  async token(): Promise<TokenGrant> {
    if (!this.o.auth) throw new RucioClientError('CannotAuthenticate', 0, 'this client has no credentials');
    const cached = this.cache.get(this.tokenKey);
    if (cached && cached.expiresAt - Date.now() > this.opts.renewBeforeMs) {
      if (!this.account && cached.account) this.account = cached.account;
      return cached;
    }
    if (cached) this.o.onEvent?.({ type: 'renew', reason: 'expiring' });
    this.loginInFlight ??= this.login().finally(() => {
      this.loginInFlight = undefined;
    });
    return this.loginInFlight;
  }

  /** Forgets the cached token (e.g. after a logout or when the caller knows it was revoked). */
  forgetToken(): void {
    if (this.o.auth) this.cache.delete(this.tokenKey);
  }

  private async login(): Promise<TokenGrant> {
    const auth = this.o.auth!;
    const grant = await auth.authenticate((path, headers) => this.rawGet(path, headers), this.o.account);
    this.cache.set(this.tokenKey, grant);
    if (grant.account) this.account = grant.account;
    this.o.onEvent?.({ type: 'login', account: grant.account });
    return grant;
  }

  /** Unauthenticated GET read to the end, with retries; used by auth methods. */
  async rawGet(path: string, headers: Record<string, string>): Promise<RawResponse> {
    const res = await this.request({ method: 'GET', path, headers, auth: false, accept: '*/*' }, true);
    return { status: res.status, headers: res.headers, body: await res.body.text() };
  }

  private backoffDelay(attempt: number, retryAfter?: string): number {
    const ra = retryAfter ? Number(retryAfter) : Number.NaN;
    if (Number.isFinite(ra) && ra >= 0) return Math.min(ra * 1000, this.opts.retryMaxMs);
    const exp = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** attempt);
    // Jitter spreads the retries of many clients hitting one restarting server.
    return Math.round(exp * (0.5 + Math.random() * 0.5));
  }

  /**
   * Sends a call and returns the open response of a 2xx answer (the caller reads the body).
   * Errors become RucioClientError. With `allowAnyStatus` non-2xx answers are returned as well.
   */
  async request(call: CallOptions, allowAnyStatus = false): Promise<OpenResponse> {
    const idempotent = call.idempotent ?? call.method !== 'POST';
    const useAuth = call.auth ?? true;
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const qs = queryString(call.query);
    let path = `${this.basePath}${call.path}${qs ? `?${qs}` : ''}`;
    let method: HttpMethod = call.method;
    const what = () => `${method} ${path.split('?')[0]}`;
    let attempt = 0;
    let renewed = false;
    let redirects = 0;
    for (;;) {
      const headers: Record<string, string> = { 'User-Agent': 'oxbow-client', ...call.headers };
      if (call.accept) headers.Accept = call.accept;
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      if (this.o.vo) headers['X-Rucio-VO'] = this.o.vo;
      let usedToken: string | undefined;
      if (useAuth) {
        usedToken = (await this.token()).token;
        headers['X-Rucio-Auth-Token'] = usedToken;
        // A JWT names an identity, not an account: the server picks the account from this header (as Rucio's client sends it).
        if (this.o.account) headers['X-Rucio-Account'] = this.o.account;
      }
      let res: Dispatcher.ResponseData;
      try {
        res = await this.pool.request({ method, path, headers, body });
      } catch (e) {
        const code = errCode(e);
        const retriable = (code && NOT_SENT.has(code)) || (idempotent && code && MAYBE_SENT.has(code));
        if (retriable && attempt < this.opts.retries) {
          const delayMs = this.backoffDelay(attempt);
          this.o.onEvent?.({ type: 'retry', attempt: attempt + 1, delayMs, reason: code! });
          attempt++;
          await sleep(delayMs);
          continue;
        }
        throw new RucioClientError(
          'ConnectionError',
          0,
          `cannot reach ${this.baseUrl.origin} (${what()}): ${(e as Error).message}${code ? ` [${code}]` : ''}${attempt ? ` after ${attempt + 1} attempts` : ''}`,
          what(),
          e,
        );
      }
      const status = res.statusCode;
      const h = res.headers;
      if (status === 401 && useAuth && !renewed && header(h, 'exceptionclass') !== 'AccessDenied') {
        // The token was revoked or expired early: get a new one once and repeat the call.
        await res.body.dump();
        renewed = true;
        const cached = this.cache.get(this.tokenKey);
        if (cached?.token === usedToken) this.cache.delete(this.tokenKey);
        this.o.onEvent?.({ type: 'renew', reason: 'rejected' });
        continue;
      }
      if (status >= 500 && idempotent && attempt < this.opts.retries) {
        await res.body.dump();
        const delayMs = this.backoffDelay(attempt, header(h, 'retry-after'));
        this.o.onEvent?.({ type: 'retry', attempt: attempt + 1, delayMs, reason: `HTTP ${status}` });
        attempt++;
        await sleep(delayMs);
        continue;
      }
      if ([301, 302, 303, 307, 308].includes(status) && redirects < 5 && header(h, 'location')) {
        await res.body.dump();
        const next = new URL(header(h, 'location')!, new URL(path, this.baseUrl.origin));
        if (next.origin !== this.baseUrl.origin)
          throw new RucioClientError(
            'ProtocolError',
            status,
            `${what()} redirects to another server (${next})`,
          );
        path = next.pathname + next.search;
        if (status === 303) method = 'GET';
        redirects++;
        continue;
      }
      if (status >= 200 && status < 300) return { status, headers: h, body: res.body };
      if (allowAnyStatus) return { status, headers: h, body: res.body };
      const text = await res.body.text().catch(() => '');
      throw errorFromResponse(status, h, text, what());
    }
  }

  /** A call whose answer is one JSON document. */
  async json<T>(call: CallOptions): Promise<T> {
    const res = await this.request({ accept: 'application/json', ...call });
    const text = await res.body.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new RucioClientError(
        'ProtocolError',
        res.status,
        `${call.method} ${call.path} answered something that is not JSON: ${text.slice(0, 200)}`,
      );
    }
  }

  /** A call whose answer is not needed (201 Created, 200 empty); returns the status. */
  async send(call: CallOptions): Promise<number> {
    const res = await this.request(call);
    await res.body.dump();
    return res.status;
  }

  /** A list call: JSON lines streamed as they arrive, or (for servers that answer a JSON array) its items. */
  async *list<T>(call: CallOptions): AsyncGenerator<T> {
    const res = await this.request({ accept: 'application/x-json-stream, application/json;q=0.5', ...call });
    const type = String(header(res.headers, 'content-type') ?? '');
    try {
      if (type.startsWith('application/json')) {
        const text = await res.body.text();
        const value = text.trim() === '' ? [] : (JSON.parse(text) as unknown);
        if (Array.isArray(value)) yield* value as T[];
        else yield value as T;
        return;
      }
      yield* parseJsonLines<T>(res.body, `${call.method} ${call.path}`);
    } finally {
      // A consumer that stops early must not leave the connection half-read.
      if (!res.body.destroyed) res.body.destroy();
    }
  }

  /** Closes the connections. */
  async close(): Promise<void> {
    await this.pool.close();
  }
}
