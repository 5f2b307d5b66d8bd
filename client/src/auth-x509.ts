/**
 * X509 authentication: `GET /auth/x509` presenting the user certificate, `GET /auth/x509_proxy`
 * presenting an RFC 3820 proxy. The credential goes into the connection pool's TLS options (the
 * whole proxy file serves as both `cert` and `key`, so Node sends the chain behind the proxy).
 * Files are read when the client is created; problems with them are reported by `authenticate`, so
 * calls that need no token (ping) still work.
 */
import { createHash, type X509Certificate } from 'node:crypto';
import { type AuthMethod, grantFromAuthResponse } from './auth.js';
import {
  CredentialError,
  checkKeyPem,
  checkPrivateFileMode,
  leafCertificate,
  readCredentialFile,
} from './auth-files.js';

/** `/DC=org/DC=oxbow/OU=Users/CN=Jane Doe` from Node's one-attribute-per-line subject. */
function slashSubject(cert: X509Certificate): string {
  return `/${cert.subject.split('\n').join('/')}`;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** An auth method whose credential could not be loaded: every login fails with that reason. */
function failingAuth(type: string, error: Error): AuthMethod {
  return {
    type,
    identityKey: `${type}:unavailable`,
    async authenticate() {
      throw error;
    },
  };
}

/** Logs in at an x509 endpoint; the connection already presents the credential. */
function x509Authenticate(path: string, dn: string): AuthMethod['authenticate'] {
  return async (get, account) => {
    // Ask for the account list rather than a bare 401 when the DN maps to several accounts.
    const headers: Record<string, string> = { 'X-Rucio-Allow-Return-Multiple-Accounts': 'true' };
    if (account) headers['X-Rucio-Account'] = account;
    const res = await get(path, headers);
    return grantFromAuthResponse(res, `GET ${path}`, `certificate DN ${dn}`);
  };
}

/** Certificate authentication with `X509_USER_CERT` + `X509_USER_KEY` (or the given files). */
export function x509Auth(certFile: string, keyFile: string): AuthMethod {
  try {
    const cert = readCredentialFile(certFile, 'X509 certificate', 'X509_USER_CERT');
    const key = readCredentialFile(keyFile, 'X509 key', 'X509_USER_KEY');
    checkKeyPem(key, keyFile, 'X509 key');
    checkPrivateFileMode(keyFile, 'X509 key');
    const leaf = leafCertificate(cert, certFile, 'X509 certificate');
    return {
      type: 'x509',
      identityKey: `x509:${digest(cert)}`,
      tls: { cert, key },
      authenticate: x509Authenticate('/auth/x509', slashSubject(leaf)),
    };
  } catch (e) {
    if (e instanceof CredentialError) return failingAuth('x509', e);
    throw e;
  }
}

/** Proxy authentication with the proxy file (`X509_USER_PROXY`, default `/tmp/x509up_u$UID`). */
export function x509ProxyAuth(proxyFile: string): AuthMethod {
  try {
    const pem = readCredentialFile(
      proxyFile,
      'X509 proxy',
      'X509_USER_PROXY (or make one with voms-proxy-init -rfc)',
    );
    checkKeyPem(pem, proxyFile, 'X509 proxy');
    checkPrivateFileMode(proxyFile, 'X509 proxy');
    const leaf = leafCertificate(pem, proxyFile, 'X509 proxy');
    return {
      type: 'x509_proxy',
      // A renewed proxy is a new certificate: it gets its own token.
      identityKey: `x509_proxy:${digest(pem)}`,
      tls: { cert: pem, key: pem },
      authenticate: x509Authenticate('/auth/x509_proxy', slashSubject(leaf)),
    };
  } catch (e) {
    if (e instanceof CredentialError) return failingAuth('x509_proxy', e);
    throw e;
  }
}
