/** TimerHandle cancels a timer that has not fired yet; cancelling a fired timer does nothing. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * Clock is the time source of the runtime: the work queue's delays, backoff, reconcile timeouts and periodic
 * sources all go through it, so tests can replace real waiting with a FakeClock they advance.
 */
export interface Clock {
  /** now is the current time in milliseconds since the epoch. */
  now(): number;
  /** setTimer runs `fn` once, `ms` milliseconds from now. */
  setTimer(ms: number, fn: () => void): TimerHandle;
}

/** realClock is the wall clock and Node's timers. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const timer = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(timer) };
  },
};

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * FakeClock is a Clock whose time only moves when a test calls `advance`. Timers fire synchronously inside
 * `advance`, in order of due time (ties in order of creation); a timer set by a firing timer also fires in
 * the same `advance` if it falls due within it.
 */
export class FakeClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: FakeTimer[] = [];

  constructor(start = Date.parse("2026-01-01T00:00:00Z")) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer: FakeTimer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  /** advance moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      const next = this.timers.reduce<FakeTimer | undefined>((a, t) => (t.at <= end && (!a || t.at < a.at || (t.at === a.at && t.seq < a.seq)) ? t : a), undefined);
      if (!next) break;
      this.time = Math.max(this.time, next.at);
      next.cancelled = true;
      next.fn();
    }
    this.time = end;
  }

  /** pendingTimers counts timers that have neither fired nor been cancelled. */
  get pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** nextTimerIn is how long until the next pending timer fires, or undefined when none is pending. */
  nextTimerIn(): number | undefined {
    const pending = this.timers.filter((t) => !t.cancelled);
    if (pending.length === 0) return undefined;
    return Math.min(...pending.map((t) => t.at)) - this.time;
  }
}
