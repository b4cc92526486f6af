// Time as an interface, so the logic around timers can run on a fake clock in tests.
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /**
   * Milliseconds on a monotonic scale (epoch-based at start): durations such as startSeconds are
   * measured on it, so a wall-clock step (NTP, an admin) cannot make a program look up too long
   * or too short — supervisord has to patch that case up after the fact.
   */
  now(): number;
  /** Wall-clock milliseconds since the epoch, for timestamps shown to people (default: now()). */
  wallNow?(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

/** A time taken with clock.now(), as a wall-clock RFC 3339 string. */
export function wallTime(clock: Clock, at: number): string {
  const now = clock.now();
  return new Date((clock.wallNow?.() ?? now) - (now - at)).toISOString();
}

export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  wallNow: () => Date.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(timer) };
  },
};

/** A clock that only moves when told: for tests of timer logic. */
export class FakeClock implements Clock {
  private timers: { at: number; seq: number; fn: () => void; cancelled: boolean }[] = [];
  private seq = 0;
  constructor(private time = 0) {}

  now(): number {
    return this.time;
  }

  wallNow(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  /** Moves time forward by ms, firing due timers in order (including ones they set). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      const next = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.time = next.at;
      next.fn();
    }
    this.time = end;
  }
}
