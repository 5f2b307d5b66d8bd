import { WriteError } from '../errors.js';
import type { RObj } from '../io/types.js';

/** An axis: `bins` equal bins over [min, max), or explicit ascending bin `edges` (bins + 1 values). */
export type AxisSpec =
  | { bins: number; min: number; max: number; title?: string }
  | { edges: number[]; title?: string };

/** Storage of bin contents: F float, D double, I 32-bit integer (TH1F/TH1D/TH1I, TH2F/TH2D/TH2I). */
export type HistStorage = 'F' | 'D' | 'I';

/** A histogram as ROOT stores it (TH1x/TH2x members by their ROOT names), ready for writing. */
export type Histogram = RObj;

function axis(name: string, spec: AxisSpec): RObj {
  let nbins: number;
  let xmin: number;
  let xmax: number;
  let edges: number[] = [];
  if ('edges' in spec) {
    edges = [...spec.edges];
    nbins = edges.length - 1;
    if (nbins < 1 || edges.some((e, i) => i > 0 && !(e > edges[i - 1]!)))
      throw new WriteError(`axis ${name}: edges must be at least 2 strictly increasing values`);
    xmin = edges[0]!;
    xmax = edges[nbins]!;
  } else {
    ({ bins: nbins, min: xmin, max: xmax } = spec);
    if (!Number.isInteger(nbins) || nbins < 1 || !(xmax > xmin))
      throw new WriteError(`axis ${name}: need an integer bins >= 1 and max > min`);
  }
  return {
    _typename: 'TAxis',
    fUniqueID: 0,
    fBits: 0x03000000,
    fName: name,
    fTitle: spec.title ?? '',
    // TAttAxis defaults of ROOT's current style.
    fNdivisions: 510,
    fAxisColor: 1,
    fLabelColor: 1,
    fLabelFont: 42,
    fLabelOffset: 0.005,
    fLabelSize: 0.035,
    fTickLength: 0.03,
    fTitleOffset: 1,
    fTitleSize: 0.035,
    fTitleColor: 1,
    fTitleFont: 42,
    fNbins: nbins,
    fXmin: xmin,
    fXmax: xmax,
    fXbins: edges,
    fFirst: 0,
    fLast: 0,
    fBits2: 0,
    fTimeDisplay: false,
    fTimeFormat: '',
    fLabels: null,
    fModLabs: null,
  };
}

function base(cls: string, name: string, title: string, ncells: number, axes: RObj[]): Histogram {
  return {
    _typename: cls,
    fUniqueID: 0,
    fBits: 0x03000008,
    fName: name,
    fTitle: title,
    fLineColor: 602,
    fLineStyle: 1,
    fLineWidth: 1,
    fFillColor: 0,
    fFillStyle: 1001,
    fMarkerColor: 1,
    fMarkerStyle: 1,
    fMarkerSize: 1,
    fNcells: ncells,
    fXaxis: axes[0],
    fYaxis: axes[1],
    fZaxis: axes[2],
    fBarOffset: 0,
    fBarWidth: 1000,
    fEntries: 0,
    fTsumw: 0,
    fTsumw2: 0,
    fTsumwx: 0,
    fTsumwx2: 0,
    fMaximum: -1111,
    fMinimum: -1111,
    fNormFactor: 0,
    fContour: [],
    fSumw2: [],
    fOption: '',
    fFunctions: { _typename: 'TList', name: '', arr: [], opt: [], fUniqueID: 0, fBits: 0x03000000 },
    fBufferSize: 0,
    fBuffer: null,
    fBinStatErrOpt: 0,
    fStatOverflows: 2,
    fArray: new Array<number>(ncells).fill(0),
  };
}

/** Creates an empty 1D histogram (TH1F, TH1D or TH1I). */
export function createTH1(name: string, title: string, x: AxisSpec, storage: HistStorage = 'D'): Histogram {
  const ax = axis('xaxis', x);
  const nx = Number(ax.fNbins);
  return base(`TH1${storage}`, name, title, nx + 2, [
    ax,
    axis('yaxis', { bins: 1, min: 0, max: 1 }),
    axis('zaxis', { bins: 1, min: 0, max: 1 }),
  ]);
}

