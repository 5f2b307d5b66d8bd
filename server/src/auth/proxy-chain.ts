/**
 * Verification of a client certificate chain with RFC 3820 proxies against a grid CA store. Node's TLS
 * refuses proxy certificates, so the TLS layer only collects the chain and every rule is checked here:
 * proxy rules from the leaf down to the end-entity certificate (EEC), then the EEC to a trust anchor
 * from the CA directory (never a CA the client sent), with validity periods and CRLs.
 */
import * as asn1js from 'asn1js';
import { RucioError } from '../errors.js';
import type { CaStore } from './grid-ca.js';
import {
  BasicConstraintsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  X509Certificate,
} from './x509-crypto.js';
import { slashFromNameJson } from './x509-names.js';

/** The proxyCertInfo extension (RFC 3820). */
export const PROXY_CERT_INFO_OID = '1.3.6.1.5.5.7.1.14';
const POLICY_LANGUAGES: Record<string, ProxyPolicy> = {
  '1.3.6.1.5.5.7.21.1': 'inheritAll',
  '1.3.6.1.5.5.7.21.2': 'independent',
  '1.3.6.1.4.1.3536.1.1.1.9': 'limited',
};
type ProxyPolicy = 'inheritAll' | 'independent' | 'limited';
const MAX_CA_DEPTH = 8;

/** A chain that failed verification; the message says which rule and which certificate. */
export class ChainError extends RucioError {
  constructor(message: string) {
    super('CannotAuthenticate', 401, message);
  }
}

/** What a verified chain proves. */
export interface VerifiedChain {
  /** End-entity subject in Rucio's slash form: the identity. */
  dn: string;
  /** Subject of the presented leaf (the EEC itself, or the last proxy). */
  leafDn: string;
  /** Number of proxy certificates above the EEC. */
  proxies: number;
  /** Some proxy in the chain is a limited proxy. */
  limited: boolean;
  /** Earliest notAfter of the presented certificates: a credential is no better than its shortest link. */
  notAfter: Date;
  /** The certificates, leaf first (the EEC is at index `proxies`). */
  certs: X509Certificate[];
}

/** Slash form of a certificate's subject. */
export const subjectDn = (c: X509Certificate): string => slashFromNameJson(c.subjectName.toJSON());
/** Slash form of a certificate's issuer. */
export const issuerDn = (c: X509Certificate): string => slashFromNameJson(c.issuerName.toJSON());
const sameName = (a: X509Certificate['subjectName'], b: X509Certificate['subjectName']) =>
  JSON.stringify(a.toJSON()) === JSON.stringify(b.toJSON());

interface ProxyCertInfo {
  pathLen: number;
  policy: string;
}

/** Decodes ProxyCertInfo: `SEQUENCE { pCPathLenConstraint INTEGER OPTIONAL, proxyPolicy SEQUENCE { policyLanguage OID, policy OCTET STRING OPTIONAL } }`. */
function parseProxyCertInfo(value: ArrayBuffer, who: string): ProxyCertInfo {
  const parsed = asn1js.fromBER(value);
  const seq = parsed.result;
  if (parsed.offset === -1 || !(seq instanceof asn1js.Sequence))
    throw new ChainError(`proxy ${who}: cannot decode its ProxyCertInfo extension`);
  const items = seq.valueBlock.value;
  let pathLen = Number.POSITIVE_INFINITY;
  let i = 0;
  if (items[0] instanceof asn1js.Integer) {
    pathLen = items[0].valueBlock.valueDec;
    i = 1;
  }
  const policy = items[i];
  const lang = policy instanceof asn1js.Sequence ? policy.valueBlock.value[0] : undefined;
  if (!(lang instanceof asn1js.ObjectIdentifier))
    throw new ChainError(`proxy ${who}: its ProxyCertInfo has no policy language`);
  return { pathLen, policy: lang.valueBlock.toString() };
}

function checkTime(c: X509Certificate, now: Date, what: string): void {
  if (now < c.notBefore)
    throw new ChainError(`${what} ${subjectDn(c)} is not valid before ${c.notBefore.toISOString()}`);
  if (now > c.notAfter)
    throw new ChainError(`${what} ${subjectDn(c)} expired on ${c.notAfter.toISOString()}`);
}

