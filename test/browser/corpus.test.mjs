// The corpus panel in real Chromium: the built-in world on first visit, SciFact uploaded
// through the real file input (report counts, BM25 baseline, still there after a reload),
// and a suite of broken uploads, each of which must say what was wrong and where while
// leaving every stored record byte-for-byte unchanged (IndexedDB read back and hashed in
// the page). Fixtures are generated at test time in a temporary folder.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { artifact, launch, openPage } from './harness.mjs';
import { writeFixtures } from './fixtures/corpora.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const SCIFACT = path.join(repoRoot, 'test/data/scifact');
// ?backend=cpu: the backend panel's self-checks would otherwise compete for the 2 cores.
const HOME = '/?backend=cpu';
const TIMEOUT = 120_000;

/**
 * Every record of the lab's database (or all but those owned by `exclude` ids: a record is
 * owned by the first element of its key), serialised with typed arrays spelled out and
 * hashed with SHA-256 in the page. Also returns the number of records per store.
 */
async function hashDb(page, exclude = []) {
  return page.evaluate(async (exclude) => {
    const db = await new Promise((resolve, reject) => {
      const r = indexedDB.open('distill-lab');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const stable = (v) => {
      if (v instanceof ArrayBuffer) return { $ab: Array.from(new Uint8Array(v)) };
      if (ArrayBuffer.isView(v)) return { $ta: v.constructor.name, d: Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
      if (Array.isArray(v)) return v.map(stable);
      if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, stable(v[k])]));
      return v;
    };
    const req = (r) => new Promise((resolve, reject) => ((r.onsuccess = () => resolve(r.result)), (r.onerror = () => reject(r.error))));
    const out = {};
    const counts = {};
    for (const name of Array.from(db.objectStoreNames).sort()) {
      const store = db.transaction(name, 'readonly').objectStore(name);
      const [keys, values] = await Promise.all([req(store.getAllKeys()), req(store.getAll())]);
      const rows = [];
      keys.forEach((k, i) => {
        const owner = Array.isArray(k) ? k[0] : k;
        if (!exclude.includes(owner)) rows.push([stable(k), stable(values[i])]);
      });
      out[name] = rows;
      counts[name] = rows.length;
    }
    db.close();
    const bytes = new TextEncoder().encode(JSON.stringify(out));
    const digest = await crypto.subtle.digest('SHA-256', bytes);
    const hash = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
    return { hash, counts, bytes: bytes.length };
  }, exclude);
}

async function waitForWorld(page) {
  await page.locator('[data-testid="corpus-row"][data-corpus-id="world:default"]').waitFor({ timeout: TIMEOUT });
}

/** Uploads through the real <input type="file"> and waits for this upload's outcome. */
async function upload(page, files, { name } = {}) {
  const panel = page.getByTestId('corpus-panel');
  const next = String(Number(await panel.getAttribute('data-uploads')) + 1);
  await page.getByTestId('corpus-name').fill(name ?? '');
  await page.getByTestId('file-input').setInputFiles(files);
  const outcome = page.locator(`[data-testid="ingest-result"][data-seq="${next}"], [data-testid="ingest-error"][data-seq="${next}"]`);
  await outcome.waitFor({ timeout: TIMEOUT });
  return { ok: (await outcome.getAttribute('data-testid')) === 'ingest-result', outcome };
}

const num = (s) => Number(String(s).replace(/,/g, ''));

async function deleteCorpus(page, id) {
  const row = page.locator(`[data-testid="corpus-row"][data-corpus-id="${id}"]`);
  await row.getByTestId('corpus-delete').click();
  await row.getByTestId('corpus-delete-confirm').click();
  await row.waitFor({ state: 'detached', timeout: TIMEOUT });
}

