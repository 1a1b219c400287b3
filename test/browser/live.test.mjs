// The run dashboard redrawing live, measured alone: the views test page replays a recorded
// LEAD run's events (test/browser/pages/views.tsx, ?replay) in batches, as a live run delivers
// them, with no training beside it, and the main thread's long tasks are recorded with a
// PerformanceObserver. This is the cost of the lab's own rendering (the first-visit demo test
// measures the same bar with a real run sharing the CPU).
//
// LIVE_PROFILE=1 also records a CPU profile of the page (Chrome DevTools Protocol), saves it
// as test-results/live.cpuprofile and prints the functions with the most self time (build with
// BROWSER_TEST_MINIFY=0 for readable names).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { artifact, launch, openPage } from './harness.mjs';

/** Self time by function (ms), from a DevTools CPU profile. */
function selfTimes(profile) {
  const dt = new Map();
  profile.samples.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + profile.timeDeltas[i] / 1000));
  const by = new Map();
  for (const n of profile.nodes) {
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
    by.set(key, (by.get(key) ?? 0) + (dt.get(n.id) ?? 0));
  }
  return [...by].sort((a, b) => b[1] - a[1]);
}

/** Main-thread tasks over 50 ms in a Chromium trace, each with the time of its event types. */
function longTaskBreakdown(events) {
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const onMain = events.filter((e) => main && e.pid === main.pid && e.tid === main.tid && e.ph === 'X');
  const tasks = onMain.filter((e) => e.name === 'RunTask' && e.dur > Number(process.env.LIVE_TRACE_MS ?? 50) * 1000);
  return tasks.map((t) => {
    const inside = onMain.filter((e) => e !== t && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur);
    const by = new Map();
    for (const e of inside) by.set(e.name, (by.get(e.name) ?? 0) + e.dur / 1000);
    const top = [...by].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
    return `task ${(t.dur / 1000).toFixed(0)} ms: ${top}`;
  });
}

test('the run dashboard fills in live with no main-thread task over 100 ms', { timeout: 180_000 }, async () => {
  const browser = await launch({ webgpu: false });
  try {
    const { page, consoleErrors } = await openPage(browser, '/test/browser/pages/views.html?replay=250&batch=4#run');
    if (process.env.LIVE_TRACE) await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
    const cdp = process.env.LIVE_PROFILE ? await page.context().newCDPSession(page) : null;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    await page.evaluate(() => {
      window.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longTasks.push(Math.round(e.duration));
      }).observe({ type: 'longtask', buffered: false });
    });
    await page.waitForFunction(() => window.__replay && window.__replay.left === 0, null, { timeout: 150_000 });
    // Let the last charts take their turns.
    await page.waitForTimeout(3000);
    if (cdp) {
      const { profile } = await cdp.send('Profiler.stop');
      writeFileSync(artifact('live.cpuprofile'), JSON.stringify(profile));
      for (const [k, ms] of selfTimes(profile).slice(0, 40)) console.log(`  ${ms.toFixed(0).padStart(6)} ms  ${k}`);
    }
    if (process.env.LIVE_TRACE) {
      const trace = JSON.parse((await browser.stopTracing()).toString());
      writeFileSync(artifact('live-trace.json'), JSON.stringify(trace));
      for (const line of longTaskBreakdown(trace.traceEvents ?? trace)) console.log(`  ${line}`);
    }
    const tasks = await page.evaluate(() => window.__longTasks);
    const longest = Math.max(0, ...tasks);
    console.log(`  long tasks (> 50 ms) while the dashboard filled in: ${tasks.length}, longest ${longest} ms (${tasks.join(' ')})`);
    assert.ok((await page.locator('[data-testid="run-dashboard"] svg path.live-curve').count()) > 0, 'curves drawn');
    assert.ok(longest <= 100, `a main-thread task took ${longest} ms`);
    assert.deepEqual(consoleErrors, []);
  } finally {
    await browser.close();
  }
});
