// `npm run lab -- parity --recipe R --kind K --steps N --out FILE [--backend wasm|cpu]`
//
// Step-for-step parity of the lab's training with a PyTorch twin (tools/parity/twin.py,
// written from ../shared/spec/algorithms.md, run in float64 by Debian's /usr/bin/python3):
//  1. a tiny teacher and student (dropout off) and a seeded batch sampler on a synthetic world;
//  2. (src/cli/parityLab.ts, no Node APIs: a browser page runs it too)
//     the lab's own PhaseTrainer runs N steps (logEvery 1), a recording sampler keeping every
//     batch; every loss term, the gradient norm, the lr and LEAD's layer pairs come from its
//     step events, the final weights from the models;
//  3. a dump folder gets the initial weights (safetensors), the exact token ids / masks /
//     segment ids each model read at each step, the layer pairs, the loss knobs and the
//     optimiser and schedule constants (the lab's choices where the spec leaves them open);
//  4. the twin replays the steps and writes its losses, gradient norms and final weights;
//  5. the comparison: every per-step total loss within 1e-3 relative, every term too, and
//     the final weights within 1e-3 (max |w_lab - w_torch| / max |w_torch| per tensor).
// Report JSON (stable fields): {recipe, kind, steps, lab_loss, torch_loss, max_rel_loss,
// max_rel_weight, ...}; the learning curves of both sides as an SVG and a markdown table next
// to it. Recipes: baseline, kd, lead (joint), lead-frozen, prod (one stage with LwF).
// Kinds: de (mean pooling, cosine / 0.05: the lab's new default DE), de-cls (plain [CLS] dot),
// de-max (max pooling, normalised, dot / 0.1), cb (ColBERT with projection), ce.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { DistillLabError } from '../core/errors';
import { parseSafetensors, tensorToFloat32 } from '../core/model/safetensors';
import { labParityFiles, PARITY_KINDS, PARITY_RECIPES, type LabRecord, type ParityFiles, type ParityKind, type ParityOptions, type ParityRecipe } from './parityLab';
import { writeCurves } from './parityReport';

export { INIT_STD, labParityFiles, PARITY_KINDS, PARITY_RECIPES, type ParityFiles, type ParityKind, type ParityOptions, type ParityRecipe } from './parityLab';

/**
 * Debian's interpreter, where apt's python3-torch lives (a pyenv python3 on PATH may not see
 * it); PARITY_PYTHON names another.
 */
export const DEFAULT_PYTHON = process.env.PARITY_PYTHON || '/usr/bin/python3';
export const TWIN_SCRIPT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../tools/parity/twin.py');
export const INSTALL_TORCH = 'apt-get install -y python3-torch libopenblas0-pthread (Debian\'s torch 1.13), then run the twin with /usr/bin/python3';

/** Every per-step total loss and term, and every final weight tensor, within this relative error. */
export const PARITY_TOLERANCE = { loss: 1e-3, weight: 1e-3 } as const;

/** Relative gap between a max's two largest entries below which float32 may flip the argmax. */
export const NEAR_TIE = 1e-6;

/** PyTorch is missing (or the twin failed to run). */
export class TwinUnavailableError extends DistillLabError {
  override name = 'TwinUnavailableError';
}


