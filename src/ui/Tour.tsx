import { useCallback, useEffect, useId, useState, type ReactNode } from 'react';

export interface TourStep<V extends string> {
  id: string;
  view: V;
  title: string;
  body: ReactNode;
  /** False until the view has something to show (the step waits for it). Default true. */
  ready?: boolean;
}

export const TOUR_STORAGE_KEY = 'distill-lab:tour';

interface TourMemory {
  dismissed: boolean;
  seen: string[];
}

function load(): TourMemory {
  try {
    const x = JSON.parse(localStorage.getItem(TOUR_STORAGE_KEY) ?? 'null') as Partial<TourMemory> | null;
    return { dismissed: Boolean(x?.dismissed), seen: Array.isArray(x?.seen) ? x.seen.filter((s): s is string => typeof s === 'string') : [] };
  } catch {
    return { dismissed: false, seen: [] };
  }
}

function save(m: TourMemory): void {
  try {
    localStorage.setItem(TOUR_STORAGE_KEY, JSON.stringify(m));
  } catch {
    // Private mode or storage full: the tour simply is not remembered.
  }
}

/** The tour's memory (in localStorage) and its controls; shared by the callout and the restart link. */
export function useTourMemory() {
  const [memory, setMemory] = useState<TourMemory>(load);
  useEffect(() => save(memory), [memory]);
  const markSeen = useCallback((id: string) => setMemory((m) => (m.seen.includes(id) ? m : { ...m, seen: [...m.seen, id] })), []);
  const dismiss = useCallback(() => setMemory((m) => ({ ...m, dismissed: true })), []);
  const restart = useCallback(() => setMemory({ dismissed: false, seen: [] }), []);
  return { memory, markSeen, dismiss, restart };
}

/** The step to show now: the first unseen, ready step of the active view. */
export function currentStep<V extends string>(steps: readonly TourStep<V>[], view: V, memory: TourMemory): TourStep<V> | null {
  if (memory.dismissed) return null;
  return steps.find((s) => s.view === view && s.ready !== false && !memory.seen.includes(s.id)) ?? null;
}

/**
 * A guided tour: one callout at a time at the top of the active view, explaining it as it
 * comes alive (steps wait until their view has data). Dismissible; remembered across visits.
 */
export function TourCallout<V extends string>({
  steps, view, tour, onGoto, viewLabel,
}: {
  steps: readonly TourStep<V>[];
  view: V;
  tour: ReturnType<typeof useTourMemory>;
  onGoto: (view: V) => void;
  viewLabel: (view: V) => string;
}) {
  const titleId = useId();
  const step = currentStep(steps, view, tour.memory);
  if (!step) return null;
  const index = steps.indexOf(step);
  const next = steps.slice(index + 1).find((s) => s.view !== view && !tour.memory.seen.includes(s.id));
  return (
    <aside className="tour" role="note" aria-labelledby={titleId} data-testid="tour" data-step={step.id}>
      <p className="tour-count">
        Guided tour, {index + 1} of {steps.length}
      </p>
      <h2 id={titleId}>{step.title}</h2>
      <div className="tour-body">{step.body}</div>
      <div className="button-row">
        <button type="button" className="primary small" onClick={() => tour.markSeen(step.id)} data-testid="tour-ok">
          Got it
        </button>
        {next && (
          <button
            type="button"
            className="small"
            onClick={() => {
              tour.markSeen(step.id);
              onGoto(next.view);
            }}
            data-testid="tour-next"
          >
            Next: {viewLabel(next.view)} →
          </button>
        )}
        <button type="button" className="small link" onClick={tour.dismiss} data-testid="tour-end">
          End the tour
        </button>
      </div>
    </aside>
  );
}
