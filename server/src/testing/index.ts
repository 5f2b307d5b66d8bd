/** Helpers for tests and benchmarks of every package: throwaway PostgreSQL, in-process servers. */
export * from './postgres.js';
export * from './server.js';
