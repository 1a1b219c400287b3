import type { ReactNode } from 'react';
import { useStaggered } from './stagger';

/**
 * Mounts its children in their own turn of the chart queue (./stagger.ts), not in the task
 * that first shows them: when a run's LEAD or PROD views appear, each panel (a Recharts chart,
 * the heatmap, the embedding map) is created in a task of its own instead of all at once.
 * Once mounted, the children stay mounted and update as usual.
 */
export function Deferred({ children, minHeight = 240 }: { children: ReactNode; minHeight?: number }) {
  const ready = useStaggered(true);
  return ready ? <>{children}</> : <div className="chart-pending" style={{ minHeight }} aria-busy="true" />;
}
