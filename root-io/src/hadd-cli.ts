import { readFile } from 'node:fs/promises';
import { RootIoError } from './errors.js';
import { merge } from './merge/merge.js';
import type { MergeOptions } from './merge/options.js';

/** Minimal writable streams the CLI prints to. */
export interface HaddIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

const USAGE = `usage: hadd [-f[0-9]*|-fk|-ff] [-k] [-T] [-n N] [-j N] [-v N] target.root source1.root [source2.root ...]
  -f      overwrite the target; -fNNN also sets its compression (algorithm*100+level, e.g. -f404, -f505)
  -fk     overwrite, keep the inputs' compression (baskets copied as they are)
  -ff     overwrite, use the first input's compression
  -k      skip corrupt or unreadable inputs (they are named on stderr)
  -T      do not merge trees
  -n N    open at most N inputs at once (0 = no limit)
  -j N    compress on N worker threads (embedded baskets, recompression); reads stay sequential
  -v N    verbosity (0 quiet, 1 summary, 2 progress)
  @file   read input names from a file, one per line
`;

interface Parsed {
  opts: MergeOptions;
  target: string;
  sources: string[];
  verbose: number;
}

/** Parses hadd's command line (ROOT's meanings). */
export async function parseHaddArgs(argv: string[]): Promise<Parsed> {
  const opts: MergeOptions = {};
  let verbose = 1;
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '-k') opts.skipErrors = true;
    else if (a === '-T') opts.skipTrees = true;
    else if (a === '-fk') {
      opts.force = true;
      opts.compression = 'keep';
    } else if (a === '-ff') {
      opts.force = true;
      opts.compression = 'first';
    } else if (/^-f\d*$/.test(a)) {
      opts.force = true;
      opts.compression = a.length > 2 ? Number(a.slice(2)) : 101;
    } else if (a === '-n') opts.maxOpenFiles = intArg(a, next());
    else if (a === '-j') opts.jobs = intArg(a, next());
    else if (a === '-v') verbose = intArg(a, next());
    else if (/^-v\d+$/.test(a)) verbose = Number(a.slice(2));
    else if (a === '-h' || a === '--help') throw new UsageError('');
    else if (a.startsWith('-') && a.length > 1) throw new UsageError(`unknown option ${a}`);
    else if (a.startsWith('@') && positional.length > 0) {
      const text = await readFile(a.slice(1), 'utf8');
      positional.push(
        ...text
          .split('\n')
          .map((s) => s.trim())
          .filter((s) => s && !s.startsWith('#')),
      );
    } else positional.push(a);
  }
  if (positional.length < 2) throw new UsageError('need a target and at least one source');
  const [target, ...sources] = positional;
  return { opts, target: target!, sources, verbose };
}

class UsageError extends Error {}

function intArg(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} needs a non-negative integer, got ${v}`);
  return n;
}

/** Runs `hadd` with ROOT's options; returns the process exit code (0 ok, 1 merge failure, 2 usage). */
export async function runHadd(argv: string[], io: HaddIo): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = await parseHaddArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      if (err.message) io.stderr.write(`hadd: ${err.message}\n`);
      io.stderr.write(USAGE);
      return err.message ? 2 : 0;
    }
    io.stderr.write(`hadd: ${(err as Error).message}\n`);
    return 2;
  }
  const { opts, target, sources, verbose } = parsed;
  opts.onWarning = (m) => io.stderr.write(`hadd: warning: ${m}\n`);
  if (verbose >= 2)
    opts.onProgress = (p) => {
      if (p.phase !== 'open')
        io.stdout.write(
          `hadd: ${p.phase} ${p.object ?? ''} input ${p.input ?? '-'} (${p.bytesWritten} bytes)\n`,
        );
    };
  if (verbose >= 1) io.stdout.write(`hadd: target ${target}, ${sources.length} sources\n`);
  try {
    const r = await merge(target, sources, opts);
    for (const s of r.skipped) io.stderr.write(`hadd: skipped ${s.path}: ${s.reason}\n`);
    if (verbose >= 1) {
      for (const t of r.trees)
        io.stdout.write(
          `hadd: tree ${t.path}: ${t.entries} entries (${t.fastBaskets} baskets copied, ${t.recompressedBaskets} recompressed)\n`,
        );
      if (r.histograms.length) io.stdout.write(`hadd: ${r.histograms.length} histograms added\n`);
      if (r.copied.length) io.stdout.write(`hadd: ${r.copied.length} other objects copied\n`);
      io.stdout.write(`hadd: wrote ${r.bytes} bytes to ${target}\n`);
    }
    return 0;
  } catch (err) {
    const msg = err instanceof RootIoError ? err.message : ((err as Error)?.stack ?? String(err));
    io.stderr.write(`hadd: error: ${msg}\n`);
    return 1;
  }
}
