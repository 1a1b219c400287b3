// Which tfjs backend the lab trains on, and why. Pure policy: the worker gathers the facts
// (is WebGPU there, what adapter, did each backend pass its self-check, how fast was its
// trial step) and this decides, with a human-readable reason for every backend passed over.
import type { SelfCheckResult } from './selfcheck';

export const BACKEND_ORDER = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];

export function isBackendName(x: unknown): x is BackendName {
  return typeof x === 'string' && (BACKEND_ORDER as readonly string[]).includes(x);
}

/** What the browser says about its WebGPU adapter. */
export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software adapter (SwiftShader, WARP, lavapipe): correct but slow. */
  isFallbackAdapter: boolean;
}

export interface CandidateReport {
  name: BackendName;
  /** Could tfjs initialise it at all? */
  available: boolean;
  unavailableReason?: string;
  selfCheck?: SelfCheckResult;
}

export interface BackendChoice {
  chosen: BackendName;
  /** One sentence per decision: why each backend was passed over, why this one won. */
  reasons: string[];
  adapter: AdapterDescription | null;
  forced: BackendName | null;
  candidates: CandidateReport[];
}

/** Software adapters announce themselves by vendor/architecture even where isFallbackAdapter is absent. */
export function isSoftwareAdapter(a: Pick<AdapterDescription, 'vendor' | 'architecture' | 'device' | 'description' | 'isFallbackAdapter'>): boolean {
  if (a.isFallbackAdapter) return true;
  const text = `${a.vendor} ${a.architecture} ${a.device} ${a.description}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|warp|software|microsoft basic render/.test(text);
}

export function describeAdapter(a: AdapterDescription | null): string {
  if (!a) return 'no WebGPU adapter';
  const parts = [a.vendor, a.architecture, a.device, a.description].filter((s) => s && s.length > 0);
  return `${parts.join(' / ') || 'unnamed adapter'}${isSoftwareAdapter(a) ? ' (software adapter)' : ''}`;
}

/**
 * Decides from the gathered candidates. Rules, in order:
 * 1. A forced backend that passed its self-check is used.
 * 2. WebGPU on a hardware adapter that passed is used.
 * 3. Otherwise the passing backend with the fastest measured trial step (order breaks ties;
 *    a passing backend without a trial time ranks after those with one).
 * 4. If nothing passed, 'cpu' (the reference itself) is used, and the reasons say so.
 */
export function chooseBackend(
  candidates: CandidateReport[],
  adapter: AdapterDescription | null,
  forced: BackendName | null,
): BackendChoice {
  const reasons: string[] = [];
  const passing = candidates.filter((c) => c.available && c.selfCheck?.passed);
  for (const c of candidates) {
    if (!c.available) reasons.push(`${c.name} unavailable: ${c.unavailableReason ?? 'unknown reason'}`);
    else if (c.selfCheck && !c.selfCheck.passed) reasons.push(`${c.name} failed the self-check: ${c.selfCheck.reason}`);
  }
  const done = (chosen: BackendName, why: string): BackendChoice => {
    reasons.push(why);
    return { chosen, reasons, adapter, forced, candidates };
  };
  if (forced) {
    const f = passing.find((c) => c.name === forced);
    // Forced by the page's URL (?backend=) or the command line's --backend.
    if (f) return done(forced, `${forced} was forced (?backend=${forced} on the page, --backend ${forced} on the command line) and passed its self-check`);
    reasons.push(`${forced} was forced (?backend=${forced} or --backend ${forced}) but cannot be used; choosing automatically instead`);
  }
  const webgpu = passing.find((c) => c.name === 'webgpu');
  if (webgpu && adapter && !isSoftwareAdapter(adapter)) {
    return done('webgpu', `webgpu passed its self-check on a hardware adapter (${describeAdapter(adapter)})`);
  }
  if (adapter && isSoftwareAdapter(adapter)) {
    reasons.push(
      `the WebGPU adapter (${[adapter.vendor, adapter.architecture, adapter.device].filter(Boolean).join(' / ')}) is a software one: it computes on the CPU, so the fastest backend that passes the self-check is used instead`,
    );
  }
  if (passing.length === 0) return done('cpu', 'no backend passed its self-check; using the cpu reference backend');
  const ranked = [...passing].sort((a, b) => {
    const ta = a.selfCheck?.trialMs ?? NaN;
    const tb = b.selfCheck?.trialMs ?? NaN;
    if (Number.isFinite(ta) && Number.isFinite(tb) && ta !== tb) return ta - tb;
    if (Number.isFinite(ta) !== Number.isFinite(tb)) return Number.isFinite(ta) ? -1 : 1;
    return BACKEND_ORDER.indexOf(a.name) - BACKEND_ORDER.indexOf(b.name);
  });
  const best = ranked[0];
  const timing = ranked
    .filter((c) => Number.isFinite(c.selfCheck?.trialMs))
    .map((c) => `${c.name} ${c.selfCheck!.trialMs.toFixed(0)} ms`)
    .join(', ');
  return done(best.name, `${best.name} is the fastest backend that passed its self-check${timing ? ` (trial step: ${timing})` : ''}`);
}
