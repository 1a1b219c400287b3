// The engine's request handlers. Environment-agnostic: the worker entry and Node pass a
// Platform that knows how to look at the GPU adapter; everything else is tfjs + src/core.
import * as tf from '@tensorflow/tfjs';
import {
  BACKEND_ORDER,
  chooseBackend,
  isBackendName,
  isSoftwareAdapter,
  type AdapterDescription,
  type BackendChoice,
  type BackendName,
  type CandidateReport,
} from '../core/backend/policy';
import { selfCheckBackend } from '../core/backend/selfcheck';
import { ConfigError } from '../core/errors';
import { throwIfCancelled, type Handlers } from './engine';
import type { EngineInfo } from './protocol';

/** The methods the training worker serves (others, e.g. ingestion, belong to other workers). */
export type TrainingHandlers = Pick<Handlers, 'init' | 'selfCheck' | 'ping' | 'memory' | 'countdown'>;

export interface Platform {
  /** "worker", "node", "page". */
  host: string;
  crossOriginIsolated: boolean;
  /** The WebGPU adapter, or null with the reason there is none. */
  probeAdapter(): Promise<{ adapter: AdapterDescription | null; reason?: string }>;
}

export interface EngineState {
  info: EngineInfo | null;
}

async function initialise(name: BackendName, adapterReason: string | undefined): Promise<string | null> {
  if (!tf.findBackendFactory(name)) {
    return name === 'webgpu' && adapterReason ? adapterReason : `the ${name} backend is not registered in this environment`;
  }
  if (name === 'webgpu' && adapterReason) return adapterReason;
  try {
    const ok = await tf.setBackend(name);
    if (!ok) return `tfjs could not initialise ${name}`;
    await tf.ready();
    return null;
  } catch (e) {
    return `tfjs could not initialise ${name}: ${(e as Error).message}`;
  }
}

export function createHandlers(platform: Platform, state: EngineState = { info: null }): TrainingHandlers {
  return {
    async init(params, ctx) {
      const forced = params.forceBackend ?? null;
      if (forced !== null && !isBackendName(forced)) {
        throw new ConfigError(`unknown backend "${String(forced)}": use one of ${BACKEND_ORDER.join(', ')}`);
      }
      ctx.progress({ stage: 'looking for a WebGPU adapter' });
      const { adapter, reason: adapterReason } = await platform.probeAdapter();
      const software = adapter ? isSoftwareAdapter(adapter) : false;
      const candidates: CandidateReport[] = [];
      const checked = new Set<BackendName>();
      const check = async (name: BackendName, trial: boolean): Promise<CandidateReport> => {
        throwIfCancelled(ctx.signal, 'backend selection');
        checked.add(name);
        ctx.progress({ stage: `self-check of ${name}`, backend: name });
        const why = await initialise(name, adapterReason);
        const report: CandidateReport = why
          ? { name, available: false, unavailableReason: why }
          : { name, available: true, selfCheck: await selfCheckBackend(name, { trial }) };
        candidates.push(report);
        return report;
      };
      const trials = !params.skipTrials;
      let choice: BackendChoice | null = null;
      if (forced) {
        const r = await check(forced, false);
        if (r.selfCheck?.passed) choice = chooseBackend(candidates, adapter, forced);
      }
      if (!choice && !checked.has('webgpu')) {
        const r = await check('webgpu', trials && software);
        if (r.selfCheck?.passed && adapter && !software) choice = chooseBackend(candidates, adapter, forced);
      }
      if (!choice) {
        for (const name of BACKEND_ORDER) if (!checked.has(name)) await check(name, trials);
        choice = chooseBackend(candidates, adapter, forced);
      }
      await tf.setBackend(choice.chosen);
      await tf.ready();
      const info: EngineInfo = {
        backend: choice.chosen,
        choice,
        tfjsVersion: tf.version.tfjs,
        host: platform.host,
        crossOriginIsolated: platform.crossOriginIsolated,
      };
      state.info = info;
      return info;
    },

    async selfCheck(params) {
      if (!isBackendName(params.backend)) throw new ConfigError(`unknown backend "${String(params.backend)}"`);
      const previous = tf.getBackend();
      const why = await initialise(params.backend, undefined);
      if (why) throw new ConfigError(why);
      try {
        return await selfCheckBackend(params.backend, { trial: false });
      } finally {
        if (previous) await tf.setBackend(previous);
      }
    },

    async ping(params) {
      return {
        payload: params.payload,
        byteLength: params.bytes?.byteLength ?? 0,
        backend: state.info ? tf.getBackend() : null,
      };
    },

    async memory() {
      const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
      return { numTensors: m.numTensors, numBytes: m.numBytes, numBytesInGPU: m.numBytesInGPU };
    },

    async countdown(params, ctx) {
      let completed = 0;
      for (let i = 1; i <= params.steps; i++) {
        throwIfCancelled(ctx.signal, 'countdown');
        await new Promise((r) => setTimeout(r, params.delayMs));
        completed = i;
        ctx.progress({ step: i, of: params.steps });
      }
      return { completed };
    },
  };
}
