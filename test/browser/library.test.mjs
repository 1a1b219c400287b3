// The teachers the lab ships (src/core/model/shipped.ts, public/teachers/) in the Models tab's
// model library, in real Chromium on the production build: every shipped teacher is listed with
// its corpus, test metrics and the command that trained it; evaluating world:default's teacher
// on the built-in world fetches its three files from the page's own origin and reproduces the
// catalogue's nDCG@10 and MRR@10 (what the README states); "Use as teacher 1" makes it the first
// teacher of the next run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, openPage } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const TIMEOUT = 120_000;
// The catalogue's numbers, read from its source (the test must not agree with itself by importing the page's bundle).
const catalogue = readFileSync(path.resolve(here, '../../src/core/model/shipped.ts'), 'utf8');
const names = [...catalogue.matchAll(/^\s+name: '([a-z0-9-]+)',$/gm)].map((m) => m[1]);
const entry = (name) => catalogue.slice(catalogue.indexOf(`name: '${name}'`)).split('\n  },')[0];

test('Models tab: the shipped teachers are in the library, evaluate to their stated metrics and can teach the next run', async () => {
  assert.ok(names.includes('world-default-de') && names.length >= 2, `catalogue names: ${names}`);
  const browser = await launch({ webgpu: false });
  try {
    const { page, consoleErrors } = await openPage(browser, '/?backend=wasm#models');
    await page.getByTestId('tab-models').waitFor({ timeout: TIMEOUT });
    const end = page.getByTestId('tour-end');
    if (await end.count()) await end.click();
    await page.getByTestId('tab-models').click();
    for (const n of names) {
      const row = page.locator(`[data-testid="model-row"][data-model-id="builtin:${n}"]`);
      await row.waitFor({ timeout: TIMEOUT });
      const text = await row.innerText();
      const corpus = /corpus: '([^']+)'/.exec(entry(n))[1];
      const ndcg = Number(/'ndcg@10': ([0-9.]+) \}/.exec(entry(n))[1]);
      assert.ok(text.includes(`trained on ${corpus}, test nDCG@10 ${ndcg.toFixed(3)}`), text);
      assert.match(text, /trained by npm run lab -- --corpus/);
      assert.equal(await row.getByTestId('model-delete').count(), 0, 'a shipped teacher cannot be deleted');
    }

    // Evaluate world:default's teacher on the built-in world (the corpus the page stores on first visit).
    await page.waitForFunction(() => [...document.querySelectorAll('select[data-testid="model-eval-corpus"] option')].some((o) => o.value === 'world:default'), null, { timeout: TIMEOUT });
    const corpusValue = await page.$eval('select[data-testid="model-eval-corpus"]', (s) => [...s.options].find((o) => o.value === 'world:default')?.value ?? '');
    await page.selectOption('select[data-testid="model-eval-corpus"]', corpusValue);
    const row = page.locator('[data-testid="model-row"][data-model-id="builtin:world-default-de"]');
    await row.getByTestId('model-evaluate').click();
    const evalRow = page.locator('[data-testid="model-eval-row"][data-model-id="builtin:world-default-de"]');
    await evalRow.waitFor({ timeout: TIMEOUT });
    const got = Object.fromEntries(await evalRow.locator('td[data-metric]').evaluateAll((tds) => tds.map((td) => [td.dataset.metric, Number(td.dataset.value)])));
    const want = entry('world-default-de');
    assert.ok(Math.abs(got['ndcg@10'] - Number(/'ndcg@10': ([0-9.]+) \}/.exec(want)[1])) < 5e-4, `nDCG@10 ${got['ndcg@10']}`);
    assert.ok(Math.abs(got['mrr@10'] - Number(/'mrr@10': ([0-9.]+),/.exec(want)[1])) < 5e-4, `MRR@10 ${got['mrr@10']}`);

    // Use it as teacher 1: the Models tab's first teacher is now that checkpoint.
    await row.getByTestId('model-use-teacher').click();
    await page.waitForFunction(() => /shipped teacher world-default-de/.test(document.querySelector('main')?.textContent ?? ''), null, { timeout: TIMEOUT });
    assert.deepEqual(consoleErrors, []);
  } finally {
    await browser.close();
  }
});
