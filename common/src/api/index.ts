/** Every REST shape, one module per Rucio resource. */
export * from './accounts.js';
export * from './dids.js';
export * from './replicas.js';
export * from './requests.js';
export * from './rses.js';
export * from './rules.js';
