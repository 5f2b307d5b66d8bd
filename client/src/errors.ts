/**
 * Typed client errors. The server answers every failure with Rucio's `ExceptionClass` /
 * `ExceptionMessage` (JSON body and headers); the client maps them back into one error type that
 * keeps the class name, so callers branch on `exceptionClass` or on the helpers below.
 */

/** Exception classes that mean "the thing you asked for does not exist". */
const NOT_FOUND = new Set([
  'AccountNotFound',
  'ScopeNotFound',
  'DataIdentifierNotFound',
  'RSENotFound',
  'RSEProtocolNotSupported',
  'ReplicaNotFound',
  'KeyNotFound',
  'IdentityNotFound',
  'RuleNotFound',
  'CounterNotFound',
  'NotFound',
]);
const DUPLICATE = new Set([
  'Duplicate',
  'DataIdentifierAlreadyExists',
  'FileAlreadyExists',
  'RSEAlreadyExists',
  'AccountAlreadyExists',
  'ScopeAlreadyExists',
]);

/** Any failure of a call to an Oxbow (or Rucio) server. */
export class RucioClientError extends Error {
  /** Rucio exception class (`DataIdentifierNotFound`, …), or `ConnectionError` / `ProtocolError` on the client side. */
  readonly exceptionClass: string;
  /** HTTP status, 0 when no response was received. */
  readonly status: number;
  /** Method and path of the failed request, for messages. */
  readonly request?: string;

  constructor(exceptionClass: string, status: number, message: string, request?: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'RucioClientError';
    this.exceptionClass = exceptionClass;
    this.status = status;
    this.request = request;
  }

  /** The object asked for does not exist (404 or a *NotFound class). */
  get isNotFound(): boolean {
    return NOT_FOUND.has(this.exceptionClass) || (this.status === 404 && !this.isConnection);
  }
  /** The object to create exists already. */
  get isDuplicate(): boolean {
    return DUPLICATE.has(this.exceptionClass) || this.status === 409;
  }
  /** The caller is authenticated but not allowed (Rucio answers 401 AccessDenied). */
  get isAccessDenied(): boolean {
    return this.exceptionClass === 'AccessDenied';
  }
  /** Credentials were refused or the token is invalid. */
  get isAuthFailure(): boolean {
    return this.exceptionClass === 'CannotAuthenticate' || this.exceptionClass === 'IdentityNotFound';
  }
  /** The server could not be reached (no HTTP response). */
  get isConnection(): boolean {
    return this.status === 0;
  }
  /** The request was malformed or a value was invalid. */
  get isInvalid(): boolean {
    return this.status === 400;
  }
}

/** Raised when settings (URL, credentials, auth type) are missing or wrong, before any request. */
export class ClientConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientConfigError';
  }
}

/** Reads `{ExceptionClass, ExceptionMessage}` from a failed response's headers and body. */
export function errorFromResponse(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  request: string,
): RucioClientError {
  let cls = headerValue(headers.exceptionclass);
  let msg = headerValue(headers.exceptionmessage);
  // The body holds the untruncated message (headers are cut at 125 characters).
  try {
    const parsed = JSON.parse(body) as { ExceptionClass?: unknown; ExceptionMessage?: unknown };
    if (typeof parsed.ExceptionClass === 'string') cls = parsed.ExceptionClass;
    if (typeof parsed.ExceptionMessage === 'string') msg = parsed.ExceptionMessage;
  } catch {
    // Not JSON: a proxy or a non-Rucio server answered; keep the header values or the raw text.
  }
  if (!cls) cls = defaultClassFor(status);
  if (!msg) msg = body.trim().slice(0, 500) || `HTTP ${status}`;
  return new RucioClientError(cls, status, msg, request);
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function defaultClassFor(status: number): string {
  if (status === 401) return 'CannotAuthenticate';
  if (status === 404) return 'NotFound';
  if (status === 409) return 'Duplicate';
  if (status === 503) return 'ServiceUnavailable';
  if (status >= 500) return 'RucioException';
  return 'InvalidRequest';
}
