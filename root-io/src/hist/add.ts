import { HistogramAxesError } from '../errors.js';
import type { RObj } from '../io/types.js';

/** Classes hadd adds bin by bin. */
export function isHistogramClass(cls: string): boolean {
  return /^T(H[123][CSIFDL]?|Profile(2D|3D)?)$/.test(cls) && cls !== 'TH1' && cls !== 'TH2' && cls !== 'TH3';
}

function axisOf(h: RObj, which: 'fXaxis' | 'fYaxis' | 'fZaxis'): RObj {
  return (h[which] as RObj) ?? {};
}

function sameAxis(a: RObj, b: RObj): boolean {
  if (a.fNbins !== b.fNbins || a.fXmin !== b.fXmin || a.fXmax !== b.fXmax) return false;
  const ea = (a.fXbins as number[] | undefined) ?? [];
  const eb = (b.fXbins as number[] | undefined) ?? [];
  if (ea.length !== eb.length) return false;
  return ea.every((x, i) => x === eb[i]);
}

const STAT_PREFIXES = ['fTsumw', 'fTsumwx', 'fTsumwy', 'fTsumwz'];
const ARRAYS = ['fArray', 'fSumw2', 'fBinEntries', 'fBinSumw2'];

/** Bin width of a uniform axis, or undefined for variable bins. */
function uniformWidth(ax: RObj): number | undefined {
  if (((ax.fXbins as number[] | undefined) ?? []).length > 0) return undefined;
  return (Number(ax.fXmax) - Number(ax.fXmin)) / Number(ax.fNbins);
}

/**
 * The axis covering both when they differ only in range, with equal bin widths and edges that line up
 * (ROOT's TH1Merger accepts this); undefined when they are incompatible.
 */
function unionAxis(a: RObj, b: RObj): { nbins: number; xmin: number; xmax: number } | undefined {
  const wa = uniformWidth(a);
  const wb = uniformWidth(b);
  if (wa === undefined || wb === undefined || Math.abs(wa - wb) > 1e-9 * Math.abs(wa)) return undefined;
  const shift = (Number(b.fXmin) - Number(a.fXmin)) / wa;
  if (Math.abs(shift - Math.round(shift)) > 1e-6) return undefined;
  const xmin = Math.min(Number(a.fXmin), Number(b.fXmin));
  const xmax = Math.max(Number(a.fXmax), Number(b.fXmax));
  return { nbins: Math.round((xmax - xmin) / wa), xmin, xmax };
}

/** Index of the first output bin for an input axis, and whether its under/overflow fall outside. */
function placement(ax: RObj, u: { nbins: number; xmin: number; xmax: number }) {
  const w = (u.xmax - u.xmin) / u.nbins;
  const offset = Math.round((Number(ax.fXmin) - u.xmin) / w);
  return {
    n: Number(ax.fNbins),
    offset,
    lowOpen: offset === 0,
    highOpen: offset + Number(ax.fNbins) === u.nbins,
  };
}

/**
 * Moves every per-cell array of `h` onto the union axes. Under/overflow cells can only be kept when the
 * input's range reaches the union's edge on that side; otherwise their content has no place (error).
 */
