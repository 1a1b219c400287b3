import { describe, expect, it } from 'vitest';
import { appendPoint, appendPoints, appendToMap, emptySeries, lastValue, seriesExtent } from '../../../src/ui/series';

describe('series', () => {
  it('keeps raw samples while under the limit', () => {
    const s = appendPoints(emptySeries(4), [[1, 10], [2, 20], [3, 30]]);
    expect(s.stride).toBe(1);
    expect(s.count).toBe(3);
    expect(s.points.map((p) => [p.x, p.y, p.n])).toEqual([[1, 10, 1], [2, 20, 1], [3, 30, 1]]);
  });

  it('merges neighbours pairwise (mean, min, max) when the limit is passed, and the stride doubles', () => {
    // 5 samples into a 4-point series: (1,2) (3,4) merge, 5 stays alone with room for one more.
    const s = appendPoints(emptySeries(4), [[1, 1], [2, 3], [3, 10], [4, 20], [5, 7]]);
    expect(s.stride).toBe(2);
    expect(s.points).toEqual([
      { x: 2, y: 2, min: 1, max: 3, n: 2 },
      { x: 4, y: 15, min: 10, max: 20, n: 2 },
      { x: 5, y: 7, min: 7, max: 7, n: 1 },
    ]);
    // The next sample fills the open bucket instead of adding one.
    const t = appendPoint(s, 6, 9);
    expect(t.points).toHaveLength(3);
    expect(t.points[2]).toEqual({ x: 6, y: 8, min: 7, max: 9, n: 2 });
  });

  it('never exceeds maxPoints, keeps the overall mean and envelope, and covers every sample', () => {
    let s = emptySeries(10);
    let sum = 0;
    for (let i = 1; i <= 1000; i++) {
      const y = Math.sin(i) * i;
      sum += y;
      s = appendPoint(s, i, y);
      expect(s.points.length).toBeLessThanOrEqual(10);
    }
    expect(s.count).toBe(1000);
    expect(s.points.reduce((a, p) => a + p.n, 0)).toBe(1000);
    const mean = s.points.reduce((a, p) => a + p.y * p.n, 0) / 1000;
    expect(mean).toBeCloseTo(sum / 1000, 9);
    const ys = Array.from({ length: 1000 }, (_, k) => Math.sin(k + 1) * (k + 1));
    expect(seriesExtent(s)).toEqual([Math.min(...ys), Math.max(...ys)]);
    expect(s.points[s.points.length - 1].x).toBe(1000);
    // Buckets before the last are full: stride samples each.
    for (const p of s.points.slice(0, -1)) expect(p.n).toBe(s.stride);
  });

  it('is immutable: appending returns a new series and leaves the old one as it was', () => {
    const a = appendPoints(emptySeries(4), [[1, 1], [2, 2]]);
    const snapshot = JSON.stringify(a);
    const b = appendPoint(a, 3, 3);
    expect(JSON.stringify(a)).toBe(snapshot);
    expect(b).not.toBe(a);
    expect(b.points[0]).toBe(a.points[0]);
  });

  it('drops non-finite samples', () => {
    const a = appendPoint(emptySeries(), 1, 1);
    expect(appendPoint(a, 2, NaN)).toBe(a);
    expect(appendPoint(a, 2, Infinity)).toBe(a);
    expect(lastValue(a)).toBe(1);
    expect(lastValue(emptySeries())).toBeNull();
  });

  it('rejects a limit below two', () => {
    expect(() => emptySeries(1)).toThrow(RangeError);
  });

  it('appendToMap creates series on first use and keeps the map when nothing changed', () => {
    const m = appendToMap({}, 'loss', 1, 0.5);
    expect(m.loss.points).toHaveLength(1);
    expect(appendToMap(m, 'loss', 2, NaN)).toBe(m);
  });
});
