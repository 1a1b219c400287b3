// The lab's security headers (tools/csp.ts), as vite.config.ts sends them from the dev and
// preview servers and writes them into the build (dist/_headers, the <meta> fallback): every
// directive issue 15 asks for is there, nothing that would let a string run as script is, and
// each server gets only its own allowances. The browser side (the headers on the wire, no
// violation on any tab, no request off the origin) is test/browser/csp.test.mjs.
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, cspDirectives, headersFile, HUB_CONNECT_SOURCES, securityHeaders } from '../../../tools/csp';

const directives = (policy: string) =>
  new Map(policy.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...sources]) => [name, sources]));

describe('Content-Security-Policy', () => {
  const prod = directives(contentSecurityPolicy('production'));

  it('has every required directive', () => {
    expect(prod.get('default-src')).toEqual(["'self'"]);
    expect(prod.get('script-src')).toEqual(["'self'", "'wasm-unsafe-eval'", 'blob:']);
    expect(prod.get('worker-src')).toEqual(["'self'", 'blob:']);
    expect(prod.get('connect-src')).toEqual(["'self'", ...HUB_CONNECT_SOURCES]);
    expect(prod.get('object-src')).toEqual(["'none'"]);
    expect(prod.get('frame-ancestors')).toEqual(["'none'"]);
    expect(prod.get('base-uri')).toEqual(["'self'"]);
    expect(prod.get('style-src')).toEqual(["'self'"]);
  });

  it('allows no eval, no inline code and no host outside the origin but the Hub', () => {
    for (const target of ['production', 'preview', 'dev'] as const) {
      const policy = contentSecurityPolicy(target, target === 'dev' ? { nonce: 'abc' } : {});
      expect(policy).not.toMatch(/'unsafe-eval'|'unsafe-inline'|'unsafe-hashes'|(^|\s)\*(\s|;|$)|https?:(\s|;|$)/);
      // data: only for images (tfjs's WebGPU backend loads a 'data:,' image), never for code.
      for (const [name, sources] of directives(policy)) if (name !== 'img-src') expect(sources, name).not.toContain('data:');
      expect(directives(policy).get('img-src')).toContain('data:');
    }
    expect(HUB_CONNECT_SOURCES).toEqual(['https://huggingface.co', 'https://*.huggingface.co', 'https://*.hf.co']);
  });

  it('the <meta> form leaves out frame-ancestors, which a <meta> cannot carry', () => {
    const meta = directives(contentSecurityPolicy('production', { header: false }));
    expect(meta.has('frame-ancestors')).toBe(false);
    expect([...meta.keys()]).toEqual([...prod.keys()].filter((k) => k !== 'frame-ancestors'));
  });

  it('local servers add loopback Hub endpoints; only the dev server a nonce', () => {
    const preview = directives(contentSecurityPolicy('preview'));
    expect(preview.get('connect-src')).toEqual([...prod.get('connect-src')!, 'http://127.0.0.1:*', 'http://localhost:*']);
    expect(preview.get('script-src')).toEqual(prod.get('script-src'));
    const dev = directives(contentSecurityPolicy('dev', { nonce: 'n0nce' }));
    expect(dev.get('script-src')).toEqual([...prod.get('script-src')!, "'nonce-n0nce'"]);
    expect(dev.get('style-src')).toEqual(["'self'", "'nonce-n0nce'"]);
    expect(() => cspDirectives('production', { nonce: 'x' })).toThrow(/dev server only/);
  });

  it('dist/_headers gives every path the CSP and the cross-origin isolation headers', () => {
    const text = headersFile();
    const lines = text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines[0]).toBe('/*');
    const headers = new Map(lines.slice(1).map((l) => {
      expect(l).toMatch(/^ {2}[A-Za-z-]+: \S/);
      const i = l.indexOf(':');
      return [l.slice(0, i).trim(), l.slice(i + 1).trim()];
    }));
    expect(headers.get('Content-Security-Policy')).toBe(contentSecurityPolicy('production'));
    expect(headers.get('Cross-Origin-Opener-Policy')).toBe('same-origin');
    expect(headers.get('Cross-Origin-Embedder-Policy')).toBe('require-corp');
    expect(Object.fromEntries(headers)).toEqual(securityHeaders('production'));
  });
});
