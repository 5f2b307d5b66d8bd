/**
 * VOMS attributes of a proxy: the attribute certificate (AC, RFC 5755) that a VOMS server embeds in
 * extension 1.3.6.1.4.1.8005.100.100.5. A user signs their own proxy and could paste any AC into it,
 * so FQANs are only trusted after checking the AC: its signature by the VOMS server certificate it
 * carries, that certificate against the CA store, the pair (server DN, CA DN) listed in the VO's `.lsc`
 * file of the vomsdir, the AC validity period, and the holder being the chain's end-entity certificate.
 */
import { verify as cryptoVerify, X509Certificate as NodeX509Certificate } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import type { CaStore } from './grid-ca.js';
import { subjectDn, type VerifiedChain, verifyToTrustAnchor } from './proxy-chain.js';
import { Name, X509Certificate } from './x509-crypto.js';
import { slashFromNameJson } from './x509-names.js';

const VOMS_AC_SEQ_OID = '1.3.6.1.4.1.8005.100.100.5';
const VOMS_ATTRIBUTE_OID = '1.3.6.1.4.1.8005.100.100.4';
const VOMS_CERTS_OID = '1.3.6.1.4.1.8005.100.100.10';
const SIGNATURE_HASH: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

/** Verified VOMS attributes of a chain (empty when it has none). */
export interface VomsAttributes {
  vo: string | null;
  /** FQANs in the order the VOMS server issued them, e.g. `/oxbow/Role=production`, `/oxbow/data`. */
  fqans: string[];
  /** Why an AC present in the chain was not trusted (its FQANs are then not exposed). */
  rejected?: string;
}

class AcError extends Error {}

type Block = asn1js.AsnType;
const kids = (b: Block | undefined): Block[] => {
  const v = (b as { valueBlock?: { value?: unknown } } | undefined)?.valueBlock?.value;
  return Array.isArray(v) ? (v as Block[]) : [];
};
const isTag = (b: Block | undefined, tagClass: number, tagNumber: number) =>
  !!b && b.idBlock.tagClass === tagClass && b.idBlock.tagNumber === tagNumber;
const hexOf = (b: Block) =>
  Buffer.from((b as asn1js.Integer).valueBlock.valueHexView)
    .toString('hex')
    .replace(/^(00)+(?=.)/, '')
    .toLowerCase();
const oidOf = (b: Block | undefined) => (b instanceof asn1js.ObjectIdentifier ? b.valueBlock.toString() : '');

/** The first directoryName of a GeneralNames, in slash form. */
function directoryName(generalNames: Block | undefined): string | null {
  for (const gn of kids(generalNames)) {
    if (isTag(gn, 3, 4)) {
      const inner = kids(gn)[0];
      if (inner) return slashFromNameJson(new Name(Buffer.from(inner.toBER())).toJSON());
    }
  }
  return null;
}

/** Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version, … }, signatureAlgorithm, BIT STRING } */
function looksLikeCertificate(b: Block): boolean {
  const k = kids(b);
  return (
    b instanceof asn1js.Sequence &&
    k.length === 3 &&
    k[0] instanceof asn1js.Sequence &&
    isTag(kids(k[0])[0], 3, 0) &&
    k[2] instanceof asn1js.BitString
  );
}

interface ParsedAc {
  infoDer: Uint8Array;
  holderIssuer: string | null;
  holderSerial: string | null;
  issuer: string | null;
  notBefore: Date;
  notAfter: Date;
  hash: string | undefined;
  signature: Uint8Array;
  policyAuthority: string | null;
  fqans: string[];
  certs: X509Certificate[];
}

function parseAc(ac: Block): ParsedAc {
  const [info, sigAlg, sigValue] = kids(ac);
  const fields = kids(info);
  if (fields.length < 7 || !(sigValue instanceof asn1js.BitString))
    throw new AcError('malformed attribute certificate');
  // version, holder, issuer, signature, serialNumber, validity, attributes, [issuerUID], [extensions]
  const [, holder, issuer, , , validity, attributes] = fields;
  const base = kids(holder).find((b) => isTag(b, 3, 0));
  const baseParts = kids(base);
  const v2 = kids(issuer);
  const times = kids(validity) as asn1js.GeneralizedTime[];
  let policyAuthority: string | null = null;
  const fqans: string[] = [];
  for (const attr of kids(attributes)) {
    const [type, values] = kids(attr);
    if (oidOf(type) !== VOMS_ATTRIBUTE_OID) continue;
    for (const ietf of kids(values)) {
      for (const part of kids(ietf)) {
        if (isTag(part, 3, 0)) {
          const uri = kids(part)[0] as asn1js.Primitive | undefined;
          if (uri) policyAuthority = Buffer.from(uri.valueBlock.valueHexView).toString('utf8');
        } else if (part instanceof asn1js.Sequence) {
          for (const v of kids(part))
            fqans.push(Buffer.from((v as asn1js.OctetString).valueBlock.valueHexView).toString('utf8'));
        }
      }
    }
  }
  const certs: X509Certificate[] = [];
  const extensions = fields.slice(7).find((b) => b instanceof asn1js.Sequence);
  for (const ext of kids(extensions)) {
    const parts = kids(ext);
    if (oidOf(parts[0]) !== VOMS_CERTS_OID) continue;
    const octets = parts[parts.length - 1] as asn1js.OctetString;
    // VOMS wraps the certificates in one SEQUENCE more than RFC 5755 suggests; find them at any depth.
    const collect = (b: Block, depth: number) => {
      if (looksLikeCertificate(b)) certs.push(new X509Certificate(Buffer.from(b.toBER())));
      else if (depth < 4) for (const k of kids(b)) collect(k, depth + 1);
    };
    collect(asn1js.fromBER(octets.valueBlock.valueHexView).result, 0);
  }
  return {
    infoDer: info.valueBeforeDecodeView,
    holderIssuer: directoryName(baseParts[0]),
    holderSerial: baseParts[1] ? hexOf(baseParts[1]) : null,
    issuer: directoryName(isTag(issuer, 3, 0) ? v2[0] : issuer),
    notBefore: times[0].toDate(),
    notAfter: times[1].toDate(),
    hash: SIGNATURE_HASH[oidOf(kids(sigAlg)[0])],
    signature: sigValue.valueBlock.valueHexView,
    policyAuthority,
    fqans,
    certs,
  };
}

