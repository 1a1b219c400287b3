// Selection rules of algorithms.md: LEAD's layer pairs (section 4) and PROD's
// data-progressive query subset (section 5). Plain numbers, no tensors.
//
// Layers are 0-based block indices (block l gives h^{l+1}; the embedding output is not a
// layer), the same indices ScoreOptions.layers of the models take.

import { ConfigError } from '../errors';
import { Rng } from '../rng';
import type { LayerSelection } from './recipes';

export type { LayerSelection };

/** k student layers and k teacher layers, each ascending; student[j] is paired with teacher[j]. */
export interface LayerPairs {
  student: number[];
  teacher: number[];
}

export interface LayerSelectionOptions {
  selection: LayerSelection;
  /** Number of layer pairs. */
  k: number;
  /** Number of encoder blocks of the student (its layers are 0 .. studentDepth-1). */
  studentDepth: number;
  teacherDepth: number;
}

const isPosInt = (v: number) => Number.isInteger(v) && v >= 1;

/**
 * Section 4: k must not exceed either model's depth; 'skip' also needs teacher layers
 * 0, 2, .., 2k-2, i.e. a teacher depth of at least 2k - 1. Throws a ConfigError naming both depths.
 */
export function checkLayerSelection(o: LayerSelectionOptions): void {
  const field = { field: 'lead.k', k: o.k, studentDepth: o.studentDepth, teacherDepth: o.teacherDepth };
  if (!['random', 'last', 'skip'].includes(o.selection)) {
    throw new ConfigError(`LEAD layer selection must be 'random', 'last' or 'skip', got ${JSON.stringify(o.selection)}`, { field: 'lead.selection' });
  }
  if (!isPosInt(o.studentDepth) || !isPosInt(o.teacherDepth)) {
    throw new ConfigError(`LEAD: model depths must be integers >= 1 (student ${o.studentDepth}, teacher ${o.teacherDepth})`, field);
  }
  if (!isPosInt(o.k)) throw new ConfigError(`LEAD: k (layer pairs) must be an integer >= 1, got ${o.k}`, field);
  if (o.k > o.studentDepth || o.k > o.teacherDepth) {
    throw new ConfigError(
      `LEAD: k = ${o.k} layer pairs, but the student has ${o.studentDepth} layers and the teacher ${o.teacherDepth}; ` +
        `k must not exceed either depth (at most ${Math.min(o.studentDepth, o.teacherDepth)} here)`,
      field,
    );
  }
  if (o.selection === 'skip' && 2 * o.k - 1 > o.teacherDepth) {
    throw new ConfigError(
      `LEAD 'skip' selection: k = ${o.k} pairs take teacher layers 0, 2, .., ${2 * o.k - 2}, which needs a teacher of at least ` +
        `${2 * o.k - 1} layers, but the teacher has ${o.teacherDepth} (the student ${o.studentDepth}); ` +
        `use k <= ${Math.floor((o.teacherDepth + 1) / 2)} or another selection`,
      field,
    );
  }
}

const ascending = (a: number, b: number) => a - b;
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/**
 * Section 4, one selection.
 *  - random: k distinct student layers and k distinct teacher layers, uniformly (rng), sorted;
 *  - last:   the last k layers of each;
 *  - skip:   the student's last k; the teacher's 0, 2, 4, .., 2k-2.
 * rng is used (and advanced) only by 'random', where it is required.
 */
export function selectLayers(o: LayerSelectionOptions, rng?: Rng): LayerPairs {
  checkLayerSelection(o);
  const { k, studentDepth: ds, teacherDepth: dt } = o;
  switch (o.selection) {
    case 'random': {
      if (!rng) throw new Error("selectLayers: 'random' needs an Rng");
      const student = rng.sample(ds, k).sort(ascending);
      const teacher = rng.sample(dt, k).sort(ascending);
      return { student, teacher };
    }
    case 'last':
      return { student: range(ds - k, ds), teacher: range(dt - k, dt) };
    case 'skip':
      return { student: range(ds - k, ds), teacher: range(0, k).map((j) => 2 * j) };
  }
}

export interface LayerSelectorOptions extends LayerSelectionOptions {
  /** Steps between re-samplings of 'random' (paper: 10). */
  resampleEvery: number;
  seed: number;
}

/** Everything a checkpoint needs to restore a LayerSelector (JSON-serialisable). */
export interface LayerSelectorState extends LayerSelectorOptions {
  /** The re-sampling window the last `at` call was in (-1: none yet). */
  window: number;
  /** The pairs of that window (informative; they are recomputed from seed and window). */
  pairs: LayerPairs | null;
}

