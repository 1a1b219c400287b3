// The lab's views in real Chromium, on a FIXTURE of synthetic TrainEvents (pages/views.html,
// data from pages/fixture-events.json made by pages/makeFixture.mjs): charts draw SVG paths,
// the KL heatmap has teacher x student cells with the selected pairs outlined, charts export
// as SVG and PNG files, tabs work from the keyboard, forms validate inline, the tour is
// remembered, and nothing logs an error. Screenshots of each view land in test-results/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { artifact, launch, openPage, showView as showViewIn, endTour } from './harness.mjs';
import { chartTextContrast, failingText } from './contrast.mjs';

const PAGE = '/test/browser/pages/views.html';
const fixture = JSON.parse(readFileSync(new URL('./pages/fixture-events.json', import.meta.url), 'utf8'));
const lastOf = (events, type) => events.filter((e) => e.type === type).at(-1);
const TIMEOUT = 30_000;

const showView = (page, view) => showViewIn(page, view, TIMEOUT);

/** Clicks an export button and returns the downloaded file's name and bytes. */
async function download(page, testId) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: TIMEOUT }), page.getByTestId(testId).click()]);
  const path = artifact(`ui-download-${dl.suggestedFilename()}`);
  await dl.saveAs(path);
  return { name: dl.suggestedFilename(), bytes: readFileSync(path) };
}

