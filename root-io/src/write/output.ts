import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WriteError } from '../errors.js';

/** Where a written or merged file goes: a path, or any Writable (e.g. an HTTP upload body). */
export type OutputTarget = string | Writable;

/** Options for opening an output. */
export interface OutputOptions {
  /** Overwrite an existing path. */
  force?: boolean;
  /** Directory for the temporary file when the target is a stream (default: the OS temp dir). */
  tmpDir?: string;
  /** Name recorded inside the file when the target is a stream. */
  streamName?: string;
  /** Called with the bytes copied so far while a finished file is piped to a stream target. */
  onPipe?: (bytes: number) => void;
}

/** A prepared output: write the file at `tmpPath`, then commit (rename or pipe) or discard. */
export interface PreparedOutput {
  tmpPath: string;
  /** File name recorded in the TFile record. */
  fileName: string;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

/**
 * Prepares an output. A ROOT file's header and directory records are patched once everything else is
 * written, so the file is always built in a seekable temporary file first: next to the target path
 * (then renamed, so no half-written file ever carries the target's name), or in `tmpDir` for a stream
 * target (then piped into the stream with back-pressure, and removed).
 */
export async function prepareOutput(target: OutputTarget, opts: OutputOptions = {}): Promise<PreparedOutput> {
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  if (typeof target === 'string') {
    if (!opts.force && (await exists(target)))
      throw new WriteError(`output ${target} exists (use force / -f to overwrite)`);
    const tmpPath = join(dirname(target), `.${basename(target)}.tmp-${tag}`);
    return {
      tmpPath,
      fileName: basename(target),
      commit: () => rename(tmpPath, target),
      discard: () => rm(tmpPath, { force: true }),
    };
  }
  const fileName = opts.streamName ?? 'output.root';
  const tmpPath = join(opts.tmpDir ?? tmpdir(), `.oxbow-root-${tag}-${fileName}`);
  return {
    tmpPath,
    fileName,
    async commit() {
      try {
        const src = createReadStream(tmpPath, { highWaterMark: 1 << 20 });
        if (opts.onPipe) {
          let n = 0;
          src.on('data', (c) => {
            n += (c as Buffer).length;
            opts.onPipe!(n);
          });
        }
        await pipeline(src, target);
      } finally {
        await rm(tmpPath, { force: true });
      }
    },
    async discard() {
      await rm(tmpPath, { force: true });
      // Destroyed (not ended) so the consumer cannot mistake a truncated stream for a complete file.
      if (!target.destroyed) target.destroy();
    },
  };
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}
