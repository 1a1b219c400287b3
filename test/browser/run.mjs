// Runs the browser tests: makes sure Chromium is there, serves the app with Vite on
// localhost, then runs every test/browser/*.test.mjs with node's test runner, one at a time.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';

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
const server = await createServer({ root, configFile: path.join(root, 'vite.config.ts'), server: { port, strictPort: true, host: '127.0.0.1' }, logLevel: 'warn', clearScreen: false });
await server.listen();
const url = `http://127.0.0.1:${port}`;
console.log(`serving the lab at ${url}`);

const child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: { ...process.env, DISTILL_LAB_URL: url, CHROMIUM_PATH: chromiumPath },
});
const code = await new Promise((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
await server.close();
process.exit(code);
