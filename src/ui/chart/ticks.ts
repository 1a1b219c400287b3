// Axis domains and ticks for the live charts, computed here once per data change instead of
// by Recharts' automatic domain (decimal.js "nice" ticks and text measurement for overlap,
// which made most of a chart's redraw cost while a run streams). "Nice" steps are 1, 2 or 5
// times a power of ten, as in d3's ticks.
import type { ChartLine } from './SeriesChart';

/** About `count` evenly spaced round values covering [lo, hi] (lo <= hi, both finite). */
export function niceStep(lo: number, hi: number, count: number): number {
  const span = hi - lo;
  if (!(span > 0)) return 1;
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/** Multiples of `step` inside [lo, hi], rounded to the step's precision (no 0.30000000000000004). */
export function ticksInside(lo: number, hi: number, step: number): number[] {
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  const out: number[] = [];
  for (let i = first; i <= last && out.length < 50; i++) out.push(Number((i * step).toFixed(Math.min(20, digits))));
  return out;
}

export interface Axis {
  domain: [number, number];
  ticks: number[];
}

/**
 * A value axis: `fixed` ends are kept, 'auto' ends widen to the nearest tick outside the data
 * (so the lines never touch the frame). Empty data gives [0, 1].
 */
export function valueAxis(min: number, max: number, fixed: [number | 'auto', number | 'auto'] = ['auto', 'auto'], count = 5): Axis {
  let lo = typeof fixed[0] === 'number' ? fixed[0] : min;
  let hi = typeof fixed[1] === 'number' ? fixed[1] : max;
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = typeof fixed[0] === 'number' ? fixed[0] : 0;
    hi = typeof fixed[1] === 'number' ? fixed[1] : lo + 1;
  }
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    if (typeof fixed[0] !== 'number') lo -= pad;
    if (typeof fixed[1] !== 'number') hi += pad;
    if (hi === lo) hi = lo + 1;
  }
  const step = niceStep(lo, hi, count);
  if (typeof fixed[0] !== 'number') lo = Math.floor(lo / step + 1e-9) * step;
  if (typeof fixed[1] !== 'number') hi = Math.ceil(hi / step - 1e-9) * step;
  return { domain: [lo, hi], ticks: ticksInside(lo, hi, step) };
}

/** A step axis: exactly [min, max] of the data, whole-number ticks only. */
export function stepAxis(min: number, max: number, count = 6): Axis {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { domain: [0, 1], ticks: [0, 1] };
  if (max <= min) return { domain: [min - 1, min + 1], ticks: [Math.round(min)] };
  const step = Math.max(1, niceStep(min, max, count));
  return { domain: [min, max], ticks: ticksInside(min, max, Math.round(step) === step ? step : Math.ceil(step)) };
}

/** The data's x and y ranges (y over the min..max envelope where it is drawn). */
export function dataRanges(lines: readonly ChartLine[], envelope: boolean) {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const l of lines) {
    const pts = l.series.points;
    if (pts.length === 0) continue;
    x0 = Math.min(x0, pts[0].x);
    x1 = Math.max(x1, pts[pts.length - 1].x);
    const env = envelope && l.series.stride > 1;
    for (const p of pts) {
      y0 = Math.min(y0, env ? p.min : p.y);
      y1 = Math.max(y1, env ? p.max : p.y);
    }
  }
  return { x0, x1, y0, y1 };
}
