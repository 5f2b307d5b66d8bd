/** Oxbow's typed REST client (Rucio-compatible API) and its settings resolution. */
export * from './auth.js';
export * from './client.js';
export * from './config.js';
export * from './errors.js';
export * from './json-lines.js';
export type { ListAccountsFilter } from './resources/accounts.js';
export type { DidSearchOptions, DidSearchType, MetaPlugin } from './resources/dids.js';
export type { PingInfo } from './resources/ping.js';
export type { NewProtocol, ProtocolQuery } from './resources/rses.js';
export type { ListRulesFilter } from './resources/rules.js';
export * from './token-cache.js';
export * from './transfer/index.js';
export * from './transport.js';
