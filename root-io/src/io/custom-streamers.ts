import { readObjectAny, setVersion, writeObjectAny } from './objects.js';
import type { RBuffer } from './rbuffer.js';
import type { StreamerRegistry } from './registry.js';
import type { RObj } from './types.js';
import type { WBuffer } from './wbuffer.js';

/** Hand-written streamer for a class whose on-disk layout is not described by a streamer info. */
export interface CustomStreamer {
  read(b: RBuffer, reg: StreamerRegistry, obj: RObj, end?: number): void;
  write(w: WBuffer, reg: StreamerRegistry, obj: RObj): void;
}

const kIsReferenced = 0x10;

function ver(obj: RObj, cls: string, dflt: number): number {
  return obj._v?.[cls] ?? dflt;
}

const TObject: CustomStreamer = {
  read(b, _reg, obj) {
    const v = b.version();
    setVersion(obj, 'TObject', v.version);
    obj.fUniqueID = b.u32();
    obj.fBits = b.u32();
    if ((obj.fBits as number) & kIsReferenced) obj._pid = b.u16();
  },
  write(w, _reg, obj) {
    // TObject is written without byte count.
    w.i16(ver(obj, 'TObject', 1));
    w.u32(Number(obj.fUniqueID ?? 0));
    const bits = Number(obj.fBits ?? 0x03000000);
    w.u32(bits);
    if (bits & kIsReferenced) w.u16(Number(obj._pid ?? 0));
  },
};

/** Reads a class section whose body is handled by `body`, checking the byte count. */
function versioned(
  cls: string,
  dflt: number,
  readBody: (b: RBuffer, reg: StreamerRegistry, obj: RObj, version: number) => void,
  writeBody: (w: WBuffer, reg: StreamerRegistry, obj: RObj, version: number) => void,
): CustomStreamer {
  return {
    read(b, reg, obj) {
      const v = b.version();
      setVersion(obj, cls, v.version);
      readBody(b, reg, obj, v.version);
      if (v.end !== undefined && b.pos !== v.end) b.pos = v.end;
    },
    write(w, reg, obj) {
      const version = ver(obj, cls, dflt);
      const at = w.startVersion(version);
      writeBody(w, reg, obj, version);
      w.endVersion(at);
    },
  };
}

const TNamed = versioned(
  'TNamed',
  1,
  (b, reg, obj) => {
    TObject.read(b, reg, obj);
    obj.fName = b.tstring();
    obj.fTitle = b.tstring();
  },
  (w, reg, obj) => {
    TObject.write(w, reg, obj);
    w.tstring(String(obj.fName ?? ''));
    w.tstring(String(obj.fTitle ?? ''));
  },
);

const TObjString = versioned(
  'TObjString',
  1,
  (b, reg, obj) => {
    TObject.read(b, reg, obj);
    obj.fString = b.tstring();
  },
  (w, reg, obj) => {
    TObject.write(w, reg, obj);
    w.tstring(String(obj.fString ?? ''));
  },
);

/** Collections hold `arr` (items) and, for lists, `opt` (per-item option strings). */
const TList = (cls: string) =>
  versioned(
    cls,
    5,
    (b, reg, obj, v) => {
      obj.arr = [];
      obj.opt = [];
      obj.name = '';
      if (v <= 3) return;
      TObject.read(b, reg, obj);
      obj.name = b.tstring();
      const n = b.i32();
      const arr: (RObj | null)[] = [];
      const opt: string[] = [];
      for (let i = 0; i < n; i++) {
        arr.push(readObjectAny(b, reg));
        opt.push(v > 4 ? b.tstring() : '');
      }
      obj.arr = arr;
      obj.opt = opt;
    },
    (w, reg, obj, v) => {
      TObject.write(w, reg, obj);
      w.tstring(String(obj.name ?? ''));
      const arr = (obj.arr as (RObj | null)[]) ?? [];
      const opt = (obj.opt as string[]) ?? [];
      w.i32(arr.length);
      arr.forEach((item, i) => {
        writeObjectAny(w, reg, item);
        if (v > 4) w.tstring(opt[i] ?? '');
      });
    },
  );

const TObjArray = versioned(
  'TObjArray',
  3,
  (b, reg, obj, v) => {
    if (v > 2) TObject.read(b, reg, obj);
    obj.name = v > 1 ? b.tstring() : '';
    const n = b.i32();
    obj.fLowerBound = b.i32();
    const arr: (RObj | null)[] = [];
    for (let i = 0; i < n; i++) arr.push(readObjectAny(b, reg));
    obj.arr = arr;
  },
  (w, reg, obj, v) => {
    if (v > 2) TObject.write(w, reg, obj);
    if (v > 1) w.tstring(String(obj.name ?? ''));
    const arr = (obj.arr as (RObj | null)[]) ?? [];
    w.i32(arr.length);
    w.i32(Number(obj.fLowerBound ?? 0));
    for (const item of arr) writeObjectAny(w, reg, item);
  },
);

const TStreamerInfo = versioned(
  'TStreamerInfo',
  9,
  (b, reg, obj) => {
    TNamed.read(b, reg, obj);
    obj.fCheckSum = b.u32();
    obj.fClassVersion = b.i32();
    obj.fElements = readObjectAny(b, reg);
  },
  (w, reg, obj) => {
    TNamed.write(w, reg, obj);
    w.u32(Number(obj.fCheckSum));
    w.i32(Number(obj.fClassVersion));
    writeObjectAny(w, reg, obj.fElements as RObj);
  },
);

