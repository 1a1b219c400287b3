// One chart redraws at a time. When a batch of run events arrives, every chart whose data
// changed would otherwise render in the same task, and Recharts then re-renders each of them
// again in one animation frame (its store notifies subscribers at the next frame): measured
// at 0.3-2 s per batch on the 2-core test machine, far over the 100 ms a page may block. Here
// each chart takes a turn: it adopts its new data when granted a slot, renders and commits in
// its own task, and the next chart is granted only after the following frame (so Recharts'
// frame work for the previous chart is done too). The main thread is given back between
// charts, so input and painting go on while the dashboard catches up.
import { startTransition, useEffect, useRef, useState } from 'react';

export interface Clock {
  /** Runs `f` at the next frame (requestAnimationFrame), or after `fallbackMs` if frames stop (hidden tab). */
  afterFrame(f: () => void, fallbackMs: number): void;
  /** Runs `f` in a later task (setTimeout). */
  later(f: () => void, ms: number): void;
}

const browserClock: Clock = {
  afterFrame(f, fallbackMs) {
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      f();
    };
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(once);
    setTimeout(once, fallbackMs);
  },
  later(f, ms) {
    setTimeout(f, ms);
  },
};

/**
 * A queue of turns: `request(job)` queues a job; the first in line runs (it starts a redraw)
 * and holds the turn until `done(ticket)` is called (its redraw committed) or `holdMs` passed;
 * the next job runs in a later task after the following frame. Jobs queued again while
 * waiting are not duplicated (a job is identified by its ticket).
 */
export class TurnQueue {
  private readonly waiting: { ticket: number; job: () => void }[] = [];
  private holder: number | null = null;
  private nextTicket = 1;
  private granting = false;

  constructor(
    private readonly clock: Clock = browserClock,
    /** A turn not released in this time is taken back (a chart that never committed). */
    private readonly holdMs = 1000,
    /** Fallback wait for a frame when frames stop. */
    private readonly frameFallbackMs = 100,
  ) {}

  /** Queues `job`; returns its ticket (for `cancel` and `done`). */
  request(job: () => void): number {
    const ticket = this.nextTicket++;
    this.waiting.push({ ticket, job });
    this.pump();
    return ticket;
  }

  /** Drops a waiting job, or releases the turn if this ticket holds it. */
  cancel(ticket: number): void {
    const i = this.waiting.findIndex((w) => w.ticket === ticket);
    if (i >= 0) this.waiting.splice(i, 1);
    this.done(ticket);
  }

  /** The holder's redraw committed: the next job runs after the next frame. */
  done(ticket: number): void {
    if (this.holder !== ticket) return;
    this.holder = null;
    this.granting = true;
    this.clock.afterFrame(() => this.clock.later(() => {
      this.granting = false;
      this.pump();
    }, 0), this.frameFallbackMs);
  }

  /** Jobs waiting for a turn (not counting the one that holds it). */
  get pending(): number {
    return this.waiting.length;
  }

  get busy(): boolean {
    return this.holder !== null || this.granting;
  }

  private pump(): void {
    if (this.busy) return;
    const next = this.waiting.shift();
    if (!next) return;
    this.holder = next.ticket;
    const ticket = next.ticket;
    this.clock.later(() => this.done(ticket), this.holdMs);
    next.job();
  }
}

const charts = new TurnQueue();

/**
 * The value to draw: `value` once this component's turn comes (undefined until its first
 * turn; draw a placeholder of the same size meanwhile). A value that changes while waiting
 * is taken at the turn, the latest one. `value` should keep its identity while unchanged.
 */
export function useStaggered<T>(value: T, queue: TurnQueue = charts): T | undefined {
  const [shown, setShown] = useState<{ v: T } | undefined>(undefined);
  const latest = useRef(value);
  const ticket = useRef<number | null>(null);
  const holding = useRef(false);
  useEffect(() => {
    latest.current = value;
    // The redraw this component held the turn for has committed: release the turn.
    if (holding.current && ticket.current !== null) {
      holding.current = false;
      queue.done(ticket.current);
      ticket.current = null;
    }
    if (shown?.v === value || ticket.current !== null) return;
    ticket.current = queue.request(() => {
      holding.current = true;
      // A transition: React renders the chart in 5 ms slices, yielding to input and painting
      // between them (the commit and Recharts' store updates after it still run whole).
      startTransition(() => setShown({ v: latest.current }));
    });
  }, [value, shown, queue]);
  useEffect(
    () => () => {
      if (ticket.current !== null) queue.cancel(ticket.current);
      ticket.current = null;
      holding.current = false;
    },
    [queue],
  );
  return shown?.v;
}
