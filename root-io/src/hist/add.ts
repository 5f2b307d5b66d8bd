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

/**
 * Adds histogram `b` into `a` (same class, same axes): every cell including under/overflow, the sums of
 * squared weights, the statistics and fEntries. Throws HistogramAxesError naming `name` otherwise.
 */
export function addHistogram(a: RObj, b: RObj, name: string): void {
  if (a._typename !== b._typename)
    throw new HistogramAxesError(
      `cannot add ${name}: class ${b._typename} differs from ${a._typename}`,
      name,
    );
  for (const ax of ['fXaxis', 'fYaxis', 'fZaxis'] as const) {
    if (!sameAxis(axisOf(a, ax), axisOf(b, ax)))
      throw new HistogramAxesError(
        `cannot add histogram ${name}: incompatible ${ax.slice(1)} (${describe(axisOf(a, ax))} vs ${describe(axisOf(b, ax))})`,
        name,
      );
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