const TStreamerElement = versioned(
  'TStreamerElement',
  4,
  (b, reg, el, v) => {
    TNamed.read(b, reg, el);
    el.fType = b.i32();
    el.fSize = b.i32();
    el.fArrayLength = b.i32();
    el.fArrayDim = b.i32();
    const n = v === 1 ? b.i32() : 5;
    const mi: number[] = [];
    for (let i = 0; i < n; i++) mi.push(b.i32());
    el.fMaxIndex = mi;
    el.fTypeName = b.tstring();
    // ROOT stores bool members as unsigned char in old files.
    if (el.fType === 11 && (el.fTypeName === 'Bool_t' || el.fTypeName === 'bool')) el._boolFix = true;
    if (v === 3) el._range = [b.f64(), b.f64(), b.f64()];
  },
  (w, reg, el, v) => {
    TNamed.write(w, reg, el);
    w.i32(Number(el.fType));
    w.i32(Number(el.fSize));
    w.i32(Number(el.fArrayLength));
    w.i32(Number(el.fArrayDim));
    const mi = (el.fMaxIndex as number[]) ?? [0, 0, 0, 0, 0];
    if (v === 1) w.i32(mi.length);
    for (let i = 0; i < (v === 1 ? mi.length : 5); i++) w.i32(mi[i] ?? 0);
    w.tstring(String(el.fTypeName ?? ''));
    if (v === 3) for (const x of (el._range as number[]) ?? [0, 0, 0]) w.f64(x);
  },
);

const elementOnly = (cls: string, dflt: number, minVersion: number) =>
  versioned(
    cls,
    dflt,
    (b, reg, el, v) => {
      if (v >= minVersion) TStreamerElement.read(b, reg, el);
    },
    (w, reg, el, v) => {
      if (v >= minVersion) TStreamerElement.write(w, reg, el);
    },
  );

const TStreamerBase = versioned(
  'TStreamerBase',
  3,
  (b, reg, el, v) => {
    TStreamerElement.read(b, reg, el);
    if (v > 2) el.fBaseVersion = b.i32();
  },
  (w, reg, el, v) => {
    TStreamerElement.write(w, reg, el);
    if (v > 2) w.i32(Number(el.fBaseVersion ?? 0));
  },
);

const loop = (cls: string) =>
  versioned(
    cls,
    2,
    (b, reg, el, v) => {
      if (v <= 1) return;
      TStreamerElement.read(b, reg, el);
      el.fCountVersion = b.i32();
      el.fCountName = b.tstring();
      el.fCountClass = b.tstring();
    },
    (w, reg, el, v) => {
      if (v <= 1) return;
      TStreamerElement.write(w, reg, el);
      w.i32(Number(el.fCountVersion ?? 0));
      w.tstring(String(el.fCountName ?? ''));
      w.tstring(String(el.fCountClass ?? ''));
    },
  );

const TStreamerSTL = versioned(
  'TStreamerSTL',
  3,
  (b, reg, el) => {
    TStreamerElement.read(b, reg, el);
    el.fSTLtype = b.i32();
    el.fCtype = b.i32();
  },
  (w, reg, el) => {
    TStreamerElement.write(w, reg, el);
    w.i32(Number(el.fSTLtype ?? 0));
    w.i32(Number(el.fCtype ?? 0));
  },
);

const TStreamerSTLstring = versioned(
  'TStreamerSTLstring',
  2,
  (b, reg, el, v) => {
    if (v > 0) TStreamerSTL.read(b, reg, el);
  },
  (w, reg, el, v) => {
    if (v > 0) TStreamerSTL.write(w, reg, el);
  },
);

/** TBasket inside a TTree (unflushed data): kept as its raw bytes; see tree/embedded.ts to decode. */
const TBasket: CustomStreamer = {
  read(b, _reg, obj, end) {
    if (end === undefined) throw new Error('TBasket without byte count');
    // A view, not a copy: embedded baskets can be megabytes, and the payload they live in stays alive.
    obj._rawBasket = b.bytesN(end - b.pos);
  },
  write(w, _reg, obj) {
    w.bytes(obj._rawBasket as Uint8Array);
  },
};

/** Custom streamers by class name. */
export const CUSTOM: Record<string, CustomStreamer> = {
  TObject,
  TNamed,
  TObjString,
  TList: TList('TList'),
  THashList: TList('THashList'),
  TObjArray,
  TStreamerInfo,
  TStreamerElement,
  TStreamerBase,
  TStreamerBasicPointer: loop('TStreamerBasicPointer'),
  TStreamerLoop: loop('TStreamerLoop'),
  TStreamerBasicType: elementOnly('TStreamerBasicType', 2, 2),
  TStreamerObject: elementOnly('TStreamerObject', 2, 2),
  TStreamerObjectAny: elementOnly('TStreamerObjectAny', 2, 2),
  TStreamerString: elementOnly('TStreamerString', 2, 2),
  TStreamerObjectPointer: elementOnly('TStreamerObjectPointer', 2, 2),
  TStreamerObjectAnyPointer: elementOnly('TStreamerObjectAnyPointer', 1, 1),
  TStreamerArtificial: elementOnly('TStreamerArtificial', 1, 0),
  TStreamerSTL,
  TStreamerSTLstring,
  TBasket,
};