export interface ParityReport {
  recipe: ParityRecipe;
  /** The student's kind. */
  kind: ParityKind;
  /** The teacher's (the same as kind unless --teacher-kind). */
  teacher_kind: ParityKind;
  steps: number;
  backend: string;
  lab_precision: 'float32';
  twin_precision: string;
  torch_version: string;
  pass: boolean;
  tolerance: typeof PARITY_TOLERANCE;
  lab_loss: number[];
  torch_loss: number[];
  max_rel_loss: number;
  max_rel_weight: number;
  /** The tensor (model/name) where max_rel_weight was found. */
  max_rel_weight_tensor: string;
  /** Per loss term: both series and the largest error relative to max(|term|, |total|) of the twin's step. */
  terms: Record<string, { lab: number[]; torch: number[]; max_rel: number }>;
  grad_norm: { lab: number[]; torch: number[]; max_rel: number };
  /** Joint LEAD: the teacher's pre-clip gradient norm (the lab's events carry the student's only). */
  grad_norm_teacher_torch?: number[];
  lr: { lab: number[]; torch: number[]; max_abs: number };
  layer_pairs?: [number, number][][];
  layer_weights?: { lab: number[][]; torch: number[][]; max_abs: number };
  /** Per model and tensor: max |w_lab - w_torch| / max |w_torch| (zero-gradient tensors left out). */
  weights: Record<string, Record<string, number>>;
  /**
   * Tensors whose gradient is zero in exact arithmetic (the float64 twin's stays at rounding
   * level: attention key biases, which the softmax over keys ignores; a CE's classifier bias and
   * last LayerNorm bias, which shift a whole group's scores alike). They change no score, so no
   * loss; float32 rounding gives them gradients of ~1e-10 that Adam's normalisation turns into
   * steps, so they are not compared: "model/name" -> the lab's drift max |w_lab - w_init|.
   */
  zero_gradient_tensors: Record<string, number>;
  /**
   * With --control: PyTorch's own float32 run against its float64 run, measured the same way
   * (the float32 rounding floor the lab's float32 numbers can be read against).
   */
  control_f32?: { max_rel_loss: number; max_rel_weight: number; max_rel_grad_norm: number; max_rel_weight_tensor: string };
  /**
   * Steps where a max the scores take (ColBERT MaxSim, DE max pooling) had its two largest
   * entries within NEAR_TIE of each other (relative) in the twin: float32 rounding may pick the
   * other entry there, and the gradient goes to another token. A trajectory that leaves the
   * tolerance band right after such a step has met max's non-smoothness, not a wrong formula.
   */
  near_ties: { step: number; gap: number }[];
  /** The first step whose gradient norm differs by more than 1e-4 relative (null: none). */
  first_grad_norm_divergence: number | null;
  /** The first step and term (or weights:<tensor>) beyond tolerance; null when none. */
  first_mismatch: { step: number; term: string; lab: number; torch: number; rel: number } | null;
  setup: Record<string, unknown>;
  seconds: { lab: number; twin: number };
  dump_dir: string;
}

// ---------------------------------------------------------------------------------------
// PyTorch

/** Is torch importable by `python`? {ok, message}: the message says how to install it when not. */
export function torchStatus(python = DEFAULT_PYTHON): { ok: boolean; version?: string; message: string } {
  const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr || '').trim().split('\n').at(-1) ?? `exit ${r.status}`;
    return { ok: false, message: `PyTorch is not available to ${python} (${why}). Install it with: ${INSTALL_TORCH}` };
  }
  const version = r.stdout.trim();
  return { ok: true, version, message: `torch ${version} (${python})` };
}

/**
 * Runs the twin over dump folders (one process: torch's import costs ~2 s). float32: the
 * control run (files torch_f32*), how far float32 rounding alone takes PyTorch.
 */
export function runTwin(dumpDirs: string[], python = DEFAULT_PYTHON, dtype: 'float64' | 'float32' = 'float64'): number {
  const st = torchStatus(python);
  if (!st.ok) throw new TwinUnavailableError(st.message);
  const t0 = performance.now();
  const r = spawnSync(python, [TWIN_SCRIPT, ...(dtype === 'float32' ? ['--dtype', 'float32'] : []), ...dumpDirs], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error || r.status !== 0) {
    throw new TwinUnavailableError(`the PyTorch twin failed (${python} ${TWIN_SCRIPT}): ${r.error?.message ?? r.stderr}`);
  }
  return (performance.now() - t0) / 1000;
}

// ---------------------------------------------------------------------------------------
// The lab side

/** The lab side of one parity run on the current tfjs backend, written into `dumpDir`. */
export async function runLabSide(opts: ParityOptions, dumpDir: string): Promise<void> {
  writeParityFiles(await labParityFiles(opts), dumpDir);
}

/** A dump folder from the lab side's files (e.g. a browser page's). */
export function writeParityFiles(files: ParityFiles, dumpDir: string): void {
  mkdirSync(dumpDir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dumpDir, name), content);
}

// ---------------------------------------------------------------------------------------
// The comparison

