/** A deserialized ROOT object: members by their ROOT names, plus bookkeeping under `_` keys. */
export interface RObj {
  _typename: string;
  /** Class versions read for this object and its bases (written back unchanged). */
  _v?: Record<string, number>;
  /** Checksums that followed a version 0 (foreign classes such as ROOT::TIOFeatures). */
  _cs?: Record<string, number>;
  [member: string]: unknown;
}

/** One TStreamerElement (or subclass) of a TStreamerInfo. */
export interface StreamerElement {
  _typename: string;
  fName: string;
  fTitle: string;
  fType: number;
  fSize: number;
  fArrayLength: number;
  fArrayDim: number;
  fMaxIndex: number[];
  fTypeName: string;
  fBaseVersion?: number;
  fCountVersion?: number;
  fCountName?: string;
  fCountClass?: string;
  fSTLtype?: number;
  fCtype?: number;
  [k: string]: unknown;
}

/** A TStreamerInfo: how one version of one class is laid out on disk. */
export interface StreamerInfo extends RObj {
  fName: string;
  fCheckSum: number;
  fClassVersion: number;
  fElements: RObj & { arr: (StreamerElement | null)[] };
}

/** ROOT type codes used in TStreamerElement.fType. */
export const T = {
  base: 0,
  char: 1,
  short: 2,
  int: 3,
  long: 4,
  float: 5,
  counter: 6,
  charStar: 7,
  double: 8,
  double32: 9,
  legacyChar: 10,
  uchar: 11,
  ushort: 12,
  uint: 13,
  ulong: 14,
  bits: 15,
  long64: 16,
  ulong64: 17,
  bool: 18,
  float16: 19,
  offsetL: 20,
  offsetP: 40,
  object: 61,
  any: 62,
  objectp: 63,
  objectP: 64,
  tstring: 65,
  tobject: 66,
  tnamed: 67,
  anyp: 68,
  anyP: 69,
  stl: 500,
  stlString: 365,
  streamer: 500,
} as const;