test('first visit has the built-in world; SciFact uploads with its report and BM25 baseline, and survives a reload', async () => {
  const t0 = Date.now();
  const browser = await launch({ webgpu: false });
  try {
    const { page, consoleErrors } = await openPage(browser, HOME);
    await waitForWorld(page);
    const world = page.locator('[data-testid="corpus-row"][data-corpus-id="world:default"]');
    assert.match(await world.innerText(), /built-in/);
    assert.ok(num(await world.getByTestId('corpus-docs').innerText()) > 1000);

    const files = ['corpus.jsonl', 'queries.jsonl', 'qrels/train.tsv', 'qrels/test.tsv'].map((f) => path.join(SCIFACT, f));
    // The page stays responsive while ingesting: main-thread long tasks (PerformanceObserver).
    await page.evaluate(() => {
      window.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longTasks.push(Math.round(e.duration));
      }).observe({ type: 'longtask', buffered: false });
    });
    const t1 = Date.now();
    const { ok, outcome } = await upload(page, files, { name: 'scifact' });
    assert.ok(ok, `upload failed: ${await outcome.innerText()}`);
    console.log(`  SciFact ingested in the browser in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    const longTasks = await page.evaluate(() => window.__longTasks);
    const longest = Math.max(0, ...longTasks);
    console.log(`  main-thread long tasks (> 50 ms) while ingesting: ${longTasks.length}, longest ${longest} ms`);
    // The product's bar: no main-thread task over 100 ms (parsing and storing run in the ingest
    // worker; the page only renders progress and the report; measured longest 78-92 ms on the
    // 2-core test machine under load, React's development build).
    assert.ok(longest <= 100, `a main-thread task took ${longest} ms while ingesting (${longTasks.join(' ')})`);
    const report = outcome.getByTestId('ingest-report');
    assert.equal(num(await report.getByTestId('report-docs').innerText()), 5183);
    assert.equal(num(await report.getByTestId('report-queries').innerText()), 1109);
    assert.equal(num(await report.getByTestId('report-judged-train').innerText()), 809);
    assert.equal(num(await report.getByTestId('report-judged-test').innerText()), 300);
    assert.equal(num(await report.getByTestId('report-errors').innerText()), 0);
    const baseline = outcome.getByTestId('bm25-baseline');
    assert.equal(await baseline.getAttribute('data-split'), 'test');
    const ndcg = Number(await baseline.getByTestId('bm25-ndcg10').innerText());
    console.log(`  BM25 on SciFact test: nDCG@10 ${ndcg}, MRR@10 ${await baseline.getByTestId('bm25-mrr10').innerText()}`);
    assert.ok(ndcg > 0.6 && ndcg < 0.75, `BM25 nDCG@10 ${ndcg} out of the expected range`);
    const href = await report.getByTestId('report-download').getAttribute('href');
    assert.match(decodeURIComponent(href), /^data:text\/plain;charset=utf-8,Corpus "scifact" \(beir layout\)\nDocuments: 5183\n/);
    await page.screenshot({ path: artifact('corpus-scifact.png'), fullPage: true });

    await page.reload();
    await waitForWorld(page);
    const row = page.locator('[data-testid="corpus-row"][data-corpus-name="scifact"]');
    await row.waitFor({ timeout: TIMEOUT });
    assert.equal(num(await row.getByTestId('corpus-docs').innerText()), 5183);
    await row.getByTestId('corpus-preview-button').click();
    await page.getByTestId('corpus-preview').waitFor({ timeout: TIMEOUT });
    assert.match(await page.getByTestId('corpus-preview').innerText(), /4983/);
    await page.screenshot({ path: artifact('corpus-after-reload.png'), fullPage: true });
    assert.deepEqual(consoleErrors, []);
    console.log(`  happy path took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    await browser.close();
  }
});

