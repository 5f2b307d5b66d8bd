import { CorruptFileError, UnsupportedError } from '../errors.js';
import { readBasic, stlBasicType, tarrayType, writeBasic } from './basic.js';
import { CUSTOM } from './custom-streamers.js';
import type { RBuffer } from './rbuffer.js';
import type { StreamerRegistry } from './registry.js';
import { type RObj, type StreamerElement, type StreamerInfo, T } from './types.js';
import type { WBuffer } from './wbuffer.js';

/** Records the version a class section was read with, so it is written back the same. */
export function setVersion(obj: RObj, cls: string, version: number): void {
  if (!obj._v) obj._v = {};
  obj._v[cls] = version;
}

/** Version to write for a class section: the one read, else the newest info's. */
export function versionOf(obj: RObj, cls: string, reg: StreamerRegistry): number {
  const v = obj._v?.[cls];
  if (v !== undefined) return v;
  const info = reg.find(cls);
  if (!info) throw new UnsupportedError(`no streamer info for class ${cls}`);
  return info.fClassVersion;
}

/** ReadObjectAny: a polymorphic pointer (null, reference to an earlier object, or a new object). */
export function readObjectAny(b: RBuffer, reg: StreamerRegistry): RObj | null {
  const objTag = b.objectTagHere();
  const start = b.pos;
  const tag = b.classTag();
  if (tag.kind === 'null') return null;
  if (tag.kind === 'ref') {
    const o = b.objectMap.get(tag.tag);
    if (o === undefined) throw new CorruptFileError(`reference to unknown object tag ${tag.tag}`);
    return o as RObj;
  }
  const bc = b.view.getUint32(start);
  const end = bc & 0x40000000 ? start + 4 + (bc & ~0x40000000) : undefined;
  const obj: RObj = { _typename: tag.name };
  b.objectMap.set(objTag, obj);
  readClass(b, reg, tag.name, obj, end);
  if (end !== undefined && b.pos !== end)
    throw new CorruptFileError(
      `object of class ${tag.name} read ${b.pos - start} bytes, byte count says ${end - start}`,
    );
  return obj;
}

/** WriteObjectAny counterpart of readObjectAny. */
export function writeObjectAny(w: WBuffer, reg: StreamerRegistry, obj: RObj | null): void {
  if (obj === null || obj === undefined) {
    w.u32(0);
    return;
  }
  const at = w.startObjectAny(obj, obj._typename);
  if (at === undefined) return;
  writeClass(w, reg, obj._typename, obj);
  w.endObjectAny(at);
}

/** Reads one class section (with its own version) into `obj`, by custom streamer or by streamer info. */
export function readClass(b: RBuffer, reg: StreamerRegistry, cls: string, obj: RObj, end?: number): void {
  const custom = CUSTOM[cls];
  if (custom) {
    custom.read(b, reg, obj, end);
    return;
  }
  const v = b.version();
  let info: StreamerInfo | undefined;
  if (v.version <= 0 && v.end !== undefined && v.end - b.pos >= 4) {
    const cs = b.view.getUint32(b.pos);
    info = reg.findChecksum(cs);
    if (info) {
      b.pos += 4;
      if (!obj._cs) obj._cs = {};
      obj._cs[cls] = cs;
    }
  }
  info ??= reg.find(cls, v.version);
  setVersion(obj, cls, v.version);
  if (!info) {
    if (v.end === undefined) throw new UnsupportedError(`no streamer info for class ${cls} v${v.version}`);
    // Unknown class with a byte count: keep its bytes so it can be written back unchanged.
    const raw = (obj._raw as Record<string, Uint8Array> | undefined) ?? {};
    raw[cls] = b.bytesN(v.end - b.pos).slice();
    obj._raw = raw;
    return;
  }
  for (const el of info.fElements.arr) if (el) readMember(b, reg, el, obj);
  if (v.end !== undefined && b.pos !== v.end)
    throw new CorruptFileError(
      `class ${cls} v${v.version}: read ${b.pos - v.start} bytes, expected ${v.end - v.start}`,
    );
}

