// The page <-> worker protocol, exercised through the in-thread engine (every message is
// structured-cloned, as it is across a real worker). Node, tfjs cpu backend.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { InThreadEngine, Dispatcher } from '../../../src/worker/engine';
import { createHandlers, type Platform } from '../../../src/worker/handlers';
import { CancelledError, ConfigError, CorpusFormatError, deserializeError, serializeError } from '../../../src/core/errors';
import type { FromWorker } from '../../../src/worker/protocol';

const nodePlatform: Platform = {
  host: 'node',
  crossOriginIsolated: false,
  probeAdapter: async () => ({ adapter: null, reason: 'Node has no WebGPU here' }),
};

describe('protocol round trip through the in-thread engine', () => {
  it('init chooses a backend that passed the self-check, with reasons', async () => {
    const engine = new InThreadEngine(createHandlers(nodePlatform));
    const stages: string[] = [];
    const info = await engine.call('init', { forceBackend: null, skipTrials: true }, { onProgress: (p) => stages.push(p.stage) });
    expect(info.backend).toBe('cpu');
    expect(info.host).toBe('node');
    expect(stages[0]).toMatch(/WebGPU adapter/);
    const webgpu = info.choice.candidates.find((c) => c.name === 'webgpu')!;
    expect(webgpu.available).toBe(false);
    expect(webgpu.unavailableReason).toBe('Node has no WebGPU here');
    const cpu = info.choice.candidates.find((c) => c.name === 'cpu')!;
    expect(cpu.selfCheck?.passed).toBe(true);
    expect(info.choice.reasons.join('\n')).toMatch(/webgpu unavailable: Node has no WebGPU here/);
    engine.dispose();
  });

  it('ping carries payloads and transfers buffers; progress events arrive in order', async () => {
    const engine = new InThreadEngine(createHandlers(nodePlatform));
    const bytes = new Uint8Array(1024).fill(7).buffer;
    const r = await engine.call('ping', { payload: 'héllo', bytes });
    expect(r).toEqual({ payload: 'héllo', byteLength: 1024, backend: null });
    expect(bytes.byteLength).toBe(0); // transferred, not copied
    const seen: number[] = [];
    const done = await engine.call('countdown', { steps: 4, delayMs: 1 }, { onProgress: (p) => seen.push(p.step) });
    expect(done.completed).toBe(4);
    expect(seen).toEqual([1, 2, 3, 4]);
    engine.dispose();
  });

  it('cancel aborts a running request with a CancelledError', async () => {
    const engine = new InThreadEngine(createHandlers(nodePlatform));
    const controller = new AbortController();
    const seen: number[] = [];
    const p = engine.call('countdown', { steps: 1000, delayMs: 2 }, {
      signal: controller.signal,
      onProgress: (x) => {
        seen.push(x.step);
        if (x.step === 3) controller.abort();
      },
    });
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    expect(seen.length).toBeLessThan(10);
    engine.dispose();
  });

  it('named errors cross the boundary with their class, message and details', async () => {
    const engine = new InThreadEngine(createHandlers(nodePlatform));
    // An unknown backend name is a ConfigError raised inside the handler.
    const err = await engine
      .call('init', { forceBackend: 'quantum' as never })
      .then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/unknown backend "quantum"/);
    const original = new CorpusFormatError('empty text', 'corpus.jsonl', 12, { id: 'd7' });
    const back = deserializeError(structuredClone(serializeError(original)));
    expect(back).toBeInstanceOf(CorpusFormatError);
    expect(back.message).toBe('corpus.jsonl:12: empty text');
    expect((back as CorpusFormatError).line).toBe(12);
    engine.dispose();
  });

  it('a malformed message gets a ProtocolError answer, not silence', async () => {
    const sent: FromWorker[] = [];
    const d = new Dispatcher({}, (m) => sent.push(m));
    await d.receive({ type: 'request', id: 5, method: 'launchRockets', params: {} });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ type: 'error', id: 5, error: { name: 'ProtocolError' } });
  });

  it('memory reports tensor counts that do not grow across calls', async () => {
    await tf.setBackend('cpu');
    const engine = new InThreadEngine(createHandlers(nodePlatform));
    const a = await engine.call('memory', {});
    await engine.call('selfCheck', { backend: 'cpu' });
    const b = await engine.call('memory', {});
    expect(b.numTensors).toBe(a.numTensors);
    engine.dispose();
  });
});

describe('a worker serves only its own methods', () => {
  it('a method without a handler is answered with a ProtocolError naming it', async () => {
    const engine = new InThreadEngine({ ping: createHandlers(nodePlatform).ping });
    await expect(engine.call('countdown', { steps: 1, delayMs: 0 })).rejects.toMatchObject({
      name: 'ProtocolError',
      message: 'method countdown is not served by this worker',
    });
    engine.dispose();
  });
});