/** Creates an empty 2D histogram (TH2F, TH2D or TH2I). */
export function createTH2(
  name: string,
  title: string,
  x: AxisSpec,
  y: AxisSpec,
  storage: HistStorage = 'D',
): Histogram {
  const ax = axis('xaxis', x);
  const ay = axis('yaxis', y);
  const h = base(`TH2${storage}`, name, title, (Number(ax.fNbins) + 2) * (Number(ay.fNbins) + 2), [
    ax,
    ay,
    axis('zaxis', { bins: 1, min: 0, max: 1 }),
  ]);
  Object.assign(h, { fScalefactor: 1, fTsumwy: 0, fTsumwy2: 0, fTsumwxy: 0 });
  return h;
}

/** Is this histogram two-dimensional? */
function is2D(h: Histogram): boolean {
  return h._typename.startsWith('TH2');
}

/** Bin index on an axis as TAxis::FindBin: 0 underflow, nbins + 1 overflow (and NaN). */
export function findBin(ax: RObj, x: number): number {
  const n = Number(ax.fNbins);
  const min = Number(ax.fXmin);
  const max = Number(ax.fXmax);
  if (x < min) return 0;
  if (!(x < max)) return n + 1;
  const edges = ax.fXbins as number[];
  if (edges.length > 0) {
    let lo = 0;
    let hi = n;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (x >= edges[mid]!) lo = mid;
      else hi = mid;
    }
    return lo + 1;
  }
  return Math.min(n, 1 + Math.floor(((x - min) / (max - min)) * n));
}

/** Bin center on an axis (bin 1..nbins). */
function center(ax: RObj, bin: number): number {
  const edges = ax.fXbins as number[];
  if (edges.length > 0) return (edges[bin - 1]! + edges[bin]!) / 2;
  const min = Number(ax.fXmin);
  const w = (Number(ax.fXmax) - min) / Number(ax.fNbins);
  return min + (bin - 0.5) * w;
}

/** Adds `w` to a cell the way the storage type does (float rounding for F, truncation for I). */
function addCell(h: Histogram, cell: number, w: number): void {
  const arr = h.fArray as number[];
  const t = h._typename.slice(-1);
  if (t === 'F') arr[cell] = Math.fround(arr[cell]! + w);
  else if (t === 'I') arr[cell] = arr[cell]! + Math.trunc(w);
  else arr[cell] = arr[cell]! + w;
}

function trackSumw2(h: Histogram, cell: number, w: number): void {
  let s = h.fSumw2 as number[];
  // As TH1::Fill: the first weight other than 1 switches on the sum of squared weights.
  if (s.length === 0 && w !== 1) {
    s = (h.fArray as number[]).map((c) => Math.abs(c));
    h.fSumw2 = s;
  }
  if (s.length > 0) s[cell] = s[cell]! + w * w;
}

/** Fills a 1D histogram with value x and weight w (TH1::Fill semantics, statistics included). */
export function fillTH1(h: Histogram, x: number, w = 1): void {
  if (is2D(h)) throw new WriteError(`${h.fName} is two-dimensional: use fillTH2`);
  const bin = findBin(h.fXaxis as RObj, x);
  h.fEntries = Number(h.fEntries) + 1;
  trackSumw2(h, bin, w);
  addCell(h, bin, w);
  if (bin === 0 || bin > Number((h.fXaxis as RObj).fNbins)) return;
  h.fTsumw = Number(h.fTsumw) + w;
  h.fTsumw2 = Number(h.fTsumw2) + w * w;
  h.fTsumwx = Number(h.fTsumwx) + w * x;
  h.fTsumwx2 = Number(h.fTsumwx2) + w * x * x;
}

