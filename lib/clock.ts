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

/** The clock's wall-clock time now, for timestamps written to the API (conditions, leases). */
export function wallDate(clock: Clock): Date {
  return new Date(clock.wallNow?.() ?? clock.now());
}

/** A time taken with clock.now(), as a wall-clock RFC 3339 string. */
export function wallTime(clock: Clock, at: number): string {
  const now = clock.now();
  return new Date((clock.wallNow?.() ?? now) - (now - at)).toISOString();
}

/** The longest delay Node's setTimeout keeps (a 32-bit signed count of ms, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  wallNow: () => Date.now(),
  setTimeout(fn, ms) {
    // Node fires a timer of more than 2^31-1 ms after 1 ms instead: a longer one is re-armed.
    const due = performance.now() + ms;
    let timer: ReturnType<typeof setTimeout>;
    const arm = (left: number) => {
      timer = left > MAX_TIMER_MS ? setTimeout(() => arm(due - performance.now()), MAX_TIMER_MS) : setTimeout(fn, left);
    };
    arm(ms);
    return { cancel: () => clearTimeout(timer) };
  },
};
