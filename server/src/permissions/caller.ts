/**
 * What the policy knows about a caller beyond its account: how it authenticated and what its credential
 * carries (VOMS FQANs, limited proxy, WLCG token scopes and groups). Added to `Caller` by declaration
 * merging so routes keep using `req.caller` unchanged.
 */
import type { CaSource } from '../auth/grid-ca.js';
import type { OidcVerifier } from '../auth/oidc.js';

/** A WLCG storage capability: `storage.read:/path` and friends. */
export interface StorageScope {
  action: 'read' | 'create' | 'modify' | 'stage';
  path: string;
}

/** The credential behind a caller. */
export interface CallerCredential {
  /** `userpass`, `x509`, `x509_proxy`, `oidc`, … (Rucio's auth type names). */
  method: string;
  /** X509: the chain includes a limited proxy. */
  limited?: boolean;
  /** X509: verified VOMS FQANs (`/vo/group`, `/vo/Role=role`). */
  fqans?: string[];
  /** OIDC: token issuer and subject. */
  issuer?: string;
  subject?: string;
  /** OIDC: every scope of the token, raw. */
  scopes?: string[];
  /** OIDC: WLCG storage scopes; `undefined` when the token has none (then identity-based rules apply). */
  storage?: StorageScope[];
  /** Groups: `wlcg.groups` of a token, or the groups/roles of VOMS FQANs. */
  groups?: string[];
  /** When the credential itself stops being valid. */
  expiresAt?: string;
}

declare module '../context.js' {
  interface Caller {
    /** How the caller authenticated; absent for callers built before the credential was known. */
    credential?: CallerCredential;
  }
  interface AppContext {
    /** X509 and OIDC services; absent when the server runs without TLS or issuers. */
    auth?: AuthServices;
  }
}

/** Trusted front end that terminates TLS and forwards the client DN in a header. */
export interface FrontEndTrust {
  /** Request header holding the client DN (slash or RFC 2253 form). */
  header: string;
  /** Remote addresses of the front end; the header is ignored from anyone else. */
  addresses: string[];
}

/** Authentication services configured for a server. */
export interface AuthServices {
  ca?: CaSource;
  vomsDir?: string;
  frontEnd?: FrontEndTrust;
  oidc?: OidcVerifier;
  /** Groups or FQANs whose members act as admins (VOMS role or `wlcg.groups` entry). */
  adminGroups: string[];
}

/** Groups named by VOMS FQANs: `/oxbow/data/Role=NULL/Capability=NULL` → `/oxbow/data`; roles keep their `Role=` part. */
export function fqanGroups(fqans: string[]): string[] {
  const out = new Set<string>();
  for (const f of fqans) {
    const parts = f.split('/').filter((p) => p && p !== 'Role=NULL' && p !== 'Capability=NULL');
    out.add(`/${parts.join('/')}`);
    const groupOnly = parts.filter((p) => !p.includes('='));
    if (groupOnly.length) out.add(`/${groupOnly.join('/')}`);
  }
  return [...out];
}
