import { UnsupportedError } from '../errors.js';
import type { RBuffer } from './rbuffer.js';
import { T } from './types.js';
import type { WBuffer } from './wbuffer.js';

/** Bytes on disk of one value of a basic ROOT type code (1..19). */
export function basicSize(type: number): number {
  switch (type) {
    case T.char:
    case T.uchar:
    case T.bool:
    case T.legacyChar:
      return 1;
    case T.short:
    case T.ushort:
      return 2;
    case T.int:
    case T.counter:
    case T.float:
    case T.uint:
    case T.bits:
    case T.double32:
      return 4;
    case T.long:
    case T.ulong:
    case T.long64:
    case T.ulong64:
    case T.double:
      return 8;
    default:
      throw new UnsupportedError(`basic type code ${type} is not supported`);
  }
}

/** Reads one value of a basic type (Double32 without range is stored as float). */
export function readBasic(b: RBuffer, type: number): number {
  switch (type) {
    case T.char:
    case T.legacyChar:
      return b.i8();
    case T.uchar:
    case T.bool:
      return b.u8();
    case T.short:
      return b.i16();
    case T.ushort:
      return b.u16();
    case T.int:
    case T.counter:
      return b.i32();
    case T.uint:
    case T.bits:
      return b.u32();
    case T.float:
    case T.double32:
      return b.f32();
    case T.double:
      return b.f64();
    case T.long:
    case T.long64:
      return b.i64();
    case T.ulong:
    case T.ulong64:
      return b.u64();
    default:
      throw new UnsupportedError(`basic type code ${type} is not supported`);
  }
}

/** Writes one value of a basic type. */
export function writeBasic(w: WBuffer, type: number, v: number): void {
  switch (type) {
    case T.char:
    case T.legacyChar:
      w.i8(v);
      return;
    case T.uchar:
    case T.bool:
      w.u8(v ? (type === T.bool ? 1 : v) : 0);
      return;
    case T.short:
      w.i16(v);
      return;
    case T.ushort:
      w.u16(v);
      return;
    case T.int:
    case T.counter:
      w.i32(v);
      return;
    case T.uint:
    case T.bits:
      w.u32(v);
      return;
    case T.float:
    case T.double32:
      w.f32(v);
      return;
    case T.double:
      w.f64(v);
      return;
    case T.long:
    case T.long64:
      w.i64(v);
      return;
    case T.ulong:
    case T.ulong64:
      w.u64(v);
      return;
    default:
      throw new UnsupportedError(`basic type code ${type} is not supported`);
  }
}

/** Basic type code of the element type of ROOT's TArrayX classes. */
export const tarrayType: Record<string, number> = {
  TArrayC: T.char,
  TArrayS: T.short,
  TArrayI: T.int,
  TArrayL: T.long,
  TArrayL64: T.long64,
  TArrayF: T.float,
  TArrayD: T.double,
};

/** Basic type code of `vector<T>` element names. */
export const stlBasicType: Record<string, number> = {
  char: T.char,
  'unsigned char': T.uchar,
  short: T.short,
  'unsigned short': T.ushort,
  int: T.int,
  'unsigned int': T.uint,
  long: T.long64,
  'unsigned long': T.ulong64,
  'long long': T.long64,
  'unsigned long long': T.ulong64,
  Long64_t: T.long64,
  ULong64_t: T.ulong64,
  float: T.float,
  double: T.double,
  bool: T.bool,
  Int_t: T.int,
  UInt_t: T.uint,
  Float_t: T.float,
  Double_t: T.double,
  Short_t: T.short,
  UShort_t: T.ushort,
  Char_t: T.char,
  UChar_t: T.uchar,
  Bool_t: T.bool,
};
