// The golden numbers of test/golden on WebGPU in real Chromium (SwiftShader adapter):
// the BERT checkpoint's per-layer hidden states and classifier logits within 1e-4, and the
// loss cases of losses.json to 1e-4 relative, computed by the lab's own model and loss code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, openPage } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const golden = path.resolve(here, '../golden');
const bert = path.join(golden, 'bert-tiny-random');

test('golden BERT checkpoint and golden losses on WebGPU', async () => {
  const browser = await launch();
  try {
    const { page, consoleErrors } = await openPage(browser, '/test/browser/pages/golden.html');
    await page.waitForFunction(() => window.goldenReady === true, null, { timeout: 120_000 });
    const files = {
      configJson: readFileSync(path.join(bert, 'config.json'), 'utf8'),
      vocabTxt: readFileSync(path.join(bert, 'vocab.txt'), 'utf8'),
      safetensors: [...readFileSync(path.join(bert, 'model.safetensors'))],
    };
    const expected = JSON.parse(readFileSync(path.join(bert, 'expected.json'), 'utf8'));
    const m = await page.evaluate(([f, e]) => window.runModelGolden('webgpu', f, e), [files, expected]);
    console.log(`  ${m.backend}: ${m.layers} hidden-state layers, max |diff| ${m.hiddenMaxAbs.toExponential(2)}; logits ${m.logitMaxAbs.toExponential(2)}`);
    assert.equal(m.backend, 'webgpu');
    assert.ok(m.hiddenMaxAbs < 1e-4, `hidden states differ by ${m.hiddenMaxAbs}`);
    assert.ok(m.logitMaxAbs < 1e-4, `logits differ by ${m.logitMaxAbs}`);
    const losses = JSON.parse(readFileSync(path.join(golden, 'losses.json'), 'utf8'));
    const l = await page.evaluate((g) => window.runLossGolden('webgpu', g), losses);
    assert.equal(l.backend, 'webgpu');
    for (const [name, err] of Object.entries(l.errors)) {
      console.log(`  ${name}: max relative error ${err.toExponential(2)}`);
      assert.ok(err < 1e-4, `${name}: relative error ${err}`);
    }
    assert.equal(Object.keys(l.errors).length, 13);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await browser.close();
  }
});
