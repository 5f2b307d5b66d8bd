/** What every route and catalog function gets: the catalog database, token store and settings. */
import type { FastifyBaseLogger } from 'fastify';
import type { TokenStore } from './auth/tokens.js';
import type { CatalogDb } from './db/connect.js';

/** The authenticated caller of a request. */
export interface Caller {
  account: string;
  identity: string | null;
  authType: string;
  isAdmin: boolean;
  vo: string;
}

/** Server-wide state shared by routes. */
export interface AppContext {
  catalog: CatalogDb;
  tokens: TokenStore;
  log: FastifyBaseLogger;
  /** Folder holding the embedded SQLite catalog and POSIX RSEs, when embedded. */
  dataDir?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
  interface FastifyContextConfig {
    /** Route needs no token (ping, auth endpoints). */
    public?: boolean;
    /** Media types the route can answer with; other Accept values get 406. */
    produces?: string[];
  }
}
