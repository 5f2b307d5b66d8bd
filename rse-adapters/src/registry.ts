import { StorageError } from './errors.js';
import { createPosixAdapter, type PosixOptions } from './posix/adapter.js';
import { createRootAdapter, type RootOptions } from './root/adapter.js';
import { createS3Adapter, type S3Options } from './s3/adapter.js';
import type { AdapterKind, RseProtocol, StorageAdapter } from './types.js';
import { createWebdavAdapter } from './webdav/adapter.js';

/** Rucio implementation modules (and Oxbow's own names) that fix the adapter regardless of scheme. */
const IMPL_KINDS: Record<string, AdapterKind> = {
  posix: 'posix',
  xrootd: 'root',
  root: 'root',
  webdav: 'webdav',
  s3: 's3',
  s3boto: 's3',
  s3boto3: 's3',
  s3es: 's3',
};

/** Schemes and the adapter that speaks them. */
const SCHEME_KINDS: Record<string, AdapterKind> = {
  file: 'posix',
  root: 'root',
  xroot: 'root',
  roots: 'root',
  davs: 'webdav',
  dav: 'webdav',
  https: 'webdav',
  http: 'webdav',
  s3: 's3',
  s3s: 's3',
};

/** Module name inside an impl string: `rucio.rse.protocols.xrootd.Default` → `xrootd`, `oxbow.s3` → `s3`. */
function implModule(impl: string): string {
  const parts = impl.trim().toLowerCase().split('.');
  const i = parts.indexOf('protocols');
  if (i >= 0 && parts[i + 1]) return parts[i + 1];
  if (parts[0] === 'oxbow' && parts[1]) return parts[1];
  return parts.length === 1 ? parts[0] : '';
}

/**
 * Adapter kind for a protocol. A specific impl (Rucio's posix/xrootd/webdav/s3 modules, or Oxbow's
 * `oxbow.<kind>`/`<kind>`) decides; generic ones (gfal, gfalv2, storm, …) or unknown names fall back
 * to the scheme, so an RSE defined for Rucio works unchanged. A webdav impl on an s3 scheme is
 * refused (UNSUPPORTED) rather than guessed.
 */
export function implFor(protocol: Pick<RseProtocol, 'impl' | 'scheme'>): AdapterKind {
  const scheme = (protocol.scheme ?? '').toLowerCase();
  const byScheme = SCHEME_KINDS[scheme];
  const byImpl = IMPL_KINDS[implModule(protocol.impl ?? '')];
  if (byImpl) {
    // s3 over https is declared with scheme https and an s3 impl: the impl wins for http(s).
    if (byScheme && byScheme !== byImpl && !(byImpl === 's3' && (scheme === 'https' || scheme === 'http')))
      throw new StorageError('UNSUPPORTED', `impl ${protocol.impl} does not speak scheme ${scheme}`, {
        retryable: false,
      });
    return byImpl;
  }
  if (byScheme) return byScheme;
  throw new StorageError('UNSUPPORTED', `no adapter for impl ${protocol.impl} with scheme ${scheme}`, {
    retryable: false,
  });
}

/** Options for any adapter (each reads the fields it knows). */
export type AnyAdapterOptions = PosixOptions & RootOptions & S3Options;

/** Builds the adapter for a protocol definition (see implFor). */
export function createAdapter(protocol: RseProtocol, options: AnyAdapterOptions = {}): StorageAdapter {
  switch (implFor(protocol)) {
    case 'posix':
      return createPosixAdapter(protocol, options);
    case 'root':
      return createRootAdapter(protocol, options);
    case 'webdav':
      return createWebdavAdapter(protocol, options);
    case 's3':
      return createS3Adapter(protocol, options);
  }
}