/** Writes one class section of `obj`. */
export function writeClass(w: WBuffer, reg: StreamerRegistry, cls: string, obj: RObj): void {
  const custom = CUSTOM[cls];
  if (custom) {
    custom.write(w, reg, obj);
    return;
  }
  const version = versionOf(obj, cls, reg);
  const cs = obj._cs?.[cls];
  const info = cs !== undefined ? reg.findChecksum(cs) : reg.find(cls, version);
  const at = w.startVersion(version);
  if (cs !== undefined) w.u32(cs);
  const raw = (obj._raw as Record<string, Uint8Array> | undefined)?.[cls];
  if (raw) w.bytes(raw);
  else {
    if (!info) throw new UnsupportedError(`no streamer info for class ${cls} v${version}`);
    for (const el of info.fElements.arr) if (el) writeMember(w, reg, el, obj);
  }
  w.endVersion(at);
}

function className(el: StreamerElement): string {
  return el.fTypeName.endsWith('*') ? el.fTypeName.slice(0, -1) : el.fTypeName;
}

function readTArray(b: RBuffer, type: number): number[] {
  const n = b.i32();
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = readBasic(b, type);
  return out;
}

function writeTArray(w: WBuffer, type: number, values: ArrayLike<number> | undefined): void {
  const n = values?.length ?? 0;
  w.i32(n);
  for (let i = 0; i < n; i++) writeBasic(w, type, values![i]!);
}

function readInline(b: RBuffer, reg: StreamerRegistry, cls: string): unknown {
  const at = tarrayType[cls];
  if (at !== undefined) return readTArray(b, at);
  if (cls === 'TString') return b.tstring();
  const sub: RObj = { _typename: cls };
  readClass(b, reg, cls, sub);
  return sub;
}

function writeInline(w: WBuffer, reg: StreamerRegistry, cls: string, v: unknown): void {
  const at = tarrayType[cls];
  if (at !== undefined) {
    writeTArray(w, at, v as number[]);
    return;
  }
  if (cls === 'TString') {
    w.tstring((v as string) ?? '');
    return;
  }
  writeClass(w, reg, cls, (v as RObj) ?? { _typename: cls });
}

/** Reads one member described by a streamer element into `obj[el.fName]` (bases merge into obj). */
function readMember(b: RBuffer, reg: StreamerRegistry, el: StreamerElement, obj: RObj): void {
  const t = el.fType;
  if (el._typename === 'TStreamerBase' || (t === T.base && el.fTypeName === 'BASE')) {
    const at = tarrayType[el.fName];
    if (at !== undefined) obj.fArray = readTArray(b, at);
    else readClass(b, reg, el.fName, obj);
    return;
  }
  if (t > 0 && t < 20) {
    if (t === T.charStar) throw new UnsupportedError(`char* member ${el.fName}`);
    obj[el.fName] = readBasic(b, t);
    return;
  }
  if (t > T.offsetL && t < T.offsetL + 20) {
    const n = el.fArrayLength;
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = readBasic(b, t - T.offsetL);
    obj[el.fName] = out;
    return;
  }
  if (t > T.offsetP && t < T.offsetP + 20) {
    const flag = b.u8();
    if (!flag) {
      obj[el.fName] = null;
      return;
    }
    const n = Number(obj[el.fCountName ?? ''] ?? 0);
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = readBasic(b, t - T.offsetP);
    obj[el.fName] = out;
    return;
  }
  switch (t) {
    case T.object:
    case T.any:
    case T.objectp:
    case T.anyp:
    case T.tobject:
    case T.tnamed:
      obj[el.fName] = readInline(b, reg, className(el));
      return;
    case T.objectP:
    case T.anyP:
      obj[el.fName] = readObjectAny(b, reg);
      return;
    case T.tstring:
      obj[el.fName] = b.tstring();
      return;
    case T.stl:
    case T.stlString:
    case 300:
      obj[el.fName] = readStl(b, el);
      return;
  }
  if (t > T.offsetL + 40 && t < T.offsetL + 70) {
    const out: unknown[] = [];
    for (let i = 0; i < el.fArrayLength; i++) out.push(readInline(b, reg, className(el)));
    obj[el.fName] = out;
    return;
  }
  throw new UnsupportedError(`member ${el.fName} of type code ${t} is not supported`);
}

