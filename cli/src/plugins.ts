/**
 * Extension point: other packages add `oxbow` subcommands (upload/download, hadd, …) as plugins.
 * A plugin receives the root commander program and the context, and adds its commands.
 */
import type { Command } from 'commander';
import type { CliContext } from './context.js';

/** A group of subcommands. */
export interface CliPlugin {
  /** Name for diagnostics (e.g. `rse-adapters:transfer`). */
  name: string;
  /** Adds commands to `program` (use `ctx.withClientOptions(cmd)` for commands that talk to a server). */
  register(program: Command, ctx: CliContext): void;
}

const registered: CliPlugin[] = [];

/** Registers a plugin for every later `runCli`/`createProgram` in this process. */
export function registerPlugin(plugin: CliPlugin): void {
  if (!registered.some((p) => p.name === plugin.name)) registered.push(plugin);
}

/** Plugins registered so far. */
export function registeredPlugins(): readonly CliPlugin[] {
  return registered;
}
