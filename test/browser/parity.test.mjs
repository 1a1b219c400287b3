// The lab's training step on WebGPU in real Chromium (SwiftShader adapter, the lab's fused
// WGSL kernels) against the PyTorch twin (tools/parity/twin.py, float64): the page runs the
// lab side of every recipe on the default DE (mean pooling, cosine / 0.05), ColBERT and CE,
// tiny models, a few steps; Node writes the dumps, runs the twin and compares
// (`npm run lab -- parity --compare`): every loss term within 1e-3, final weights within 1e-3.
// Skipped when Debian's PyTorch is not there (apt-get install -y python3-torch libopenblas0-pthread).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, openPage } from './harness.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const python = process.env.PARITY_PYTHON || '/usr/bin/python3';
const hasTorch = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
const RECIPES = ['baseline', 'kd', 'lead', 'lead-frozen', 'prod'];
const KINDS = ['de', 'cb', 'ce'];
const STEPS = Number(process.env.PARITY_STEPS ?? 5);

test('the training step on WebGPU against the PyTorch twin', { skip: hasTorch ? false : `PyTorch is not available to ${python}` }, async () => {
  const browser = await launch();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parity-webgpu-'));
  try {
    const { page, consoleErrors } = await openPage(browser, '/test/browser/pages/parity.html');
    await page.waitForFunction(() => window.parityReady === true, null, { timeout: 120_000 });
    const runs = RECIPES.flatMap((recipe) => KINDS.map((kind) => ({ recipe, kind })));
    const res = await page.evaluate(([r, s]) => window.runParityLab('webgpu', r, { steps: s, batchSize: 2, negatives: 2 }), [runs, STEPS]);
    assert.equal(res.backend, 'webgpu');
    const dirs = res.runs.map((r) => {
      const d = path.join(dir, `${r.recipe}-${r.kind}`);
      mkdirSync(d, { recursive: true });
      for (const [name, f] of Object.entries(r.files)) writeFileSync(path.join(d, name), f.text ?? Buffer.from(f.base64, 'base64'));
      return d;
    });
    const tsx = path.join(root, 'node_modules/.bin/tsx');
    const out = spawnSync(tsx, ['src/cli/lab.ts', 'parity', '--compare', dirs.join(',')], { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    process.stdout.write(out.stderr);
    const reports = out.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.equal(reports.length, runs.length, `the comparison ran (${out.stderr.slice(-400)})`);
    for (const r of reports) {
      const name = `${r.recipe}/${r.kind} on ${r.backend}`;
      assert.equal(r.backend, 'webgpu', name);
      assert.equal(r.steps, STEPS, name);
      assert.ok(r.pass, `${name}: ${JSON.stringify(r.first_mismatch)}`);
      assert.ok(r.max_rel_loss <= 1e-3 && r.max_rel_weight <= 1e-3, name);
    }
    assert.equal(out.status, 0);
    assert.deepEqual(consoleErrors, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await browser.close();
  }
});
