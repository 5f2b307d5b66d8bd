/** Errors of uploads and downloads that are not a single file's failure. */

/** The request itself is wrong (missing local file, bad DID, two files with one name): nothing was done. */
export class TransferInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransferInputError';
  }
}

/** The transfer could not start (RSE not writable, no usable protocol, closed dataset). */
export class TransferSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransferSetupError';
  }
}

/** Short text of any error for summaries: class/code and message on one line. */
export function describeError(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; exceptionClass?: unknown; name?: string; message?: string };
  const code =
    typeof e?.exceptionClass === 'string'
      ? e.exceptionClass
      : typeof e?.code === 'string'
        ? e.code
        : (e?.name ?? 'Error');
  const message = (e?.message ?? String(err)).replace(/\s*\n\s*/g, ' ');
  return { code, message };
}
