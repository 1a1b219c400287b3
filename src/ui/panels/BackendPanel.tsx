import { useEffect, useState } from 'react';
import type { EngineInfo } from '../../worker/protocol';
import { describeAdapter } from '../../core/backend/policy';
import { forcedBackendFromUrl, getEngine } from '../engineClient';
import { Explain } from '../Explain';
import { relErrorText } from './selfCheckText';

export type BackendStatus =
  | { state: 'starting'; stage: string }
  | { state: 'ready'; info: EngineInfo }
  | { state: 'failed'; message: string };

export const INITIAL_BACKEND_STATUS: BackendStatus = { state: 'starting', stage: 'starting the training worker' };

/**
 * Shows which tfjs backend trains, on which adapter, and why every other one was passed over.
 * `onStatus` hands every change on (the app's status line shows it).
 */
export function BackendPanel({ onStatus }: { onStatus?: (s: BackendStatus) => void } = {}) {
  const [status, setStatus] = useState<BackendStatus>(INITIAL_BACKEND_STATUS);
  useEffect(() => onStatus?.(status), [status, onStatus]);
  useEffect(() => {
    let live = true;
    const engine = getEngine();
    engine
      .call('init', { forceBackend: forcedBackendFromUrl() }, {
        onProgress: (p) => live && setStatus({ state: 'starting', stage: p.stage }),
      })
      .then((info) => live && setStatus({ state: 'ready', info }))
      .catch((e: Error) => live && setStatus({ state: 'failed', message: `${e.name}: ${e.message}` }));
    return () => {
      live = false;
    };
  }, []);

  return (
    <section className="panel" aria-labelledby="backend-title" data-testid="backend-panel">
      <h2 id="backend-title">Compute backend</h2>
      <Explain>
        Training runs in a Web Worker with TensorFlow.js. The lab prefers WebGPU; before it trusts any backend it
        runs a self-check: a tiny transformer block's loss and gradients must match the CPU reference within a
        relative error of 1e-3. A software WebGPU adapter (SwiftShader) is correct but slow, so the lab then times
        a short trial step on every backend that passed and takes the fastest. Force one with{' '}
        <code>?backend=webgpu</code>, <code>webgl</code>, <code>wasm</code> or <code>cpu</code> in the address.
      </Explain>
      {status.state === 'starting' && (
        <p role="status" data-testid="backend-status">
          Choosing a backend: {status.stage}…
        </p>
      )}
      {status.state === 'failed' && (
        <p role="alert" className="error" data-testid="backend-error">
          The training worker could not start: {status.message}
        </p>
      )}
      {status.state === 'ready' && <BackendReport info={status.info} />}
    </section>
  );
}

function BackendReport({ info }: { info: EngineInfo }) {
  const { choice } = info;
  return (
    <div>
      <p role="status" data-testid="backend-status">
        Training on <strong data-testid="backend-name">{info.backend}</strong>
        {choice.forced ? ` (forced by the URL)` : ''}. WebGPU adapter:{' '}
        <span data-testid="backend-adapter">{describeAdapter(choice.adapter)}</span>.
      </p>
      <h3>Why this backend</h3>
      <ul data-testid="backend-reasons">
        {choice.reasons.map((r, i) => (
          <li key={i}>{r}</li>
        ))}
      </ul>
      <table className="data-table" data-testid="backend-candidates">
        <caption>Self-check of each backend tried (loss and gradients against the CPU backend)</caption>
        <thead>
          <tr>
            <th scope="col">backend</th>
            <th scope="col">self-check</th>
            <th scope="col">max relative error</th>
            <th scope="col">trial step</th>
          </tr>
        </thead>
        <tbody>
          {choice.candidates.map((c) => (
            <tr key={c.name} data-backend={c.name}>
              <th scope="row">{c.name}</th>
              <td>{!c.available ? 'unavailable' : c.selfCheck?.passed ? 'passed' : 'failed'}</td>
              <td data-testid="backend-rel-error">{c.selfCheck ? relErrorText(c.name, c.selfCheck.maxRelError) : '–'}</td>
              <td>{c.selfCheck && Number.isFinite(c.selfCheck.trialMs) ? `${c.selfCheck.trialMs.toFixed(0)} ms` : '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="fine">
        tfjs {info.tfjsVersion}; cross-origin isolated: {info.crossOriginIsolated ? 'yes' : 'no'}.
      </p>
    </div>
  );
}