/** Parses DER certificates (leaf first). */
export function parseChain(ders: Array<Uint8Array | ArrayBuffer>): X509Certificate[] {
  try {
    return ders.map((d) => new X509Certificate(d instanceof Uint8Array ? Buffer.from(d) : d));
  } catch (e) {
    throw new ChainError(`cannot parse the client certificate chain: ${(e as Error).message}`);
  }
}

/**
 * Verifies a chain (leaf first) as presented by a grid client: zero or more RFC 3820 proxies, then the
 * EEC; certificates after the EEC are ignored because trust comes only from `store`.
 */
export async function verifyProxyChain(
  certs: X509Certificate[],
  store: CaStore,
  now: Date = new Date(),
): Promise<VerifiedChain> {
  if (certs.length === 0) throw new ChainError('no client certificate was presented');
  let e = 0;
  while (e < certs.length && certs[e].getExtension(PROXY_CERT_INFO_OID)) e++;
  if (e === certs.length) {
    const top = certs[certs.length - 1];
    throw new ChainError(
      `proxy ${subjectDn(top)} arrived without its issuer ${issuerDn(top)}: the presented chain does not reach an end-entity certificate (was the proxy signed by another key than its issuer's?)`,
    );
  }
  let limited = false;
  // RFC 3820 §4: walk from the EEC towards the leaf; `j` proxies lie below certs[j].
  for (let j = e - 1; j >= 0; j--) {
    const p = certs[j];
    const issuer = certs[j + 1];
    const who = subjectDn(p);
    if (!sameName(p.issuerName, issuer.subjectName))
      throw new ChainError(
        `proxy ${who}: its issuer name ${issuerDn(p)} is not the subject of the certificate that signed it (${subjectDn(issuer)})`,
      );
    const ps = p.subjectName.toJSON();
    const is = issuer.subjectName.toJSON();
    const last = ps[ps.length - 1];
    const lastTypes = Object.keys(last ?? {});
    if (
      ps.length !== is.length + 1 ||
      JSON.stringify(ps.slice(0, -1)) !== JSON.stringify(is) ||
      lastTypes.length !== 1 ||
      lastTypes[0] !== 'CN' ||
      last.CN.length !== 1
    )
      throw new ChainError(
        `proxy ${who}: its subject must be its issuer's subject ${subjectDn(issuer)} plus exactly one CN`,
      );
    if (!(await p.verify({ publicKey: issuer.publicKey, signatureOnly: true })))
      throw new ChainError(`proxy ${who}: its signature was not made by its issuer ${subjectDn(issuer)}`);
    checkTime(p, now, 'proxy');
    const issuerKu = issuer.getExtension(KeyUsagesExtension);
    if (issuerKu && !(issuerKu.usages & KeyUsageFlags.digitalSignature))
      throw new ChainError(
        `proxy ${who}: its issuer ${subjectDn(issuer)} may not sign proxies (key usage lacks digitalSignature)`,
      );
    const ku = p.getExtension(KeyUsagesExtension);
    if (ku && ku.usages & KeyUsageFlags.keyCertSign)
      throw new ChainError(`proxy ${who}: a proxy may not carry keyCertSign in its key usage`);
    if (p.getExtension(BasicConstraintsExtension)?.ca)
      throw new ChainError(`proxy ${who}: a proxy may not be a CA (basicConstraints CA:TRUE)`);
    if (p.getExtension('2.5.29.17') || p.getExtension('2.5.29.18'))
      throw new ChainError(`proxy ${who}: a proxy may not carry subject or issuer alternative names`);
    const pciExt = p.getExtension(PROXY_CERT_INFO_OID);
    if (!pciExt?.critical) throw new ChainError(`proxy ${who}: its ProxyCertInfo extension must be critical`);
    const pci = parseProxyCertInfo(pciExt.value, who);
    if (j > pci.pathLen)
      throw new ChainError(
        `proxy ${who}: proxy path length constraint ${pci.pathLen} exceeded (${j} proxies signed below it)`,
      );
    const policy = POLICY_LANGUAGES[pci.policy];
    if (policy === 'limited') limited = true;
    else if (!policy) throw new ChainError(`proxy ${who}: unsupported proxy policy language ${pci.policy}`);
  }
  // A limited proxy may only sign limited proxies (RFC 3820 policy inheritance, as Globus enforces).
  for (let j = e - 1; j > 0; j--) {
    const pol = (c: X509Certificate) =>
      parseProxyCertInfo(c.getExtension(PROXY_CERT_INFO_OID)!.value, subjectDn(c)).policy;
    if (POLICY_LANGUAGES[pol(certs[j])] === 'limited' && POLICY_LANGUAGES[pol(certs[j - 1])] !== 'limited')
      throw new ChainError(`proxy ${subjectDn(certs[j - 1])}: a limited proxy can only sign limited proxies`);
  }

  const eec = certs[e];
  if (eec.getExtension(BasicConstraintsExtension)?.ca)
    throw new ChainError(`certificate ${subjectDn(eec)} is a CA certificate, not a user or host certificate`);
  await verifyToTrustAnchor(eec, store, now);
  const presented = certs.slice(0, e + 1);
  return {
    dn: subjectDn(eec),
    leafDn: subjectDn(certs[0]),
    proxies: e,
    limited,
    notAfter: new Date(Math.min(...presented.map((c) => c.notAfter.getTime()))),
    certs: presented,
  };
}

