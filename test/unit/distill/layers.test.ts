// LEAD layer selection (algorithms.md section 4) and PROD's data-progressive selection (5).
import { describe, expect, it } from 'vitest';
import {
  LayerSelector,
  checkLayerSelection,
  selectDataProgressive,
  selectLayers,
  type LayerPairs,
  type LayerSelectorOptions,
} from '../../../src/core/distill/layers';
import { ConfigError } from '../../../src/core/errors';
import { Rng } from '../../../src/core/rng';

const randomOpts = (over: Partial<LayerSelectorOptions> = {}): LayerSelectorOptions => ({
  selection: 'random',
  k: 3,
  studentDepth: 6,
  teacherDepth: 12,
  resampleEvery: 10,
  seed: 1234,
  ...over,
});

function expectValid(p: LayerPairs, k: number, ds: number, dt: number): void {
  for (const [xs, d] of [[p.student, ds], [p.teacher, dt]] as const) {
    expect(xs).toHaveLength(k);
    for (let i = 0; i < k; i++) {
      expect(Number.isInteger(xs[i]) && xs[i] >= 0 && xs[i] < d).toBe(true);
      if (i > 0) expect(xs[i]).toBeGreaterThan(xs[i - 1]); // sorted and distinct
    }
  }
}

describe("'last' and 'skip'", () => {
  it('match the SimXNS LEAD lists (6-layer student, 12-layer teacher)', () => {
    // SimXNS select_layer: last -> [1..5] / [7..11]; skip -> [1..5] / [0, 2, 4, 6, 8] (k = 5),
    // and [0..5] / [6..11], [0..5] / [0, 2, .., 10] (k = 6).
    const base = { studentDepth: 6, teacherDepth: 12 };
    expect(selectLayers({ ...base, selection: 'last', k: 5 })).toEqual({ student: [1, 2, 3, 4, 5], teacher: [7, 8, 9, 10, 11] });
    expect(selectLayers({ ...base, selection: 'skip', k: 5 })).toEqual({ student: [1, 2, 3, 4, 5], teacher: [0, 2, 4, 6, 8] });
    expect(selectLayers({ ...base, selection: 'last', k: 6 })).toEqual({ student: [0, 1, 2, 3, 4, 5], teacher: [6, 7, 8, 9, 10, 11] });
    expect(selectLayers({ ...base, selection: 'skip', k: 6 })).toEqual({ student: [0, 1, 2, 3, 4, 5], teacher: [0, 2, 4, 6, 8, 10] });
  });

  it('small cases', () => {
    expect(selectLayers({ selection: 'last', k: 2, studentDepth: 3, teacherDepth: 5 })).toEqual({ student: [1, 2], teacher: [3, 4] });
    expect(selectLayers({ selection: 'skip', k: 2, studentDepth: 3, teacherDepth: 5 })).toEqual({ student: [1, 2], teacher: [0, 2] });
    expect(selectLayers({ selection: 'skip', k: 3, studentDepth: 3, teacherDepth: 5 })).toEqual({ student: [0, 1, 2], teacher: [0, 2, 4] });
    expect(selectLayers({ selection: 'last', k: 1, studentDepth: 1, teacherDepth: 1 })).toEqual({ student: [0], teacher: [0] });
  });

  it('a LayerSelector returns them at every step', () => {
    const sel = new LayerSelector({ ...randomOpts(), selection: 'skip', k: 4 });
    for (const step of [0, 1, 9, 10, 11, 99, 1000]) expect(sel.at(step)).toEqual({ student: [2, 3, 4, 5], teacher: [0, 2, 4, 6] });
    expect(sel.resamplesAt(10)).toBe(false);
  });
});

describe('errors', () => {
  it('k larger than either depth names both depths', () => {
    for (const selection of ['random', 'last', 'skip'] as const) {
      const run = () => selectLayers({ selection, k: 7, studentDepth: 6, teacherDepth: 12 }, new Rng(1));
      expect(run).toThrow(ConfigError);
      expect(run).toThrow(/k = 7 .*student has 6 layers and the teacher 12/);
    }
    expect(() => checkLayerSelection({ selection: 'last', k: 5, studentDepth: 6, teacherDepth: 4 })).toThrow(
      /student has 6 layers and the teacher 4.*at most 4/,
    );
    expect(() => new LayerSelector(randomOpts({ k: 13 }))).toThrow(ConfigError);
  });

  it("'skip' with a teacher shallower than 2k - 1", () => {
    // k = 4 needs teacher layers 0, 2, 4, 6: depth >= 7.
    const run = () => selectLayers({ selection: 'skip', k: 4, studentDepth: 6, teacherDepth: 6 });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(/'skip'.*0, 2, \.\., 6.*at least 7 layers.*teacher has 6.*k <= 3/);
    expect(selectLayers({ selection: 'skip', k: 4, studentDepth: 6, teacherDepth: 7 }).teacher).toEqual([0, 2, 4, 6]);
  });

  it('bad k, depths, resampleEvery, seed; random without an Rng', () => {
    expect(() => checkLayerSelection({ selection: 'last', k: 0, studentDepth: 6, teacherDepth: 12 })).toThrow(ConfigError);
    expect(() => checkLayerSelection({ selection: 'last', k: 1.5, studentDepth: 6, teacherDepth: 12 })).toThrow(ConfigError);
    expect(() => checkLayerSelection({ selection: 'last', k: 1, studentDepth: 0, teacherDepth: 12 })).toThrow(ConfigError);
    expect(() => checkLayerSelection({ selection: 'first' as never, k: 1, studentDepth: 6, teacherDepth: 12 })).toThrow(ConfigError);
    expect(() => new LayerSelector(randomOpts({ resampleEvery: 0 }))).toThrow(ConfigError);
    expect(() => new LayerSelector(randomOpts({ seed: 0.5 }))).toThrow(ConfigError);
    expect(() => selectLayers({ selection: 'random', k: 1, studentDepth: 6, teacherDepth: 12 })).toThrow(/needs an Rng/);
  });
});