function writeMember(w: WBuffer, reg: StreamerRegistry, el: StreamerElement, obj: RObj): void {
  const t = el.fType;
  const v = obj[el.fName];
  if (el._typename === 'TStreamerBase' || (t === T.base && el.fTypeName === 'BASE')) {
    const at = tarrayType[el.fName];
    if (at !== undefined) writeTArray(w, at, obj.fArray as number[]);
    else writeClass(w, reg, el.fName, obj);
    return;
  }
  if (t > 0 && t < 20) {
    writeBasic(w, t, Number(v ?? 0));
    return;
  }
  if (t > T.offsetL && t < T.offsetL + 20) {
    const arr = (v as number[] | undefined) ?? [];
    for (let i = 0; i < el.fArrayLength; i++) writeBasic(w, t - T.offsetL, arr[i] ?? 0);
    return;
  }
  if (t > T.offsetP && t < T.offsetP + 20) {
    const n = Number(obj[el.fCountName ?? ''] ?? 0);
    if (v === null || v === undefined) {
      w.u8(0);
      return;
    }
    w.u8(1);
    const arr = v as number[];
    for (let i = 0; i < n; i++) writeBasic(w, t - T.offsetP, arr[i] ?? 0);
    return;
  }
  switch (t) {
    case T.object:
    case T.any:
    case T.objectp:
    case T.anyp:
    case T.tobject:
    case T.tnamed:
      writeInline(w, reg, className(el), v);
      return;
    case T.objectP:
    case T.anyP:
      writeObjectAny(w, reg, (v as RObj | null) ?? null);
      return;
    case T.tstring:
      w.tstring((v as string) ?? '');
      return;
    case T.stl:
    case T.stlString:
    case 300:
      writeStl(w, el, v as StlValue);
      return;
  }
  if (t > T.offsetL + 40 && t < T.offsetL + 70) {
    const arr = (v as unknown[]) ?? [];
    for (let i = 0; i < el.fArrayLength; i++) writeInline(w, reg, className(el), arr[i]);
    return;
  }
  throw new UnsupportedError(`member ${el.fName} of type code ${t} is not supported`);
}

/** An STL member: numbers for vector<basic>, otherwise the raw bytes after the version. */
export interface StlValue {
  version: number;
  values?: number[];
  raw?: Uint8Array;
}

function vectorElementType(typeName: string): number | undefined {
  const m = /^(?:std::)?vector<\s*(.+?)\s*>$/.exec(typeName);
  return m ? stlBasicType[m[1]!] : undefined;
}

function readStl(b: RBuffer, el: StreamerElement): StlValue {
  const v = b.version();
  if (v.end === undefined) throw new UnsupportedError(`STL member ${el.fName} without byte count`);
  const et = vectorElementType(el.fTypeName);
  if (et !== undefined) {
    const n = b.i32();
    const values = new Array<number>(n);
    for (let i = 0; i < n; i++) values[i] = readBasic(b, et);
    if (b.pos === v.end) return { version: v.version, values };
    b.pos = v.start + 6;
  }
  return { version: v.version, raw: b.bytesN(v.end - b.pos).slice() };
}

function writeStl(w: WBuffer, el: StreamerElement, v: StlValue | undefined): void {
  const at = w.startVersion(v?.version ?? 6);
  if (v?.raw) w.bytes(v.raw);
  else {
    const et = vectorElementType(el.fTypeName);
    if (et === undefined) throw new UnsupportedError(`cannot write STL member ${el.fName} (${el.fTypeName})`);
    const values = v?.values ?? [];
    w.i32(values.length);
    for (const x of values) writeBasic(w, et, x);
  }
  w.endVersion(at);
}
