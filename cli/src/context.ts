/** What every command gets: client settings from its options, a client, and the output. */
import type { Writable } from 'node:stream';
import {
  type ClientFlags,
  clientOptionsFromSettings,
  createClient,
  type OxbowClient,
  requireComplete,
  resolveClientSettings,
} from '@oxbow/client';
import type { Command } from 'commander';
import { Output } from './output.js';

/** Streams and environment of one CLI run (tests pass their own). */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

/** Services handed to command implementations and plugins. */
export interface CliContext extends CliIo {
  /** Adds the client options (--url, --account, --auth-type, --username, --password, --vo, --config, --json). */
  withClientOptions(cmd: Command): Command;
  /** The client for a command's options (flag > env > config file > default); closed when the run ends. */
  client(cmd: Command): OxbowClient;
  /** Output honouring the command's --json flag. */
  output(cmd: Command): Output;
  /** Closes every client opened during the run. */
  close(): Promise<void>;
}

/** Options every client command accepts. */
interface ClientOptionValues {
  url?: string;
  account?: string;
  authType?: string;
  username?: string;
  password?: string;
  vo?: string;
  config?: string;
  tokenCache?: boolean;
  json?: boolean;
}

/** Creates the context of one run. */
export function createContext(io: CliIo): CliContext {
  const clients: OxbowClient[] = [];
  return {
    ...io,
    withClientOptions(cmd) {
      return cmd
        .option('--url <url>', 'server URL (env OXBOW_URL)')
        .option(
          '-a, --account <account>',
          'account to act as (env OXBOW_ACCOUNT; default: the identity default)',
        )
        .option('--auth-type <type>', 'userpass, x509, x509_proxy or oidc (env OXBOW_AUTH_TYPE)')
        .option('-u, --username <name>', 'userpass user name (env OXBOW_USERNAME)')
        .option('--password <password>', 'userpass password (env OXBOW_PASSWORD)')
        .option('--vo <vo>', 'virtual organisation (env OXBOW_VO)')
        .option(
          '--config <file>',
          'client config file (env OXBOW_CONFIG; default ~/.config/oxbow/config.json)',
        )
        .option('--no-token-cache', 'do not keep the token in ~/.config/oxbow/tokens')
        .option('--json', 'machine-readable output (JSON; JSON lines for lists)');
    },
    client(cmd) {
      const o = cmd.opts<ClientOptionValues>();
      const flags: ClientFlags = {
        url: o.url,
        account: o.account,
        authType: o.authType,
        username: o.username,
        password: o.password,
        vo: o.vo,
        config: o.config,
        // Commander sets tokenCache=true by default for --no-token-cache: only pass an explicit "no".
        tokenCache: o.tokenCache === false ? false : undefined,
      };
      const settings = requireComplete(resolveClientSettings(flags, io.env));
      const client = createClient(clientOptionsFromSettings(settings, io.env));
      clients.push(client);
      return client;
    },
    output(cmd) {
      return new Output(io.stdout, Boolean(cmd.opts<ClientOptionValues>().json));
    },
    async close() {
      await Promise.all(clients.splice(0).map((c) => c.close()));
    },
  };
}