test('views on fixture events: charts, heatmap, exports, keyboard, forms, tour; no console errors', async () => {
  const browser = await launch({ webgpu: false });
  try {
    const { page, consoleErrors } = await openPage(browser, PAGE, { viewport: { width: 1280, height: 900 } });
    await page.getByTestId('fixture-banner').waitFor({ timeout: TIMEOUT });
    assert.match(await page.getByTestId('fixture-banner').innerText(), /Fixture data\..*FIXTURE: synthetic TrainEvents/s);

    // The tour opens on the first view, explains it, and stays dismissed across a reload.
    await page.getByTestId('tour').waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId('tour').getAttribute('data-step'), 'welcome');
    await page.screenshot({ path: artifact('ui-tour.png') });
    await page.getByTestId('tour-next').click();
    assert.equal(await page.getByTestId('tab-models').getAttribute('aria-selected'), 'true');
    assert.equal(await page.getByTestId('tour').getAttribute('data-step'), 'models');
    await endTour(page);
    assert.equal(await page.getByTestId('tour').count(), 0);
    await page.reload();
    await page.getByTestId('fixture-banner').waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId('tour').count(), 0, 'a dismissed tour stays dismissed');

    // Keyboard: one tab stop, arrows move and select, Home/End jump, Tab enters the panel.
    await page.getByTestId('tab-models').focus();
    await page.keyboard.press('ArrowRight');
    const focusedId = () => page.evaluate(() => document.activeElement?.id ?? '');
    assert.equal(await focusedId(), 'tab-recipe');
    assert.equal(await page.getByTestId('tab-recipe').getAttribute('aria-selected'), 'true');
    assert.ok(await page.getByTestId('view-recipe').isVisible());
    await page.keyboard.press('End');
    assert.equal(await focusedId(), 'tab-export');
    await page.keyboard.press('ArrowRight');
    assert.equal(await focusedId(), 'tab-data', 'arrows wrap around');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await focusedId(), 'tab-compare');
    assert.deepEqual(await page.$$eval('[role="tab"]', (ts) => ts.map((t) => t.tabIndex)), [-1, -1, -1, -1, 0, -1]);
    await page.keyboard.press('Tab');
    assert.equal(await focusedId(), 'panel-compare', 'Tab moves from the tab list into its panel');

    // ---- Run dashboard (LEAD fixture).
    await showView(page, 'run');
    const lead = fixture.lead.events;
    const stepLosses = Object.keys(lastOf(lead, 'step').losses);
    const curves = (id) => page.locator(`[data-testid="chart-${id}"] path.live-curve`);
    await curves('losses').first().waitFor({ timeout: TIMEOUT });
    assert.equal(await curves('losses').count(), stepLosses.length, 'one curve per loss term');
    // Charts draw one at a time (src/ui/chart/stagger.ts): wait for each one's first curve.
    for (const id of ['lr', 'train-acc', 'student-race', 'eval', 'layer-weights']) await curves(id).first().waitFor({ timeout: TIMEOUT });
    // The student under each recipe: one curve per student phase (alone and LEAD), teacher left out.
    assert.equal(await curves('student-race').count(), new Set(lead.filter((e) => e.type === 'step' && !e.phase.startsWith('teacher')).map((e) => e.phase)).size);
    assert.ok((await page.locator('[data-testid="chart-losses"] path.live-curve').first().getAttribute('d')).length > 100);

    const kl = lastOf(lead, 'layerKL');
    const cells = page.locator('[data-testid="heatmap-cell"]');
    await cells.first().waitFor({ timeout: TIMEOUT });
    assert.equal(await cells.count(), kl.kl.length * kl.kl[0].length, 'teacher layers x student layers cells');
    assert.equal(await page.locator('[data-testid="heatmap-selected"]').count(), kl.selected.length, 'one outline per selected pair');
    for (const [s, t] of kl.selected) assert.equal(await page.locator(`[data-testid="heatmap-cell"][data-teacher="${t}"][data-student="${s}"]`).count(), 1);

    const dist = lastOf(lead, 'distribution');
    const bars = page.locator('[data-testid="chart-distributions"] .dist-bar');
    // The bars draw in their own turn, after their panel mounts in its turn (chart/Deferred.tsx).
    await bars.first().waitFor({ timeout: TIMEOUT });
    assert.equal(await bars.count(), 2 * dist.candidates.length, 'teacher and student bar per candidate');
    await page.getByTestId('dist-student-layer').selectOption('0');
    await page.getByTestId('dist-teacher-layer').selectOption('0');
    const kl00 = await page.getByTestId('dist-kl').innerText();
    await page.getByTestId('dist-teacher-layer').selectOption(String(dist.teacher.length - 1));
    assert.notEqual(await page.getByTestId('dist-kl').innerText(), kl00, 'another layer pair, another KL');

    // Embeddings: hovering one model's point highlights its partner in the other map.
    const emb = lastOf(lead, 'embeddings').points[0];
    await page.locator(`[data-testid="embedding-map"] .emb-point[data-role="teacher"][data-id="${emb.id}"]`).first().hover();
    await page.locator(`[data-testid="embedding-map"] .emb-point.active[data-role="student"][data-id="${emb.id}"]`).waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId('emb-link').count(), 1);

    // Export: SVG is a standalone file with the chart's paths; PNG is a PNG.
    const svg = await download(page, 'export-svg-losses');
    assert.equal(svg.name, 'distill-lab-losses.svg');
    const svgText = svg.bytes.toString('utf8');
    assert.match(svgText, /^<\?xml/);
    assert.match(svgText, /<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.ok((svgText.match(/<path/g) ?? []).length >= stepLosses.length);
    assert.match(svgText, /Loss terms/, 'the title is drawn into the file');
    assert.ok(!/var\(--/.test(svgText), 'colours are resolved, not CSS variables');
    assert.ok(svgText.length < 60_000, `a compact file (${svgText.length} characters)`);
    const heat = await download(page, 'export-svg-kl-heatmap');
    assert.equal((heat.bytes.toString('utf8').match(/data-testid="heatmap-cell"/g) ?? []).length, kl.kl.length * kl.kl[0].length);
    const png = await download(page, 'export-png-kl-heatmap');
    assert.equal(png.name, 'distill-lab-kl-heatmap.png');
    assert.deepEqual([...png.bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.ok(png.bytes.length > 2000);
    await page.screenshot({ path: artifact('ui-run.png'), fullPage: true });

    // ---- Run dashboard (PROD fixture): stage timeline, LwF drift, data-progressive scatter.
    await page.getByTestId('fixture-run').selectOption('prod');
    const prod = fixture.prod.events;
    await page.getByTestId('stage-timeline').waitFor({ timeout: TIMEOUT });
    assert.equal(await page.locator('[data-testid="stage-timeline"] > li').count(), prod.filter((e) => e.type === 'stage').length);
    await curves('lwf-drift').first().waitFor({ timeout: TIMEOUT });
    const scatter = lastOf(prod, 'rankScatter');
    await page.locator('[data-testid="chart-rank-scatter"] .recharts-scatter-symbol').first().waitFor({ timeout: TIMEOUT });
    // One dot per (student rank, teacher rank, selected) cell, counted here independently.
    const rankCells = new Set(scatter.points.filter((p) => Number.isFinite(p.studentRank) && Number.isFinite(p.teacherRank) && p.studentRank >= 1 && p.teacherRank >= 1).map((p) => `${p.studentRank}:${p.teacherRank}:${p.selected}`));
    assert.equal(await page.locator('[data-testid="chart-rank-scatter"] .recharts-scatter-symbol').count(), rankCells.size);
    assert.equal(await page.locator('[data-testid="chart-rank-scatter"] .recharts-reference-area').count(), 1, 'the selection window is boxed');
    assert.match(await page.getByTestId('rank-scatter-caption').innerText(), new RegExp(`${scatter.points.filter((p) => p.selected).length} of ${scatter.points.length} training queries selected`));
    // Training health: the fixture's divergence and recovery as banners with their explanation,
    // and a marker at the step on the loss chart of that phase (the current one).
    const banner = page.locator('[data-testid="health-banner"][data-kind="divergence"]');
    await banner.waitFor({ timeout: TIMEOUT });
    assert.match(await banner.innerText(), /Divergence in PROD stage 3 of 3: data-progressive at step 60.*blew up/s);
    assert.match(await page.locator('[data-testid="health-banner"][data-kind="recovery"]').innerText(), /half|0\.5x/);
    await page.locator('[data-testid="chart-losses"] .chart-marker[data-marker="diverged"]').waitFor({ timeout: TIMEOUT });
    await page.screenshot({ path: artifact('ui-run-prod.png'), fullPage: true });

    // ---- Compare: mean ± spread per group, overlaid curves, wins/losses and the named tests.
    await showView(page, 'compare');
    const groups = [...new Set(fixture.compare.runs.map((r) => r.group))];
    assert.equal(await page.locator('[data-testid="compare-table"] tbody tr').count(), groups.length);
    assert.match(await page.getByTestId('compare-table').innerText(), /\d\.\d{3} ± \d\.\d{3}/);
    // Compare's overlaid curves are Recharts (lines drawn as unfilled Areas: chart/SeriesChart.tsx).
    assert.equal(await page.locator('[data-testid="chart-compare-curves"] path.recharts-area-curve').count(), fixture.compare.runs.length);
    assert.match(await page.getByTestId('wins-losses-counts').innerText(), /^\d+ \/ \d+ \/ \d+$/);
    assert.match(await page.getByTestId('permutation-p').innerText(), /p (=|<) \d\.\d{3} \(10,000 sign flips/);
    assert.match(await page.getByTestId('chart-wins-losses').textContent(), /paired randomisation \(permutation\) test/i, 'the view names its test');
    assert.match(await page.getByTestId('verdict').innerText(), /significant/);
    await page.screenshot({ path: artifact('ui-compare.png'), fullPage: true });

    // ---- Models: live counts, errors next to the field.
    await showView(page, 'models');
    const params = () => page.getByTestId('student-params').innerText();
    const before = await params();
    await page.getByTestId('student-hidden').fill('128');
    assert.notEqual(await params(), before, 'parameters follow the hidden size');
    await page.getByTestId('student-heads').fill('3');
    const hiddenField = page.getByTestId('student-hidden');
    assert.equal(await hiddenField.getAttribute('aria-invalid'), 'true');
    const errId = (await hiddenField.getAttribute('aria-describedby')).split(' ').find((id) => id.endsWith('-e'));
    assert.match(await page.locator(`[id="${errId}"]`).innerText(), /divisible by heads/);
    assert.match(await page.getByTestId('status-config').innerText(), /1 problem/);
    await page.getByTestId('student-heads').fill('2');
    assert.match(await page.getByTestId('status-config').innerText(), /valid/);
    // A student cut from teacher 1's blocks (DistilBERT): the block picker, and the parameters of the model it becomes.
    const exact = () => page.getByTestId('student-params').getAttribute('title');
    const randomParams = await exact();
    await page.getByTestId('student-init-from').selectOption('teacher');
    assert.equal(await page.getByTestId('student-init-layers').locator('input[type="checkbox"]').count(), 4);
    const cutParams = await exact();
    assert.notEqual(cutParams, randomParams, 'the cut student has the teacher\'s width and vocabulary');
    assert.match(await page.getByTestId('student-inherited').innerText(), /blocks 0, 2 of teacher 1/);
    await page.getByTestId('student-init-layer-1').check();
    assert.notEqual(await exact(), cutParams, 'a third block adds parameters');
    assert.match(await page.getByTestId('student-inherited').innerText(), /blocks 0, 1, 2 of teacher 1/);
    assert.match(await page.getByTestId('status-config').innerText(), /valid/);
    await page.getByTestId('student-init-from').selectOption('random');
    assert.equal(await exact(), randomParams);
    await page.screenshot({ path: artifact('ui-models.png'), fullPage: true });

    // ---- Recipe: PROD chain from the keyboard, config link round trip, a refused import.
    await showView(page, 'recipe');
    await page.locator('input[name="recipe-kind"][value="prod"]').check();
    await page.getByTestId('prod-add-stage').click();
    assert.equal(await page.getByTestId('prod-stage').count(), 2);
    await page.getByRole('button', { name: 'Move stage 2 up' }).focus();
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Move stage 1 down', 'focus follows the moved stage');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Move stage 2 up');
    const link = await page.getByTestId('config-link').inputValue();
    assert.match(link, /\?config=[A-Za-z0-9_-]+$/);
    await page.getByTestId('import-config-text').fill(link);
    await page.getByTestId('import-config-apply').click();
    assert.match(await page.getByTestId('import-config-message').innerText(), /^Loaded “LEAD demo” from the pasted text/);
    await page.getByTestId('import-config-text').fill('{"version":1,"name":"x","seed":-4}');
    await page.getByTestId('import-config-apply').click();
    assert.match(await page.getByTestId('import-config-message').innerText(), /seed must be an integer/);
    const cfg = await download(page, 'export-config');
    assert.equal(JSON.parse(cfg.bytes.toString('utf8')).recipe.stages.length, 2);
    await page.screenshot({ path: artifact('ui-recipe.png'), fullPage: true });

    // ---- Export: metrics files from the compared runs; a metrics file comes back as runs.
    await showView(page, 'export');
    const csv = await download(page, 'export-metrics-csv');
    assert.equal(csv.bytes.toString('utf8').split('\r\n').filter(Boolean).length, 1 + fixture.compare.runs.length);
    const json = await download(page, 'export-metrics-json');
    await page.getByTestId('import-metrics').setInputFiles({ name: 'metrics.json', mimeType: 'application/json', buffer: json.bytes });
    assert.match(await page.getByTestId('import-message').innerText(), new RegExp(`${fixture.compare.runs.length} runs added to Compare`));
    assert.equal(await page.getByTestId('tab-compare').innerText(), `Compare${2 * fixture.compare.runs.length}`);
    await page.getByTestId('import-trec').setInputFiles({ name: 'bad.trec', mimeType: 'text/plain', buffer: Buffer.from('q1 Q0 d1 1 2.0 run\nq1 Q0 d2 x 1.0 run\n') });
    assert.match(await page.getByTestId('import-message').innerText(), /bad\.trec:2: rank "x" is not an integer/);
    await page.screenshot({ path: artifact('ui-export.png'), fullPage: true });

    // ---- Dark colour scheme: the dashboard reads on a dark page too.
    await page.emulateMedia({ colorScheme: 'dark' });
    await showView(page, 'run');
    await page.getByTestId('stage-timeline').waitFor({ timeout: TIMEOUT });
    await page.screenshot({ path: artifact('ui-run-dark.png'), fullPage: true });

    assert.deepEqual(consoleErrors, []);
  } finally {
    await browser.close();
  }
});

test('charts read: text at AA contrast, the chance line on loss charts, a colour bar that tells cells apart, "at chance" notes', async () => {
  const browser = await launch({ webgpu: false });
  try {
    const { page, consoleErrors } = await openPage(browser, `${PAGE}?run=lead`);
    await page.getByTestId('fixture-banner').waitFor({ timeout: TIMEOUT });
    await endTour(page);
    await showView(page, 'run');
    const guides = (id) => page.locator(`[data-testid="chart-${id}"] [data-testid="chart-guide"]`);
    await page.locator('[data-testid="heatmap-cell"]').first().waitFor({ timeout: TIMEOUT });
    await page.locator('[data-testid="chart-distributions"] .dist-bar').first().waitFor({ timeout: TIMEOUT });
    await page.locator('[data-testid="chart-student-race"] path.live-curve').first().waitFor({ timeout: TIMEOUT });

    // Every tick, title and cell number, light and dark: 4.5:1 or more, filled, not outlined.
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      const rows = await chartTextContrast(page);
      assert.ok(rows.filter((r) => r.cls.includes('chart-tick')).length > 30, `tick labels measured (${rows.length} texts)`);
      assert.ok(rows.filter((r) => r.onShape).length >= 18, 'heatmap numbers measured on their cells');
      assert.deepEqual(failingText(rows), [], `chart text below WCAG AA (${scheme})`);
    }
    await page.emulateMedia({ colorScheme: 'light' });

    // Chance: ln N for the N candidates the steps report (fixture: 16 queries x 2 passages in-batch).
    const lead = fixture.lead.events.filter((e) => e.type === 'step' && e.phase === 'lead').at(-1);
    const lnN = Math.log(lead.candidates);
    assert.equal(await guides('losses').count(), 1, 'one chance line on the loss chart');
    assert.equal(await guides('losses').locator('.chart-guide-label').textContent(), `chance: ln ${lead.candidates} = ${lnN.toFixed(2)}`);
    assert.equal(Number(await guides('losses').getAttribute('data-y')), lnN);
    assert.equal(await guides('student-race').count(), 1, 'and on the student race');
    // Drawn at ln N on the chart's own scale: between the y ticks around it.
    const at = await page.evaluate(() => {
      const chart = document.querySelector('[data-testid="chart-losses"] svg.live-chart-svg');
      const line = chart.querySelector('.chart-guide-line');
      const ticks = [...chart.querySelectorAll('.chart-axis text.chart-tick[text-anchor="end"]')].map((t) => ({ v: Number(t.textContent), y: Number(t.getAttribute('y')) }));
      return { y: Number(line.getAttribute('y1')), ticks };
    });
    const below = at.ticks.filter((t) => t.v <= lnN).sort((a, b) => b.v - a.v)[0];
    const above = at.ticks.filter((t) => t.v >= lnN).sort((a, b) => a.v - b.v)[0];
    assert.ok(below && above, `ticks on both sides of ln N: ${JSON.stringify(at.ticks)}`);
    assert.ok(at.y <= below.y && at.y >= above.y, `the line at y ${at.y} lies between ${below.v} (y ${below.y}) and ${above.v} (y ${above.y})`);
    assert.match(await page.getByTestId('chart-losses').locator('.explain').textContent(), /chance for the NLL.*ln N/s, 'the explanation names the line');
    // A trained model is not at chance: no note.
    assert.equal(await page.getByTestId('heatmap-at-chance').count(), 0);
    assert.equal(await page.getByTestId('dist-at-chance').count(), 0);

    // PROD: the CE stage's group of 8 has its own chance line.
    await page.getByTestId('fixture-run').selectOption('prod');
    await page.getByTestId('stage-timeline').waitFor({ timeout: TIMEOUT });
    await page.getByTestId('chart-losses').getByTestId('phase-picker').selectOption('prod:stage2');
    await guides('losses').first().waitFor({ timeout: TIMEOUT });
    assert.equal(await guides('losses').locator('.chart-guide-label').textContent(), 'chance: ln 8 = 2.08');

    // A collapsed student: KL under 0.0005 everywhere. The colour bar and the cells read apart,
    // and both layer views say the student is at chance.
    await page.getByTestId('fixture-run').selectOption('collapsed');
    const cells = page.locator('[data-testid="heatmap-value"]');
    await cells.first().waitFor({ timeout: TIMEOUT });
    const kl = fixture.collapsed.events.find((e) => e.type === 'layerKL').kl;
    assert.ok(Math.max(...kl.flat()) < 0.0005, 'the fixture is the case three decimals cannot show');
    const legend = await page.locator('[data-testid="heatmap-legend-label"]').allTextContents();
    assert.equal(legend.length, 3);
    assert.equal(new Set(legend).size, 3, `colour bar labels differ: ${legend.join(' / ')}`);
    assert.ok(legend.slice(1).every((l) => Number(l) > 0), `non-zero ends read as non-zero: ${legend.join(' / ')}`);
    const shown = await cells.allTextContents();
    assert.equal(new Set(shown).size, new Set(kl.flat()).size, `one label per distinct value: ${[...new Set(shown)].join(', ')}`);
    for (const [i, label] of shown.entries()) assert.ok(Math.abs(Number(label) - kl.flat()[i]) <= 0.05 * kl.flat()[i], `cell ${i}: "${label}" reads ${kl.flat()[i]}`);
    assert.match(await page.getByTestId('heatmap-at-chance').innerText(), /At chance: student layers 1, 2, 3 give every candidate the same score in all 6 queries/);
    assert.match(await page.getByTestId('dist-at-chance').innerText(), /At chance: the student layer \d shown gives every one of the 8 candidates the same score.*1\/8 = 0\.125.*Student layers at chance here: all 3\./s);
    assert.equal(await guides('losses').locator('.chart-guide-label').textContent(), `chance: ln 32 = ${Math.log(32).toFixed(2)}`);
    assert.deepEqual(failingText(await chartTextContrast(page)), [], 'collapsed run: chart text at AA');
    await page.screenshot({ path: artifact('ui-run-collapsed.png'), fullPage: true });
    assert.deepEqual(consoleErrors, []);
  } finally {
    await browser.close();
  }
});