interface TwinRecord {
  precision: string;
  torch_version: string;
  zero_gradient?: Record<string, string[]>;
  steps: {
    step: number; total: number; terms: Record<string, number>; grad_norm: number; grad_norm_teacher?: number; lr: number;
    layer_weights?: number[]; min_max_gap?: number;
  }[];
}

function readTensors(file: string): Map<string, Float32Array> {
  const f = parseSafetensors(new Uint8Array(readFileSync(file)));
  const out = new Map<string, Float32Array>();
  for (const e of f.entries) out.set(e.name, tensorToFloat32(f, e));
  return out;
}

/** max |a - b| / max |b| over one tensor (0 when both are all zero). */
export function tensorRelError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  if (!Number.isFinite(diff)) return Infinity;
  return scale > 0 ? diff / scale : diff;
}

/** Relative error of a loss value against the twin's, floored at `floor`. */
function relErr(lab: number, torch: number, floor: number): number {
  if (!Number.isFinite(lab) || !Number.isFinite(torch)) return Infinity;
  return Math.abs(lab - torch) / Math.max(Math.abs(torch), floor);
}

/** Compares the lab's record with the twin's in a dump folder both sides have written. */
export function compareParity(dumpDir: string, seconds = { lab: NaN, twin: NaN }): ParityReport {
  const dump = JSON.parse(readFileSync(path.join(dumpDir, 'dump.json'), 'utf8')) as {
    parity_recipe: ParityRecipe; kind: ParityKind; teacher_kind?: ParityKind; recipe: { kind: string; joint?: boolean }; student: { config: unknown }; teacher: { config: unknown } | null;
    optimizer: unknown; schedule: unknown; teacher_lr_scale: number;
  };
  const lab = JSON.parse(readFileSync(path.join(dumpDir, 'lab.json'), 'utf8')) as LabRecord;
  const twin = JSON.parse(readFileSync(path.join(dumpDir, 'torch.json'), 'utf8')) as TwinRecord;
  const n = lab.steps.length;
  if (twin.steps.length !== n) throw new Error(`parity: the lab ran ${n} steps, the twin ${twin.steps.length}`);
  const tol = PARITY_TOLERANCE;
  let first: ParityReport['first_mismatch'] = null;
  const flag = (step: number, term: string, l: number, t: number, rel: number, limit: number) => {
    if (!(rel <= limit) && first === null) first = { step, term, lab: l, torch: t, rel };
  };

  const labLoss = lab.steps.map((s) => s.losses.total);
  const torchLoss = twin.steps.map((s) => s.total);
  const termNames = Object.keys(lab.steps[0]?.losses ?? {}).filter((k) => k !== 'total');
  for (const k of Object.keys(twin.steps[0]?.terms ?? {})) if (!termNames.includes(k)) termNames.push(k);
  const terms: ParityReport['terms'] = {};
  for (const name of termNames) terms[name] = { lab: [], torch: [], max_rel: 0 };
  let maxRelLoss = 0;
  for (let i = 0; i < n; i++) {
    const step = i + 1;
    const tTotal = torchLoss[i];
    const rel = relErr(labLoss[i], tTotal, 1e-6);
    maxRelLoss = Math.max(maxRelLoss, rel);
    flag(step, 'total', labLoss[i], tTotal, rel, tol.loss);
    for (const name of termNames) {
      const l = lab.steps[i].losses[name] ?? NaN;
      const t = twin.steps[i].terms[name] ?? NaN;
      // Relative to the term, or to the step's total when the term is smaller: a tiny term
      // (LwF's KL of two nearly equal distributions, times T^2) carries float32's absolute
      // rounding of log-probabilities, ~1e-6, however small it is itself.
      const r = relErr(l, t, Math.max(Math.abs(tTotal), 1e-9));
      const e = terms[name];
      e.lab.push(l);
      e.torch.push(t);
      e.max_rel = Math.max(e.max_rel, r);
      flag(step, name, l, t, r, tol.loss);
    }
    // The schedule: both sides compute it in float64 from the same constants.
    const lrL = lab.steps[i].lr;
    const lrT = twin.steps[i].lr;
    flag(step, 'lr', lrL, lrT, relErr(lrL, lrT, 1e-12), 1e-9);
  }

  const gLab = lab.steps.map((s) => s.gradNorm);
  const gTorch = twin.steps.map((s) => s.grad_norm);
  const gradRel = gLab.reduce((m, g, i) => Math.max(m, relErr(g, gTorch[i], 1e-6)), 0);
  const divergence = gLab.findIndex((g, i) => !(relErr(g, gTorch[i], 1e-6) <= 1e-4));
  const nearTies = twin.steps.filter((s) => s.min_max_gap !== undefined && s.min_max_gap < NEAR_TIE).map((s) => ({ step: s.step, gap: s.min_max_gap! }));
  const lrLab = lab.steps.map((s) => s.lr);
  const lrTorch = twin.steps.map((s) => s.lr);
  const lrAbs = lrLab.reduce((m, v, i) => Math.max(m, Math.abs(v - lrTorch[i])), 0);

  const weights: ParityReport['weights'] = {};
  const zeroGrad: ParityReport['zero_gradient_tensors'] = {};
  let maxRelWeight = 0;
  let worstTensor = '';
  const models = dump.recipe.kind === 'lead' && dump.recipe.joint ? ['student', 'teacher'] : ['student'];
  for (const m of models) {
    const a = readTensors(path.join(dumpDir, `lab_${m}.safetensors`));
    const b = readTensors(path.join(dumpDir, `torch_${m}.safetensors`));
    const init = readTensors(path.join(dumpDir, `${m}.safetensors`));
    const zero = new Set(twin.zero_gradient?.[m] ?? []);
    weights[m] = {};
    for (const [name, tb] of b) {
      const ta = a.get(name);
      const t0 = init.get(name);
      if (zero.has(name) && ta && t0) {
        zeroGrad[`${m}/${name}`] = ta.reduce((mx, v, i) => Math.max(mx, Math.abs(v - t0[i])), 0);
        continue;
      }
      const rel = ta && ta.length === tb.length ? tensorRelError(ta, tb) : Infinity;
      weights[m][name] = rel;
      if (worstTensor === '' || !(rel <= maxRelWeight)) {
        maxRelWeight = rel;
        worstTensor = `${m}/${name}`;
      }
    }
    for (const name of a.keys()) if (!b.has(name) && !zero.has(name)) weights[m][name] = Infinity;
  }
  for (const m of models) {
    for (const [name, rel] of Object.entries(weights[m])) flag(n, `weights:${m}/${name}`, rel, 0, rel, tol.weight);
  }

  const report: ParityReport = {
    recipe: dump.parity_recipe,
    kind: dump.kind,
    teacher_kind: dump.teacher_kind ?? dump.kind,
    steps: n,
    backend: lab.backend,
    lab_precision: 'float32',
    twin_precision: twin.precision,
    torch_version: twin.torch_version,
    pass: maxRelLoss <= tol.loss && maxRelWeight <= tol.weight && first === null,
    tolerance: tol,
    lab_loss: labLoss,
    torch_loss: torchLoss,
    max_rel_loss: maxRelLoss,
    max_rel_weight: maxRelWeight,
    max_rel_weight_tensor: worstTensor,
    terms,
    grad_norm: { lab: gLab, torch: gTorch, max_rel: gradRel },
    lr: { lab: lrLab, torch: lrTorch, max_abs: lrAbs },
    weights,
    zero_gradient_tensors: zeroGrad,
    near_ties: nearTies,
    first_grad_norm_divergence: divergence < 0 ? null : divergence + 1,
    first_mismatch: first,
    setup: {
      student: dump.student.config, teacher: dump.teacher?.config ?? null, recipe: dump.recipe,
      optimizer: dump.optimizer, schedule: dump.schedule, teacher_lr_scale: dump.teacher_lr_scale,
    },
    seconds: { lab: Number.isFinite(seconds.lab) ? seconds.lab : lab.seconds, twin: seconds.twin },
    dump_dir: dumpDir,
  };
  if (twin.steps.some((s) => s.grad_norm_teacher !== undefined)) report.grad_norm_teacher_torch = twin.steps.map((s) => s.grad_norm_teacher ?? NaN);
  if (lab.steps.some((s) => s.layerPairs)) {
    report.layer_pairs = lab.steps.map((s) => s.layerPairs ?? []);
    const wl = lab.steps.map((s) => s.layerWeights ?? []);
    const wt = twin.steps.map((s) => s.layer_weights ?? []);
    const maxAbs = wl.reduce((m, row, i) => row.reduce((mm, v, j) => Math.max(mm, Math.abs(v - (wt[i][j] ?? NaN)) || 0), m), 0);
    report.layer_weights = { lab: wl, torch: wt, max_abs: maxAbs };
  }
  return report;
}

