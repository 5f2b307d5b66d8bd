/**
 * Grid credential files and TLS trust: the defaults of conventions.md (X509_USER_CERT/KEY,
 * X509_USER_PROXY, X509_CERT_DIR, WLCG bearer-token locations), reading certificates and keys with
 * clear reasons when they are missing, unsafe or expired, and CA certificates from a grid CA
 * directory (Node cannot read a hashed `HASH.N` directory itself).
 */
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { ClientConfigError, RucioClientError } from './errors.js';

/** Credentials are missing, unreadable, unsafe or expired: found on the client, before any request. */
export class CredentialError extends RucioClientError {
  constructor(message: string) {
    super('CannotAuthenticate', 0, message);
    this.name = 'CredentialError';
  }
  // Status 0 means "no response" for the base class; here nothing was sent at all.
  override get isConnection(): boolean {
    return false;
  }
}

/** The grid CA directory when X509_CERT_DIR is unset; used only if it exists. */
export const DEFAULT_CERT_DIR = '/etc/grid-security/certificates';

/** The process's user id as the grid file names use it (`x509up_u$UID`, `bt_u$UID`). */
export function currentUid(): number {
  return process.getuid?.() ?? 0;
}

/** Default credential locations for an environment (HOME, uid); values the settings fall back to. */
export function credentialDefaults(env: NodeJS.ProcessEnv = process.env) {
  const home = env.HOME || homedir();
  return {
    certFile: join(home, '.globus', 'usercert.pem'),
    keyFile: join(home, '.globus', 'userkey.pem'),
    proxyFile: `/tmp/x509up_u${currentUid()}`,
    certDir: DEFAULT_CERT_DIR,
    oidcSessionDir: join(home, '.config', 'oxbow', 'oidc'),
  };
}

/** Reads a credential file; missing or unreadable → CredentialError naming the setting to fix. */
export function readCredentialFile(path: string, what: string, setting: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (e as Error).message})`;
    throw new CredentialError(`${what} ${path} ${why}; set ${setting} to the right file`);
  }
}

/** Refuses a private key readable by group or others, as the grid tools and Rucio's client do. */
export function checkPrivateFileMode(path: string, what: string): void {
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077)
    throw new CredentialError(
      `${what} ${path} is readable by other users (mode ${mode.toString(8).padStart(4, '0')}); run chmod 600 ${path}`,
    );
}

/** PEM certificate blocks of a text, in order. */
export function pemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** Checks that a key block is present and not encrypted (Node would fail with a bare "bad decrypt"). */
export function checkKeyPem(text: string, path: string, what: string): void {
  if (!/-----BEGIN (RSA |EC |)PRIVATE KEY-----|-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(text))
    throw new CredentialError(`${what} ${path} holds no PEM private key`);
  if (/ENCRYPTED/.test(text))
    throw new CredentialError(
      `${what} ${path} is encrypted with a passphrase; make a proxy with 'voms-proxy-init -rfc' and use OXBOW_AUTH_TYPE=x509_proxy`,
    );
}

/** The first certificate of a PEM text, checked to be within its validity period now. */
export function leafCertificate(text: string, path: string, what: string): X509Certificate {
  const first = pemCertificates(text)[0];
  if (!first) throw new CredentialError(`${what} ${path} holds no PEM certificate`);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(first);
  } catch (e) {
    throw new CredentialError(`${what} ${path} is not a readable certificate: ${(e as Error).message}`);
  }
  const now = Date.now();
  if (Date.parse(cert.validTo) <= now)
    throw new CredentialError(`${what} ${path} expired on ${new Date(cert.validTo).toISOString()}`);
  if (Date.parse(cert.validFrom) > now)
    throw new CredentialError(
      `${what} ${path} is not valid before ${new Date(cert.validFrom).toISOString()}`,
    );
  return cert;
}

// Grid CA directories hold `HASH.N` certificates next to `HASH.rN` CRLs, signing policies and namespaces.
const CA_FILE = /^[0-9a-f]{8}\.\d+$/;

/** PEM CA certificates of a grid CA directory (`HASH.N` files, PEM or DER); CRLs and policies are skipped. */
export function loadCaDir(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!CA_FILE.test(name)) continue;
    let data: Buffer;
    try {
      data = readFileSync(join(dir, name));
    } catch {
      continue; // a dangling symlink of a half-updated directory must not stop every command
    }
    const text = data.toString('latin1');
    if (text.includes('-----BEGIN CERTIFICATE-----')) out.push(...pemCertificates(text));
    else {
      try {
        out.push(new X509Certificate(data).toString());
      } catch {
        // Not a certificate: ignore as the grid tools do.
      }
    }
  }
  return out;
}

/**
 * CA certificates to trust for https: `caFile` (OXBOW_CA_FILE), the CAs of `certDir` (X509_CERT_DIR) and
 * Node's own roots, so adding grid CAs never makes a public-CA server untrusted. `undefined` = Node's
 * default. A `certDir` that was set explicitly must exist; the default one is used only when present.
 */
export function trustedCas(opts: { caFile?: string; certDir?: string }): string[] | undefined {
  const extra: string[] = [];
  if (opts.caFile) {
    let text: string;
    try {
      text = readFileSync(opts.caFile, 'latin1');
    } catch (e) {
      throw new ClientConfigError(`cannot read CA file ${opts.caFile}: ${(e as Error).message}`);
    }
    const pems = pemCertificates(text);
    if (!pems.length) throw new ClientConfigError(`CA file ${opts.caFile} holds no PEM certificate`);
    extra.push(...pems);
  }
  if (opts.certDir) {
    try {
      extra.push(...loadCaDir(opts.certDir));
    } catch (e) {
      if (opts.certDir !== DEFAULT_CERT_DIR)
        throw new ClientConfigError(
          `cannot read the CA directory ${opts.certDir} (X509_CERT_DIR): ${(e as Error).message}`,
        );
    }
  }
  return extra.length ? [...extra, ...rootCertificates] : undefined;
}
