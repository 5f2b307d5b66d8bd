/**
 * Client settings as conventions.md defines them: command-line flag > environment variable >
 * config file (`OXBOW_CONFIG`, default `~/.config/oxbow/config.json` or `config.toml`) > default.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { credentialDefaults } from './auth-files.js';
import { ClientConfigError } from './errors.js';

/** Auth types Rucio knows (all implemented: see auth.ts). */
export const AUTH_TYPES = ['userpass', 'x509', 'x509_proxy', 'oidc'] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

/** Settings a client is built from, after resolution. */
export interface ClientSettings {
  /** Server base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Account to act as; unset = the identity's default account (the server picks it). */
  account?: string;
  authType: AuthType;
  username?: string;
  password?: string;
  /** Virtual organisation, sent as `X-Rucio-VO` when set. */
  vo?: string;
  /** Keep tokens in a 0600 file under `~/.config/oxbow/tokens/` so successive commands reuse them. */
  tokenCache: boolean;
  /** CA bundle (PEM file) for https servers signed by a private CA. */
  caFile?: string;
  /** Request timeout in milliseconds (headers and body inactivity). */
  timeoutMs: number;
  /** Retries of idempotent calls on connection errors and 5xx. */
  retries: number;
  /** x509: certificate and key (X509_USER_CERT, X509_USER_KEY; default ~/.globus/usercert.pem, userkey.pem). */
  certFile?: string;
  keyFile?: string;
  /** x509_proxy: proxy file (X509_USER_PROXY; default /tmp/x509up_u$UID). */
  proxyFile?: string;
  /** Grid CA directory trusted for https (X509_CERT_DIR; default /etc/grid-security/certificates when present). */
  certDir?: string;
  /** oidc: WLCG bearer-token discovery (BEARER_TOKEN, BEARER_TOKEN_FILE, XDG_RUNTIME_DIR). */
  bearerToken?: string;
  bearerTokenFile?: string;
  runtimeDir?: string;
  /** Where `oxbow login` keeps refresh sessions (default ~/.config/oxbow/oidc). */
  oidcSessionDir?: string;
}

/** Values given on the command line (or by a program); undefined = not given. */
export type ClientFlags = Partial<Omit<ClientSettings, 'authType'>> & { authType?: string; config?: string };

/** Where each setting came from, for `oxbow whoami --verbose`-style diagnostics and tests. */
export type SettingSource = 'flag' | 'env' | 'file' | 'default';

/** Resolved settings plus the config file that was read, if any. */
export interface ResolvedClientSettings {
  settings: Partial<ClientSettings> &
    Pick<ClientSettings, 'authType' | 'tokenCache' | 'timeoutMs' | 'retries'>;
  configFile?: string;
  sources: Partial<Record<keyof ClientSettings, SettingSource>>;
}

const ENV: Record<string, keyof ClientSettings> = {
  OXBOW_URL: 'url',
  OXBOW_ACCOUNT: 'account',
  OXBOW_AUTH_TYPE: 'authType',
  OXBOW_USERNAME: 'username',
  OXBOW_PASSWORD: 'password',
  OXBOW_VO: 'vo',
  OXBOW_TOKEN_CACHE: 'tokenCache',
  OXBOW_CA_FILE: 'caFile',
  OXBOW_TIMEOUT_MS: 'timeoutMs',
  OXBOW_RETRIES: 'retries',
  // Grid and WLCG names (conventions.md), shared with the other grid tools.
  X509_USER_CERT: 'certFile',
  X509_USER_KEY: 'keyFile',
  X509_USER_PROXY: 'proxyFile',
  X509_CERT_DIR: 'certDir',
  BEARER_TOKEN: 'bearerToken',
  BEARER_TOKEN_FILE: 'bearerTokenFile',
  XDG_RUNTIME_DIR: 'runtimeDir',
};

// Config files may use Rucio's snake_case names as well as camelCase.
const FILE_KEYS: Record<string, keyof ClientSettings> = {
  url: 'url',
  rucio_host: 'url',
  account: 'account',
  authType: 'authType',
  auth_type: 'authType',
  username: 'username',
  password: 'password',
  vo: 'vo',
  tokenCache: 'tokenCache',
  token_cache: 'tokenCache',
  caFile: 'caFile',
  ca_file: 'caFile',
  ca_cert: 'caFile',
  timeoutMs: 'timeoutMs',
  timeout_ms: 'timeoutMs',
  retries: 'retries',
  request_retries: 'retries',
  // Rucio's [client] names for the same files.
  certFile: 'certFile',
  client_cert: 'certFile',
  keyFile: 'keyFile',
  client_key: 'keyFile',
  proxyFile: 'proxyFile',
  client_x509_proxy: 'proxyFile',
  certDir: 'certDir',
  ca_dir: 'certDir',
  bearerTokenFile: 'bearerTokenFile',
  bearer_token_file: 'bearerTokenFile',
};

/** The folder holding the config file and cached tokens (`~/.config/oxbow`). */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.HOME || homedir();
  return join(home, '.config', 'oxbow');
}

/** Path of the config file to read: `--config` > `OXBOW_CONFIG` > the default, which may not exist. */
export function configFilePath(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): {
  path: string;
  explicit: boolean;
} {
  if (flag) return { path: flag, explicit: true };
  if (env.OXBOW_CONFIG) return { path: env.OXBOW_CONFIG, explicit: true };
  const dir = configDir(env);
  const json = join(dir, 'config.json');
  const toml = join(dir, 'config.toml');
  return { path: !existsSync(json) && existsSync(toml) ? toml : json, explicit: false };
}

