// The foundation's browser tests: the training worker chooses its backend with a self-check,
// and the page says which one and why. Real Chromium, real WebGPU (SwiftShader), real worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, artifact } from './harness.mjs';

const READY_TIMEOUT = 240_000;

async function readPanel(page) {
  await page.getByTestId('backend-name').waitFor({ timeout: READY_TIMEOUT });
  return {
    backend: await page.getByTestId('backend-name').textContent(),
    adapter: await page.getByTestId('backend-adapter').textContent(),
    reasons: await page.getByTestId('backend-reasons').innerText(),
    candidates: await page.getByTestId('backend-candidates').innerText(),
  };
}

test('?backend=webgpu trains on WebGPU on the SwiftShader adapter, self-check passed, no console errors', async () => {
  const browser = await launch({ webgpu: true });
  try {
    const { page, consoleErrors } = await openPage(browser, '/?backend=webgpu');
    const panel = await readPanel(page);
    console.log(`  adapter reported by Chromium: ${panel.adapter}`);
    assert.equal(panel.backend, 'webgpu');
    assert.match(panel.adapter, /swiftshader/i);
    assert.match(panel.adapter, /software adapter/);
    const row = await page.locator('[data-testid="backend-candidates"] tr[data-backend="webgpu"]').innerText();
    assert.match(row, /passed/);
    assert.match(panel.reasons, /was forced \(\?backend=\w+ on the page.*passed its self-check/);
    await page.screenshot({ path: artifact('backend-webgpu.png'), fullPage: true });
    assert.deepEqual(consoleErrors, []);
  } finally {
    await browser.close();
  }
});

test('without ?backend the page names the backend it chose and why', async () => {
  const browser = await launch({ webgpu: true });
  try {
    const { page, consoleErrors } = await openPage(browser, '/');
    const panel = await readPanel(page);
    console.log(`  chose ${panel.backend}; reasons:\n    ${panel.reasons.split('\n').join('\n    ')}`);
    assert.ok(['webgpu', 'webgl', 'wasm', 'cpu'].includes(panel.backend));
    // On this machine's software adapter, the lab must say so and pick by measured trial.
    assert.match(panel.reasons, /software one/);
    assert.match(panel.reasons, new RegExp(`${panel.backend} is the fastest backend that passed its self-check`));
    // Every backend is self-checked; wasm trains thanks to the lab's UnsortedSegmentSum kernel.
    for (const b of ['webgpu', 'webgl', 'wasm', 'cpu']) assert.match(panel.candidates, new RegExp(`${b}\\s+passed`));
    await page.screenshot({ path: artifact('backend-auto.png'), fullPage: true });
    assert.deepEqual(consoleErrors, []);
  } finally {
    await browser.close();
  }
});

test('a browser launched without the WebGPU flags shows the fallback and its reason', async () => {
  const browser = await launch({ webgpu: false, extraArgs: ['--disable-features=WebGPU,Vulkan'] });
  try {
    const { page } = await openPage(browser, '/?backend=webgpu');
    const panel = await readPanel(page);
    assert.notEqual(panel.backend, 'webgpu');
    assert.match(panel.reasons, /webgpu unavailable: /);
    assert.match(panel.reasons, /was forced \(\?backend=\w+ or --backend \w+\) but cannot be used/);
    assert.match(panel.adapter, /no WebGPU adapter/);
    await page.screenshot({ path: artifact('backend-no-webgpu.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});
