// Accessibility: axe-core (the engine behind Lighthouse's and Deque's checks) on every tab of
// the lab, served with its Content-Security-Policy, and on the fixture page with every chart
// drawn (LEAD, PROD and collapsed-student dashboards, Compare), light and dark, with every
// "What am I looking at?" and table disclosure open. No 'serious' or 'critical' violation may
// remain; every rule that fired, at any impact, is printed, with what axe could not decide. Chart
// text (SVG), which axe leaves undecided, is measured by ./contrast.mjs: 4.5:1, no outline.
//
// axe is injected with page.evaluate of its source: that runs through DevTools
// (Runtime.evaluate), which the page's CSP does not govern, where a <script> tag added by the
// test would be refused (script-src 'self').
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { launch, openPage, showView, endTour } from './harness.mjs';
import { chartTextContrast, failingText } from './contrast.mjs';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const TABS = ['data', 'models', 'recipe', 'run', 'compare', 'export'];
const TIMEOUT = 30_000;
const BLOCKING = new Set(['serious', 'critical']);

/** Runs axe on the page as it is now; returns its violations, trimmed to what a report needs. */
async function axe(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations', 'incomplete'] });
    const trim = (v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${(n.failureSummary ?? '').replace(/\s+/g, ' ').slice(0, 240)}`) });
    return { violations: r.violations.map(trim), incomplete: r.incomplete.map(trim) };
  });
}

/** Everything axe found, by where it was found: `${where}` -> violations; and what it could not decide. */
const found = new Map();
const undecided = new Map();
/** Chart text below AA, by where. */
const chartText = new Map();
async function check(page, where) {
  // Open every disclosure (explanations, value tables) so that their content is checked too.
  await page.$$eval('details', (ds) => ds.forEach((d) => (d.open = true)));
  const { violations, incomplete } = await axe(page);
  found.set(where, violations);
  for (const v of incomplete) undecided.set(v.id, (undecided.get(v.id) ?? 0) + v.nodes.length);
  const text = await chartTextContrast(page);
  chartText.set(where, { measured: text.length, failing: failingText(text) });
  return violations;
}

function report() {
  const byRule = new Map();
  for (const [where, vs] of found) for (const v of vs) {
    const r = byRule.get(v.id) ?? { impact: v.impact, help: v.help, where: [] };
    r.where.push(`${where} (${v.nodes.length})`);
    byRule.set(v.id, r);
  }
  console.log(`axe-core: ${found.size} views checked; rules that fired: ${byRule.size ? '' : 'none'}`);
  for (const [id, r] of byRule) console.log(`  ${id} [${r.impact}] ${r.help}: ${r.where.join(', ')}`);
  console.log(`axe-core could not decide (nodes, all views): ${[...undecided].map(([id, n]) => `${id} ${n}`).join(', ') || 'nothing'}`);
  const measured = [...chartText.values()].reduce((a, c) => a + c.measured, 0);
  const failing = [...chartText.values()].reduce((a, c) => a + c.failing.length, 0);
  console.log(`chart text (SVG) measured: ${measured} labels, ${failing} below AA or outlined`);
}

function blocking() {
  const out = [];
  for (const [where, vs] of found) for (const v of vs) if (BLOCKING.has(v.impact)) out.push(`${where}: ${v.id} [${v.impact}] ${v.help}\n    ${v.nodes.slice(0, 5).join('\n    ')}`);
  for (const [where, c] of chartText) if (c.failing.length) out.push(`${where}: chart text below AA (${c.failing.length}): ${c.failing.slice(0, 3).join('; ')}`);
  return out;
}

test('axe-core: no serious or critical violation on any tab (the lab) or with every chart drawn (fixture page)', async () => {
  const browser = await launch({ webgpu: false });
  try {
    // The lab as served, with its CSP; the cpu backend's self-check is the only wait.
    const lab = await openPage(browser, '/?backend=cpu');
    await lab.page.getByTestId('tab-data').waitFor({ timeout: TIMEOUT });
    await check(lab.page, 'lab: first visit, tour open');
    await endTour(lab.page);
    await lab.page.getByTestId('backend-name').waitFor({ timeout: 240_000 });
    for (const scheme of ['light', 'dark']) {
      await lab.page.emulateMedia({ colorScheme: scheme });
      for (const tab of TABS) {
        await showView(lab.page, tab, TIMEOUT);
        await lab.page.waitForTimeout(300);
        await check(lab.page, `lab ${scheme}: ${tab}`);
      }
    }
    assert.equal(await lab.page.evaluate(() => typeof window.axe), 'object', 'axe ran in the page despite its CSP');
    await lab.context.close();

    // The fixture page: the dashboards with every chart drawn, light and dark.
    const fx = await openPage(browser, '/test/browser/pages/views.html');
    await fx.page.getByTestId('fixture-banner').waitFor({ timeout: TIMEOUT });
    await endTour(fx.page);
    for (const scheme of ['light', 'dark']) {
      await fx.page.emulateMedia({ colorScheme: scheme });
      for (const run of ['lead', 'prod', 'collapsed']) {
        await fx.page.getByTestId('fixture-run').selectOption(run);
        await showView(fx.page, 'run', TIMEOUT);
        await fx.page.locator('[data-testid="chart-losses"] path.live-curve').first().waitFor({ timeout: TIMEOUT });
        const last = run === 'prod' ? '[data-testid="chart-rank-scatter"] .recharts-scatter-symbol' : '[data-testid="heatmap-cell"]';
        await fx.page.locator(last).first().waitFor({ timeout: TIMEOUT });
        await fx.page.waitForTimeout(300);
        await check(fx.page, `fixture ${scheme}: run (${run})`);
      }
      for (const tab of ['compare', 'models', 'recipe', 'export']) {
        await showView(fx.page, tab, TIMEOUT);
        await fx.page.waitForTimeout(200);
        await check(fx.page, `fixture ${scheme}: ${tab}`);
      }
    }
    assert.deepEqual([...lab.consoleErrors, ...fx.consoleErrors], []);
  } finally {
    report();
    await browser.close();
  }
  assert.deepEqual(blocking(), [], 'no serious or critical accessibility violation');
});
