/**
 * Distinguished names in the forms grid services exchange. Rucio stores X509 identities in OpenSSL's
 * legacy "compat" slash form (`/DC=org/DC=oxbow/OU=Users/CN=Jane Doe`, most significant RDN first), so
 * that is the one canonical form here; RFC 2253 text (`CN=Jane Doe,OU=Users,DC=oxbow,DC=org`) is
 * accepted as input and converted.
 */
import { identityError } from '../errors.js';

/** One RDN: its attribute type/value pairs (multi-valued RDNs have several). */
export type Rdn = Array<[type: string, value: string]>;

// OpenSSL's short names for the attribute types a certificate DN holds, keyed by what
// @peculiar/x509 prints (short name or dotted OID) and by the spellings people type in RFC 2253.
const OPENSSL_NAMES: Record<string, string> = {
  CN: 'CN',
  COMMONNAME: 'CN',
  '2.5.4.3': 'CN',
  DC: 'DC',
  DOMAINCOMPONENT: 'DC',
  '0.9.2342.19200300.100.1.25': 'DC',
  OU: 'OU',
  ORGANIZATIONALUNITNAME: 'OU',
  '2.5.4.11': 'OU',
  O: 'O',
  ORGANIZATIONNAME: 'O',
  '2.5.4.10': 'O',
  C: 'C',
  COUNTRYNAME: 'C',
  '2.5.4.6': 'C',
  L: 'L',
  LOCALITYNAME: 'L',
  '2.5.4.7': 'L',
  ST: 'ST',
  S: 'ST',
  STATEORPROVINCENAME: 'ST',
  '2.5.4.8': 'ST',
  E: 'emailAddress',
  EMAIL: 'emailAddress',
  EMAILADDRESS: 'emailAddress',
  '1.2.840.113549.1.9.1': 'emailAddress',
  UID: 'UID',
  USERID: 'UID',
  '0.9.2342.19200300.100.1.1': 'UID',
  SERIALNUMBER: 'serialNumber',
  '2.5.4.5': 'serialNumber',
  T: 'title',
  TITLE: 'title',
  '2.5.4.12': 'title',
  GN: 'GN',
  GIVENNAME: 'GN',
  '2.5.4.42': 'GN',
  SN: 'SN',
  SURNAME: 'SN',
  '2.5.4.4': 'SN',
  STREET: 'street',
  '2.5.4.9': 'street',
  POSTALCODE: 'postalCode',
  '2.5.4.17': 'postalCode',
};

/** OpenSSL's spelling of an attribute type (unknown types keep their dotted OID, as OpenSSL prints them). */
export function attributeName(type: string): string {
  return OPENSSL_NAMES[type.toUpperCase()] ?? OPENSSL_NAMES[type] ?? type;
}

/** Slash form of RDNs given most significant first (as a certificate encodes them). */
export function slashFromRdns(rdns: Rdn[]): string {
  return rdns.map((rdn) => `/${rdn.map(([t, v]) => `${attributeName(t)}=${v}`).join('+')}`).join('');
}

/** Slash form of a name as @peculiar/x509's `Name.toJSON()` returns it (DER order). */
export function slashFromNameJson(json: Array<Record<string, string[]>>): string {
  return slashFromRdns(
    json.map((rdn) => Object.entries(rdn).flatMap(([t, vs]) => vs.map((v): [string, string] => [t, v]))),
  );
}

/** Splits RFC 2253/4514 text into RDNs (as written: least significant first), honouring `\` escapes and quotes. */
export function parseRfc2253(text: string): Rdn[] {
  const rdns: Rdn[] = [];
  let rdn: Rdn = [];
  let type = '';
  let value = '';
  let inValue = false;
  let quoted = false;
  const push = () => {
    const t = type.trim();
    if (!t) throw identityError(`Cannot parse DN '${text}': an attribute type is missing.`);
    rdn.push([t, inValue ? value.trim() : '']);
    type = '';
    value = '';
    inValue = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') quoted = false;
      else if (ch === '\\' && i + 1 < text.length) value += text[++i];
      else value += ch;
      continue;
    }
    if (ch === '\\' && i + 1 < text.length) {
      const hex = text.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        // A run of \XX escapes is UTF-8; decode it as one byte sequence.
        const bytes: number[] = [];
        while (text[i] === '\\' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
          bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
          i += 3;
        }
        i--;
        value += Buffer.from(bytes).toString('utf8');
      } else if (inValue) {
        value += text[++i];
      } else {
        type += text[++i];
      }
      continue;
    }
    if (!inValue) {
      if (ch === '=') inValue = true;
      else type += ch;
      continue;
    }
    if (ch === '"' && value.trim() === '') {
      quoted = true;
      value = '';
    } else if (ch === '+') {
      push();
    } else if (ch === ',' || ch === ';') {
      push();
      rdns.push(rdn);
      rdn = [];
    } else {
      value += ch;
    }
  }
  if (type.trim() || inValue) push();
  if (rdn.length) rdns.push(rdn);
  if (rdns.length === 0 || rdns.some((r) => r.some(([, v]) => v === '')))
    throw identityError(`Cannot parse DN '${text}': every RDN needs TYPE=value.`);
  return rdns;
}

const MOST_SIGNIFICANT = new Set(['DC', 'C']);

/**
 * Canonical (slash) form of an X509 identity typed by a person: slash input is kept (trimmed), RFC 2253
 * input is reversed into slash order. A comma list that already starts with DC/C and ends with CN is
 * taken as written most-significant-first (a common hand-written variant) and not reversed.
 */
export function normaliseX509Identity(dn: string): string {
  const text = dn.trim();
  if (text.startsWith('/')) {
    if (!/^\/[^/=]+=/.test(text))
      throw identityError(`Cannot parse DN '${dn}': expected /TYPE=value/TYPE=value…`);
    return text;
  }
  if (!text.includes('='))
    throw identityError(
      `Cannot parse DN '${dn}': use the slash form '/DC=org/DC=example/CN=Name' or RFC 2253 'CN=Name,DC=example,DC=org'.`,
    );
  const rdns = parseRfc2253(text);
  const first = attributeName(rdns[0][0][0]);
  const last = attributeName(rdns[rdns.length - 1][0][0]);
  const forward = MOST_SIGNIFICANT.has(first) && last === 'CN';
  return slashFromRdns(forward ? rdns : [...rdns].reverse());
}

/**
 * Rucio's `strip_x509_proxy_attributes`: removes trailing proxy CNs (`/CN=proxy`, `/CN=limited proxy`,
 * `/CN=<digits>`) from a slash DN. Only used for DNs handed over by a front end; a chain verified here
 * knows its end-entity subject exactly.
 */
export function stripProxyCns(dn: string): string {
  if (dn.startsWith('/')) return dn.replace(/(\/CN=(limited proxy|proxy|[0-9]+))+$/, '');
  return dn.replace(/^(CN=(limited proxy|proxy|[0-9]+),)+/, '');
}
