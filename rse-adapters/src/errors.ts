/** Why a storage operation failed. */
export type StorageErrorCode =
  | 'NOT_FOUND'
  | 'PERMISSION_DENIED'
  | 'ALREADY_EXISTS'
  | 'CHECKSUM_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'PATH_ESCAPE'
  | 'INVALID_ARGUMENT'
  | 'UNSUPPORTED'
  | 'TIMEOUT'
  | 'CONNECTION'
  | 'SERVER_ERROR'
  | 'PROTOCOL_ERROR'
  | 'ABORTED';

/** Codes worth retrying (possibly on another replica): the storage may answer differently next time. */
const RETRYABLE: ReadonlySet<StorageErrorCode> = new Set(['TIMEOUT', 'CONNECTION', 'SERVER_ERROR']);

/** Details attached to a StorageError. */
export interface StorageErrorDetails {
  /** The server's own words (HTTP body, xrdfs message, errno text), kept verbatim. */
  serverMessage?: string;
  /** HTTP status or tool exit code. */
  status?: number;
  /** PFN or path the operation was about. */
  target?: string;
  cause?: unknown;
  /** Override the default classification of the code. */
  retryable?: boolean;
}

/** The one error type every adapter throws; `retryable` tells callers whether trying again can help. */
export class StorageError extends Error {
  readonly code: StorageErrorCode;
  readonly retryable: boolean;
  readonly serverMessage?: string;
  readonly status?: number;
  readonly target?: string;

  constructor(code: StorageErrorCode, message: string, details: StorageErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'StorageError';
    this.code = code;
    this.retryable = details.retryable ?? RETRYABLE.has(code);
    this.serverMessage = details.serverMessage;
    this.status = details.status;
    this.target = details.target;
  }
}

/** True for a StorageError (optionally of one code). */
export function isStorageError(err: unknown, code?: StorageErrorCode): err is StorageError {
  return err instanceof StorageError && (code === undefined || err.code === code);
}

/** Classifies an HTTP status: 404 not found, 401/403 denied, 408/429/5xx retryable, other 4xx permanent. */
export function errorFromHttpStatus(
  status: number,
  what: string,
  target: string,
  serverMessage?: string,
): StorageError {
  const msg = `${what} ${target}: HTTP ${status}${serverMessage ? `: ${serverMessage}` : ''}`;
  const d = { status, target, serverMessage };
  if (status === 404 || status === 410) return new StorageError('NOT_FOUND', msg, d);
  if (status === 401 || status === 403) return new StorageError('PERMISSION_DENIED', msg, d);
  if (status === 412) return new StorageError('ALREADY_EXISTS', msg, d);
  if (status === 408) return new StorageError('TIMEOUT', msg, d);
  if (status === 429 || status >= 500) return new StorageError('SERVER_ERROR', msg, d);
  return new StorageError('PROTOCOL_ERROR', msg, d);
}

const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const TIMEOUT_ERRNOS = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** Walks `cause` chains to find a Node/undici error code. */
function errnoOf(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Turns anything thrown by Node, undici or a child process into a StorageError
 * (StorageErrors pass through unchanged).
 */
export function toStorageError(err: unknown, what: string, target: string): StorageError {
  if (err instanceof StorageError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const name = err instanceof Error ? err.name : '';
  const code = errnoOf(err);
  const d = { target, serverMessage: message, cause: err };
  if (name === 'AbortError' || code === 'ABORT_ERR' || code === 'UND_ERR_ABORTED')
    return new StorageError('ABORTED', `${what} ${target}: aborted`, d);
  if (code && TIMEOUT_ERRNOS.has(code))
    return new StorageError('TIMEOUT', `${what} ${target}: timed out (${code})`, d);
  if (code && CONNECTION_ERRNOS.has(code))
    return new StorageError('CONNECTION', `${what} ${target}: ${code} ${message}`, d);
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return new StorageError('NOT_FOUND', `${what} ${target}: ${message}`, d);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return new StorageError('PERMISSION_DENIED', `${what} ${target}: ${message}`, d);
  if (code === 'EEXIST' || code === 'ENOTEMPTY')
    return new StorageError('ALREADY_EXISTS', `${what} ${target}: ${message}`, d);
  if (code === 'ENOSPC' || code === 'EIO' || code === 'EMFILE' || code === 'ENFILE')
    return new StorageError('SERVER_ERROR', `${what} ${target}: ${message}`, d);
  return new StorageError('PROTOCOL_ERROR', `${what} ${target}: ${message}`, d);
}

/** Throws ABORTED when the signal has fired (checked between steps of multi-step operations). */
export function throwIfAborted(signal: AbortSignal | undefined, target: string): void {
  if (signal?.aborted)
    throw new StorageError('ABORTED', `aborted: ${target}`, { target, cause: signal.reason });
}