/** Verifies an end-entity certificate up to a self-signed CA of the store: signatures, validity, CRLs. */
export async function verifyToTrustAnchor(
  eec: X509Certificate,
  store: CaStore,
  now: Date = new Date(),
): Promise<void> {
  let cur = eec;
  for (let depth = 0; ; depth++) {
    if (depth > MAX_CA_DEPTH)
      throw new ChainError(`CA chain of ${subjectDn(eec)} is longer than ${MAX_CA_DEPTH}`);
    checkTime(cur, now, depth === 0 ? 'certificate' : 'CA certificate');
    let ca: X509Certificate | undefined;
    for (const c of store.cas) {
      if (!sameName(c.subjectName, cur.issuerName)) continue;
      if (await cur.verify({ publicKey: c.publicKey, signatureOnly: true })) {
        ca = c;
        break;
      }
    }
    if (!ca)
      throw new ChainError(
        `unknown CA: ${issuerDn(cur)} (issuer of ${subjectDn(cur)}) is not a trusted CA in ${store.dir}, or did not sign it`,
      );
    if (!ca.getExtension(BasicConstraintsExtension)?.ca)
      throw new ChainError(`${subjectDn(ca)} in ${store.dir} is not a CA certificate`);
    await checkRevocation(cur, ca, store, now);
    if (sameName(ca.subjectName, ca.issuerName)) {
      checkTime(ca, now, 'CA certificate');
      return;
    }
    cur = ca;
  }
}

/** CRL check of `cert` against the CRL of `ca` from the store: present, signed by the CA, current, not listing it. */
async function checkRevocation(cert: X509Certificate, ca: X509Certificate, store: CaStore, now: Date) {
  const crls = store.crls.filter((r) => sameName(r.issuerName, ca.subjectName));
  let valid = false;
  for (const crl of crls) {
    if (!(await crl.verify({ publicKey: ca.publicKey }))) continue;
    valid = true;
    if (crl.nextUpdate && crl.nextUpdate < now)
      throw new ChainError(
        `the CRL of ${subjectDn(ca)} in ${store.dir} expired on ${crl.nextUpdate.toISOString()}; run fetch-crl`,
      );
    const revoked = crl.findRevoked(cert);
    if (revoked)
      throw new ChainError(
        `certificate ${subjectDn(cert)} (serial ${cert.serialNumber}) was revoked by ${subjectDn(ca)} on ${revoked.revocationDate.toISOString()}`,
      );
  }
  if (!valid)
    throw new ChainError(
      `no valid CRL of ${subjectDn(ca)} in ${store.dir} (expected a HASH.r0 file signed by that CA); revocation cannot be checked`,
    );
}
