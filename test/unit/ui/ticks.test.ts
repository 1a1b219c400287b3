// The live charts' own axes (src/ui/chart/ticks.ts): round steps, domains that cover the data,
// fixed ends kept, whole-number steps on the step axis, and degenerate data handled.
import { describe, expect, it } from 'vitest';
import { niceStep, stepAxis, ticksInside, valueAxis } from '../../../src/ui/chart/ticks';

describe('chart ticks', () => {
  it('steps are 1, 2 or 5 times a power of ten', () => {
    expect(niceStep(0, 10, 5)).toBe(2);
    expect(niceStep(0, 1, 5)).toBe(0.2);
    expect(niceStep(3.2, 3.9, 5)).toBeCloseTo(0.2, 12);
    expect(niceStep(0, 7300, 5)).toBe(2000);
    expect(niceStep(0, 0.0003, 4)).toBeCloseTo(0.0001, 12);
  });

  it('ticks are the step multiples inside the range, without float noise', () => {
    expect(ticksInside(0, 1, 0.1)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(ticksInside(0.05, 0.95, 0.2)).toEqual([0.2, 0.4, 0.6, 0.8]);
    expect(ticksInside(-3, 3, 2)).toEqual([-2, 0, 2]);
  });

  it('an auto value axis covers the data and ends on ticks', () => {
    const a = valueAxis(3.31, 3.92);
    expect(a.domain[0]).toBeLessThanOrEqual(3.31);
    expect(a.domain[1]).toBeGreaterThanOrEqual(3.92);
    expect(a.ticks[0]).toBeCloseTo(a.domain[0], 12);
    expect(a.ticks.at(-1)).toBeCloseTo(a.domain[1], 12);
    expect(a.ticks.length).toBeGreaterThanOrEqual(3);
    expect(a.ticks.length).toBeLessThanOrEqual(11);
  });

  it('fixed ends are kept', () => {
    expect(valueAxis(0.2, 0.7, [0, 1]).domain).toEqual([0, 1]);
    const a = valueAxis(0.013, 0.041, [0, 'auto']);
    expect(a.domain[0]).toBe(0);
    expect(a.domain[1]).toBeGreaterThanOrEqual(0.041);
  });

  it('flat or missing data still gives a usable axis', () => {
    const flat = valueAxis(2, 2);
    expect(flat.domain[0]).toBeLessThan(2);
    expect(flat.domain[1]).toBeGreaterThan(2);
    expect(valueAxis(0, 0).domain).toEqual([-1, 1]);
    expect(valueAxis(Infinity, -Infinity).domain).toEqual([0, 1]);
  });

  it('the step axis spans the steps exactly, with whole-number ticks', () => {
    expect(stepAxis(1, 6).domain).toEqual([1, 6]);
    for (const t of stepAxis(1, 6).ticks) expect(Number.isInteger(t)).toBe(true);
    expect(stepAxis(1, 3).ticks).toEqual([1, 2, 3]);
    expect(stepAxis(0, 1000).ticks).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(stepAxis(5, 5).ticks).toEqual([5]);
  });
});
