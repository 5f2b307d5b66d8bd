import type { StreamerElement, StreamerInfo } from '../io/types.js';

/** Typedefs ROOT resolves before hashing a member's type name. */
const TYPEDEFS: Record<string, string> = {
  Int_t: 'int',
  UInt_t: 'unsigned int',
  Float_t: 'float',
  Double_t: 'double',
  Short_t: 'short',
  UShort_t: 'unsigned short',
  Char_t: 'char',
  UChar_t: 'unsigned char',
  Bool_t: 'bool',
  Long_t: 'long',
  ULong_t: 'unsigned long',
  Version_t: 'short',
  Style_t: 'short',
  Width_t: 'short',
  Color_t: 'short',
  Font_t: 'short',
  Size_t: 'float',
  Stat_t: 'double',
  Axis_t: 'double',
  Option_t: 'char',
  Text_t: 'char',
  Ssiz_t: 'int',
};

const BASIC_NAMES = new Set([
  'int',
  'unsigned int',
  'float',
  'double',
  'short',
  'unsigned short',
  'char',
  'unsigned char',
  'bool',
  'long',
  'unsigned long',
  'long long',
  'unsigned long long',
  'Long64_t',
  'ULong64_t',
  'Double32_t',
  'Float16_t',
]);

function hash(id: number, s: string): number {
  let h = id;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 3) + s.charCodeAt(i)) >>> 0;
  return h;
}

function step(id: number, v: number): number {
  return (Math.imul(id, 3) + (v >>> 0)) >>> 0;
}

function isBase(el: StreamerElement): boolean {
  return el._typename === 'TStreamerBase' || el.fTypeName === 'BASE';
}

/**
 * ROOT's class checksum (TStreamerInfo::GetCheckSum, latest variant) computed from a streamer info:
 * class name, base names with their checksums, then per member its name, resolved type name, array
 * dimensions and the `[counter]` of its comment. STL collections hash their name only. Reproduces the
 * checksums ROOT 6 wrote into the corpus files, which is how it is tested.
 */
export function streamerChecksum(info: StreamerInfo): number {
  let id = hash(0, info.fName);
  if (/^(?:std::)?(?:vector|list|deque|set|multiset|map|multimap)</.test(info.fName)) return id;
  const elements = info.fElements.arr.filter((e): e is StreamerElement => !!e);
  for (const el of elements) {
    if (!isBase(el)) continue;
    id = hash(id, el.fName);
    if (el._typename === 'TStreamerBase') id = step(id, el.fMaxIndex[1] ?? 0);
  }
  for (const el of elements) {
    if (isBase(el)) continue;
    const type = TYPEDEFS[el.fTypeName] ?? el.fTypeName;
    // Enums are streamed as int but keep their own type name; ROOT marks them with an extra step.
    if (el.fType === 3 && !BASIC_NAMES.has(type)) id = step(id, 1);
    id = hash(id, el.fName);
    id = hash(id, type);
    for (let i = 0; i < el.fArrayDim; i++) id = step(id, el.fMaxIndex[i] ?? 0);
    const title = el.fTitle;
    if (title.trimStart().startsWith('[')) {
      const left = title.indexOf('[');
      const right = title.indexOf(']', left);
      if (right > left) id = hash(id, title.slice(left + 1, right));
    }
  }
  return id;
}

/** Checksum of ROOT's TArrayX classes (custom streamers, so no streamer info to derive it from). */
export function tarrayChecksum(
  cls: 'TArrayF' | 'TArrayD' | 'TArrayI' | 'TArrayS' | 'TArrayC',
  elementType: string,
) {
  const tarray = hash(hash(hash(0, 'TArray'), 'fN'), 'int');
  let id = hash(hash(0, cls), 'TArray');
  id = step(id, tarray);
  id = hash(hash(id, 'fArray'), `${elementType}*`);
  return hash(id, 'fN');
}