function rebin(
  h: RObj,
  unions: ({ nbins: number; xmin: number; xmax: number } | undefined)[],
  name: string,
): void {
  const axes = (['fXaxis', 'fYaxis', 'fZaxis'] as const).map((k) => axisOf(h, k));
  const dims =
    h._typename.startsWith('TH3') || h._typename.startsWith('TProfile3')
      ? 3
      : h._typename.startsWith('TH2') || h._typename.startsWith('TProfile2')
        ? 2
        : 1;
  const oldN = axes.slice(0, dims).map((ax) => Number(ax.fNbins));
  const place = axes
    .slice(0, dims)
    .map((ax, i) =>
      unions[i] ? placement(ax, unions[i]!) : { n: oldN[i]!, offset: 0, lowOpen: true, highOpen: true },
    );
  const newN = place.map((p, i) => unions[i]?.nbins ?? p.n);
  const oldCells = oldN.reduce((s, n) => s * (n + 2), 1);
  const newCells = newN.reduce((s, n) => s * (n + 2), 1);
  const map = new Int32Array(oldCells);
  for (let c = 0; c < oldCells; c++) {
    let rest = c;
    let target = 0;
    let stride = 1;
    for (let d = 0; d < dims; d++) {
      const i = rest % (oldN[d]! + 2);
      rest = Math.floor(rest / (oldN[d]! + 2));
      const p = place[d]!;
      let j: number;
      if (i === 0) j = p.lowOpen ? 0 : -1;
      else if (i === oldN[d]! + 1) j = p.highOpen ? newN[d]! + 1 : -1;
      else j = i + p.offset;
      if (j < 0) {
        target = -1;
        break;
      }
      target += j * stride;
      stride *= newN[d]! + 2;
    }
    map[c] = target;
  }
  for (const key of ARRAYS) {
    const arr = h[key] as number[] | undefined;
    if (!arr || arr.length !== oldCells) continue;
    const out = new Array<number>(newCells).fill(0);
    for (let c = 0; c < oldCells; c++) {
      if (map[c] === -1) {
        if (arr[c] !== 0)
          throw new HistogramAxesError(
            `cannot add histogram ${name}: ranges differ and under/overflow content has no bin in the merged range`,
            name,
          );
        continue;
      }
      out[map[c]!] = arr[c]!;
    }
    h[key] = out;
  }
  axes.slice(0, dims).forEach((ax, d) => {
    const u = unions[d];
    if (!u) return;
    ax.fNbins = u.nbins;
    ax.fXmin = u.xmin;
    ax.fXmax = u.xmax;
    ax.fFirst = 0;
    ax.fLast = 0;
  });
  h.fNcells = newCells;
}

/**
 * Adds histogram `b` into `a` (same class): every cell including under/overflow, the sums of squared
 * weights, the statistics and fEntries. Axes must be equal, or differ only in range with equal bin
 * widths and aligned edges (then `a` is extended to the union, as ROOT's TH1Merger does). Throws
 * HistogramAxesError naming `name` otherwise.
 */
export function addHistogram(a: RObj, b: RObj, name: string): void {
  if (a._typename !== b._typename)
    throw new HistogramAxesError(
      `cannot add ${name}: class ${b._typename} differs from ${a._typename}`,
      name,
    );
  const unions: ({ nbins: number; xmin: number; xmax: number } | undefined)[] = [];
  for (const ax of ['fXaxis', 'fYaxis', 'fZaxis'] as const) {
    const xa = axisOf(a, ax);
    const xb = axisOf(b, ax);
    if (sameAxis(xa, xb)) {
      unions.push(undefined);
      continue;
    }
    const u = unionAxis(xa, xb);
    if (!u)
      throw new HistogramAxesError(
        `cannot add histogram ${name}: incompatible ${ax.slice(1)} (${describe(xa)} vs ${describe(xb)})`,
        name,
      );
    unions.push(u);
  }
  if (unions.some(Boolean)) {
    rebin(a, unions, name);
    rebin(b, unions, name);
  }
  const ca = (a.fArray as number[]) ?? [];
  const cb = (b.fArray as number[]) ?? [];
  if (ca.length !== cb.length)
    throw new HistogramAxesError(`cannot add histogram ${name}: cell counts differ`, name);
  // Sum of squared weights: a histogram without fSumw2 has errors sqrt(content).
  const sa = (a.fSumw2 as number[]) ?? [];
  const sb = (b.fSumw2 as number[]) ?? [];
  if (sa.length > 0 || sb.length > 0) {
    const out = new Array<number>(ca.length);
    for (let i = 0; i < ca.length; i++)
      out[i] = (sa.length ? sa[i]! : Math.abs(ca[i]!)) + (sb.length ? sb[i]! : Math.abs(cb[i]!));
    a.fSumw2 = out;
  }
  for (const key of ARRAYS) {
    if (key === 'fSumw2') continue;
    const x = a[key] as number[] | undefined;
    const y = b[key] as number[] | undefined;
    if (!x || !y || x.length !== y.length) continue;
    for (let i = 0; i < x.length; i++) x[i] = x[i]! + y[i]!;
  }
  for (const k of Object.keys(b)) {
    if (k === 'fEntries' || STAT_PREFIXES.some((p) => k.startsWith(p))) {
      if (typeof a[k] === 'number' && typeof b[k] === 'number') a[k] = (a[k] as number) + (b[k] as number);
    }
  }
}

function describe(ax: RObj): string {
  return `${ax.fNbins} bins [${ax.fXmin}, ${ax.fXmax}]`;
}