/** `.lsc` files of a VO: each is the VOMS server DN followed by its CA chain DNs, one per line. */
async function lscEntries(vomsDir: string, vo: string): Promise<string[][]> {
  let names: string[];
  try {
    names = await readdir(join(vomsDir, vo));
  } catch {
    return [];
  }
  const out: string[][] = [];
  for (const n of names.filter((f) => f.endsWith('.lsc'))) {
    const lines = (await readFile(join(vomsDir, vo, n), 'utf8'))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    out.push(lines);
  }
  return out;
}

/** Extracts and verifies the VOMS AC of a verified chain; never throws (an untrusted AC yields no FQANs). */
export async function vomsAttributes(
  chain: VerifiedChain,
  store: CaStore,
  vomsDir: string | undefined,
  now: Date = new Date(),
): Promise<VomsAttributes> {
  const holderCert = chain.certs[chain.proxies];
  const withAc = chain.certs.slice(0, chain.proxies).find((c) => c.getExtension(VOMS_AC_SEQ_OID));
  if (!withAc) return { vo: null, fqans: [] };
  try {
    const ext = withAc.getExtension(VOMS_AC_SEQ_OID)!;
    const acs = kids(kids(asn1js.fromBER(ext.value).result)[0]);
    if (acs.length === 0) throw new AcError('the VOMS extension holds no attribute certificate');
    const ac = parseAc(acs[0]);
    const vo = ac.policyAuthority?.split('://')[0] ?? null;
    if (!vo) throw new AcError('the attribute certificate names no VO');
    if (!vomsDir)
      throw new AcError('no VOMS directory is configured (--voms-dir), so VOMS attributes cannot be trusted');
    // The holder is the EEC by serial number; VOMS servers name it by the EEC's issuer, voms-proxy-fake by its subject.
    const holderNames = [slashFromNameJson(holderCert.issuerName.toJSON()), chain.dn];
    const holderSerial = holderCert.serialNumber.replace(/^(00)+(?=.)/, '').toLowerCase();
    if (!holderNames.includes(ac.holderIssuer ?? '') || ac.holderSerial !== holderSerial)
      throw new AcError(`the attribute certificate was issued for another certificate than ${chain.dn}`);
    if (now < ac.notBefore || now > ac.notAfter)
      throw new AcError(
        `the attribute certificate is valid only from ${ac.notBefore.toISOString()} to ${ac.notAfter.toISOString()}`,
      );
    const signer = ac.certs[0];
    if (!signer) throw new AcError('the attribute certificate carries no VOMS server certificate');
    if (subjectDn(signer) !== ac.issuer)
      throw new AcError(
        `the attribute certificate issuer ${ac.issuer} is not the certificate it carries (${subjectDn(signer)})`,
      );
    if (!ac.hash) throw new AcError('the attribute certificate uses an unsupported signature algorithm');
    const signerKey = new NodeX509Certificate(Buffer.from(signer.rawData)).publicKey;
    if (!cryptoVerify(ac.hash, ac.infoDer, signerKey, ac.signature))
      throw new AcError(`the attribute certificate signature does not verify with ${subjectDn(signer)}`);
    await verifyToTrustAnchor(signer, store, now);
    const signerChain = [subjectDn(signer), slashFromNameJson(signer.issuerName.toJSON())];
    const lsc = await lscEntries(vomsDir, vo);
    if (!lsc.some((l) => l[0] === signerChain[0] && l[1] === signerChain[1]))
      throw new AcError(`VOMS server ${signerChain[0]} is not listed in ${join(vomsDir, vo)}/*.lsc`);
    return { vo, fqans: ac.fqans };
  } catch (e) {
    return { vo: null, fqans: [], rejected: (e as Error).message };
  }
}
