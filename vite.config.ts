import { randomBytes } from 'node:crypto';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { contentSecurityPolicy, headersFile, securityHeaders } from './tools/csp.js';

/**
 * tfjs-backend-wasm starts its threads from a Blob holding the threaded module's factory
 * function as text (`wasmFactoryThreadedSimd.toString()`). A minified build renames what that
 * function refers to outside itself, and every thread then dies with "e is not defined": the
 * wasm backend fails in `npm run build`'s output while it works on the dev server. This hands
 * the Blob the module's original source instead (imported as text), which defines the same
 * global `WasmBackendModuleThreadedSimd` the thread script calls.
 */
function tfjsWasmThreadsSource(): Plugin {
  const blobExpr = /`var WasmBackendModuleThreadedSimd = ` \+\s*wasmFactoryThreadedSimd\.toString\(\)/;
  return {
    name: 'distill-lab:tfjs-wasm-threads-source',
    enforce: 'pre',
    transform(code, id) {
      if (!/tfjs-backend-wasm[\\/]dist[\\/]backend_wasm\.js$/.test(id)) return null;
      if (!blobExpr.test(code)) throw new Error('tfjs-backend-wasm changed: the threaded factory Blob was not found in backend_wasm.js');
      return {
        code: `import __threadedSimdSource from '../wasm-out/tfjs-backend-wasm-threaded-simd.js?raw';\n${code.replace(blobExpr, '__threadedSimdSource')}`,
        map: null,
      };
    },
  };
}

/**
 * The production build's headers in the forms static hosts read (docs/hosting.md): dist/_headers
 * (Netlify, Cloudflare Pages) with the CSP and the cross-origin isolation headers, and the CSP
 * again as a <meta> element at the top of every built page, for hosts that send no headers.
 * A <meta> policy cannot carry frame-ancestors (browsers ignore it there), so only the header
 * stops the lab being framed; nor can a <meta> make the page cross-origin isolated.
 */
function securityHeadersInBuild(): Plugin {
  return {
    name: 'distill-lab:security-headers',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      // Right after <meta charset> (which must stay in the first 1024 bytes), before every
      // script and stylesheet Vite writes into <head>: a <meta> policy governs only what
      // follows it.
      handler(html, ctx) {
        const charset = /<meta charset=[^>]*>/i;
        if (!charset.test(html)) throw new Error(`${ctx.path}: no <meta charset> to put the CSP <meta> after`);
        const policy = contentSecurityPolicy('production', { header: false });
        return html.replace(charset, (m) => `${m}\n    <meta http-equiv="Content-Security-Policy" content="${policy}" />`);
      },
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: '_headers', source: headersFile() });
    },
  };
}

export default defineConfig(({ command, isPreview }) => {
  // The dev server's pages carry inline code the build's do not: the React Fast Refresh
  // preamble (an inline module script) and every CSS import as a <style> element. Vite puts
  // html.cspNonce on each, and the dev policy allows that nonce (a fresh one per server start),
  // so the dev page still runs no inline script but Vite's own. The preview server (and the
  // browser tests, which serve the build with it) sends the production policy plus loopback
  // Hub endpoints (tools/csp.ts). Every response also carries the cross-origin isolation
  // headers: SharedArrayBuffer, so the tfjs wasm backend can use threads.
  const devNonce = command === 'serve' && !isPreview ? randomBytes(18).toString('base64') : undefined;
  return {
    plugins: [react(), tfjsWasmThreadsSource(), securityHeadersInBuild()],
    server: { host: '127.0.0.1', port: 5173, headers: securityHeaders('dev', { nonce: devNonce }) },
    preview: { host: '127.0.0.1', port: 4173, headers: securityHeaders('preview') },
    ...(devNonce ? { html: { cspNonce: devNonce } } : {}),
    worker: { format: 'es' as const, plugins: () => [tfjsWasmThreadsSource()] },
    build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
    optimizeDeps: {
      include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-wasm'],
    },
  };
});
