// The fused WebGPU kernels (src/core/kernels) in real Chromium (SwiftShader adapter): each one
// against the composite tfjs ops it replaces, forward and gradients, to 1e-4 relative; AdamW's
// fused step against the per-variable one; and the kernels tf.profile counts in one step built
// as bench's lead-de (tiny sizes: the count depends on the layers, not the sizes), with the GPU
// bytes in use flat from step to step after the first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage } from './harness.mjs';

/** The most kernels one lead-de step may take (was 5,324 before the fused kernels, 1,196 before the fused losses). */
const MAX_LEAD_DE_KERNELS = 911;
const FUSED = {
  layerNorm: 'DistillLayerNorm',
  addLayerNorm: 'DistillAddLayerNorm',
  dropAddLayerNorm: 'DistillDropAddLayerNorm',
  gelu: 'DistillGelu',
  dense: 'DistillDense',
  denseGelu: 'DistillDenseGelu',
  attention: 'DistillSelfAttention',
  attentionDropout: 'DistillSelfAttentionDrop',
  klLead: 'DistillKl',
  klProd: 'DistillKl',
  nllInBatch: 'DistillNll',
  nllGroup: 'DistillNll',
};

test('fused WebGPU kernels match the composite ops; lead-de kernels per step', async () => {
  const browser = await launch();
  try {
    const { page, consoleErrors } = await openPage(browser, '/test/browser/pages/kernels.html');
    await page.waitForFunction(() => window.kernelsReady === true, null, { timeout: 60_000 });
    const k = await page.evaluate(() => window.runKernelChecks());
    assert.equal(k.backend, 'webgpu');
    for (const [name, r] of Object.entries(k.results)) {
      console.log(`  ${name}: forward ${r.forward.toExponential(1)}, gradients ${r.grads.map((e) => e.toExponential(1)).join(' ')}`);
      assert.deepEqual(r.kernels, [FUSED[name.split(' ')[0]]], `${name} runs as one fused kernel`);
      assert.ok(r.forward < 1e-4, `${name} forward differs by ${r.forward}`);
      r.grads.forEach((e, i) => {
        // The attention's key bias has a zero gradient (softmax ignores a per-row constant):
        // both sides are rounding noise there.
        if (name.startsWith('attention') && i === 4) return;
        assert.ok(e < 1e-4, `${name} gradient ${i} differs by ${e}`);
      });
    }
    console.log(`  AdamW: fused vs per variable, max relative error ${k.adamw.maxRelError.toExponential(1)}`);
    assert.ok(k.adamw.maxRelError < 1e-4);
    assert.equal(k.adamw.fusedKernels, 2, 'one AdamW kernel per step');

    const c = await page.evaluate(() => window.runLeadDeCount(4));
    const top = Object.entries(c.byName).sort((a, b) => b[1] - a[1]).slice(0, 12);
    console.log(`  lead-de: ${c.kernels} kernels per step (${top.map(([n, x]) => `${n} ${x}`).join(', ')}); GPU bytes ${c.gpuBytes.join(', ')}`);
    assert.ok(c.kernels <= MAX_LEAD_DE_KERNELS, `${c.kernels} kernels per lead-de step, more than ${MAX_LEAD_DE_KERNELS}`);
    assert.ok(c.losses.every(Number.isFinite));
    assert.ok(c.gpuBytes.slice(1).every((b) => b === c.gpuBytes[0]), `GPU bytes in use grow: ${c.gpuBytes.join(', ')}`);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await browser.close();
  }
});
