// "The page trusts nothing": the lab as run.mjs serves it (the production build on Vite's
// preview server, or BROWSER_TEST_SERVER=dev) is sent with its Content-Security-Policy and the
// cross-origin isolation headers (tools/csp.ts); the page, its workers and tfjs's wasm backend
// (threads from Blob URLs, WebAssembly compilation) run under that policy without one
// violation while every tab is visited; and no request leaves the page's origin. No training
// run: the forced wasm backend's self-check is the heaviest thing it waits for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, launch, showView, endTour } from './harness.mjs';

const TIMEOUT = 60_000;
const TABS = ['data', 'models', 'recipe', 'run', 'compare', 'export'];
const DIRECTIVES = [
  /(^|; )default-src 'self'(;|$)/,
  /(^|; )script-src 'self' 'wasm-unsafe-eval'[^;]*/,
  /(^|; )worker-src 'self'/,
  /(^|; )connect-src 'self'/,
  /(^|; )object-src 'none'(;|$)/,
  /(^|; )frame-ancestors 'none'(;|$)/,
  /(^|; )base-uri 'self'(;|$)/,
];

test('CSP: the policy is sent, every tab runs under it without a violation, no request leaves the origin', async () => {
  const browser = await launch({ webgpu: false });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Before any of the page's scripts: every violation the document sees, with what it blocked.
    await context.addInitScript(() => {
      const seen = [];
      Object.defineProperty(window, '__cspViolations', { value: seen });
      document.addEventListener('securitypolicyviolation', (e) => {
        seen.push(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber} (${e.disposition})`);
      });
    });
    const requests = [];
    context.on('request', (r) => requests.push(r.url()));
    const page = await context.newPage();
    // Chromium reports a violation in a worker (the training worker, tfjs's wasm threads) only
    // to the DevTools log, which playwright's console events leave out: read the log itself.
    const errors = [];
    const cdp = await context.newCDPSession(page);
    cdp.on('Log.entryAdded', ({ entry }) => { if (entry.level === 'error') errors.push(`log (${entry.source}): ${entry.text}`); });
    await cdp.send('Log.enable');
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('worker', (w) => w.on('console', (m) => { if (m.type() === 'error') errors.push(`worker: ${m.text()}`); }));

    const response = await page.goto(new URL('/?backend=wasm', BASE_URL).href);
    const headers = response.headers();
    const csp = headers['content-security-policy'];
    assert.ok(csp, `the document is sent with a Content-Security-Policy header: ${JSON.stringify(headers)}`);
    for (const d of DIRECTIVES) assert.match(csp, d);
    assert.doesNotMatch(csp, /'unsafe-eval'|'unsafe-inline'/, 'no eval, no inline script or style');
    assert.equal(headers['cross-origin-opener-policy'], 'same-origin');
    assert.equal(headers['cross-origin-embedder-policy'], 'require-corp');
    assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'the page is cross-origin isolated');

    // The production build also carries the policy as a <meta> (without frame-ancestors, which a
    // <meta> cannot set) and ships it in dist/_headers with the isolation headers.
    const meta = await page.evaluate(() => document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? null);
    const built = await page.evaluate(() => !document.querySelector('script[src="/@vite/client"]'));
    if (built) {
      assert.ok(meta, 'the built page has a CSP <meta>');
      assert.doesNotMatch(meta, /frame-ancestors|127\.0\.0\.1|localhost/);
      for (const d of DIRECTIVES.filter((r) => !/frame-ancestors/.test(r.source))) assert.match(meta, d);
      const file = await (await context.request.get(new URL('/_headers', BASE_URL).href)).text();
      assert.ok(file.includes(`  Content-Security-Policy: ${meta}; frame-ancestors 'none'\n`), file);
      assert.match(file, /^ {2}Cross-Origin-Opener-Policy: same-origin$/m);
      assert.match(file, /^ {2}Cross-Origin-Embedder-Policy: require-corp$/m);
    } else {
      assert.equal(meta, null, 'the dev server sends the policy as a header only');
    }

    await page.getByTestId('tab-data').waitFor({ timeout: TIMEOUT });
    await endTour(page);
    // The training worker loads tfjs's wasm backend (threaded, since the page is isolated) and
    // self-checks it: a blocked Blob worker, import or WebAssembly compile would fail it.
    // A violation stops it short (a blocked thread leaves the self-check waiting for ever).
    let poll;
    const violation = new Promise((_, reject) => {
      poll = setInterval(() => {
        const v = errors.find((e) => /Content.Security.Policy/i.test(e));
        if (v) reject(new Error(`CSP violation while the backend started: ${v}`));
      }, 100);
    });
    try {
      await showView(page, 'data', TIMEOUT);
      await Promise.race([page.getByTestId('backend-name').waitFor({ timeout: 240_000 }), violation]);
    } finally {
      clearInterval(poll);
    }
    for (const tab of TABS) {
      await showView(page, tab, TIMEOUT);
      await page.waitForTimeout(200);
    }
    await showView(page, 'data', TIMEOUT);
    assert.equal(await page.getByTestId('backend-name').innerText(), 'wasm');

    assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], 'no CSP violation in the document');
    assert.deepEqual(errors.filter((e) => /Content.Security.Policy|Refused to/i.test(e)), [], 'no CSP violation in the page or a worker');
    assert.deepEqual(errors, [], 'no errors logged');

    const origin = new URL(page.url()).origin;
    assert.ok(requests.length > 5, `requests were recorded: ${requests.length}`);
    const away = requests.filter((u) => new URL(u).origin !== origin);
    assert.deepEqual(away, [], `every request stays on ${origin}`);
  } finally {
    await browser.close();
  }
});
