// When the status reporter talks to the API server: changes within `coalesceMs` make one attempt
// (`burst.coalesceMs` while changes keep coming, as in a crash loop), an urgent change one at once
// (the pod became ready or stopped being ready: the READY column should not lag), at most one
// attempt is in flight, a failed attempt is retried with exponential backoff (each
// attempt sends the latest state, so nothing queues up while the API is away), and every
// `refreshMs` an attempt checks for slow drift (memory). Pure timing on a Clock; the attempt itself
// (snapshot, compare, patch) is the caller's.
import type { Clock, TimerHandle } from '../../lib/clock.js';
import { Backoff, type BackoffOptions } from '../../lib/backoff.js';

/** 'done': sent or nothing to send; 'retry': failed, try again later. */
export type AttemptOutcome = 'done' | 'retry';

export interface SendSchedulerOptions {
  coalesceMs: number;
  refreshMs: number;
  retry: BackoffOptions;
  /** After `maxSends` attempts within `windowMs`, changes coalesce over `coalesceMs` instead. */
  burst?: { windowMs: number; maxSends: number; coalesceMs: number };
}

export const DEFAULT_SEND_SCHEDULE: SendSchedulerOptions = {
  coalesceMs: 500,
  refreshMs: 10_000,
  retry: { initialMs: 500, maxMs: 30_000 },
  burst: { windowMs: 10_000, maxSends: 5, coalesceMs: 2_000 },
};

export class SendScheduler {
  private dirty = false;
  private urgent = false;
  private inFlight: Promise<void> | undefined;
  private timer: { handle: TimerHandle; kind: 'coalesce' | 'retry' } | undefined;
  private refreshTimer: TimerHandle | undefined;
  private stopped = false;
  private readonly backoff: Backoff;
  private sendTimes: number[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly attempt: () => Promise<AttemptOutcome>,
    private readonly options: SendSchedulerOptions = DEFAULT_SEND_SCHEDULE,
  ) {
    this.backoff = new Backoff(options.retry);
  }

  /** Starts the periodic refresh. */
  start(): void {
    this.scheduleRefresh();
  }

  /**
   * Something changed: an attempt within coalesceMs (or at the pending retry). An urgent change
   * goes at once, or right after the attempt in flight; during a burst it waits like any other.
   */
  poke(urgent = false): void {
    this.dirty = true;
    if (urgent) this.urgent = true;
    if (this.stopped || this.inFlight || this.timer?.kind === 'retry') return;
    const delay = this.coalesceDelay();
    if (this.timer && delay > 0) return;
    this.timer?.handle.cancel();
    this.timer = undefined;
    this.coalesce(delay);
  }

  private coalesce(delay: number): void {
    if (delay === 0) void this.run();
    else this.arm('coalesce', delay);
  }

  private coalesceDelay(): number {
    const burst = this.options.burst;
    if (burst) {
      const since = this.clock.now() - burst.windowMs;
      this.sendTimes = this.sendTimes.filter((at) => at > since);
      if (this.sendTimes.length >= burst.maxSends) return burst.coalesceMs;
    }
    return this.urgent ? 0 : this.options.coalesceMs;
  }

  /** Whether a retry is pending because the last attempt failed. */
  get retrying(): boolean {
    return this.timer?.kind === 'retry';
  }

  /** Consecutive failed attempts. */
  get failures(): number {
    return this.backoff.attempts;
  }

  /** One attempt now (after the one in flight), e.g. before the process exits. */
  async flush(): Promise<AttemptOutcome> {
    while (this.inFlight) await this.inFlight;
    this.timer?.handle.cancel();
    this.timer = undefined;
    return this.run();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.handle.cancel();
    this.timer = undefined;
    this.refreshTimer?.cancel();
    this.refreshTimer = undefined;
  }

  private arm(kind: 'coalesce' | 'retry', ms: number): void {
    const handle = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, ms);
    this.timer = { handle, kind };
  }

  private scheduleRefresh(): void {
    if (this.stopped) return;
    this.refreshTimer = this.clock.setTimeout(() => {
      this.scheduleRefresh();
      if (!this.inFlight && !this.timer) void this.run();
    }, this.options.refreshMs);
  }

  private run(): Promise<AttemptOutcome> {
    this.dirty = false;
    this.urgent = false;
    this.sendTimes.push(this.clock.now());
    let outcome: AttemptOutcome = 'retry';
    const running = (async () => {
      try {
        outcome = await this.attempt();
      } catch {
        outcome = 'retry';
      }
    })();
    this.inFlight = running;
    return running.then(() => {
      this.inFlight = undefined;
      if (outcome === 'retry') {
        this.dirty = true;
        if (!this.stopped && !this.timer) this.arm('retry', this.backoff.next());
      } else {
        this.backoff.reset();
        if (this.dirty && !this.stopped && !this.timer) this.coalesce(this.coalesceDelay());
      }
      return outcome;
    });
  }
}
