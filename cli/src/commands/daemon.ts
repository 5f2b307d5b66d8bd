/**
 * `oxbow daemon judge|transfer|reaper|undertaker`: one daemon as its own process, on the same
 * catalog as the server (its --data-dir SQLite file or --database-url). Stops gracefully on SIGTERM.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PartialSettings } from '@oxbow/server';
import { Argument } from 'commander';
import { UsageError } from '../errors.js';
import type { CliPlugin } from '../plugins.js';
import { intArg } from './args.js';

const NAMES = ['judge', 'transfer', 'reaper', 'undertaker'] as const;

/** The daemon command. */
export const daemonCommand: CliPlugin = {
  name: 'daemon',
  register(program, ctx) {
    const cmd = program
      .command('daemon')
      .description('run one daemon (judge, transfer, reaper, undertaker) on the server catalog')
      .addArgument(new Argument('<name>', 'which daemon').choices(NAMES))
      .option('--data-dir <dir>', 'data folder of the server (SQLite catalog) (env OXBOW_DATA_DIR)')
      .option('--database-url <url>', 'PostgreSQL catalog of the server (env OXBOW_DATABASE_URL)')
      .option('--config <file>', 'server config file (JSON)')
      .option('--once', 'work until nothing is left to do, then exit')
      .option('--concurrency <n>', 'transfers at once (transfer daemon; default 4)', intArg('--concurrency'))
      .option('--lease <seconds>', 'transfer claim lease (transfer daemon; default 60)', intArg('--lease'))
      .option('--interval <ms>', 'polling interval when idle', intArg('--interval'))
      .option('--greedy', 'reaper: delete every expired unlocked replica, whatever the free space');
    cmd.action(async (name: (typeof NAMES)[number]) => {
      const o = cmd.opts();
      // Loaded here so that client commands do not pay for the server's dependencies.
      const { resolveSettings, openCatalogFor } = await import('@oxbow/server');
      const { startDaemon } = await import('@oxbow/server/daemons/index');
      const flags: PartialSettings = { dataDir: o.dataDir, databaseUrl: o.databaseUrl, config: o.config };
      for (const k of Object.keys(flags) as (keyof PartialSettings)[])
        if (flags[k] === undefined) delete flags[k];
      let settings: ReturnType<typeof resolveSettings>;
      try {
        settings = resolveSettings(flags, ctx.env);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      if (o.concurrency === 0) throw new UsageError('--concurrency must be at least 1');
      // A daemon never creates a catalog: an empty one would only hide a wrong --data-dir.
      if (!settings.databaseUrl && !existsSync(join(settings.dataDir, 'catalog.sqlite')))
        throw new UsageError(
          `no catalog in ${settings.dataDir}: give the server's --data-dir (or --database-url), or start 'oxbow server' there first`,
        );
      const catalog = await openCatalogFor(settings);
      const log = (rec: Record<string, unknown>) => {
        ctx.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), daemon: name, ...rec })}\n`);
      };
      const daemon = startDaemon(catalog, name, {
        log,
        concurrency: o.concurrency,
        leaseMs: o.lease !== undefined ? o.lease * 1000 : undefined,
        intervalMs: o.interval !== undefined ? { [name]: o.interval } : undefined,
        manual: Boolean(o.once),
        greedy: Boolean(o.greedy),
      });
      log({
        event: 'started',
        pid: process.pid,
        catalog: settings.databaseUrl ? 'postgres' : settings.dataDir,
      });
      let onceRun: Promise<void> = Promise.resolve();
      await new Promise<void>((resolve) => {
        let closing = false;
        const stop = (why: string) => {
          if (closing) {
            // A second signal while closing: give up waiting for the work in progress.
            process.exit(1);
          }
          closing = true;
          ctx.stderr.write(`oxbow daemon ${name}: ${why}, stopping\n`);
          daemon
            .stop()
            .then(() => onceRun)
            .catch((e: Error) =>
              ctx.stderr.write(`oxbow daemon ${name}: error while stopping: ${e.message}\n`),
            )
            .then(() => catalog.close())
            .catch(() => {})
            .finally(() => {
              process.off('SIGINT', onSignal);
              process.off('SIGTERM', onSignal);
              log({ event: 'stopped' });
              resolve();
            });
        };
        const onSignal = (signal: NodeJS.Signals) => stop(`${signal} received`);
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        if (o.once) {
          // No polling loop runs: steps run here back to back until one finds nothing to do.
          onceRun = (async () => {
            try {
              while (!closing && (await daemon.runOnce()) > 0) {}
            } catch (e) {
              ctx.stderr.write(`oxbow daemon ${name}: ${(e as Error).message}\n`);
            }
            if (!closing) stop('nothing left to do');
          })();
        }
      });
    });
  },
};
