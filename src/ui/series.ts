// Append-only, downsampled series for the charts (house style: "charts from append-only
// series", as tensorflow/playground's linechart). A series keeps at most `maxPoints` buckets;
// each bucket stands for `stride` raw samples and keeps their mean, min and max. When a new
// bucket would overflow the limit, neighbours are merged pairwise and the stride doubles, so a
// chart of a 100k-step run costs the same to draw as one of 400 steps, and the envelope
// (min/max) still shows the spikes that a plain mean would hide.
//
// Pure and immutable: appending returns a new series and never mutates the old one (React
// compares by identity). Only the last bucket is replaced; earlier buckets are reused.

export interface SeriesPoint {
  /** The x of the bucket's last raw sample (a step), so the line ends at the latest step. */
  x: number;
  /** Mean of the bucket's samples. */
  y: number;
  min: number;
  max: number;
  /** Raw samples merged into this bucket. */
  n: number;
}

export interface Series {
  readonly maxPoints: number;
  /** Raw samples per full bucket (a power of two). */
  readonly stride: number;
  /** Raw samples appended so far (non-finite values are dropped, not counted). */
  readonly count: number;
  readonly points: readonly SeriesPoint[];
}

export const DEFAULT_MAX_POINTS = 400;

export function emptySeries(maxPoints = DEFAULT_MAX_POINTS): Series {
  if (!Number.isInteger(maxPoints) || maxPoints < 2) throw new RangeError(`a series needs maxPoints >= 2, got ${maxPoints}`);
  return { maxPoints, stride: 1, count: 0, points: [] };
}

function merge(a: SeriesPoint, b: SeriesPoint): SeriesPoint {
  const n = a.n + b.n;
  return { x: b.x, y: (a.y * a.n + b.y * b.n) / n, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max), n };
}

/** Appends one sample (x, y). Non-finite y or x leaves the series unchanged. */
export function appendPoint(s: Series, x: number, y: number): Series {
  if (!Number.isFinite(y) || !Number.isFinite(x)) return s;
  const sample: SeriesPoint = { x, y, min: y, max: y, n: 1 };
  const last = s.points[s.points.length - 1];
  // The last bucket still has room: fold the sample into it.
  if (last && last.n < s.stride) {
    const points = s.points.slice(0, -1);
    points.push(merge(last, sample));
    return { ...s, count: s.count + 1, points };
  }
  let points = [...s.points, sample];
  let stride = s.stride;
  if (points.length > s.maxPoints) {
    // Merge neighbours pairwise; an odd last bucket stays as it is and keeps filling up.
    const merged: SeriesPoint[] = [];
    for (let i = 0; i + 1 < points.length; i += 2) merged.push(merge(points[i], points[i + 1]));
    if (points.length % 2 === 1) merged.push(points[points.length - 1]);
    points = merged;
    stride *= 2;
  }
  return { maxPoints: s.maxPoints, stride, count: s.count + 1, points };
}

/** Appends many samples at once (e.g. restoring a stored series). */
export function appendPoints(s: Series, samples: Iterable<readonly [number, number]>): Series {
  let out = s;
  for (const [x, y] of samples) out = appendPoint(out, x, y);
  return out;
}

/** The latest bucket's mean, or null for an empty series. */
export function lastValue(s: Series | undefined): number | null {
  if (!s || s.points.length === 0) return null;
  return s.points[s.points.length - 1].y;
}

/** Smallest min and largest max over the series (null when empty). */
export function seriesExtent(s: Series): [number, number] | null {
  if (s.points.length === 0) return null;
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of s.points) {
    if (p.min < lo) lo = p.min;
    if (p.max > hi) hi = p.max;
  }
  return [lo, hi];
}

/** A keyed family of series (loss terms, metrics), appended together. */
export type SeriesMap = Readonly<Record<string, Series>>;

export function appendToMap(m: SeriesMap, key: string, x: number, y: number, maxPoints = DEFAULT_MAX_POINTS): SeriesMap {
  const before = m[key] ?? emptySeries(maxPoints);
  const after = appendPoint(before, x, y);
  if (after === before && m[key]) return m;
  return { ...m, [key]: after };
}