describe("'random' and the LayerSelector", () => {
  it('valid pairs: k distinct sorted layers of each model, in range', () => {
    const sel = new LayerSelector(randomOpts());
    for (let step = 0; step < 500; step += 7) expectValid(sel.at(step), 3, 6, 12);
    const full = new LayerSelector(randomOpts({ k: 6 }));
    expect(full.at(0).student).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('deterministic given seed and step; another seed differs', () => {
    const a = new LayerSelector(randomOpts());
    const b = new LayerSelector(randomOpts());
    const c = new LayerSelector(randomOpts({ seed: 99 }));
    let differs = 0;
    for (let step = 0; step < 300; step++) {
      expect(a.at(step)).toEqual(b.at(step));
      if (JSON.stringify(a.at(step)) !== JSON.stringify(c.at(step))) differs++;
    }
    expect(differs).toBeGreaterThan(150);
    // Random access: a fresh selector asked for step 257 directly agrees with the walk above.
    expect(new LayerSelector(randomOpts()).at(257)).toEqual(a.at(257));
  });

  it('re-samples every resampleEvery steps, and only then', () => {
    const R = 10;
    const sel = new LayerSelector(randomOpts({ resampleEvery: R }));
    let changes = 0;
    for (let step = 0; step < 400; step++) {
      expect(sel.resamplesAt(step)).toBe(step % R === 0);
      expect(sel.windowOf(step)).toBe(Math.floor(step / R));
      if (step % R !== 0) expect(sel.at(step)).toEqual(sel.at(step - 1));
      else if (step > 0 && JSON.stringify(sel.at(step)) !== JSON.stringify(sel.at(step - 1))) changes++;
    }
    // 39 re-samplings of 3 of 6 and 3 of 12 layers: nearly every one changes the pairs.
    expect(changes).toBeGreaterThan(30);
    const every = new LayerSelector(randomOpts({ resampleEvery: 1 }));
    expect(every.resamplesAt(5)).toBe(true);
  });

  it('roughly uniform over layers', () => {
    const sel = new LayerSelector(randomOpts({ k: 2, resampleEvery: 1 }));
    const windows = 6000;
    const sCount = new Array(6).fill(0);
    const tCount = new Array(12).fill(0);
    for (let step = 0; step < windows; step++) {
      const p = sel.at(step);
      p.student.forEach((l) => sCount[l]++);
      p.teacher.forEach((l) => tCount[l]++);
    }
    // Expected counts 2000 (student) and 1000 (teacher); 6 sigma is about 220 and 180.
    for (const c of sCount) expect(Math.abs(c - (windows * 2) / 6)).toBeLessThan(220);
    for (const c of tCount) expect(Math.abs(c - (windows * 2) / 12)).toBeLessThan(180);
  });

  it('state: JSON round trip, resume, and a mismatched configuration is refused', () => {
    const sel = new LayerSelector(randomOpts());
    sel.at(0);
    sel.at(47);
    const saved = JSON.parse(JSON.stringify(sel.state));
    expect(saved.window).toBe(4);
    expect(saved.pairs).toEqual(sel.at(47));
    const resumed = LayerSelector.fromState(saved);
    for (let step = 47; step < 200; step++) expect(resumed.at(step)).toEqual(sel.at(step));
    const fresh = new LayerSelector(randomOpts());
    expect(fresh.state.window).toBe(-1);
    expect(fresh.state.pairs).toBeNull();
    expect(() => {
      new LayerSelector(randomOpts({ seed: 5 })).state = saved;
    }).toThrow(/seed = 1234, this run has 5/);
    expect(() => {
      new LayerSelector(randomOpts({ k: 2 })).state = saved;
    }).toThrow(ConfigError);
  });
});

describe('data-progressive selection', () => {
  it('keeps student rank in [low, high] and teacher rank <= teacherRank; null never', () => {
    const student = { a: 1, b: 2, c: 15, d: 16, e: 5, f: 3, g: null, h: 4 };
    const teacher = { a: 1, b: 1, c: 1, d: 1, e: 2, f: 1, g: 1 }; // h: no teacher rank
    expect(selectDataProgressive(student, teacher)).toEqual(['b', 'c', 'f']);
    expect(selectDataProgressive(student, teacher, { rankLow: 1, rankHigh: 16, teacherRank: 2 })).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(selectDataProgressive({}, {})).toEqual([]);
  });
});