/** Reads a config file (JSON, or flat TOML when the name ends in `.toml`) into raw key/value pairs. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ClientConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  if (path.endsWith('.toml')) return parseFlatToml(text, path);
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new Error('the top level must be an object');
    // A `client` section is accepted so one file can also hold other tools' settings.
    const obj = value as Record<string, unknown>;
    return typeof obj.client === 'object' && obj.client !== null
      ? { ...obj, ...(obj.client as Record<string, unknown>) }
      : obj;
  } catch (e) {
    throw new ClientConfigError(`config file ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** `key = value` lines (strings, numbers, booleans), `#` comments; `[client]` and other headers are flattened. */
function parseFlatToml(text: string, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || /^\[[^\]]+\]$/.test(line)) continue;
    const m = /^([A-Za-z0-9_-]+)\s*=\s*(.+?)\s*(#.*)?$/.exec(line);
    if (!m) throw new ClientConfigError(`${path}:${i + 1}: expected 'key = value', found '${line}'`);
    const raw = m[2]!;
    if (/^"(.*)"$/.test(raw)) out[m[1]!] = JSON.parse(raw);
    else if (/^'(.*)'$/.test(raw)) out[m[1]!] = raw.slice(1, -1);
    else if (raw === 'true' || raw === 'false') out[m[1]!] = raw === 'true';
    else if (/^-?\d+(\.\d+)?$/.test(raw)) out[m[1]!] = Number(raw);
    else throw new ClientConfigError(`${path}:${i + 1}: cannot read value '${raw}' (quote strings)`);
  }
  return out;
}

function coerce(key: keyof ClientSettings, value: unknown, where: string): unknown {
  if (key === 'tokenCache') {
    if (typeof value === 'boolean') return value;
    const s = String(value).toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(s)) return true;
    if (['0', 'false', 'no', 'off'].includes(s)) return false;
    throw new ClientConfigError(`${where}: token cache must be true or false, not '${value}'`);
  }
  if (key === 'timeoutMs' || key === 'retries') {
    const n = typeof value === 'number' ? value : Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new ClientConfigError(`${where}: ${key} must be a non-negative integer, not '${value}'`);
    return n;
  }
  if (typeof value !== 'string')
    throw new ClientConfigError(`${where}: ${key} must be a string, not ${JSON.stringify(value)}`);
  if (key === 'authType') {
    const t = value.toLowerCase();
    if (!(AUTH_TYPES as readonly string[]).includes(t))
      throw new ClientConfigError(
        `${where}: unknown auth type '${value}'; use one of ${AUTH_TYPES.join(', ')}`,
      );
    return t;
  }
  if (key === 'url') return value.replace(/\/+$/, '');
  return value;
}

/** Resolves the client settings from flags, environment and config file (see conventions.md). */
export function resolveClientSettings(
  flags: ClientFlags = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedClientSettings {
  const sources: ResolvedClientSettings['sources'] = {};
  const out: Record<string, unknown> = {};
  const cfg = configFilePath(flags.config, env);
  let configFile: string | undefined;
  let fromFile: Record<string, unknown> = {};
  if (cfg.explicit || existsSync(cfg.path)) {
    fromFile = readConfigFile(cfg.path);
    configFile = cfg.path;
  }
  // Lowest precedence first; later layers overwrite.
  for (const [k, v] of Object.entries(fromFile)) {
    const key = FILE_KEYS[k];
    if (!key || v === undefined || v === null) continue;
    out[key] = coerce(key, v, `config file ${cfg.path}`);
    sources[key] = 'file';
  }
  for (const [name, key] of Object.entries(ENV)) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    out[key] = coerce(key, v, `environment variable ${name}`);
    sources[key] = 'env';
  }
  for (const [k, v] of Object.entries(flags)) {
    if (k === 'config' || v === undefined || v === '') continue;
    const key = k as keyof ClientSettings;
    out[key] = coerce(key, v, `option --${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    sources[key] = 'flag';
  }
  const defaults: Partial<ClientSettings> = {
    authType: 'userpass',
    tokenCache: true,
    timeoutMs: 120_000,
    retries: 4,
    ...credentialDefaults(env),
  };
  for (const [k, v] of Object.entries(defaults)) {
    if (out[k] === undefined) {
      out[k] = v;
      sources[k as keyof ClientSettings] = 'default';
    }
  }
  return { settings: out as ResolvedClientSettings['settings'], configFile, sources };
}

/** Checks that the settings are enough to talk to a server; throws ClientConfigError naming what is missing. */
export function requireComplete(r: ResolvedClientSettings): ClientSettings {
  const s = r.settings;
  const where = r.configFile ?? join(configDir(), 'config.json');
  if (!s.url)
    throw new ClientConfigError(
      `no server URL: pass --url, set OXBOW_URL, or put "url" in ${where} (e.g. http://127.0.0.1:8080)`,
    );
  try {
    const u = new URL(s.url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new ClientConfigError(`server URL '${s.url}' is not an http:// or https:// URL`);
  }
  if (s.authType === 'userpass' && (!s.username || s.password === undefined))
    throw new ClientConfigError(
      `userpass authentication needs a username and a password: pass --username/--password, set OXBOW_USERNAME/OXBOW_PASSWORD, or put them in ${where}`,
    );
  return s as ClientSettings;
}
