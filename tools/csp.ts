// The lab's security headers, in one place: the Content-Security-Policy and the cross-origin
// isolation headers that vite.config.ts sends from the dev and preview servers and writes into
// the production build (dist/_headers, and a <meta> fallback in index.html). See
// docs/hosting.md. Pure (no Node or DOM APIs), so the unit tests check it without a build.

/**
 * Where the Models tab's Hub import may connect: the Hugging Face Hub's API and file endpoint
 * (src/core/hub/hub.ts, DEFAULT_HUB_ENDPOINT), and the hosts its `resolve/` URLs redirect
 * large (LFS / Xet) files to (cdn-lfs.huggingface.co, cdn-lfs*.hf.co, cas-bridge.xethub.hf.co).
 * A redirect is checked against connect-src hop by hop, so the CDN hosts must be listed too.
 * Another endpoint typed into the page (a mirror) must be added here to be reachable.
 */
export const HUB_CONNECT_SOURCES = ['https://huggingface.co', 'https://*.huggingface.co', 'https://*.hf.co'] as const;

/**
 * The local servers (`npm start`, `npm run preview`, the browser tests) listen on 127.0.0.1
 * only, and may also reach a Hub endpoint on this machine (a mirror, or the tests' stand-in,
 * test/shared/hubStandIn.mjs, on a free port): any port of the loopback addresses. Never in the
 * production headers.
 */
export const LOOPBACK_CONNECT_SOURCES = ['http://127.0.0.1:*', 'http://localhost:*'] as const;

export type PolicyTarget =
  /** The built site's _headers file and its <meta> fallback. */
  | 'production'
  /** `vite preview` (the browser tests serve the build with it): production + loopback Hub endpoints. */
  | 'preview'
  /** `vite` (npm start): preview + the nonce of the inline scripts and styles Vite injects. */
  | 'dev';

export interface PolicyOptions {
  /**
   * dev only: the nonce Vite puts on every <script> and <style> it writes into the page
   * (config html.cspNonce; the React Fast Refresh preamble is an inline module script, and CSS
   * imports become <style> elements). One random value per server start.
   */
  nonce?: string;
  /**
   * false leaves out the directives a <meta> element cannot carry (frame-ancestors; also
   * report-uri and sandbox, which the lab does not use): browsers ignore them there, with a
   * console error. Default true.
   */
  header?: boolean;
}

/** The policy as directive name -> sources, in the order it is written. */
export function cspDirectives(target: PolicyTarget, { nonce, header = true }: PolicyOptions = {}): Array<[string, string[]]> {
  if (target !== 'dev' && nonce) throw new Error('a CSP nonce is for the dev server only: a static site cannot vary it per response');
  const nonceSrc = target === 'dev' && nonce ? [`'nonce-${nonce}'`] : [];
  const connect = ["'self'", ...HUB_CONNECT_SOURCES, ...(target === 'production' ? [] : LOOPBACK_CONNECT_SOURCES)];
  const directives: Array<[string, string[]]> = [
    ['default-src', ["'self'"]],
    // Scripts: this origin only, and WebAssembly compilation (tfjs's wasm backend, the lab's
    // SIMD kernels): 'wasm-unsafe-eval' allows WebAssembly.compile/instantiate and nothing
    // else. No 'unsafe-eval': neither tfjs (wasm, WebGL, WebGPU, cpu) nor the dev server's
    // client needs it (test/browser/csp.test.mjs, production build and dev server; the built
    // bundle has no eval or new Function). No inline script. blob: (found by testing: without
    // it the wasm backend never finishes starting) because tfjs-backend-wasm starts its threads (cross-origin isolated page
    // only) as Workers from Blob URLs it writes itself, each of which then importScripts()
    // the threaded module from another Blob URL (backend_wasm.js: locateFile and
    // mainScriptUrlOrBlob); without blob: the wasm backend fails in a cross-origin isolated
    // page. A Blob URL can only be minted by script already running in this origin.
    ['script-src', ["'self'", "'wasm-unsafe-eval'", 'blob:', ...nonceSrc]],
    // The training and ingest workers are files of this origin; blob: for the wasm threads, as above.
    ['worker-src', ["'self'", 'blob:']],
    ['connect-src', connect],
    // Built CSS is a file; React sets inline styles through the CSSOM, which CSP allows.
    ['style-src', ["'self'", ...nonceSrc]],
    // blob: the PNG chart export draws the chart's SVG from a Blob URL onto a canvas. data:
    // tfjs's WebGPU backend loads an empty 'data:,' image when it starts (found by the WebGPU
    // browser tests: golden, kernels, parity, prod); an image cannot run code.
    ['img-src', ["'self'", 'blob:', 'data:']],
    ['font-src', ["'self'"]],
    ['object-src', ["'none'"]],
    ['base-uri', ["'self'"]],
    ['form-action', ["'self'"]],
  ];
  // frame-ancestors only works as a header: a <meta> policy cannot stop the page being framed.
  if (header) directives.push(['frame-ancestors', ["'none'"]]);
  return directives;
}

/** The Content-Security-Policy header value (or <meta> content, with header: false). */
export function contentSecurityPolicy(target: PolicyTarget, opts: PolicyOptions = {}): string {
  return cspDirectives(target, opts)
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join('; ');
}

/**
 * Cross-origin isolation: SharedArrayBuffer, so tfjs's wasm backend (and the lab's SIMD
 * kernels on a shared memory) can use threads. Everything the page loads comes from this
 * origin; the Hub's responses are CORS, which require-corp accepts.
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;

/** Every header the lab's pages are served with. */
export function securityHeaders(target: PolicyTarget, opts: Omit<PolicyOptions, 'header'> = {}): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(target, opts),
    ...ISOLATION_HEADERS,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  };
}

/** dist/_headers (Netlify, Cloudflare Pages): every path gets every header. */
export function headersFile(): string {
  const lines = Object.entries(securityHeaders('production')).map(([k, v]) => `  ${k}: ${v}`);
  return `# Written by vite.config.ts (tools/csp.ts) at build time; see docs/hosting.md.\n/*\n${lines.join('\n')}\n`;
}
