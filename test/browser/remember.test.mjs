// A lab that remembers and speaks plainly (issue 16), on the production build with tiny runs on
// wasm: stored runs come back after a real reload (header, Run tab, Compare with curves), the
// editor's state survives a reload and Export writes the run on show's config and names, the
// header shows the current phase's own checkpoint, and a custom run's results sit outside the
// demo panel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { artifact, launch, openPage, showView as showViewIn, endTour } from './harness.mjs';

const TIMEOUT = 240_000;
// Run A: steps per phase, and its checkpoint interval.
const A_STEPS = 300;
const A_CHECKPOINT = 250;
const lens = { maxQueryLen: 16, maxPassageLen: 24, maxPositions: 64, dropout: { hidden: 0, attention: 0 } };

/** A tiny LEAD run config on the built-in world. */
function tinyConfig(name, { steps = 4, checkpointEvery = 2 } = {}) {
  return {
    version: 1,
    name,
    seed: 1,
    corpus: null,
    teachers: [{ name: 'teacher (DE 2 x 32)', shape: { kind: 'de', layers: 2, hidden: 32, heads: 2, ffn: 64, ...lens }, tokenizer: { kind: 'wordpiece', vocabSize: 800 } }],
    student: { name: 'student (DE 1 x 16)', shape: { kind: 'de', layers: 1, hidden: 16, heads: 2, ffn: 32, ...lens }, tokenizer: { kind: 'hashed-word', words: 300, buckets: 195 } },
    recipe: { kind: 'lead', k: 1, resampleEvery: 2 },
    train: { steps, batchSize: 4, negatives: 1, lr: 5e-3, warmupFraction: 0.1, logEvery: 1, checkpointEvery },
  };
}
const configParam = (c) => Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');

