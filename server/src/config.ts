/** Server settings: command-line flag > OXBOW_* environment variable > config file > default. */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface ServerSettings {
  dataDir: string;
  databaseUrl?: string;
  host: string;
  port: number;
  rootPassword?: string;
  tlsCert?: string;
  tlsKey?: string;
  caDir: string;
  oidcIssuers: string[];
  oidcAudience?: string;
  /** Clock skew tolerated on JWT exp/nbf/iat, in seconds. */
  oidcClockSkew: number;
  /** VOMS directory (`VO/*.lsc`) used to trust VOMS attributes of proxies. */
  vomsDir?: string;
  /** Header in which a trusted TLS-terminating front end forwards the client DN (off when unset). */
  x509DnHeader?: string;
  /** Addresses of that front end; the DN header is ignored from any other peer. */
  trustedFrontends: string[];
  /** VOMS FQANs/groups or `wlcg.groups` entries whose holders act as admins. */
  adminGroups: string[];
  daemons: string;
  /** HTTP worker processes sharing the port (node:cluster); 1 = serve in this process. */
  workers: number;
  /** Create the two embedded POSIX RSEs on first start. */
  embeddedRses: boolean;
  logLevel: string;
}

export type PartialSettings = Partial<ServerSettings> & { config?: string };

const ENV: Record<string, keyof ServerSettings> = {
  OXBOW_DATA_DIR: 'dataDir',
  OXBOW_DATABASE_URL: 'databaseUrl',
  OXBOW_HOST: 'host',
  OXBOW_PORT: 'port',
  OXBOW_ROOT_PASSWORD: 'rootPassword',
  OXBOW_TLS_CERT: 'tlsCert',
  OXBOW_TLS_KEY: 'tlsKey',
  OXBOW_CA_DIR: 'caDir',
  OXBOW_OIDC_ISSUERS: 'oidcIssuers',
  OXBOW_OIDC_AUDIENCE: 'oidcAudience',
  OXBOW_OIDC_CLOCK_SKEW: 'oidcClockSkew',
  OXBOW_VOMS_DIR: 'vomsDir',
  OXBOW_X509_DN_HEADER: 'x509DnHeader',
  OXBOW_TRUSTED_FRONTENDS: 'trustedFrontends',
  OXBOW_ADMIN_GROUPS: 'adminGroups',
  OXBOW_DAEMONS: 'daemons',
  OXBOW_WORKERS: 'workers',
  OXBOW_LOG_LEVEL: 'logLevel',
};

/** Resolves the effective settings from flags, environment and an optional JSON config file. */
export function resolveSettings(
  flags: PartialSettings,
  env: NodeJS.ProcessEnv = process.env,
): ServerSettings {
  const fromEnv: PartialSettings = {};
  for (const [name, key] of Object.entries(ENV)) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    if (key === 'port' || key === 'workers') fromEnv[key] = Number(v);
    else if (key === 'oidcClockSkew') fromEnv.oidcClockSkew = Number(v);
    else if (key === 'oidcIssuers' || key === 'trustedFrontends' || key === 'adminGroups')
      fromEnv[key] = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    else (fromEnv as Record<string, unknown>)[key] = v;
  }
  const configPath = flags.config ?? env.OXBOW_SERVER_CONFIG;
  let fromFile: PartialSettings = {};
  if (configPath) {
    try {
      fromFile = JSON.parse(readFileSync(configPath, 'utf8')) as PartialSettings;
    } catch (e) {
      throw new Error(`cannot read server config file ${configPath}: ${(e as Error).message}`);
    }
  }
  const pick = <K extends keyof ServerSettings>(k: K): ServerSettings[K] | undefined =>
    (flags[k] ?? fromEnv[k] ?? fromFile[k]) as ServerSettings[K] | undefined;
  const port = pick('port') ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`invalid port '${port}': use 0-65535`);
  const workers = pick('workers') ?? 1;
  if (!Number.isInteger(workers) || workers < 1 || workers > 64)
    throw new Error(`invalid number of workers '${workers}': use 1-64`);
  return {
    dataDir: resolve(pick('dataDir') ?? join(homedir(), '.local', 'share', 'oxbow')),
    databaseUrl: pick('databaseUrl'),
    host: pick('host') ?? '127.0.0.1',
    port,
    rootPassword: pick('rootPassword'),
    tlsCert: pick('tlsCert'),
    tlsKey: pick('tlsKey'),
    caDir: pick('caDir') ?? '/etc/grid-security/certificates',
    oidcIssuers: pick('oidcIssuers') ?? [],
    oidcAudience: pick('oidcAudience'),
    oidcClockSkew: pick('oidcClockSkew') ?? 60,
    vomsDir: pick('vomsDir') ?? env.X509_VOMS_DIR ?? '/etc/grid-security/vomsdir',
    x509DnHeader: pick('x509DnHeader'),
    trustedFrontends: pick('trustedFrontends') ?? [],
    adminGroups: pick('adminGroups') ?? [],
    daemons: pick('daemons') ?? 'all',
    workers,
    embeddedRses: pick('embeddedRses') ?? true,
    logLevel: pick('logLevel') ?? 'info',
  };
}
