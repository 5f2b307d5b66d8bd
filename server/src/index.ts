/** Oxbow server: catalog, REST API and daemons. */
export { buildApp } from './app.js';
export { runServer, type ServiceHandle } from './cluster.js';
export { type PartialSettings, resolveSettings, type ServerSettings } from './config.js';
export { type CatalogDb, openCatalog } from './db/connect.js';
export { openCatalogFor, type RunningServer, startServer } from './server.js';
