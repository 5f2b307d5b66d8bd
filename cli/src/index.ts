/** The `oxbow` command line: program construction, plugin registration and output helpers. */
export type { CliContext, CliIo } from './context.js';
export { describeFailure, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './errors.js';
export { type Column, cell, formatBytes, Output } from './output.js';
export { type CliPlugin, registeredPlugins, registerPlugin } from './plugins.js';
export { BUILTIN_PLUGINS, createProgram, runCli } from './program.js';
