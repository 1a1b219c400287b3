// The lab's training step against the PyTorch twin (tools/parity/twin.py, float64, written
// from algorithms.md): every recipe x kind on tfjs's cpu backend (composite ops) and on wasm
// (the lab's fused kernels), and a CE teacher of a DE student (section 2's cut to groups), tiny
// models, 10 steps each; every per-step loss term within 1e-3 relative and every final weight
// within 1e-3 (src/cli/parity.ts). And the check bites: a twin
// told a different temperature, a lab record with one wrong term, one moved weight all fail,
// with first_mismatch naming the step and the term.
//
// Needs Debian's PyTorch (apt-get install -y python3-torch libopenblas0-pthread) for
// /usr/bin/python3: without it the parity tests are skipped locally, and fail on CI (CI set).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../../src/core/backend/wasmKernels';
import {
  compareParity, PARITY_RECIPES, PARITY_TOLERANCE, runLabSide, runTwin, torchStatus,
  type ParityKind, type ParityReport,
} from '../../../src/cli/parity';
import { parseSafetensors, tensorToFloat32, writeSafetensors } from '../../../src/core/model/safetensors';

const torch = torchStatus();
const onCI = Boolean(process.env.CI);
if (!torch.ok && !onCI) console.warn(`[parity] PyTorch twin tests skipped: ${torch.message}`);

// de: mean pooling + cosine / 0.05 (the lab's default DE); de-cls: the plain [CLS] dot DE.
const KINDS: ParityKind[] = ['de', 'de-cls', 'cb', 'ce'];
const SMALL = { steps: 10, batchSize: 2, negatives: 2 };
// A CE teacher of a DE student: the student's [B, P] matrices cut to the teacher's [B, G] (section 2).
const CROSS: { recipe: 'kd' | 'lead' | 'prod'; kind: ParityKind; teacherKind: ParityKind }[] = [
  { recipe: 'kd', kind: 'de', teacherKind: 'ce' },
  { recipe: 'lead', kind: 'de', teacherKind: 'ce' },
  { recipe: 'prod', kind: 'de', teacherKind: 'ce' },
];

let root = '';
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'parity-test-'));
});
afterAll(async () => {
  if (root) rmSync(root, { recursive: true, force: true });
  await tf.setBackend('cpu');
});

/** Lab side of every recipe x kind on `backend`, one twin process for all, the reports. */
async function runAll(backend: 'cpu' | 'wasm'): Promise<ParityReport[]> {
  if (backend === 'wasm') registerWasmTrainingKernels();
  expect(await tf.setBackend(backend)).toBe(true);
  const dirs: string[] = [];
  for (const recipe of PARITY_RECIPES) {
    for (const kind of KINDS) {
      const dir = path.join(root, `${backend}-${recipe}-${kind}`);
      await runLabSide({ recipe, kind, ...SMALL }, dir);
      dirs.push(dir);
    }
  }
  for (const c of CROSS) {
    const dir = path.join(root, `${backend}-${c.recipe}-${c.kind}-t${c.teacherKind}`);
    await runLabSide({ ...c, ...SMALL }, dir);
    dirs.push(dir);
  }
  runTwin(dirs);
  return dirs.map((d) => compareParity(d));
}

function expectParity(reports: ParityReport[], backend: string): void {
  const failed = reports.filter((r) => !r.pass).map((r) => `${r.recipe}/${r.kind}/${r.teacher_kind}: ${JSON.stringify(r.first_mismatch)}`);
  expect(reports.length).toBe(PARITY_RECIPES.length * KINDS.length + CROSS.length);
  expect(reports.filter((r) => r.teacher_kind === 'ce' && r.kind === 'de').length).toBe(CROSS.length);
  expect(failed, `parity failures on ${backend}`).toEqual([]);
  for (const r of reports) {
    const name = `${r.recipe}/${r.kind} (teacher ${r.teacher_kind}) on ${backend}`;
    expect(r.backend, name).toBe(backend);
    expect(r.twin_precision, name).toBe('float64');
    expect(r.lab_loss.length, name).toBe(SMALL.steps);
    expect(r.torch_loss.length, name).toBe(SMALL.steps);
    expect(r.max_rel_loss, name).toBeLessThanOrEqual(PARITY_TOLERANCE.loss);
    expect(r.max_rel_weight, name).toBeLessThanOrEqual(PARITY_TOLERANCE.weight);
    for (const [term, e] of Object.entries(r.terms)) expect(e.max_rel, `${name}: ${term}`).toBeLessThanOrEqual(PARITY_TOLERANCE.loss);
    expect(r.grad_norm.max_rel, name).toBeLessThanOrEqual(1e-3);
    expect(r.lr.max_abs, name).toBeLessThan(1e-12);
    expect(r.first_mismatch, name).toBeNull();
    // Every recipe's own terms were compared (a term missing on one side would be NaN: a failure).
    const want = { baseline: ['nll'], kd: ['nll', 'response'], lead: ['nll', 'response', 'layer', 'teacher_nll', 'teacher_response'], 'lead-frozen': ['nll', 'response', 'layer'], prod: ['nll', 'kd', 'lwf'] }[r.recipe];
    expect(Object.keys(r.terms).sort(), name).toEqual([...want].sort());
    if (r.recipe.startsWith('lead')) {
      expect(r.layer_weights!.max_abs, name).toBeLessThan(1e-4);
      expect(r.layer_pairs!.every((p) => p.length === 2), name).toBe(true);
    }
    // Joint LEAD compares the teacher's final weights too.
    expect(Object.keys(r.weights).sort(), name).toEqual(r.recipe === 'lead' ? ['student', 'teacher'] : ['student']);
  }
}

