/**
 * X509 authentication of a request: the client chain of the TLS connection, verified here (see
 * proxy-chain.ts), or — only when configured — the DN a trusted TLS-terminating front end forwards in a
 * header. Verification runs once per TLS connection and is reused by the requests it carries.
 */
import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { cannotAuthenticate } from '../errors.js';
import type { AuthServices } from '../permissions/caller.js';
import { parseChain, verifyProxyChain } from './proxy-chain.js';
import { normaliseX509Identity, stripProxyCns } from './x509-names.js';
import { vomsAttributes } from './x509-voms.js';

/** Who an X509 credential says the caller is. */
export interface X509Identity {
  /** End-entity DN, slash form: the identity looked up in `identities`. */
  dn: string;
  /** `x509` for a plain certificate, `x509_proxy` when proxies were presented. */
  method: 'x509' | 'x509_proxy';
  proxies: number;
  limited: boolean;
  vo: string | null;
  fqans: string[];
  /** Why VOMS attributes present in the chain were not trusted. */
  vomsRejected?: string;
  /** End of the credential's validity. */
  notAfter: Date | null;
  /** `tls` when this server verified the chain, `front-end` when a trusted front end vouched for the DN. */
  source: 'tls' | 'front-end';
}

/** DER certificates the peer presented, leaf first (Node links them by issuer; the CA it appends is ignored later). */
export function peerChain(socket: TLSSocket): Buffer[] {
  const out: Buffer[] = [];
  let c = socket.getPeerCertificate(true);
  while (c?.raw && !out.some((b) => b.equals(c.raw))) {
    out.push(c.raw);
    c = c.issuerCertificate;
  }
  return out;
}

const perSocket = new WeakMap<TLSSocket, Promise<X509Identity>>();

/** Verifies the client certificate chain of a TLS connection. */
async function fromTls(socket: TLSSocket, auth: AuthServices): Promise<X509Identity> {
  if (!auth.ca)
    throw cannotAuthenticate('Cannot get DN: this server has no CA directory configured (--ca-dir).');
  const ders = peerChain(socket);
  if (ders.length === 0)
    throw cannotAuthenticate(
      'Cannot get DN: no client certificate was presented; connect over HTTPS with your certificate or proxy.',
    );
  const store = await auth.ca.get();
  const chain = await verifyProxyChain(parseChain(ders), store);
  const voms = await vomsAttributes(chain, store, auth.vomsDir);
  return {
    dn: chain.dn,
    method: chain.proxies > 0 ? 'x509_proxy' : 'x509',
    proxies: chain.proxies,
    limited: chain.limited,
    vo: voms.vo,
    fqans: voms.fqans,
    vomsRejected: voms.rejected,
    notAfter: chain.notAfter,
    source: 'tls',
  };
}

const normaliseAddress = (a: string | undefined) => (a ?? '').replace(/^::ffff:/, '');

/** Authenticates the request's X509 credential or throws CannotAuthenticate with the reason. */
export async function authenticateX509(
  req: FastifyRequest,
  auth: AuthServices | undefined,
): Promise<X509Identity> {
  const socket = req.raw.socket as TLSSocket;
  if (socket.encrypted && auth) {
    // Several requests share a connection (keep-alive): verify its chain once. Failures are not cached
    // for long either way: the connection carries the same chain, so the same answer is right.
    let p = perSocket.get(socket);
    if (!p) {
      p = fromTls(socket, auth);
      perSocket.set(socket, p);
    }
    const hasCert = socket.getPeerCertificate()?.raw;
    if (hasCert || !auth.frontEnd) return p;
  }
  const fe = auth?.frontEnd;
  if (fe) {
    const value = req.headers[fe.header.toLowerCase()];
    const from = normaliseAddress(req.raw.socket.remoteAddress);
    if (typeof value === 'string' && value.trim() !== '') {
      if (!fe.addresses.map(normaliseAddress).includes(from))
        throw cannotAuthenticate(
          `Cannot get DN: header ${fe.header} is only accepted from the trusted front end, not from ${from}.`,
        );
      const dn = stripProxyCns(normaliseX509Identity(value));
      return {
        dn,
        method: dn === normaliseX509Identity(value) ? 'x509' : 'x509_proxy',
        proxies: 0,
        limited: false,
        vo: null,
        fqans: [],
        notAfter: null,
        source: 'front-end',
      };
    }
  }
  throw cannotAuthenticate(
    socket.encrypted
      ? 'Cannot get DN: no client certificate was presented; send your certificate or proxy with the request.'
      : 'Cannot get DN: X509 authentication needs HTTPS with a client certificate (start the server with --tls-cert/--tls-key).',
  );
}
