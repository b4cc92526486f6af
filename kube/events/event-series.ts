// Aggregation of repeated Events into series (events.k8s.io/v1 `series`): the first occurrence is
// created at once; repeats within `seriesIdleMs` of the previous one only raise the series count,
// written to the existing Event at most every `patchIntervalMs`. A crash loop thus costs one
// object per distinct event and a bounded number of patches. Failed writes are retried with
// backoff, carrying the latest count; the number of tracked series is bounded. Pure timing on a
// Clock; the writes go through the EventWriter port.
import type { Clock, TimerHandle } from '../../lib/clock.js';
import { Backoff, type BackoffOptions } from '../../lib/backoff.js';
import type { ApiErrorClass } from '../kube-api.js';
import type { EventIntent, Series } from './event-object.js';

export interface EventWriter {
  /** Creates the Event; returns its name. With `series` when repeats happened before the create. */
  create(intent: EventIntent, eventTime: number, series?: Series): Promise<string>;
  patchSeries(name: string, series: Series, intent: EventIntent): Promise<void>;
}

export interface EventSeriesOptions {
  patchIntervalMs: number;
  seriesIdleMs: number;
  maxSeries: number;
  retry: BackoffOptions;
  /** 'notFound': the Event no longer exists (create a new one); 'retry': transient; 'permanent': give up on it. */
  classify: (error: unknown) => ApiErrorClass;
  onDrop?: (intent: EventIntent, error: unknown) => void;
}

export const DEFAULT_SERIES: Omit<EventSeriesOptions, 'classify'> = {
  patchIntervalMs: 10_000,
  seriesIdleMs: 6 * 60_000,
  maxSeries: 256,
  retry: { initialMs: 500, maxMs: 30_000 },
};

interface Entry {
  intent: EventIntent;
  name: string | undefined;
  firstAt: number;
  count: number;
  lastAt: number;
  /** The count the API server has. */
  sentCount: number;
  lastWriteAt: number;
  work: Promise<void> | undefined;
  timer: TimerHandle | undefined;
  backoff: Backoff;
}

export interface SeriesStats {
  created: number;
  patched: number;
  dropped: number;
  failures: number;
}

export class EventSeriesBook {
  /** The current series per key. */
  private readonly current = new Map<string, Entry>();
  /** Every entry with unsent occurrences, including series that ended meanwhile. */
  private readonly unsent = new Set<Entry>();
  private readonly counters: SeriesStats = { created: 0, patched: 0, dropped: 0, failures: 0 };
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly writer: EventWriter,
    private readonly options: EventSeriesOptions,
  ) {}

  record(intent: EventIntent): void {
    if (this.stopped) return;
    const now = this.clock.now();
    const existing = this.current.get(intent.key);
    if (existing && now - existing.lastAt <= this.options.seriesIdleMs) {
      existing.count += 1;
      existing.lastAt = now;
      this.unsent.add(existing);
      this.pump(existing, false);
      return;
    }
    const entry: Entry = {
      intent,
      name: undefined,
      firstAt: now,
      count: 1,
      lastAt: now,
      sentCount: 0,
      lastWriteAt: -Infinity,
      work: undefined,
      timer: undefined,
      backoff: new Backoff(this.options.retry),
    };
    this.current.delete(intent.key);
    this.current.set(intent.key, entry);
    this.unsent.add(entry);
    this.evict();
    this.pump(entry, false);
  }

  stats(): SeriesStats {
    return { ...this.counters };
  }

  /** Series with occurrences the API server has not seen yet. */
  pending(): number {
    return this.unsent.size;
  }

  /** Writes every unsent occurrence now (ignoring the patch interval) and waits for the writes. */
  async flush(): Promise<void> {
    for (let round = 0; round < 3 && this.unsent.size > 0; round++) {
      for (const entry of this.unsent) {
        entry.timer?.cancel();
        entry.timer = undefined;
        this.pump(entry, true);
      }
      await Promise.all([...this.unsent].map((entry) => entry.work));
    }
  }

  stop(): void {
    this.stopped = true;
    for (const entry of this.unsent) entry.timer?.cancel();
  }

  private pump(entry: Entry, now: boolean): void {
    if (entry.work || this.stopped) return;
    if (entry.name === undefined) {
      this.write(entry, () => this.create(entry));
      return;
    }
    if (entry.count <= entry.sentCount) {
      this.unsent.delete(entry);
      return;
    }
    const due = entry.lastWriteAt + this.options.patchIntervalMs;
    const wait = due - this.clock.now();
    if (now || wait <= 0) {
      entry.timer?.cancel();
      entry.timer = undefined;
      this.write(entry, () => this.patch(entry));
    } else if (!entry.timer) {
      entry.timer = this.clock.setTimeout(() => {
        entry.timer = undefined;
        this.pump(entry, false);
      }, wait);
    }
  }

  private async create(entry: Entry): Promise<void> {
    const count = entry.count;
    const lastAt = entry.lastAt;
    const name = await this.writer.create(entry.intent, entry.firstAt, count > 1 ? { count, lastObservedTime: lastAt } : undefined);
    entry.name = name;
    entry.sentCount = count;
    this.counters.created += 1;
  }

  private async patch(entry: Entry): Promise<void> {
    const count = entry.count;
    await this.writer.patchSeries(entry.name!, { count, lastObservedTime: entry.lastAt }, entry.intent);
    entry.sentCount = count;
    this.counters.patched += 1;
  }

  private write(entry: Entry, op: () => Promise<void>): void {
    entry.work = (async () => {
      let retryIn: number | undefined;
      try {
        await op();
        entry.backoff.reset();
      } catch (error) {
        this.counters.failures += 1;
        const failure = this.options.classify(error);
        if (failure === 'notFound') {
          // Garbage-collected (Events live about an hour): the series goes on in a new object.
          entry.name = undefined;
          entry.sentCount = 0;
          entry.firstAt = entry.lastAt;
          entry.count = Math.max(1, entry.count);
        } else if (failure === 'permanent') {
          this.drop(entry, error);
          return;
        } else retryIn = entry.backoff.next();
      } finally {
        entry.lastWriteAt = this.clock.now();
        entry.work = undefined;
      }
      if (retryIn !== undefined) {
        if (!this.stopped && !entry.timer) {
          entry.timer = this.clock.setTimeout(() => {
            entry.timer = undefined;
            this.pump(entry, true);
          }, retryIn);
        }
        return;
      }
      this.pump(entry, false);
    })();
  }

  private drop(entry: Entry, error: unknown): void {
    this.counters.dropped += 1;
    this.unsent.delete(entry);
    entry.timer?.cancel();
    if (this.current.get(entry.intent.key) === entry) this.current.delete(entry.intent.key);
    this.options.onDrop?.(entry.intent, error);
  }

  /** Forgets the series seen longest ago beyond maxSeries (their unsent repeats are dropped). */
  private evict(): void {
    while (this.current.size > this.options.maxSeries) {
      const oldest = [...this.current.values()].reduce((a, b) => (b.lastAt < a.lastAt ? b : a));
      if (this.unsent.has(oldest)) this.drop(oldest, new Error('too many event series'));
      else this.current.delete(oldest.intent.key);
    }
  }
}