describe('the lab against the PyTorch twin', () => {
  it.runIf(onCI || torch.ok)('PyTorch is there for the twin (required on CI)', () => {
    expect(torch.ok, torch.message).toBe(true);
  });

  describe.skipIf(!torch.ok)('step for step', () => {
    let cpuReports: ParityReport[] = [];

    it('cpu: every recipe x kind within 1e-3 (losses, terms, final weights)', async () => {
      cpuReports = await runAll('cpu');
      expectParity(cpuReports, 'cpu');
    }, 240_000);

    it('wasm: every recipe x kind within 1e-3 (the lab\'s fused kernels)', async () => {
      expectParity(await runAll('wasm'), 'wasm');
    }, 240_000);

    it('fails, naming the step and the term, when the twin or the lab record differs', () => {
      const src = cpuReports.find((r) => r.recipe === 'lead' && r.kind === 'de' && r.teacher_kind === 'de');
      expect(src, 'the cpu run above').toBeDefined();
      const dir = src!.dump_dir;
      const dumpFile = path.join(dir, 'dump.json');
      const labFile = path.join(dir, 'lab.json');
      const weightFile = path.join(dir, 'lab_student.safetensors');
      const original = { dump: readFileSync(dumpFile, 'utf8'), lab: readFileSync(labFile, 'utf8'), weights: readFileSync(weightFile) };
      try {
        // 1. The twin told tau = 2 where the lab trained with 1: the very first total differs.
        const dump = JSON.parse(original.dump);
        dump.recipe.tau = 2;
        writeFileSync(dumpFile, JSON.stringify(dump));
        runTwin([dir]);
        const r1 = compareParity(dir);
        expect(r1.pass).toBe(false);
        expect(r1.first_mismatch).toMatchObject({ step: 1, term: 'total' });
        expect(r1.max_rel_loss).toBeGreaterThan(PARITY_TOLERANCE.loss);
        writeFileSync(dumpFile, original.dump);
        runTwin([dir]);
        expect(compareParity(dir).pass).toBe(true);

        // 2. One term of one step off by 1% in the lab's record (the total left alone).
        const lab = JSON.parse(original.lab);
        lab.steps[3].losses.nll *= 1.01;
        writeFileSync(labFile, JSON.stringify(lab));
        const r2 = compareParity(dir);
        expect(r2.pass).toBe(false);
        expect(r2.first_mismatch).toMatchObject({ step: 4, term: 'nll' });
        writeFileSync(labFile, original.lab);

        // 3. One final weight of the lab's student moved by 1% of its tensor's scale.
        const f = parseSafetensors(new Uint8Array(original.weights));
        const tensors = f.entries.map((e) => ({ name: e.name, shape: e.shape, data: tensorToFloat32(f, e) }));
        const w = tensors.find((t) => t.name === 'encoder.layer.1.intermediate.dense.weight')!;
        const scale = w.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        w.data[5] += 0.01 * scale;
        writeFileSync(weightFile, writeSafetensors(tensors));
        const r3 = compareParity(dir);
        expect(r3.pass).toBe(false);
        expect(r3.first_mismatch).toMatchObject({ step: SMALL.steps, term: 'weights:student/encoder.layer.1.intermediate.dense.weight' });
        expect(r3.max_rel_weight).toBeGreaterThan(0.005);
      } finally {
        writeFileSync(dumpFile, original.dump);
        writeFileSync(labFile, original.lab);
        writeFileSync(weightFile, original.weights);
      }
    }, 60_000);
  });
});