/** PyTorch float32 (torch_f32*) against float64 (torch*) in a dump folder the twin ran in both. */
export function compareControl(dumpDir: string): NonNullable<ParityReport['control_f32']> {
  const rd = (f: string) => JSON.parse(readFileSync(path.join(dumpDir, f), 'utf8')) as TwinRecord;
  const a = rd('torch_f32.json');
  const b = rd('torch.json');
  const loss = a.steps.reduce((m, s, i) => Math.max(m, relErr(s.total, b.steps[i].total, 1e-6)), 0);
  const grad = a.steps.reduce((m, s, i) => Math.max(m, relErr(s.grad_norm, b.steps[i].grad_norm, 1e-6)), 0);
  let weight = 0;
  let worst = '';
  const dump = JSON.parse(readFileSync(path.join(dumpDir, 'dump.json'), 'utf8')) as { recipe: { kind: string; joint?: boolean } };
  for (const m of dump.recipe.kind === 'lead' && dump.recipe.joint ? ['student', 'teacher'] : ['student']) {
    const wa = readTensors(path.join(dumpDir, `torch_f32_${m}.safetensors`));
    const wb = readTensors(path.join(dumpDir, `torch_${m}.safetensors`));
    const zero = new Set(b.zero_gradient?.[m] ?? []);
    for (const [name, tb] of wb) {
      if (zero.has(name)) continue;
      const rel = tensorRelError(wa.get(name)!, tb);
      if (worst === '' || !(rel <= weight)) {
        weight = rel;
        worst = `${m}/${name}`;
      }
    }
  }
  return { max_rel_loss: loss, max_rel_weight: weight, max_rel_grad_norm: grad, max_rel_weight_tensor: worst };
}