describe('broken uploads say what and where, and change nothing stored', () => {
  let browser;
  let page;
  let dir;
  let fx;
  let base;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'distill-lab-corpus-'));
    fx = writeFixtures(dir);
    browser = await launch({ webgpu: false });
    ({ page } = await openPage(browser, HOME));
    await waitForWorld(page);
    const r = await upload(page, fx.valid, { name: 'base' });
    assert.ok(r.ok, 'the valid fixture uploads');
    base = await hashDb(page);
    assert.ok(base.counts.docShards >= 2 && base.counts.corpora === 2, JSON.stringify(base.counts));
  });

  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** An upload whose bad rows are rejected and reported; the rest is stored as a new corpus. */
  async function rejectedRows(files, expected, shot) {
    const { ok, outcome } = await upload(page, files, { name: 'partly-broken' });
    assert.ok(ok, await outcome.innerText());
    const id = await outcome.getAttribute('data-corpus-id');
    const issues = await outcome.getByTestId('report-issues').innerText();
    for (const e of expected) assert.match(issues, e);
    if (shot) await page.screenshot({ path: artifact(shot), fullPage: true });
    // Everything stored before is unchanged; deleting the new corpus restores the exact state.
    assert.equal((await hashDb(page, [id])).hash, base.hash);
    await deleteCorpus(page, id);
    assert.equal((await hashDb(page)).hash, base.hash);
  }

  /** An upload refused as a whole: an error naming what and where; not one record changed. */
  async function refused(files, errorName, where, reason) {
    const { ok, outcome } = await upload(page, files, { name: 'refused' });
    assert.ok(!ok, 'the upload must be refused');
    assert.equal(await outcome.getAttribute('data-error-name'), errorName);
    if (where) assert.equal(await outcome.getByTestId('ingest-error-where').innerText(), where);
    assert.match(await outcome.getByTestId('ingest-error-reason').innerText(), reason);
    assert.match(await outcome.innerText(), /Nothing was stored, and the corpora already stored are unchanged/);
    assert.equal((await hashDb(page)).hash, base.hash);
    return outcome;
  }

  test('a truncated JSONL line is rejected with file, line and reason', async () => {
    await rejectedRows(fx.truncated, [/corpus\.jsonl, line 3\s+rejected\s+invalid JSON \(truncated line\?\)/], 'corpus-report-issues.png');
  });

  test('qrels with the wrong number of TSV columns are rejected row by row', async () => {
    await rejectedRows(fx.wrongColumns, [
      /test\.tsv, line 2\s+rejected\s+wrong column count: expected 3 \(query-id, corpus-id, score\), found 2/,
      /test\.tsv, line 4\s+rejected\s+wrong column count/,
    ]);
  });

  test('qrels naming missing documents and queries are rejected', async () => {
    await rejectedRows(fx.missingIds, [
      /test\.tsv, line 2\s+rejected\s+unknown document id "no-such-doc" \(not in the corpus\)/,
      /test\.tsv, line 3\s+rejected\s+unknown query id "no-such-query" \(not in the queries\)/,
    ]);
  });

  test('binary garbage is refused with file, line and reason', async () => {
    // The fixture is a gzip file named .jsonl: recognised by its magic bytes, and the fix named.
    await refused(fx.binary, 'CorpusFormatError', 'corpus.jsonl, line 1', /^a gzip file \(magic bytes 1f 8b at byte 1\), not UTF-8 text: decompress it first/);
    await page.screenshot({ path: artifact('corpus-binary-refused.png'), fullPage: true });
  });

  test('an upload cancelled half-way stores nothing', async () => {
    const next = String(Number(await page.getByTestId('corpus-panel').getAttribute('data-uploads')) + 1);
    await page.getByTestId('corpus-name').fill('cancelled');
    await page.getByTestId('file-input').setInputFiles(fx.large);
    const bar = page.locator(`[data-testid="ingest-running"][data-seq="${next}"] progress`);
    await bar.waitFor({ timeout: TIMEOUT });
    // Cancel once reading is under way, well before it ends.
    await page.waitForFunction(() => {
      const p = document.querySelector('[data-testid="ingest-progress"]');
      return p && p.value > 0.05;
    }, null, { timeout: TIMEOUT, polling: 20 });
    const at = await bar.evaluate((p) => p.value);
    const detail = await page.getByTestId('ingest-detail').innerText();
    await page.getByTestId('ingest-cancel').click();
    const outcome = page.locator(`[data-testid="ingest-error"][data-seq="${next}"]`);
    await outcome.waitFor({ timeout: TIMEOUT });
    console.log(`  cancelled at ${(at * 100).toFixed(0)}% of a ${(fx.largeBytes / 1e6).toFixed(0)} MB upload`);
    assert.ok(at < 0.85, `cancel landed while reading (progress ${at})`);
    // Progress names the file and counts rows while reading.
    const m = /^corpus\.jsonl — [\d.]+ [KM]B of [\d.]+ MB; ([\d,]+) rows accepted, 0 rejected$/.exec(detail);
    assert.ok(m && num(m[1]) > 0, `progress detail: ${detail}`);
    assert.equal(await outcome.getAttribute('data-error-name'), 'CancelledError');
    assert.match(await outcome.innerText(), /Upload cancelled\..*nothing was stored/s);
    assert.equal((await hashDb(page)).hash, base.hash);
  });

  test('a full disk (QuotaExceededError forced by the test hook) is a StorageQuotaError and stores nothing', async () => {
    // A real quota cannot be reached here: ?debugFailAfterShards=1 makes the store throw a
    // real DOMException 'QuotaExceededError' inside its second shard transaction.
    await page.goto(new URL('/?backend=cpu&debugFailAfterShards=1', page.url()).href);
    await waitForWorld(page);
    const outcome = await refused(fx.valid, 'StorageQuotaError', null, /^Storage is full: the browser refused to store corpus "refused"/);
    assert.match(await outcome.innerText(), /deleting corpora or runs/);
    await page.screenshot({ path: artifact('corpus-quota.png'), fullPage: true });
  });
});
