import { describe, expect, it } from 'vitest';
import { TurnQueue, type Clock } from '../../../src/ui/chart/stagger';

/** A clock driven by hand: frames and timers run only when the test says so. */
function manualClock() {
  const frames: (() => void)[] = [];
  const timers: { at: number; f: () => void }[] = [];
  let now = 0;
  const clock: Clock = {
    afterFrame(f, fallbackMs) {
      let done = false;
      const once = () => {
        if (!done) {
          done = true;
          f();
        }
      };
      frames.push(once);
      timers.push({ at: now + fallbackMs, f: once });
    },
    later(f, ms) {
      timers.push({ at: now + ms, f });
    },
  };
  return {
    clock,
    frame() {
      for (const f of frames.splice(0)) f();
    },
    /** Runs every timer due within `ms` from now, in time order. */
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (!next || next.at > end) break;
        timers.shift();
        now = next.at;
        next.f();
      }
      now = end;
    },
  };
}

describe('TurnQueue: one chart redraws at a time', () => {
  it('runs the first job at once and the next only after done, a frame and a later task', () => {
    const c = manualClock();
    const q = new TurnQueue(c.clock, 1000, 100);
    const ran: string[] = [];
    const a = q.request(() => ran.push('a'));
    q.request(() => ran.push('b'));
    expect(ran).toEqual(['a']);
    expect(q.pending).toBe(1);
    c.advance(0);
    expect(ran).toEqual(['a']); // a still holds its turn
    q.done(a);
    c.advance(0);
    expect(ran).toEqual(['a']); // waits for the frame after a's commit
    c.frame();
    expect(ran).toEqual(['a']); // and then for a task of its own
    c.advance(0);
    expect(ran).toEqual(['a', 'b']);
    expect(q.pending).toBe(0);
  });

  it('a turn never released is taken back after holdMs; done from a stale ticket changes nothing', () => {
    const c = manualClock();
    const q = new TurnQueue(c.clock, 1000, 100);
    const ran: string[] = [];
    const a = q.request(() => ran.push('a'));
    q.request(() => ran.push('b'));
    c.advance(999);
    expect(ran).toEqual(['a']);
    c.advance(1); // hold time over: released, then the frame fallback (100 ms) and a task
    c.advance(100);
    expect(ran).toEqual(['a', 'b']);
    q.done(a); // late: a no longer holds the turn
    q.request(() => ran.push('c'));
    expect(ran).toEqual(['a', 'b']); // b holds it
  });

  it('cancel drops a waiting job, or passes the turn on when the holder is cancelled', () => {
    const c = manualClock();
    const q = new TurnQueue(c.clock, 1000, 100);
    const ran: string[] = [];
    const a = q.request(() => ran.push('a'));
    const b = q.request(() => ran.push('b'));
    q.request(() => ran.push('c'));
    q.cancel(b);
    expect(q.pending).toBe(1);
    q.cancel(a);
    c.frame();
    c.advance(0);
    expect(ran).toEqual(['a', 'c']);
  });

  it('keeps order: jobs run first come, first served, one per turn', () => {
    const c = manualClock();
    const q = new TurnQueue(c.clock, 1000, 100);
    const ran: number[] = [];
    const tickets: number[] = [];
    for (let i = 0; i < 5; i++) tickets.push(q.request(() => ran.push(i)));
    for (let i = 0; i < 5; i++) {
      expect(ran).toEqual([...Array(i + 1).keys()]);
      q.done(tickets[i]);
      c.frame();
      c.advance(0);
    }
    expect(q.busy).toBe(false);
  });
});
