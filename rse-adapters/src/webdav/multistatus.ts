/** One <response> of a WebDAV multistatus (PROPFIND) answer. */
export interface DavEntry {
  /** Decoded path part of the href. */
  href: string;
  isDir: boolean;
  size?: number;
  mtime?: Date;
  /** Status of the propstat that carried the properties (200 normally). */
  status?: number;
}

/** Text of the first element with this local name (any namespace prefix), or undefined. */
function element(xml: string, local: string): string | undefined {
  const re = new RegExp(
    `<(?:[\\w.-]+:)?${local}(?:\\s[^>]*)?(?:/>|>([\\s\\S]*?)</(?:[\\w.-]+:)?${local}\\s*>)`,
    'i',
  );
  const m = re.exec(xml);
  if (!m) return undefined;
  return m[1] ?? '';
}

/** Minimal XML entity decoding for hrefs and text values. */
function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/**
 * Parses a 207 multistatus body into entries. Only the properties Oxbow needs are read
 * (href, resourcetype/iscollection, getcontentlength, getlastmodified); namespace prefixes differ
 * between servers (nginx `D:`, XrdHttp `D:`/`lp1:`), so elements are matched by local name.
 */
export function parseMultistatus(xml: string): DavEntry[] {
  const out: DavEntry[] = [];
  const respRe = /<(?:[\w.-]+:)?response(?:\s[^>]*)?>([\s\S]*?)<\/(?:[\w.-]+:)?response\s*>/gi;
  for (let m = respRe.exec(xml); m; m = respRe.exec(xml)) {
    const body = m[1];
    const hrefRaw = element(body, 'href');
    if (hrefRaw === undefined) continue;
    let href = unescapeXml(hrefRaw.trim());
    // Some servers return absolute URLs in href.
    const abs = /^[a-z]+:\/\/[^/]*(\/.*)?$/i.exec(href);
    if (abs) href = abs[1] ?? '/';
    try {
      href = decodeURIComponent(href);
    } catch {
      // Leave undecodable hrefs as they are.
    }
    const rtype = element(body, 'resourcetype') ?? '';
    const iscoll = element(body, 'iscollection');
    const isDir = /<(?:[\w.-]+:)?collection\b/i.test(rtype) || iscoll?.trim() === '1';
    const len = element(body, 'getcontentlength');
    const lm = element(body, 'getlastmodified');
    const st = element(body, 'status');
    const status = st ? Number(/\s(\d{3})\s/.exec(` ${st} `)?.[1]) : undefined;
    const mtime = lm ? new Date(unescapeXml(lm.trim())) : undefined;
    out.push({
      href,
      isDir,
      size: len !== undefined && len.trim() !== '' ? Number(len.trim()) : undefined,
      mtime: mtime && !Number.isNaN(mtime.getTime()) ? mtime : undefined,
      status,
    });
  }
  return out;
}

/** Parses an RFC 3230 `Digest` header (`adler32=0a1b2c3d, md5=<base64>`) into lowercase hex values. */
export function parseDigestHeader(header: string | string[] | undefined): { adler32?: string; md5?: string } {
  if (!header) return {};
  const out: { adler32?: string; md5?: string } = {};
  for (const part of ([] as string[]).concat(header).join(',').split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const alg = part.slice(0, eq).trim().toLowerCase();
    const val = part.slice(eq + 1).trim();
    if (alg === 'adler32') out.adler32 = val.toLowerCase().padStart(8, '0');
    else if (alg === 'md5') {
      // RFC 3230 says base64; some servers send hex anyway.
      out.md5 = /^[0-9a-f]{32}$/i.test(val) ? val.toLowerCase() : Buffer.from(val, 'base64').toString('hex');
    }
  }
  return out;
}
