/** Shared API shapes (TypeBox schemas + static types) and Rucio semantics for server, client and CLI. */
export * from './api/index.js';
