/** Builds the `oxbow` commander program and runs it with Rucio-style exit codes. */
import { Command } from 'commander';
import { accountCommands } from './commands/account.js';
import { daemonCommand } from './commands/daemon.js';
import { didCommands } from './commands/did.js';
import { downloadCommand } from './commands/download.js';
import { haddCommand } from './commands/hadd.js';
import { loginCommands } from './commands/login.js';
import { pingCommand, whoamiCommand } from './commands/ping.js';
import { replicaCommands } from './commands/replica.js';
import { rseCommands } from './commands/rse.js';
import { ruleCommands } from './commands/rule.js';
import { scopeCommands } from './commands/scope.js';
import { serverCommand } from './commands/server.js';
import { transferLimitCommands } from './commands/transfer-limit.js';
import { uploadCommand } from './commands/upload.js';
import { type CliContext, type CliIo, createContext } from './context.js';
import { describeFailure, EXIT_OK } from './errors.js';
import { type CliPlugin, registeredPlugins } from './plugins.js';
import { CLI_VERSION } from './version.js';

/** The command groups built into the CLI, in help order. */
export const BUILTIN_PLUGINS: readonly CliPlugin[] = [
  pingCommand,
  whoamiCommand,
  loginCommands,
  accountCommands,
  scopeCommands,
  didCommands,
  rseCommands,
  replicaCommands,
  ruleCommands,
  transferLimitCommands,
  uploadCommand,
  downloadCommand,
  haddCommand,
  serverCommand,
  daemonCommand,
];

/** Creates the program with the built-in commands, the registered plugins and `extra`. */
export function createProgram(
  io: CliIo,
  extra: readonly CliPlugin[] = [],
): { program: Command; ctx: CliContext } {
  const ctx = createContext(io);
  const program = new Command('oxbow')
    .description('Oxbow datalake: Rucio-compatible catalog, transfers and ROOT merging')
    .version(CLI_VERSION, '-V, --version')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
    });
  // Subcommands created later copy these settings (exit override, output).
  for (const p of [...BUILTIN_PLUGINS, ...registeredPlugins(), ...extra]) p.register(program, ctx);
  return { program, ctx };
}

/** Runs the CLI on `argv` (as process.argv, with node and script first); resolves to the exit code. */
export async function runCli(argv: string[], io: CliIo, extra: readonly CliPlugin[] = []): Promise<number> {
  const { program, ctx } = createProgram(io, extra);
  try {
    await program.parseAsync(argv);
    return EXIT_OK;
  } catch (e) {
    const { code, message } = describeFailure(e);
    if (message) io.stderr.write(`oxbow: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    if (io.env.OXBOW_DEBUG && e instanceof Error && e.stack) io.stderr.write(`${e.stack}\n`);
    return code;
  } finally {
    await ctx.close();
  }
}