/** Both sides of one recipe x kind, then the comparison. The current tfjs backend runs the lab. */
export async function runParity(opts: ParityOptions & { dumpDir?: string; python?: string }): Promise<ParityReport> {
  const st = torchStatus(opts.python);
  if (!st.ok) throw new TwinUnavailableError(st.message);
  const dir = opts.dumpDir ?? mkdtempSync(path.join(os.tmpdir(), `parity-${opts.recipe}-${opts.kind}-`));
  const t0 = performance.now();
  await runLabSide(opts, dir);
  const labSeconds = (performance.now() - t0) / 1000;
  const twinSeconds = runTwin([dir], opts.python);
  return compareParity(dir, { lab: labSeconds, twin: twinSeconds });
}

// ---------------------------------------------------------------------------------------
// Command line

const HELP = `npm run lab -- parity: the lab's training step against a PyTorch twin (float64)

  npm run lab -- parity --recipe lead --kind de --steps 100 --out out/parity/lead-de.json
  npm run lab -- parity --recipe all --kind all --steps 100 --backend wasm --out out/parity/wasm

Options
  --recipe R     ${PARITY_RECIPES.join(', ')}, a comma list, or all
  --kind K       ${PARITY_KINDS.join(', ')}, a comma list, or all (de: mean pooling, cosine / 0.05)
  --teacher-kind K   the teacher's kind, if not the student's (e.g. ce: section 2's cut to groups)
  --steps N      optimiser steps (default 100)
  --out PATH     the report JSON (one run) or a folder (several: one JSON each, summary.md/.json)
  --backend B    wasm or cpu (default wasm); webgpu runs on Node WebGPU when an adapter exists
  --lr X         peak learning rate (default 2e-3)
  --batch N      queries per batch B (default 4); --negatives N hard negatives each (default 3)
  --seed N       world, models and sampler seed (default 1)
  --python PATH  interpreter with torch (default ${DEFAULT_PYTHON})
  --control      also run the twin in float32: PyTorch's own float32 drift, in the report and table
  --keep         keep the dump folders (printed; else they are removed)
  --compare DIRS run the twin on dump folders written elsewhere (comma list; e.g. by a browser
                 page through labParityFiles) and compare; prints the reports as JSON lines`;

