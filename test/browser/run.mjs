// Runs the browser tests: makes sure Chromium is there, serves the app on localhost, then runs
// every test/browser/*.test.mjs with node's test runner, one at a time.
//
// The app is served as a production build (`vite build`, then Vite's preview server, with the
// same cross-origin isolation headers), as a user's `npm run build` would ship it: React's
// development build times every component render and makes the main-thread budget of the
// responsiveness test (no task over 100 ms) unmeasurable, and a build cannot be reloaded
// half-way through a test by an edit under src/. The test pages under test/browser/pages are
// built alongside. BROWSER_TEST_SERVER=dev serves Vite's dev server instead (for debugging);
// BROWSER_TEST_MINIFY=0 builds without minification (readable names in CPU profiles).
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, createServer, preview } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

function findChromium() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
  return candidates.find((p) => existsSync(p));
}

function ensureChromium() {
  let found = findChromium();
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (isRoot && hasApt) {
    console.log('Chromium not found: installing Debian\'s chromium with apt-get ...');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    const r = spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
    if (r.status !== 0) throw new Error('apt-get install chromium failed');
    found = findChromium();
    if (found) return found;
  }
  console.error(
    'No Chromium found for the browser tests.\n' +
      '  Install Debian\'s: sudo apt-get install chromium   (gives /usr/bin/chromium)\n' +
      '  or point CHROMIUM_PATH at a Chromium/Chrome binary with WebGPU.',
  );
  process.exit(1);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

const chromiumPath = ensureChromium();
const version = spawnSync(chromiumPath, ['--version'], { encoding: 'utf8' }).stdout.trim();
console.log(`browser tests: ${version} at ${chromiumPath}`);

const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.test.mjs'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()
  .map((f) => path.join(here, f));
if (files.length === 0) {
  console.error('no browser test files matched');
  process.exit(1);
}

const port = await freePort();
const configFile = path.join(root, 'vite.config.ts');
const mode = process.env.BROWSER_TEST_SERVER === 'dev' ? 'dev' : 'build';
let server;
if (mode === 'dev') {
  server = await createServer({ root, configFile, server: { port, strictPort: true, host: '127.0.0.1', hmr: false }, logLevel: 'warn', clearScreen: false });
  await server.listen();
} else {
  // BROWSER_TEST_OUTDIR: a separate build folder, for test runs side by side (git worktrees sharing node_modules).
  const outDir = process.env.BROWSER_TEST_OUTDIR ? path.resolve(process.env.BROWSER_TEST_OUTDIR) : path.join(root, 'node_modules/.cache/distill-lab-browser-tests');
  const page = (name) => path.join(here, 'pages', `${name}.html`);
  const t0 = Date.now();
  await build({
    root,
    configFile,
    logLevel: 'warn',
    clearScreen: false,
    build: {
      outDir,
      emptyOutDir: true,
      minify: process.env.BROWSER_TEST_MINIFY !== '0',
      rollupOptions: { input: { main: path.join(root, 'index.html'), golden: page('golden'), kernels: page('kernels'), views: page('views'), prod: page('prod'), parity: page('parity') } },
    },
  });
  console.log(`built the lab and the test pages in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  server = await preview({ root, configFile, build: { outDir }, preview: { port, strictPort: true, host: '127.0.0.1' }, logLevel: 'warn' });
}
const url = `http://127.0.0.1:${port}`;
console.log(`serving the lab (${mode === 'dev' ? "Vite's dev server" : 'production build'}) at ${url}`);

const child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: { ...process.env, DISTILL_LAB_URL: url, CHROMIUM_PATH: chromiumPath },
});
const code = await new Promise((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
await (mode === 'dev' ? server.close() : server.close?.() ?? server.httpServer.close());
process.exit(code);
