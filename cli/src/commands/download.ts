/** `oxbow download`: files, datasets and containers from their replicas, verified and written atomically (as `rucio download`). */
import {
  type DownloadFileResult,
  type DownloadSummary,
  downloadDids,
  TransferInputError,
} from '@oxbow/client';
import { UsageError } from '../errors.js';
import { formatBytes } from '../output.js';
import type { CliPlugin } from '../plugins.js';
import { intArg } from './args.js';
import { failureLine, listed, progressBars } from './upload.js';

function row(f: DownloadFileResult): string {
  const did = `${f.scope}:${f.name}`;
  const tried = f.attempts.map((a) => `${a.rse}: ${a.errorCode}`).join(', ');
  if (f.status === 'failed')
    return `  FAILED      ${did}  ${f.errorCode}: ${f.reason}${tried ? ` [tried ${tried}]` : ''}`;
  if (f.status === 'skipped') return `  skipped     ${did}  ${f.localPath}  (${f.reason})`;
  return `  downloaded  ${did}  ${formatBytes(f.bytes)}  from ${f.rse} (${f.pfn})  to ${f.localPath}${tried ? `  after ${tried}` : ''}`;
}

function human(s: DownloadSummary): string {
  const rate = s.seconds > 0 ? `, ${formatBytes(Math.round(s.bytes / s.seconds))}/s` : '';
  return [
    `Downloaded ${s.downloaded}, skipped ${s.skipped}, failed ${s.failed} of ${s.files.length + s.inputErrors.length} ` +
      `file(s): ${formatBytes(s.bytes)} in ${s.seconds.toFixed(1)} s${rate}`,
    ...listed(s.files, row),
    ...s.inputErrors.map((e) => `  FAILED      ${e.did}  ${e.errorCode}: ${e.error}`),
  ].join('\n');
}

/** The download command. */
export const downloadCommand: CliPlugin = {
  name: 'download',
  register(program, ctx) {
    const cmd = program
      .command('download')
      .description(
        'download files, datasets and containers: replicas tried in order (local first, then protocol priority), ' +
          'adler32 verified, written atomically; complete files are not fetched again',
      )
      .argument('<dids...>', 'scope:name of files, datasets or containers')
      .option('--rse <expression>', 'only replicas on RSEs matching this expression')
      .option('--dir <dir>', 'base directory (default: the current directory)', '.')
      .option('--no-subdir', 'put the files directly in --dir (not in a scope or dataset directory)')
      .option('--ndownloader <n>', 'files downloaded at once (default 3)', intArg('--ndownloader'))
      .option('--schemes <list>', 'only these protocol schemes (comma-separated, e.g. root,davs)');
    ctx.withClientOptions(cmd).action(async (dids: string[]) => {
      const o = cmd.opts<{
        rse?: string;
        dir: string;
        subdir?: boolean;
        ndownloader?: number;
        schemes?: string;
        json?: boolean;
      }>();
      if (o.ndownloader === 0) throw new UsageError('--ndownloader must be at least 1');
      const client = ctx.client(cmd);
      const bars = progressBars(ctx, Boolean(o.json), 'download');
      const abort = new AbortController();
      const onSignal = () => abort.abort(new Error('interrupted'));
      process.once('SIGINT', onSignal);
      let summary: DownloadSummary;
      try {
        summary = await downloadDids(client, dids, {
          rse: o.rse,
          dir: o.dir,
          noSubdir: o.subdir === false,
          ndownloader: o.ndownloader,
          schemes: o.schemes
            ?.split(',')
            .map((s) => s.trim())
            .filter(Boolean),
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
        const f = summary.files.find((x) => x.status === 'failed');
        const first = f
          ? `${f.scope}:${f.name}: ${f.errorCode}: ${f.reason}`
          : summary.inputErrors[0] && `${summary.inputErrors[0].did}: ${summary.inputErrors[0].error}`;
        throw new Error(
          failureLine(
            'FilesDownloaded',
            summary.failed,
            summary.files.length + summary.inputErrors.length,
            first,
          ),
        );
      }
    });
  },
};
