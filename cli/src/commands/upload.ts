/** `oxbow upload`: local files to an RSE, registered in the catalog once verified on the storage (as `rucio upload`). */
import type { WriteStream } from 'node:tty';
import {
  type TransferEvent,
  TransferInputError,
  type UploadFileResult,
  type UploadSummary,
  uploadFiles,
} from '@oxbow/client';
import cliProgress from 'cli-progress';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { formatBytes } from '../output.js';
import type { CliPlugin } from '../plugins.js';
import { intArg } from './args.js';

/** Progress bars for files and bytes on stderr, drawn only on a terminal and never with --json. */
export function progressBars(
  ctx: CliContext,
  json: boolean,
  verb: string,
): { listener: (e: TransferEvent) => void; stop(): void } {
  const tty = (ctx.stderr as Partial<WriteStream>).isTTY === true;
  if (json || !tty) return { listener: () => undefined, stop: () => undefined };
  const multi = new cliProgress.MultiBar(
    {
      stream: ctx.stderr as NodeJS.WritableStream,
      hideCursor: true,
      clearOnComplete: false,
      format: `${verb} {bar} {percentage}% | {text}`,
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  let files: cliProgress.SingleBar | undefined;
  let bytes: cliProgress.SingleBar | undefined;
  let done = 0;
  let moved = 0;
  let totalFiles = 0;
  let totalBytes = 0;
  const start = Date.now();
  const text = () => ({
    files: `${done}/${totalFiles} files`,
    bytes: `${formatBytes(moved)} / ${formatBytes(totalBytes)} (${formatBytes(Math.round(moved / Math.max(0.001, (Date.now() - start) / 1000)))}/s)`,
  });
  return {
    listener(e) {
      if (e.type === 'plan') {
        totalFiles = e.files;
        totalBytes = e.bytes;
        files = multi.create(Math.max(1, e.files), 0, { text: text().files });
        bytes = multi.create(Math.max(1, e.bytes), 0, { text: text().bytes });
      } else if (e.type === 'bytes') {
        moved += e.bytes;
        bytes?.update(Math.max(0, moved), { text: text().bytes });
      } else if (e.type === 'file') {
        done++;
        files?.update(done, { text: text().files });
      } else if (e.type === 'warning') multi.log(`${e.message}\n`);
    },
    stop() {
      multi.stop();
    },
  };
}

/** The one-line reason of a run where some files failed. */
export function failureLine(what: string, failed: number, total: number, first?: string): string {
  const cls = failed === total ? `No${what}` : `NotAll${what}`;
  return `${cls}: ${failed} of ${total} file(s) failed${first ? `; first: ${first}` : ''}`;
}

/** Per-file lines: all of them for up to 50 files, otherwise only the failures (the JSON has everything). */
export function listed<T extends { status: string }>(files: T[], row: (f: T) => string): string[] {
  if (files.length <= 50) return files.map(row);
  const failed = files.filter((f) => f.status === 'failed');
  return [
    ...failed.map(row),
    `  (${files.length - failed.length} other file(s) not listed; --json lists all)`,
  ];
}

function row(f: UploadFileResult): string {
  const did = `${f.scope}:${f.name}`;
  if (f.status === 'failed') return `  FAILED    ${did}  ${f.errorCode}: ${f.reason}`;
  const info = `${formatBytes(f.bytes)}  adler32 ${f.adler32 ?? '?'}  ${f.pfn ?? ''}`;
  return f.status === 'skipped'
    ? `  skipped   ${did}  ${info}  (${f.reason})`
    : `  uploaded  ${did}  ${info}`;
}

function human(s: UploadSummary): string {
  const rate = s.seconds > 0 ? ` , ${formatBytes(Math.round(s.bytes / s.seconds))}/s` : '';
  const head =
    `Uploaded ${s.uploaded}, skipped ${s.skipped}, failed ${s.failed} of ${s.files.length} file(s) ` +
    `to ${s.rse}${s.dataset ? ` (dataset ${s.dataset})` : ''}: ${formatBytes(s.bytes)} in ${s.seconds.toFixed(1)} s${rate}`;
  return [head.replace(' ,', ','), ...listed(s.files, row), ...s.warnings.map((w) => `warning: ${w}`)].join(
    '\n',
  );
}

/** The upload command. */
export const uploadCommand: CliPlugin = {
  name: 'upload',
  register(program, ctx) {
    const cmd = program
      .command('upload')
      .description(
        'upload files (and the files directly in directories) to an RSE: written to the deterministic path, ' +
          'verified on the storage, then registered AVAILABLE',
      )
      .argument('<paths...>', 'files or directories')
      .requiredOption('--rse <rse>', 'destination RSE')
      .option('--scope <scope>', 'scope of the files (default user.<account>)')
      .option('--dataset <scope:name>', 'attach the files to this dataset (created when missing)')
      .option(
        '--lifetime <seconds>',
        'lifetime of the replication rule (Rucio semantics)',
        intArg('--lifetime'),
      )
      .option('--guid <guid>', 'GUID of the file (one file only)')
      .option('--name <name>', 'DID name of the file (one file only; default its base name)')
      .option('--threads <n>', 'files uploaded at once (default 4)', intArg('--threads'));
    ctx.withClientOptions(cmd).action(async (paths: string[]) => {
      const o = cmd.opts<{
        rse: string;
        scope?: string;
        dataset?: string;
        lifetime?: number;
        guid?: string;
        name?: string;
        threads?: number;
        json?: boolean;
      }>();
      if (o.threads === 0) throw new UsageError('--threads must be at least 1');
      const client = ctx.client(cmd);
      const bars = progressBars(ctx, Boolean(o.json), 'upload  ');
      const abort = new AbortController();
      const onSignal = () => abort.abort(new Error('interrupted'));
      process.once('SIGINT', onSignal);
      let summary: UploadSummary;
      try {
        summary = await uploadFiles(client, paths, {
          rse: o.rse,
          scope: o.scope,
          dataset: o.dataset,
          lifetime: o.lifetime,
          guid: o.guid,
          name: o.name,
          threads: o.threads,
          env: ctx.env,
          signal: abort.signal,
          onProgress: bars.listener,
        });
      } catch (e) {
        if (e instanceof TransferInputError) throw new UsageError(e.message);
        throw e;
      } finally {
        bars.stop();
        process.off('SIGINT', onSignal);
      }
      await ctx.output(cmd).doc(summary, () => human(summary));
      if (summary.failed > 0) {
        const first = summary.files.find((f) => f.status === 'failed');
        throw new Error(
          failureLine(
            'FilesUploaded',
            summary.failed,
            summary.files.length,
            first && `${first.scope}:${first.name}: ${first.errorCode}: ${first.reason}`,
          ),
        );
      }
    });
  },
};