/** A 32-bit hash of (seed, window) (murmur3's finaliser over a mix): one Rng seed for each window */
function windowSeed(seed: number, window: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(window + 1, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * LEAD's layer pairs over a run. Optimiser step s (0-based) uses window floor(s / resampleEvery):
 * steps 0..R-1 share one selection, R..2R-1 the next, and so on (SimXNS re-selects after every
 * R-th step). A window's 'random' pairs come from an Rng seeded by (seed, window) alone, so
 * the pairs of any step are a pure function of (seed, step): a resumed run, or one that
 * replays a step, gets the same layers without replaying earlier draws.
 */
export class LayerSelector {
  private readonly opts: LayerSelectorOptions;
  private window = -1;
  private pairs: LayerPairs | null = null;

  constructor(opts: LayerSelectorOptions) {
    checkLayerSelection(opts);
    if (!isPosInt(opts.resampleEvery)) {
      throw new ConfigError(`LEAD: resampleEvery must be an integer >= 1, got ${opts.resampleEvery}`, { field: 'lead.resampleEvery' });
    }
    if (!Number.isInteger(opts.seed)) throw new ConfigError(`LEAD layer selector: seed must be an integer, got ${opts.seed}`, { field: 'seed' });
    this.opts = { ...opts };
  }

  /** The window of optimiser step `step` (0-based). */
  windowOf(step: number): number {
    if (!Number.isInteger(step) || step < 0) throw new Error(`LayerSelector: step must be an integer >= 0, got ${step}`);
    return this.opts.selection === 'random' ? Math.floor(step / this.opts.resampleEvery) : 0;
  }

  /** Whether step `step` uses different draws than step - 1 (a re-sampling step; step 0 is one). */
  resamplesAt(step: number): boolean {
    return step === 0 || this.windowOf(step) !== this.windowOf(step - 1);
  }

  /** The layer pairs for optimiser step `step` (0-based). */
  at(step: number): LayerPairs {
    const w = this.windowOf(step);
    if (w !== this.window || !this.pairs) {
      const rng = this.opts.selection === 'random' ? new Rng(windowSeed(this.opts.seed, w)) : undefined;
      this.pairs = selectLayers(this.opts, rng);
      this.window = w;
    }
    return { student: [...this.pairs.student], teacher: [...this.pairs.teacher] };
  }

  get state(): LayerSelectorState {
    const p = this.pairs;
    return { ...this.opts, window: this.window, pairs: p ? { student: [...p.student], teacher: [...p.teacher] } : null };
  }

  /** Restores a saved state; it must come from a selector of the same configuration. */
  set state(s: LayerSelectorState) {
    for (const key of ['selection', 'k', 'studentDepth', 'teacherDepth', 'resampleEvery', 'seed'] as const) {
      if (s[key] !== this.opts[key]) {
        throw new ConfigError(
          `LayerSelector state is for ${key} = ${JSON.stringify(s[key])}, this run has ${JSON.stringify(this.opts[key])}`,
          { field: `lead.${key}` },
        );
      }
    }
    this.window = -1;
    this.pairs = null;
    if (s.window >= 0) this.at(s.window * (this.opts.selection === 'random' ? this.opts.resampleEvery : 1));
  }

  /** A selector restored from a checkpoint's state alone. */
  static fromState(s: LayerSelectorState): LayerSelector {
    const sel = new LayerSelector(s);
    sel.state = s;
    return sel;
  }
}

// ---- PROD's data-progressive distillation (section 5) ----

export interface DataProgressiveWindow {
  /** Student rank window of the first relevant passage, inclusive (paper: 2 .. 15). */
  rankLow: number;
  rankHigh: number;
  /** The teacher must place it at this rank or better (paper: 1). */
  teacherRank: number;
}

/**
 * Section 5: the training queries the teacher gets right and the student nearly does: the
 * student's first relevant passage at rank rankLow..rankHigh (1-based) and the teacher's at
 * rank <= teacherRank. null (or a missing entry) means no relevant passage in the ranking:
 * never selected. Returns the query ids in the order of `studentRanks`.
 */
export function selectDataProgressive(
  studentRanks: Readonly<Record<string, number | null>>,
  teacherRanks: Readonly<Record<string, number | null | undefined>>,
  w: DataProgressiveWindow = { rankLow: 2, rankHigh: 15, teacherRank: 1 },
): string[] {
  const out: string[] = [];
  for (const [qid, rs] of Object.entries(studentRanks)) {
    const rt = teacherRanks[qid];
    if (rs == null || rt == null) continue;
    if (rs >= w.rankLow && rs <= w.rankHigh && rt <= w.teacherRank) out.push(qid);
  }
  return out;
}
