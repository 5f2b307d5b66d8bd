import { createHash, createHmac } from 'node:crypto';

/** SHA-256 of an empty payload (hex), used for bodiless requests. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** Payload hash S3 accepts when the body is streamed without hashing it first. */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** AWS access key pair (with optional STS session token). */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A request to sign. `path` is the raw (unencoded) path; it is encoded here, once, as S3 wants. */
export interface SignableRequest {
  method: string;
  path: string;
  /** Raw (unencoded) query parameters; repeated keys allowed. */
  query?: Array<[string, string]>;
  /** Headers to sign (must include host). Names are case-insensitive. */
  headers: Record<string, string>;
  /** Hex SHA-256 of the body, or UNSIGNED-PAYLOAD. */
  payloadHash: string;
  region: string;
  service: string;
  date: Date;
}

/** SHA-256 hex of a string or buffer. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Uint8Array | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** RFC 3986 encoding as SigV4 defines it: every byte except A-Z a-z 0-9 - . _ ~ is %XX (uppercase). */
export function awsUriEncode(s: string, keepSlash = false): string {
  const enc = encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return keepSlash ? enc.replace(/%2F/g, '/') : enc;
}

/** `YYYYMMDDTHHMMSSZ` of a date. */
export function amzDate(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Canonical query string: keys and values encoded, sorted by key then value. */
export function canonicalQuery(query: Array<[string, string]> = []): string {
  return query
    .map(([k, v]) => [awsUriEncode(k), awsUriEncode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** Canonical headers block and the signed-header list (lowercase names, trimmed, inner spaces collapsed). */
export function canonicalHeaders(headers: Record<string, string>): { block: string; signed: string } {
  const byName = new Map<string, string[]>();
  for (const [k, v] of Object.entries(headers)) {
    const name = k.toLowerCase().trim();
    const value = String(v).trim().replace(/\s+/g, ' ');
    const list = byName.get(name) ?? [];
    list.push(value);
    byName.set(name, list);
  }
  const names = [...byName.keys()].sort();
  return {
    block: names.map((n) => `${n}:${byName.get(n)!.join(',')}\n`).join(''),
    signed: names.join(';'),
  };
}

/** The canonical request text (task 1 of SigV4). */
export function canonicalRequest(req: SignableRequest): { text: string; signedHeaders: string } {
  const { block, signed } = canonicalHeaders(req.headers);
  const path = awsUriEncode(req.path || '/', true);
  const text = [
    req.method.toUpperCase(),
    path,
    canonicalQuery(req.query),
    block,
    signed,
    req.payloadHash,
  ].join('\n');
  return { text, signedHeaders: signed };
}

/** `date/region/service/aws4_request`. */
export function credentialScope(date: Date, region: string, service: string): string {
  return `${amzDate(date).slice(0, 8)}/${region}/${service}/aws4_request`;
}

/** String to sign (task 2). */
export function stringToSign(canonical: string, date: Date, region: string, service: string): string {
  return [
    'AWS4-HMAC-SHA256',
    amzDate(date),
    credentialScope(date, region, service),
    sha256Hex(canonical),
  ].join('\n');
}

/** Derived signing key (task 3): HMAC chain over date, region, service, "aws4_request". */
export function signingKey(secret: string, date: Date, region: string, service: string): Buffer {
  const kDate = hmac(`AWS4${secret}`, amzDate(date).slice(0, 8));
  return hmac(hmac(hmac(kDate, region), service), 'aws4_request');
}

/** Signature hex of a request whose headers already hold everything to sign. */
export function signature(
  req: SignableRequest,
  creds: AwsCredentials,
): { signature: string; signedHeaders: string } {
  const { text, signedHeaders } = canonicalRequest(req);
  const sts = stringToSign(text, req.date, req.region, req.service);
  const sig = createHmac('sha256', signingKey(creds.secretAccessKey, req.date, req.region, req.service))
    .update(sts, 'utf8')
    .digest('hex');
  return { signature: sig, signedHeaders };
}

/** Authorization header value for a request (headers must already contain host and x-amz-date). */
export function authorizationHeader(req: SignableRequest, creds: AwsCredentials): string {
  const { signature: sig, signedHeaders } = signature(req, creds);
  return (
    `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${credentialScope(req.date, req.region, req.service)}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${sig}`
  );
}

/**
 * Headers to send for an S3 request: the given ones plus host, x-amz-date, x-amz-content-sha256,
 * x-amz-security-token (when a session token is used) and authorization.
 */
export function signS3Request(
  req: Omit<SignableRequest, 'date' | 'service' | 'headers'> & {
    host: string;
    headers?: Record<string, string>;
    date?: Date;
    service?: string;
  },
  creds: AwsCredentials,
): Record<string, string> {
  const date = req.date ?? new Date();
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
  headers.host = req.host;
  headers['x-amz-date'] = amzDate(date);
  headers['x-amz-content-sha256'] = req.payloadHash;
  if (creds.sessionToken) headers['x-amz-security-token'] = creds.sessionToken;
  // content-length may be changed by the transport; signing it adds nothing here.
  const toSign = { ...headers };
  delete toSign['content-length'];
  headers.authorization = authorizationHeader(
    { ...req, headers: toSign, date, service: req.service ?? 's3' },
    creds,
  );
  return headers;
}

/** Query-string (presigned) URL: anyone holding it may do `method` on the object until it expires. */
export function presignUrl(
  p: {
    method: string;
    /** Origin, e.g. `https://examplebucket.s3.amazonaws.com` or `http://127.0.0.1:9000`. */
    origin: string;
    /** Raw path, e.g. `/bucket/key with spaces`. */
    path: string;
    region: string;
    expiresSec: number;
    date?: Date;
    service?: string;
    query?: Array<[string, string]>;
  },
  creds: AwsCredentials,
): string {
  const date = p.date ?? new Date();
  const service = p.service ?? 's3';
  const host = new URL(p.origin).host;
  const query: Array<[string, string]> = [
    ...(p.query ?? []),
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${creds.accessKeyId}/${credentialScope(date, p.region, service)}`],
    ['X-Amz-Date', amzDate(date)],
    ['X-Amz-Expires', String(p.expiresSec)],
    ['X-Amz-SignedHeaders', 'host'],
  ];
  if (creds.sessionToken) query.push(['X-Amz-Security-Token', creds.sessionToken]);
  const { signature: sig } = signature(
    {
      method: p.method,
      path: p.path,
      query,
      headers: { host },
      payloadHash: UNSIGNED_PAYLOAD,
      region: p.region,
      service,
      date,
    },
    creds,
  );
  return `${p.origin}${awsUriEncode(p.path, true)}?${canonicalQuery(query)}&X-Amz-Signature=${sig}`;
}