function pick<T extends string>(value: string, all: readonly T[], what: string): T[] {
  if (value === 'all') return [...all];
  const out = value.split(',').map((s) => s.trim()) as T[];
  for (const v of out) if (!all.includes(v)) throw new Error(`unknown ${what} "${v}" (use ${all.join(', ')} or all)`);
  return out;
}

/** One row per report: the table docs/parity.md shows. */
export function summaryMarkdown(reports: ParityReport[]): string {
  const fmt = (x: number) => (Number.isFinite(x) ? x.toExponential(1) : String(x));
  const control = reports.some((r) => r.control_f32);
  const rows = reports.map((r) => {
    const c = r.control_f32;
    const extra = control ? ` ${c ? `${fmt(c.max_rel_loss)} | ${fmt(c.max_rel_weight)} | ${fmt(c.max_rel_grad_norm)}` : '| |'} |` : '';
    const tie = r.near_ties.filter((t) => r.first_grad_norm_divergence !== null && t.step <= r.first_grad_norm_divergence).at(-1);
    const why = r.first_mismatch ? `step ${r.first_mismatch.step}, ${r.first_mismatch.term}` : 'tolerance';
    const after = r.first_grad_norm_divergence ? `; gradients part at step ${r.first_grad_norm_divergence}${tie ? `, after a near tie of a max at step ${tie.step} (gap ${tie.gap.toExponential(0)})` : ''}` : '';
    const kind = r.teacher_kind && r.teacher_kind !== r.kind ? `${r.kind} (teacher ${r.teacher_kind})` : r.kind;
    return `| ${r.recipe} | ${kind} | ${r.backend} | ${r.steps} | ${fmt(r.max_rel_loss)} | ${fmt(r.max_rel_weight)} | ${fmt(r.grad_norm.max_rel)} | ${r.pass ? 'pass' : `FAIL (${why}${after})`} |${extra}`;
  });
  const head = '| recipe | kind | backend | steps | max_rel_loss | max_rel_weight | max_rel_grad_norm | result |' + (control ? ' torch f32: loss | weight | grad norm |' : '');
  const rule = '|---|---|---|---|---|---|---|---|' + (control ? '---|---|---|' : '');
  return [head, rule, ...rows].join('\n') + '\n';
}

