/** CLI failures and how they map to exit codes (0 success, 1 failure, 2 usage error). */
import { ClientConfigError, RucioClientError } from '@oxbow/client';
import { CommanderError } from 'commander';

/** The command line was wrong (bad argument, missing setting): exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A command already reported its failure itself and only needs this exit code. */
export class CliExit extends Error {
  constructor(readonly code: number) {
    super('');
    this.name = 'CliExit';
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Exit code and one-line reason for an error raised while running a command. */
export function describeFailure(e: unknown): { code: number; message: string } {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0)
      return { code: EXIT_OK, message: '' };
    // Commander has already printed its own one-line reason.
    return { code: EXIT_USAGE, message: '' };
  }
  if (e instanceof CliExit) return { code: e.code, message: '' };
  if (e instanceof UsageError || e instanceof ClientConfigError)
    return { code: EXIT_USAGE, message: e.message };
  if (e instanceof RucioClientError)
    return { code: EXIT_FAILURE, message: `${e.exceptionClass}: ${e.message}` };
  const err = e as { name?: string; message?: string };
  // Errors of the shared Rucio helpers (bad DID, bad filter syntax) are the user's input: usage errors.
  if (
    err?.name &&
    /^(DIDFilterSyntaxError|DuplicateCriteriaInDIDFilter|InvalidObject|RucioException)$/.test(err.name)
  )
    return { code: EXIT_USAGE, message: `${err.name}: ${err.message}` };
  return { code: EXIT_FAILURE, message: err?.message ?? String(e) };
}
