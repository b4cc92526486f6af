// The one Event recorder of CorePod (operator and sidecar-init): Events (events.k8s.io/v1) with
// reportingController/reportingInstance, repeats aggregated into series (event-series.ts), notes cut
// to what the apiserver accepts, and every failed write classified the one way (classifyApiError).
// Recording never blocks or throws; while the apiserver is away writes retry with backoff.
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../../lib/clock.js';
import { classifyApiError, microTime, type KubeApi } from '../kube-api.js';
import { RESOURCES } from '../resources.js';
import { eventName, eventObject, type EventIntent, type ObjectRef, type Reporter, type Series } from './event-object.js';
import { DEFAULT_SERIES, EventSeriesBook, type EventSeriesOptions, type EventWriter, type SeriesStats } from './event-series.js';

export interface EventRecorderOptions {
  api: KubeApi;
  reporter: Reporter;
  /** The object an intent without `regarding` is about, asked for when its Event is created. */
  regarding?: () => Promise<ObjectRef>;
  related?: ObjectRef;
  clock?: Clock;
  series?: Partial<Omit<EventSeriesOptions, 'classify' | 'onDrop'>>;
  /** An Event given up on (invalid, forbidden, or evicted beyond maxSeries). */
  onDrop?: (intent: EventIntent, error: unknown) => void;
}

export class EventRecorder implements EventWriter {
  private readonly book: EventSeriesBook;
  private readonly nonce = randomBytes(3).toString('hex');
  private sequence = 0;

  constructor(private readonly options: EventRecorderOptions) {
    this.book = new EventSeriesBook(options.clock ?? systemClock, this, {
      ...DEFAULT_SERIES,
      ...options.series,
      classify: classifyApiError,
      ...(options.onDrop ? { onDrop: options.onDrop } : {}),
    });
  }

  record(intent: EventIntent): void {
    const about = intent.regarding;
    this.book.record(about ? { ...intent, key: `${about.namespace}/${about.name}/${about.uid ?? ''}\u0000${intent.key}` } : intent);
  }

  /** Writes every unsent occurrence now and waits for the writes. */
  flush(): Promise<void> {
    return this.book.flush();
  }

  stats(): SeriesStats & { pending: number } {
    return { ...this.book.stats(), pending: this.book.pending() };
  }

  stop(): void {
    this.book.stop();
  }

  // ---- EventWriter ----

  async create(intent: EventIntent, eventTime: number, series?: Series): Promise<string> {
    const regarding = intent.regarding ?? (await this.defaultRegarding());
    const suffix = `${eventTime.toString(16)}${(this.sequence++ & 0xfff).toString(16).padStart(3, '0')}${this.nonce}`;
    const name = eventName(regarding.name, suffix);
    const { related, reporter } = this.options;
    await this.options.api.create(RESOURCES.event, eventObject({ intent, regarding, reporter, name, eventTime, ...(related ? { related } : {}), ...(series ? { series } : {}) }));
    return name;
  }

  async patchSeries(name: string, series: Series, intent: EventIntent): Promise<void> {
    const namespace = intent.regarding?.namespace ?? (await this.defaultRegarding()).namespace;
    await this.options.api.patch(RESOURCES.event, namespace, name, 'merge', {
      series: { count: series.count, lastObservedTime: microTime(series.lastObservedTime) },
    });
  }

  private defaultRegarding(): Promise<ObjectRef> {
    if (!this.options.regarding) throw new Error('an Event intent without regarding, and the recorder has no default');
    return this.options.regarding();
  }
}