/** `npm run lab -- parity ...`; argv without the `parity` word. Sets process.exitCode 1 on a failed comparison. */
export async function parityMain(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      recipe: { type: 'string', default: 'lead' },
      kind: { type: 'string', default: 'de' },
      'teacher-kind': { type: 'string' },
      steps: { type: 'string', default: '100' },
      out: { type: 'string' },
      backend: { type: 'string', default: 'wasm' },
      lr: { type: 'string' },
      batch: { type: 'string' },
      negatives: { type: 'string' },
      seed: { type: 'string' },
      python: { type: 'string', default: DEFAULT_PYTHON },
      keep: { type: 'boolean', default: false },
      control: { type: 'boolean', default: false },
      compare: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (v.help) {
    console.log(HELP);
    return;
  }
  if (v.compare) {
    const dirs = v.compare.split(',').map((d) => path.resolve(d.trim()));
    runTwin(dirs, v.python);
    const reports = dirs.map((d) => compareParity(d));
    for (const r of reports) process.stdout.write(`${JSON.stringify(r)}\n`);
    process.stderr.write(summaryMarkdown(reports));
    if (reports.some((r) => !r.pass)) process.exitCode = 1;
    return;
  }
  const recipes = pick(v.recipe, PARITY_RECIPES, 'recipe');
  const kinds = pick(v.kind, PARITY_KINDS, 'kind');
  const steps = Number(v.steps);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be an integer >= 1, got ${v.steps}`);
  const lr = v.lr === undefined ? undefined : Number(v.lr);
  const seed = v.seed === undefined ? undefined : Number(v.seed);
  const teacherKind = v['teacher-kind'] === undefined ? undefined : pick(v['teacher-kind'], PARITY_KINDS, 'teacher kind')[0];
  const batchSize = v.batch === undefined ? undefined : Number(v.batch);
  const negatives = v.negatives === undefined ? undefined : Number(v.negatives);
  const st = torchStatus(v.python);
  if (!st.ok) throw new TwinUnavailableError(st.message);
  const { setupNodeBackend } = await import('./backend');
  const info = await setupNodeBackend(v.backend);
  if (tf.getBackend() !== v.backend) {
    throw new Error(`--backend ${v.backend} is not usable here: the lab chose ${tf.getBackend()} (${info.choice.reasons.at(-1)})`);
  }
  const several = recipes.length * kinds.length > 1;
  const outDir = v.out ? (several ? path.resolve(v.out) : path.dirname(path.resolve(v.out))) : null;
  if (outDir) mkdirSync(outDir, { recursive: true });
  process.stderr.write(`parity on ${tf.getBackend()} against ${st.message}, ${steps} steps\n`);
  const dirs: { recipe: ParityRecipe; kind: ParityKind; dir: string; lab: number }[] = [];
  for (const recipe of recipes) {
    for (const kind of kinds) {
      const dir = mkdtempSync(path.join(os.tmpdir(), `parity-${recipe}-${kind}-`));
      const t0 = performance.now();
      await runLabSide({ recipe, kind, teacherKind, steps, lr, seed, batchSize, negatives }, dir);
      dirs.push({ recipe, kind, dir, lab: (performance.now() - t0) / 1000 });
      process.stderr.write(`  lab ${recipe} ${kind}: ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    }
  }
  const twinSeconds = runTwin(dirs.map((d) => d.dir), v.python);
  if (v.control) runTwin(dirs.map((d) => d.dir), v.python, 'float32');
  const reports = dirs.map((d) => {
    const r = compareParity(d.dir, { lab: d.lab, twin: twinSeconds / dirs.length });
    if (v.control) r.control_f32 = compareControl(d.dir);
    return r;
  });
  for (const r of reports) {
    process.stderr.write(
      `  ${r.pass ? 'pass' : 'FAIL'} ${r.recipe} ${r.kind}${r.teacher_kind !== r.kind ? ` (teacher ${r.teacher_kind})` : ''}: max_rel_loss ${r.max_rel_loss.toExponential(2)}, max_rel_weight ${r.max_rel_weight.toExponential(2)}` +
        (r.first_mismatch ? `; first mismatch at step ${r.first_mismatch.step}: ${r.first_mismatch.term}` : '') + '\n',
    );
    if (outDir) {
      const file = several ? path.join(outDir, `${r.recipe}-${r.kind}${r.teacher_kind !== r.kind ? `-t${r.teacher_kind}` : ''}.json`) : path.resolve(v.out!);
      writeFileSync(file, JSON.stringify(r, null, 1));
      writeCurves(r, file);
    }
  }
  const md = summaryMarkdown(reports);
  if (outDir && several) {
    writeFileSync(path.join(outDir, 'summary.md'), md);
    writeFileSync(
      path.join(outDir, 'summary.json'),
      JSON.stringify(reports.map((r) => ({ recipe: r.recipe, kind: r.kind, teacher_kind: r.teacher_kind, backend: r.backend, steps: r.steps, pass: r.pass, max_rel_loss: r.max_rel_loss, max_rel_weight: r.max_rel_weight, max_rel_weight_tensor: r.max_rel_weight_tensor, max_rel_grad_norm: r.grad_norm.max_rel, first_mismatch: r.first_mismatch, control_f32: r.control_f32 })), null, 1),
    );
  }
  process.stdout.write(md);
  if (v.keep) process.stderr.write(`dumps kept in:\n${dirs.map((d) => `  ${d.dir}`).join('\n')}\n`);
  else for (const d of dirs) rmSync(d.dir, { recursive: true, force: true });
  if (reports.some((r) => !r.pass)) process.exitCode = 1;
}
