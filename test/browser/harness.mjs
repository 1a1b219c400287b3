// Shared helpers for the browser tests: a real headless Chromium (Debian's, never a
// downloaded one) with WebGPU on SwiftShader, pointed at the app served by Vite on localhost.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export const BASE_URL = process.env.DISTILL_LAB_URL ?? 'http://127.0.0.1:5173';
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.resolve(process.env.DISTILL_LAB_ARTIFACTS ?? 'test-results');
mkdirSync(ARTIFACTS, { recursive: true });

/** The flags that make WebGPU work headless on these CPU-only machines (shared/README.md). */
export const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-webgpu-adapter=swiftshader'];
const QUIET_FLAGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches Chromium with a fresh profile. `webgpu: false` leaves out the WebGPU flags, as a
 * browser without WebGPU would be; `disableWebGPU` removes it outright.
 */
export async function launch({ webgpu = true, extraArgs = [] } = {}) {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...QUIET_FLAGS, ...(webgpu ? WEBGPU_FLAGS : []), ...extraArgs],
  });
}

/**
 * Opens `urlPath` in a new page and records console errors and page errors, so that a
 * test can assert there were none.
 */
export async function openPage(browser, urlPath = '/', { viewport = { width: 1280, height: 900 } } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const consoleErrors = [];
  const consoleLog = [];
  page.on('console', (msg) => {
    consoleLog.push(`[${msg.type()}] ${msg.text()}`);
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(`pageerror: ${err.message}`));
  page.on('worker', (worker) => {
    worker.on('console', (msg) => {
      consoleLog.push(`[worker ${msg.type()}] ${msg.text()}`);
      if (msg.type() === 'error') consoleErrors.push(`worker: ${msg.text()}`);
    });
  });
  await page.goto(new URL(urlPath, BASE_URL).href);
  return { context, page, consoleErrors, consoleLog };
}

export function artifact(name) {
  return path.join(ARTIFACTS, name);
}

/** Clicks a tab and waits for its view to show. */
export async function showView(page, view, timeout = 30_000) {
  await page.getByTestId(`tab-${view}`).click();
  await page.getByTestId(`view-${view}`).waitFor({ state: 'visible', timeout });
}

/** Closes the guided tour if it is open. */
export async function endTour(page) {
  const end = page.getByTestId('tour-end');
  if (await end.count()) await end.click();
}
