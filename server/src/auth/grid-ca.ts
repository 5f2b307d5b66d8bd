/**
 * Trust anchors from a CA directory in the grid layout (/etc/grid-security/certificates): `HASH.N` hold
 * CA certificates, `HASH.rN` their CRLs (PEM or DER). fetch-crl rewrites CRLs in place, so the store
 * is re-read when the folder changes and at least every few minutes.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { X509Certificate, X509Crl } from './x509-crypto.js';

/** Parsed content of a CA directory. */
export interface CaStore {
  dir: string;
  cas: X509Certificate[];
  crls: X509Crl[];
  /** PEM text of every CA, for the TLS `ca` option (the names go into the certificate request). */
  pems: string[];
  /** Files that could not be parsed, with the reason (reported, not fatal). */
  problems: string[];
  loadedAt: number;
}

const CA_FILE = /^[0-9a-f]{8}\.\d+$/;
const CRL_FILE = /^[0-9a-f]{8}\.r\d+$/;
const PEM_BLOCK = (label: string) =>
  new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----`, 'g');

/** Reads every `HASH.N` certificate and `HASH.rN` CRL of `dir`. */
export async function loadCaDir(dir: string): Promise<CaStore> {
  const names = (await readdir(dir)).sort();
  const store: CaStore = { dir, cas: [], crls: [], pems: [], problems: [], loadedAt: Date.now() };
  for (const name of names) {
    const isCa = CA_FILE.test(name);
    const isCrl = CRL_FILE.test(name);
    if (!isCa && !isCrl) continue;
    try {
      const data = await readFile(join(dir, name));
      const text = data.toString('latin1');
      if (isCa) {
        const blocks = text.match(PEM_BLOCK('CERTIFICATE')) ?? [];
        const certs = blocks.length ? blocks.map((b) => new X509Certificate(b)) : [new X509Certificate(data)];
        for (const c of certs) {
          store.cas.push(c);
          store.pems.push(c.toString('pem'));
        }
      } else {
        const blocks = text.match(PEM_BLOCK('X509 CRL')) ?? [];
        if (blocks.length) for (const b of blocks) store.crls.push(new X509Crl(b));
        else store.crls.push(new X509Crl(data));
      }
    } catch (e) {
      store.problems.push(`${name}: ${(e as Error).message}`);
    }
  }
  return store;
}

/** A CA store that reloads itself; `get()` is cheap between reloads. */
export interface CaSource {
  get(): Promise<CaStore>;
  /** The store as last loaded (for the TLS `ca` option at start-up). */
  readonly current: CaStore;
}

/** Loads `dir` now and keeps it fresh: re-read when its mtime changes (checked every 10 s) or after `maxAgeMs`. */
export async function caSource(dir: string, maxAgeMs = 300_000): Promise<CaSource> {
  let store = await loadCaDir(dir);
  let mtime = (await stat(dir)).mtimeMs;
  let checkedAt = Date.now();
  let reloading: Promise<void> | null = null;
  const reload = async () => {
    const m = (await stat(dir)).mtimeMs;
    if (m !== mtime || Date.now() - store.loadedAt > maxAgeMs) {
      store = await loadCaDir(dir);
      mtime = m;
    }
    checkedAt = Date.now();
  };
  return {
    get current() {
      return store;
    },
    async get() {
      if (Date.now() - checkedAt > 10_000) {
        reloading ??= reload()
          .catch(() => {
            // A vanished or unreadable folder keeps the last good store rather than trusting nothing mid-flight.
            checkedAt = Date.now();
          })
          .finally(() => {
            reloading = null;
          });
        await reloading;
      }
      return store;
    },
  };
}