/** Fills a 2D histogram with (x, y) and weight w (TH2::Fill semantics, statistics included). */
export function fillTH2(h: Histogram, x: number, y: number, w = 1): void {
  if (!is2D(h)) throw new WriteError(`${h.fName} is one-dimensional: use fillTH1`);
  const ax = h.fXaxis as RObj;
  const ay = h.fYaxis as RObj;
  const bx = findBin(ax, x);
  const by = findBin(ay, y);
  const cell = by * (Number(ax.fNbins) + 2) + bx;
  h.fEntries = Number(h.fEntries) + 1;
  trackSumw2(h, cell, w);
  addCell(h, cell, w);
  if (bx === 0 || bx > Number(ax.fNbins) || by === 0 || by > Number(ay.fNbins)) return;
  h.fTsumw = Number(h.fTsumw) + w;
  h.fTsumw2 = Number(h.fTsumw2) + w * w;
  h.fTsumwx = Number(h.fTsumwx) + w * x;
  h.fTsumwx2 = Number(h.fTsumwx2) + w * x * x;
  h.fTsumwy = Number(h.fTsumwy) + w * y;
  h.fTsumwy2 = Number(h.fTsumwy2) + w * y * y;
  h.fTsumwxy = Number(h.fTsumwxy) + w * x * y;
}

/**
 * Sets every cell of a histogram from bin contents, then recomputes the statistics from bin centers as
 * TH1::ResetStats does. `contents` holds either every cell including under/overflow (fNcells values, in
 * ROOT's order: x fastest) or only the in-range bins. `sumw2` (same layout) gives squared errors;
 * `entries` overrides the effective entry count.
 */
export function setBinContents(
  h: Histogram,
  contents: ArrayLike<number>,
  opts: { sumw2?: ArrayLike<number>; entries?: number } = {},
): void {
  const ax = h.fXaxis as RObj;
  const ay = h.fYaxis as RObj;
  const nx = Number(ax.fNbins);
  const ny = is2D(h) ? Number(ay.fNbins) : 1;
  const ncells = Number(h.fNcells);
  const expand = (src: ArrayLike<number>, what: string): number[] => {
    if (src.length === ncells) return Array.from(src, Number);
    if (src.length !== nx * ny)
      throw new WriteError(`${h.fName}: ${what} has ${src.length} values, expected ${nx * ny} or ${ncells}`);
    const out = new Array<number>(ncells).fill(0);
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) out[(is2D(h) ? (j + 1) * (nx + 2) : 0) + i + 1] = Number(src[j * nx + i]);
    return out;
  };
  const t = h._typename.slice(-1);
  h.fArray = expand(contents, 'contents').map((c) =>
    t === 'F' ? Math.fround(c) : t === 'I' ? Math.trunc(c) : c,
  );
  h.fSumw2 = opts.sumw2 ? expand(opts.sumw2, 'sumw2') : [];
  const arr = h.fArray as number[];
  const s2 = h.fSumw2 as number[];
  let sw = 0;
  let sw2 = 0;
  let swx = 0;
  let swx2 = 0;
  let swy = 0;
  let swy2 = 0;
  let swxy = 0;
  for (let j = 1; j <= ny; j++) {
    const y = is2D(h) ? center(ay, j) : 0;
    for (let i = 1; i <= nx; i++) {
      const cell = is2D(h) ? j * (nx + 2) + i : i;
      const w = arr[cell]!;
      const x = center(ax, i);
      sw += w;
      sw2 += s2.length ? s2[cell]! : Math.abs(w);
      swx += w * x;
      swx2 += w * x * x;
      swy += w * y;
      swy2 += w * y * y;
      swxy += w * x * y;
    }
  }
  Object.assign(h, { fTsumw: sw, fTsumw2: sw2, fTsumwx: swx, fTsumwx2: swx2 });
  if (is2D(h)) Object.assign(h, { fTsumwy: swy, fTsumwy2: swy2, fTsumwxy: swxy });
  h.fEntries = opts.entries ?? (s2.length > 0 && sw > 0 && sw2 > 0 ? (sw * sw) / sw2 : Math.abs(sw));
}
