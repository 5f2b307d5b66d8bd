/** `oxbow server`: runs the Oxbow service in the foreground until SIGINT/SIGTERM. */
import type { PartialSettings } from '@oxbow/server';
import { UsageError } from '../errors.js';
import type { CliPlugin } from '../plugins.js';
import { collect, intArg } from './args.js';

/** The server command (its settings follow conventions.md: flag > OXBOW_* env > --config file > default). */
export const serverCommand: CliPlugin = {
  name: 'server',
  register(program, ctx) {
    const cmd = program
      .command('server')
      .description('run the Oxbow server (catalog, REST API, daemons) in the foreground')
      .option('--data-dir <dir>', 'data folder: SQLite catalog, embedded POSIX RSEs (env OXBOW_DATA_DIR)')
      .option('--database-url <url>', 'PostgreSQL catalog instead of SQLite (env OXBOW_DATABASE_URL)')
      .option('--host <host>', 'listen address (env OXBOW_HOST; default 127.0.0.1)')
      .option(
        '--port <port>',
        'listen port, 0 = any free port (env OXBOW_PORT; default 8080)',
        intArg('--port'),
      )
      .option('--root-password <password>', 'password of root at first start (env OXBOW_ROOT_PASSWORD)')
      .option('--config <file>', 'server config file (JSON)')
      .option('--tls-cert <file>', 'serve HTTPS with this certificate (env OXBOW_TLS_CERT)')
      .option('--tls-key <file>', 'private key of --tls-cert (env OXBOW_TLS_KEY)')
      .option('--ca-dir <dir>', 'CA directory for client certificates (env OXBOW_CA_DIR)')
      .option('--oidc-issuer <url>', 'trusted OIDC issuer (repeatable; env OXBOW_OIDC_ISSUERS)', collect)
      .option('--oidc-audience <aud>', 'expected OIDC audience (env OXBOW_OIDC_AUDIENCE)')
      .option(
        '--oidc-clock-skew <seconds>',
        'clock skew tolerated on token exp/nbf/iat (env OXBOW_OIDC_CLOCK_SKEW; default 60)',
        intArg('--oidc-clock-skew'),
      )
      .option(
        '--voms-dir <dir>',
        'VOMS .lsc directory (env OXBOW_VOMS_DIR; default /etc/grid-security/vomsdir)',
      )
      .option(
        '--x509-dn-header <name>',
        'client DN header set by a trusted TLS front end (env OXBOW_X509_DN_HEADER)',
      )
      .option(
        '--trusted-frontend <addr>',
        'address of that front end (repeatable; env OXBOW_TRUSTED_FRONTENDS)',
        collect,
      )
      .option(
        '--admin-group <group>',
        'VOMS FQAN or wlcg.groups entry whose holders are admins (repeatable; env OXBOW_ADMIN_GROUPS)',
        collect,
      )
      .option(
        '--workers <n>',
        'HTTP worker processes sharing the port (env OXBOW_WORKERS; default 1)',
        intArg('--workers'),
      )
      .option('--daemons <list>', 'all, none or a list such as judge,transfer (env OXBOW_DAEMONS)')
      .option('--log-level <level>', 'fatal, error, warn, info, debug (env OXBOW_LOG_LEVEL)')
      .option('--json', 'print the URL (and a generated root password) as one JSON line');
    cmd.action(async () => {
      const o = cmd.opts();
      // Loaded here so that client commands do not pay for the server's dependencies.
      const { resolveSettings, runServer } = await import('@oxbow/server');
      const { default: cluster } = await import('node:cluster');
      const flags: PartialSettings = {
        dataDir: o.dataDir,
        databaseUrl: o.databaseUrl,
        host: o.host,
        port: o.port,
        rootPassword: o.rootPassword,
        config: o.config,
        tlsCert: o.tlsCert,
        tlsKey: o.tlsKey,
        caDir: o.caDir,
        oidcIssuers: o.oidcIssuer,
        oidcAudience: o.oidcAudience,
        oidcClockSkew: o.oidcClockSkew,
        vomsDir: o.vomsDir,
        x509DnHeader: o.x509DnHeader,
        trustedFrontends: o.trustedFrontend,
        adminGroups: o.adminGroup,
        daemons: o.daemons,
        workers: o.workers,
        logLevel: o.logLevel,
      };
      for (const k of Object.keys(flags) as (keyof PartialSettings)[])
        if (flags[k] === undefined) delete flags[k];
      let settings: ReturnType<typeof resolveSettings>;
      try {
        settings = resolveSettings(flags, ctx.env);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      // Logs go to stderr so that stdout carries only what this command prints.
      const server = await runServer(settings, {
        logger: { level: settings.logLevel, stream: ctx.stderr },
      });
      const pw = server.generatedRootPassword;
      if (cluster.isWorker) {
        // The primary reports for the whole service.
      } else if (o.json) {
        ctx.stdout.write(
          `${JSON.stringify({ url: server.url, dataDir: settings.dataDir, rootPassword: pw ?? null })}\n`,
        );
      } else {
        ctx.stdout.write(`Oxbow server listening on ${server.url}\n`);
        ctx.stdout.write(
          `Catalog: ${settings.databaseUrl ? 'PostgreSQL' : `SQLite in ${settings.dataDir}`}; stop with Ctrl-C\n`,
        );
        if (pw) {
          const bar = '='.repeat(72);
          ctx.stdout.write(
            `${bar}\n  The root account was created with this generated password.\n  It is shown only once: keep it now.\n\n    ${pw}\n\n  export OXBOW_URL=${server.url} OXBOW_USERNAME=root OXBOW_PASSWORD='${pw}'\n${bar}\n`,
          );
        }
      }
      await new Promise<void>((resolve) => {
        let closing = false;
        const stop = (signal: NodeJS.Signals) => {
          if (closing) {
            // A second signal while closing: give up waiting.
            process.exit(1);
          }
          closing = true;
          ctx.stderr.write(`oxbow server: ${signal} received, closing\n`);
          server
            .close()
            .catch((e: Error) => ctx.stderr.write(`oxbow server: error while closing: ${e.message}\n`))
            .finally(() => {
              process.off('SIGINT', stop);
              process.off('SIGTERM', stop);
              resolve();
            });
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
  },
};
