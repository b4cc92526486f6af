// A work queue with client-go semantics: a key is queued at most once (dirty set), never processed
// by two workers at once (processing set; re-added after done() if it changed meanwhile), delayed
// adds, rate-limited adds, and the instrumentation controller-runtime exports.
import { systemClock, type Clock } from '../../lib/clock.js';
import type { RateLimiter } from './rate-limiter.js';

export interface QueueObserver {
  depth(depth: number): void;
  added(): void;
  retried(): void;
  /** Seconds a key waited in the queue before a worker got it. */
  waited(seconds: number): void;
  /** Seconds a worker spent on a key. */
  worked(seconds: number): void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Map<string, number>();
  private readonly addedAt = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; timer: { cancel(): void } }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly clock: Clock = systemClock,
    private readonly observer?: QueueObserver,
  ) {
    observer?.depth(0);
  }

  get length(): number {
    return this.queue.length;
  }

  get shutDownStarted(): boolean {
    return this.shuttingDown;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.observer?.added();
    this.dirty.add(key);
    this.addedAt.set(key, this.clock.now());
    if (this.processing.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) this.hand(key, waiter);
    else {
      this.queue.push(key);
      this.observer?.depth(this.queue.length);
    }
  }

  /** Adds the key after `ms`; an earlier pending delayed add for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    pending?.timer.cancel();
    const timer = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, timer });
  }

  addRateLimited(key: string): void {
    this.observer?.retried();
    this.addAfter(key, this.limiter.when(key));
  }

  forget(key: string): void {
    this.limiter.forget(key);
  }

  retries(key: string): number {
    return this.limiter.retries(key);
  }

  /** The next key to work on, or undefined once the queue is shut down and drained. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.observer?.depth(this.queue.length);
      return Promise.resolve(this.take(key));
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    const started = this.processing.get(key);
    this.processing.delete(key);
    if (started !== undefined) this.observer?.worked((this.clock.now() - started) / 1000);
    if (this.dirty.has(key)) {
      const waiter = this.waiters.shift();
      if (waiter) this.hand(key, waiter);
      else {
        this.queue.push(key);
        this.observer?.depth(this.queue.length);
      }
    }
  }

  /** Keys being worked on, with how long (seconds). */
  inFlight(): { key: string; seconds: number }[] {
    const now = this.clock.now();
    return [...this.processing].map(([key, started]) => ({ key, seconds: (now - started) / 1000 }));
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) timer.cancel();
    this.delayed.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  private take(key: string): string {
    this.dirty.delete(key);
    this.processing.set(key, this.clock.now());
    const added = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (added !== undefined) this.observer?.waited((this.clock.now() - added) / 1000);
    return key;
  }

  private hand(key: string, waiter: (key: string) => void): void {
    waiter(this.take(key));
  }
}