const t0 = Date.now();
const lap = (what) => console.log(`  ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);

/** A tiny BEIR folder with training and test queries and no dev split. */
function tinyCorpusWithoutDev() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'remember-'));
  mkdirSync(path.join(dir, 'qrels'));
  const docs = Array.from({ length: 40 }, (_, i) => ({ _id: `d${i}`, title: `topic ${i % 10}`, text: `document ${i} about topic ${i % 10} and item ${i}` }));
  const queries = Array.from({ length: 20 }, (_, i) => ({ _id: `q${i}`, text: `item ${i} topic ${i % 10}` }));
  writeFileSync(path.join(dir, 'corpus.jsonl'), docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
  writeFileSync(path.join(dir, 'queries.jsonl'), queries.map((q) => JSON.stringify(q)).join('\n') + '\n');
  const qrels = (from, to) => 'query-id\tcorpus-id\tscore\n' + Array.from({ length: to - from }, (_, k) => `q${from + k}\td${from + k}\t1`).join('\n') + '\n';
  writeFileSync(path.join(dir, 'qrels/train.tsv'), qrels(0, 12));
  writeFileSync(path.join(dir, 'qrels/test.tsv'), qrels(12, 20));
  return { dir, files: ['corpus.jsonl', 'queries.jsonl', 'qrels/train.tsv', 'qrels/test.tsv'].map((f) => path.join(dir, f)) };
}

const showView = (page, view) => showViewIn(page, view, TIMEOUT);

async function waitDone(page) {
  await page.waitForFunction(() => /^done/.test(document.querySelector('[data-testid="run-status"]')?.textContent ?? ''), null, { timeout: TIMEOUT });
}

async function download(page, testId) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: TIMEOUT }), page.getByTestId(testId).click()]);
  const path = artifact(`remember-${dl.suggestedFilename()}`);
  await dl.saveAs(path);
  return { name: dl.suggestedFilename(), text: readFileSync(path, 'utf8') };
}

test('stored runs, the editor and exports survive a reload; the header and panels say what is true', { timeout: 15 * 60_000 }, async () => {
  const browser = await launch({ webgpu: false });
  let page;
  try {
    // Run A's phases are long enough (a few seconds each on wasm) that the Run tab's redraw, once
    // a second, lands inside each phase before its first checkpoint.
    const first = tinyConfig('remember A', { steps: A_STEPS, checkpointEvery: A_CHECKPOINT });
    const opened = await openPage(browser, `/?backend=wasm&config=${configParam(first)}#recipe`);
    page = opened.page;
    const { consoleErrors } = opened;
    await endTour(page);

    lap('opened');
    // ---- Item 2: the editor's state survives a reload (Models tab edit, then reload).
    await showView(page, 'models');
    await page.getByTestId('student-hidden').fill('24');
    await page.reload();
    await page.getByTestId('view-models').waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId('student-hidden').inputValue(), '24', 'the Models tab keeps an edit across a reload');
    await page.getByTestId('student-hidden').fill('16');

    lap('editor kept across a reload');
    // ---- Item 4: a generated model name follows the shape; a name the user gives is kept.
    await page.getByTestId('teacher-0-hidden').fill('48');
    assert.equal(await page.getByTestId('teacher-0-name').inputValue(), 'teacher (DE 2 x 48)');
    await page.getByTestId('teacher-0-hidden').fill('32');
    assert.equal(await page.getByTestId('teacher-0-name').inputValue(), 'teacher (DE 2 x 32)');
    // ---- Item 5: a student larger than its teacher is flagged.
    assert.equal(await page.getByTestId('warn-student-larger').count(), 0);
    await page.getByTestId('student-hidden').fill('128');
    assert.match(await page.getByTestId('warn-student-larger').innerText(), /larger than its teacher teacher \(DE 2 x 32\)/);
    await page.getByTestId('student-hidden').fill('16');
    assert.equal(await page.getByTestId('warn-student-larger').count(), 0);
    // ---- Item 4: the Data tab's wording and self-check table.
    await showView(page, 'data');
    assert.match(await page.getByTestId('backend-panel').textContent(), /Force one with \?backend=webgpu/);
    await page.getByTestId('backend-candidates').waitFor({ timeout: TIMEOUT });
    const cells = await page.$$eval('[data-testid="backend-candidates"] tbody tr', (rows) => rows.map((r) => [r.getAttribute('data-backend'), r.querySelector('[data-testid="backend-rel-error"]')?.textContent]));
    for (const [backend, err] of cells) {
      assert.notEqual(err, '0.0e+0', `${backend}: a zero error reads 0.0e+0`);
      if (backend === 'cpu') assert.equal(err, 'reference');
    }

    // ---- Run A, a custom run: watch the header while it trains (item 3: the checkpoint shown is
    // the current phase's own, never the previous phase's, which ended at its last step). Every
    // text the header shows is recorded by a MutationObserver, so no redraw is missed by polling.
    await showView(page, 'recipe');
    await page.evaluate(() => {
      const seen = [];
      window.__headers = seen;
      let last = '';
      const read = () => {
        const t = document.querySelector('[data-testid="status-run"]')?.textContent ?? '';
        if (t !== last) seen.push((last = t));
      };
      new MutationObserver(read).observe(document.body, { subtree: true, childList: true, characterData: true });
      read();
    });
    await page.getByTestId('launch-run').click();
    await page.getByTestId('view-run').waitFor({ timeout: TIMEOUT });
    const midPhase = (t) => {
      const m = /(Student alone|LEAD), step (\d+) of (\d+)/.exec(t);
      return m !== null && Number(m[3]) === A_STEPS && Number(m[2]) < A_CHECKPOINT;
    };
    await page.locator('[data-testid="results-table"] tr[data-recipe="lead"]').waitFor({ timeout: TIMEOUT });
    await waitDone(page);
    const headers = await page.evaluate(() => window.__headers);
    const mid = headers.filter(midPhase);
    assert.ok(mid.length > 0, `the header was never seen inside a student phase before its first checkpoint; it showed: ${headers.join(' | ')}`);
    for (const header of mid) {
      // A checkpoint of this phase is at or before its current step; a later one is another phase's.
      const step = Number(/step (\d+) of/.exec(header)[1]);
      const checkpoint = /checkpoint at (\d+)/.exec(header);
      assert.ok(checkpoint === null || Number(checkpoint[1]) <= step, `the header names another phase's checkpoint: "${header}"`);
    }
    lap(`header of run A seen mid-phase ${mid.length} times: ${mid.join(' | ')}`);
    // Item 3: a custom run's results are not inside the "Run the demo" panel.
    assert.equal(await page.locator('[data-testid="run-control"] [data-testid="results-table"]').count(), 0, 'results inside the demo panel');
    assert.match(await page.getByTestId('run-results').innerText(), /Run: remember A/);

    lap('run A done');
    // ---- Run B: a second, shorter run.
    // Run B's teacher is a cross encoder: it is evaluated by re-ranking BM25's top 30.
    const second = tinyConfig('remember B');
    second.teachers = [{ name: 'teacher (CE 1 x 32)', shape: { kind: 'ce', layers: 1, hidden: 32, heads: 2, ffn: 64, ...lens }, tokenizer: { kind: 'wordpiece', vocabSize: 800 } }];
    await page.goto(new URL(`/?backend=wasm&config=${configParam(second)}#recipe`, page.url()).href);
    await page.getByTestId('launch-run').click();
    await page.locator('[data-testid="results-table"] tr[data-recipe="lead"]').waitFor({ timeout: TIMEOUT });
    await waitDone(page);
    const resultsPerRun = await page.locator('[data-testid="results-table"] tbody tr').count();
    // Run A, on show before B started, is still in Compare (from its stored series).
    await page.waitForFunction((n) => document.querySelector('[data-testid="tab-compare"]')?.textContent === `Compare${n}`, 2 * resultsPerRun, { timeout: TIMEOUT });

    lap('run B done');
    // The editor moves on: another name, another student; then a real reload.
    await showView(page, 'recipe');
    await page.getByTestId('run-name').fill('edited, never run');
    await page.reload();

    // ---- Item 1: after the reload, the latest run is on show, with its curves and results.
    await page.getByTestId('view-recipe').waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId('run-name').inputValue(), 'edited, never run', 'the Recipe tab keeps its edit across a reload');
    await page.waitForFunction(() => /LEAD, step 4 of 4/.test(document.querySelector('[data-testid="status-run"]')?.textContent ?? ''), null, { timeout: TIMEOUT });
    assert.doesNotMatch(await page.getByTestId('status-run').innerText(), /none yet/);
    assert.match(await page.getByTestId('tab-run').innerText(), /done/);
    await showView(page, 'run');
    await page.locator('[data-testid="run-dashboard"] svg path.live-curve').first().waitFor({ timeout: TIMEOUT });
    assert.match(await page.getByTestId('run-results').innerText(), /Run: remember B/);
    await page.locator('[data-testid="results-table"] tr[data-recipe="lead"]').waitFor({ timeout: TIMEOUT });
    lap('reloaded: run B on show');
    // Any stored run can be picked.
    const options = await page.locator('[data-testid="run-picker"] option').allInnerTexts();
    assert.ok(options.some((o) => o.startsWith('remember A')) && options.some((o) => o.startsWith('remember B')), `the picker lists both runs: ${options.join(' | ')}`);

    // Compare: every stored run, each result with its curves.
    await page.waitForFunction((n) => document.querySelector('[data-testid="tab-compare"]')?.textContent === `Compare${n}`, 2 * resultsPerRun, { timeout: TIMEOUT });
    await showView(page, 'compare');
    // Each result's curves: its held-out metrics (one final evaluation here) and its loss, step by step.
    await page.getByTestId('compare-curve').selectOption('total loss');
    await page.locator('[data-testid="chart-compare-curves"] path.recharts-area-curve').nth(3).waitFor({ timeout: TIMEOUT });
    assert.doesNotMatch(await page.getByTestId('view-compare').innerText(), /has recorded curves/);
    const every = (await page.locator('[data-testid="view-compare"] details').textContent().catch(() => '')) ?? '';
    await page.screenshot({ path: artifact('remember-compare.png'), fullPage: true });
    assert.ok(!every || (/remember A/.test(every) && /remember B/.test(every)), 'both runs in Compare');

    lap('Compare after the reload');
    // Item 4: the cross encoder's metrics name their depth.
    const teacherRow = page.locator('[data-testid="compare-table"] tbody tr', { hasText: 'teacher (CE 1 x 32)' });
    assert.match(await teacherRow.innerText(), /re-ranks BM25 top 30/);
    assert.equal(await teacherRow.locator('td').nth(4).getAttribute('title'), 'Recall@100 (re-ranks BM25 top 30)');
    assert.doesNotMatch(await page.locator('[data-testid="compare-table"] tbody tr', { hasText: 'teacher (DE 2 x 32)' }).innerText(), /re-ranks/);

    // ---- Item 2: Export writes the run on show's config and names files after it.
    await showView(page, 'export');
    const cfg = await download(page, 'export-run-config');
    assert.equal(cfg.name, 'distill-lab-run-remember-B.json');
    const written = JSON.parse(cfg.text);
    assert.equal(written.name, 'remember B');
    assert.equal(written.student.name, second.student.name);
    assert.deepEqual([written.train.steps, written.train.checkpointEvery], [second.train.steps, second.train.checkpointEvery]);
    const csv = await download(page, 'export-metrics-csv');
    assert.equal(csv.name, 'remember-B-metrics.csv');
    assert.equal(csv.text.split('\r\n').filter(Boolean).length, 1 + resultsPerRun, 'the file holds the run it is named after');

    lap('exports of run B');
    // ---- Item 4: the TREC run carries the model's scores, not the rank order (100, 99, 98, ...).
    const trec = await download(page, 'export-trec');
    const lines = trec.text.trim().split('\n').map((l) => l.split(' '));
    const firstQuery = lines.filter((l) => l[0] === lines[0][0]);
    assert.ok(firstQuery.length > 3);
    assert.ok(firstQuery.some((l) => !Number.isInteger(Number(l[4]))), `scores: ${firstQuery.slice(0, 4).map((l) => l[4]).join(' ')}`);
    assert.notDeepEqual(firstQuery.map((l) => Number(l[4])), firstQuery.map((_, i) => firstQuery.length - i));
    for (let i = 1; i < firstQuery.length; i++) assert.ok(Number(firstQuery[i][4]) <= Number(firstQuery[i - 1][4]), 'scores fall with rank');

    // ---- Item 4: the same metrics file imported twice adds no seeds (nor does a run already listed).
    const json = await download(page, 'export-metrics-json');
    const compareBadge = await page.getByTestId('tab-compare').innerText();
    for (let i = 0; i < 2; i++) {
      await page.getByTestId('import-metrics').setInputFiles({ name: 'metrics.json', mimeType: 'application/json', buffer: Buffer.from(json.text) });
      assert.match(await page.getByTestId('import-message').innerText(), /0 runs added to Compare\. \d+ already there/);
    }
    assert.equal(await page.getByTestId('tab-compare').innerText(), compareBadge);

    // Picking run A shows it, and Export follows.
    await showView(page, 'run');
    const idA = await page.locator('[data-testid="run-picker"] option', { hasText: 'remember A' }).getAttribute('value');
    await page.getByTestId('run-picker').selectOption(idA);
    await page.waitForFunction(() => /Run: remember A/.test(document.querySelector('[data-testid="run-results"]')?.textContent ?? ''), null, { timeout: TIMEOUT });
    await page.waitForFunction((n) => new RegExp(`LEAD, step ${n} of ${n}`).test(document.querySelector('[data-testid="status-run"]')?.textContent ?? ''), A_STEPS, { timeout: TIMEOUT });
    await showView(page, 'export');
    const cfgA = await download(page, 'export-run-config');
    assert.equal(JSON.parse(cfgA.text).name, 'remember A');
    assert.equal(JSON.parse(cfgA.text).train.steps, A_STEPS);

    // ---- Item 5: "Evaluate every" on a corpus without dev queries is flagged.
    const tiny = tinyCorpusWithoutDev();
    try {
      await showView(page, 'data');
      await page.getByTestId('corpus-name').fill('no-dev');
      await page.getByTestId('file-input').setInputFiles(tiny.files);
      const result = page.getByTestId('ingest-result');
      await result.waitFor({ timeout: TIMEOUT });
      const corpusId = await result.getAttribute('data-corpus-id');
      await showView(page, 'recipe');
      const picker = page.getByTestId('run-corpus');
      await picker.focus();
      await page.locator(`[data-testid="run-corpus"] option[value="${corpusId}"]`).waitFor({ state: 'attached', timeout: TIMEOUT });
      await page.getByTestId('train-evalEvery').fill('0');
      await picker.selectOption(corpusId);
      assert.equal(await page.getByTestId('warn-split').count(), 0, 'no warning while Evaluate every is 0');
      await page.getByTestId('train-evalEvery').fill('10');
      assert.match(await page.getByTestId('warn-split').innerText(), /dev queries, and this corpus has none/);
      assert.doesNotMatch(await page.getByTestId('view-recipe').innerText(), /Evaluate on the dev queries every N steps/);
    } finally {
      rmSync(tiny.dir, { recursive: true, force: true });
    }

    assert.deepEqual(consoleErrors, []);
  } catch (e) {
    await page?.screenshot({ path: artifact('remember-failure.png'), fullPage: true }).catch(() => {});
    throw e;
  } finally {
    await browser.close();
  }
});
