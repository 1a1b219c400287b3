import type { ReactNode } from 'react';
import { describeAdapter } from '../core/backend/policy';
import type { BackendStatus } from './panels/BackendPanel';
import { fmtInt } from './format';
import type { RunViewState } from './runState';

/** One line under the header: the backend in use, the run's progress, the config's health. */
export function StatusLine({ backend, run, configProblems, extra }: { backend: BackendStatus; run: RunViewState; configProblems: number; extra?: ReactNode }) {
  const phase = run.currentPhase ? run.phases[run.currentPhase] : null;
  return (
    <div className="status-line" data-testid="status-line">
      <span role="status" data-testid="status-backend">
        <span className="status-key">Backend</span>{' '}
        {backend.state === 'ready' ? (
          <>
            <strong>{backend.info.backend}</strong>
            <span className="fine"> · {describeAdapter(backend.info.choice.adapter)}</span>
          </>
        ) : backend.state === 'starting' ? (
          <span className="fine">choosing: {backend.stage}…</span>
        ) : (
          <span className="error">failed to start</span>
        )}
      </span>
      <span data-testid="status-run">
        <span className="status-key">Run</span>{' '}
        {phase ? (
          <>
            {phase.title}, step {fmtInt(phase.lastStep)} of {fmtInt(phase.totalSteps)}
            {phase.lastCheckpoint !== null ? <span className="fine"> · checkpoint at {fmtInt(phase.lastCheckpoint)}</span> : null}
          </>
        ) : (
          <span className="fine">none yet</span>
        )}
      </span>
      <span data-testid="status-config">
        <span className="status-key">Config</span>{' '}
        {configProblems === 0 ? <span className="ok">valid</span> : <span className="error">{configProblems} problem{configProblems === 1 ? '' : 's'}</span>}
      </span>
      {extra && <span className="status-extra">{extra}</span>}
    </div>
  );
}