test('the lab page shows the shell: status line, tabs, empty run and compare states', async () => {
  const browser = await launch({ webgpu: false });
  try {
    const { page, consoleErrors } = await openPage(browser, '/?backend=cpu#run');
    await page.getByTestId('run-empty').waitFor({ timeout: TIMEOUT });
    assert.match(await page.getByTestId('run-empty').innerText(), /No run yet/);
    await page.getByTestId('status-backend').getByText('cpu').waitFor({ timeout: 240_000 });
    await showView(page, 'compare');
    assert.match(await page.getByTestId('compare-empty').innerText(), /No finished runs yet/);
    // The committed results (public/results/demo-quick/results.json), served with the page.
    const published = JSON.parse(readFileSync(new URL('../../public/results/demo-quick/results.json', import.meta.url), 'utf8'));
    const study = page.getByTestId('published-demo-quick');
    await study.waitFor({ timeout: TIMEOUT });
    assert.equal(await study.locator('tbody tr').count(), published.summary.length);
    const kd = published.summary.find((r) => r.recipe === 'kd');
    assert.match(await study.innerText(), new RegExp(`response KD\\s+${kd.seeds}\\s+${kd.metrics['mrr@10'].mean.toFixed(4)} ± ${kd.metrics['mrr@10'].std.toFixed(4)}`));
    await showView(page, 'data');
    await page.getByTestId('backend-name').waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId('backend-name').innerText(), 'cpu');
    await page.screenshot({ path: artifact('ui-data.png'), fullPage: true });
    assert.deepEqual(consoleErrors, []);
  } finally {
    await browser.close();
  }
});
