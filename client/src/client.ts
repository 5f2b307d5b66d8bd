/** The typed Oxbow client: one object per resource, sharing one transport (pool, token, retries). */
import { join } from 'node:path';
import { type AuthMethod, authMethodFor, trustedCas } from './auth.js';
import {
  type ClientFlags,
  type ClientSettings,
  configDir,
  requireComplete,
  resolveClientSettings,
} from './config.js';
import { accountsApi } from './resources/accounts.js';
import { authApi } from './resources/auth.js';
import { didsApi } from './resources/dids.js';
import { identitiesApi } from './resources/identities.js';
import { pingApi } from './resources/ping.js';
import { replicasApi } from './resources/replicas.js';
import { requestsApi } from './resources/requests.js';
import { rsesApi } from './resources/rses.js';
import { rulesApi } from './resources/rules.js';
import { scopesApi } from './resources/scopes.js';
import { fileTokenCache, layeredTokenCache } from './token-cache.js';
import { Transport, type TransportOptions } from './transport.js';

/** Options of createClient: the server, credentials and transport tuning. */
export interface ClientOptions extends Omit<TransportOptions, 'auth' | 'tokenCache' | 'ca'> {
  /** Auth method; built from `username`/`password` when omitted. */
  auth?: AuthMethod;
  username?: string;
  password?: string;
  /** Also keep tokens in files under this folder (mode 0600); memory only when unset. */
  tokenDir?: string;
  caFile?: string;
  /** Grid CA directory (`HASH.N` files) whose CAs are trusted for https, with caFile and Node's roots. */
  certDir?: string;
}

/** A client bound to one server and identity. */
export interface OxbowClient {
  readonly url: string;
  /** The account in use (known after the first login when none was configured). */
  readonly account: string | undefined;
  readonly transport: Transport;
  readonly ping: ReturnType<typeof pingApi>['ping'];
  readonly auth: ReturnType<typeof authApi>;
  readonly accounts: ReturnType<typeof accountsApi>;
  readonly identities: ReturnType<typeof identitiesApi>;
  readonly scopes: ReturnType<typeof scopesApi>;
  readonly dids: ReturnType<typeof didsApi>;
  readonly requests: ReturnType<typeof requestsApi>;
  readonly rses: ReturnType<typeof rsesApi>;
  readonly replicas: ReturnType<typeof replicasApi>;
  readonly rules: ReturnType<typeof rulesApi>;
  /** Closes the connection pool. */
  close(): Promise<void>;
}

/** Creates a client. Credentials are only used when a call needs a token. */
export function createClient(opts: ClientOptions): OxbowClient {
  const auth =
    opts.auth ??
    (opts.username !== undefined && opts.password !== undefined
      ? authMethodFor({ authType: 'userpass', username: opts.username, password: opts.password })
      : undefined);
  const transport = new Transport({
    ...opts,
    auth,
    tokenCache: layeredTokenCache(opts.tokenDir ? fileTokenCache(opts.tokenDir) : undefined),
    ca: opts.url.startsWith('https:') ? trustedCas(opts) : undefined,
  });
  return {
    url: opts.url,
    get account() {
      return transport.account;
    },
    transport,
    ping: pingApi(transport).ping,
    auth: authApi(transport),
    accounts: accountsApi(transport),
    identities: identitiesApi(transport),
    scopes: scopesApi(transport),
    dids: didsApi(transport),
    requests: requestsApi(transport),
    rses: rsesApi(transport),
    replicas: replicasApi(transport),
    rules: rulesApi(transport),
    close: () => transport.close(),
  };
}

/** Client options from resolved settings (token files under `~/.config/oxbow/tokens` when enabled). */
export function clientOptionsFromSettings(
  s: ClientSettings,
  env: NodeJS.ProcessEnv = process.env,
): ClientOptions {
  return {
    url: s.url,
    account: s.account,
    vo: s.vo,
    auth: authMethodFor(s),
    tokenDir: s.tokenCache ? join(configDir(env), 'tokens') : undefined,
    caFile: s.caFile,
    certDir: s.certDir,
    timeoutMs: s.timeoutMs,
    retries: s.retries,
  };
}

/** Resolves settings (flag > env > config file > default) and creates a client from them. */
export function clientFromEnvironment(
  flags: ClientFlags = {},
  env: NodeJS.ProcessEnv = process.env,
): OxbowClient {
  return createClient(clientOptionsFromSettings(requireComplete(resolveClientSettings(flags, env)), env));
}
