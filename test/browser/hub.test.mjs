// The Models tab's "From the Hugging Face Hub" import in real Chromium, against the local Hub
// stand-in (test/shared/hubStandIn.mjs, another origin: CORS from the cross-origin-isolated
// page's worker): a corrupted download is refused by name and nothing is stored; the golden
// sentence-transformers folder is downloaded (file list, progress bars), checked and lands in the
// model library; asking again is answered from the library without a request. The file picker
// imports a whole sentence-transformers folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { artifact, launch, openPage } from './harness.mjs';
import { readTree, startHubStandIn } from '../shared/hubStandIn.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const TIMEOUT = 150_000;

test('Models tab: a sentence-transformers model from a Hub stand-in; a corrupted one refused', async () => {
  const files = readTree(path.resolve(here, '../golden/st-mean-cos-random'));
  delete files['expected.json'];
  const hub = await startHubStandIn({ 'lab/st-mean-cos': { files }, 'lab/broken': { files } });
  hub.faults.set('lab/broken/model.safetensors', 'corrupt');
  const browser = await launch({ webgpu: false });
  try {
    const { page, consoleErrors } = await openPage(browser, '/?backend=wasm#models');
    const end = page.getByTestId('tour-end');
    await page.getByTestId('tab-models').waitFor({ timeout: TIMEOUT });
    if (await end.count()) await end.click();
    await page.getByTestId('tab-models').click();
    await page.getByTestId('hub-import').waitFor({ timeout: TIMEOUT });
    assert.equal(hub.requests.length, 0, 'no request before Download is pressed');
    await page.getByText('Endpoint and access token').click();
    await page.getByTestId('hub-endpoint').fill(hub.endpoint);

    await page.getByTestId('hub-spec').fill('lab/broken');
    await page.getByTestId('hub-download').click();
    await page.getByTestId('hub-status').waitFor({ timeout: TIMEOUT });
    assert.match(await page.getByTestId('hub-status').innerText(), /nothing was stored.*HubIntegrityError.*model\.safetensors.*sha256/s);

    await page.getByTestId('hub-spec').fill('lab/st-mean-cos');
    await page.getByTestId('hub-download').click();
    await page.waitForFunction(() => /Imported/.test(document.querySelector('[data-testid="hub-status"]')?.textContent ?? ''), null, { timeout: TIMEOUT });
    const rows = await page.locator('[data-testid="hub-files"] tbody tr').allInnerTexts();
    assert.ok(rows.some((r) => /^model\.safetensors\s+27\.\d KiB/.test(r)), rows.join(' | '));
    assert.ok(rows.some((r) => r.startsWith('1_Pooling/config.json')), rows.join(' | '));
    const bars = await page.$$eval('[data-testid="hub-files"] progress', (ps) => ps.map((p) => [p.value, p.max]));
    assert.ok(bars.every(([v, m]) => v === m), `every file complete: ${JSON.stringify(bars)}`);
    assert.ok(hub.authorizations.every((a) => a === ''), 'no token given, none sent');
    await page.getByTestId('hub-import').screenshot({ path: artifact('hub-import.png') });

    hub.requests.length = 0;
    await page.getByTestId('hub-download').click();
    await page.waitForFunction(() => /already in the model library/.test(document.querySelector('[data-testid="hub-status"]')?.textContent ?? ''), null, { timeout: TIMEOUT });
    assert.deepEqual(hub.requests, []);
    // The library lists it with where it came from.
    await page.getByText(/Hugging Face Hub: lab\/st-mean-cos@main \(commit [0-9a-f]{12}, http:\/\/127/).waitFor({ timeout: TIMEOUT });

    // The file picker takes a whole sentence-transformers folder (here without vocab.txt: tokenizer.json).
    const folder = artifact('st-folder-upload');
    rmSync(folder, { recursive: true, force: true });
    cpSync(path.resolve(here, '../golden/st-cls-dot-random'), folder, { recursive: true });
    rmSync(path.join(folder, 'vocab.txt'));
    rmSync(path.join(folder, 'expected.json'));
    await page.getByTestId('checkpoint-folder-input').setInputFiles(folder);
    assert.match(await page.getByTestId('checkpoint-picker').innerText(), /Sentence-transformers files: .*1_Pooling\/config\.json/s);
    await page.getByTestId('checkpoint-import').click();
    await page.waitForFunction(() => /Imported “st-folder-upload”/.test(document.querySelector('[data-testid="checkpoint-picker"]')?.textContent ?? ''), null, { timeout: TIMEOUT });
    assert.deepEqual(consoleErrors, []);
  } finally {
    await browser.close();
    await hub.close();
  }
});
