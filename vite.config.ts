import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

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

// Cross-origin isolation headers make SharedArrayBuffer available, so the tfjs wasm
// backend can use threads. Everything the page loads is served from this origin.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react(), tfjsWasmThreadsSource()],
  server: { host: '127.0.0.1', port: 5173, headers: isolation },
  preview: { host: '127.0.0.1', port: 4173, headers: isolation },
  worker: { format: 'es', plugins: () => [tfjsWasmThreadsSource()] },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  optimizeDeps: {
    include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-wasm'],
  },
});
