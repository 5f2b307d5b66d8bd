/** Text of every element with this name (S3 XML has no namespace prefixes on element names). */
export function allTags(xml: string, tag: string): string[] {
  const re = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`, 'g');
  const out: string[] = [];
  for (let m = re.exec(xml); m; m = re.exec(xml)) out.push(unescapeXml(m[1]));
  return out;
}

/** Text of the first element with this name, or undefined. */
export function tag(xml: string, name: string): string | undefined {
  return allTags(xml, name)[0];
}

/** Decodes the five predefined XML entities. */
export function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, '&');
}

/** Escapes text for an XML element body. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Objects and common prefixes of one ListObjectsV2 page. */
export interface ListPage {
  objects: Array<{ key: string; size: number; etag?: string; lastModified?: Date }>;
  prefixes: string[];
  nextToken?: string;
}

/** Parses a ListBucketResult (ListObjectsV2). */
export function parseListV2(xml: string): ListPage {
  const objects: ListPage['objects'] = [];
  const contentsRe = /<Contents>([\s\S]*?)<\/Contents>/g;
  for (let m = contentsRe.exec(xml); m; m = contentsRe.exec(xml)) {
    const c = m[1];
    const lm = tag(c, 'LastModified');
    objects.push({
      key: tag(c, 'Key') ?? '',
      size: Number(tag(c, 'Size') ?? 0),
      etag: tag(c, 'ETag')?.replace(/"/g, ''),
      lastModified: lm ? new Date(lm) : undefined,
    });
  }
  const prefixes: string[] = [];
  const cpRe = /<CommonPrefixes>([\s\S]*?)<\/CommonPrefixes>/g;
  for (let m = cpRe.exec(xml); m; m = cpRe.exec(xml)) {
    const p = tag(m[1], 'Prefix');
    if (p !== undefined) prefixes.push(p);
  }
  const truncated = tag(xml, 'IsTruncated') === 'true';
  return { objects, prefixes, nextToken: truncated ? tag(xml, 'NextContinuationToken') : undefined };
}
