// Rucio semantics shared by the server, the client and the CLI: pure functions, no I/O.
export * from './checksums.js';
export * from './did-filters.js';
export * from './errors.js';
export * from './names.js';
export * from './paths.js';
export * from './python-literal.js';
export * from './rse-expression.js';
export * from './states.js';
