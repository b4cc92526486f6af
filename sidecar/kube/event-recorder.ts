// Kubernetes Events (events.k8s.io/v1) about the programs: regarding the CorePod, related to this
// Pod, with reportingController/reportingInstance, repeats aggregated into series
// (event-series.ts). Writes never block supervision; while the API server is away they retry with
// backoff, bounded by the number of distinct series.
import { ApiError, isNotFound, type KubeApi, type KubeObject } from '../../operator/kube/kube-api.js';
import { systemClock, type Clock } from '../clock.js';
import type { Sink, SupervisorEvent } from '../event-hub.js';
import { silentLogger, type Logger } from '../logger.js';
import { EventTranslator, type EventIntent } from './event-intents.js';
import { DEFAULT_SERIES, EventSeriesBook, type EventSeriesOptions, type EventWriter, type Series, type WriteFailure } from './event-series.js';
import { CORE_POD, COREPOD_API_VERSION, COREPOD_KIND, EVENT } from './kube-resources.js';
import type { PodIdentity } from './pod-identity.js';

export const REPORTING_CONTROLLER = 'dreamscape.io/corepod-sidecar';
const MAX_NOTE_BYTES = 1024;
const MAX_INSTANCE = 128;

/** RFC 3339 with microseconds, as metav1.MicroTime is written. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function truncateNote(note: string): string {
  if (Buffer.byteLength(note) <= MAX_NOTE_BYTES) return note;
  let out = note.slice(0, MAX_NOTE_BYTES - 3);
  while (Buffer.byteLength(out) > MAX_NOTE_BYTES - 3) out = out.slice(0, -1);
  return `${out}...`;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid?: string;
}

/** The Event object for an intent (pure). */
export function eventObject(
  intent: EventIntent, identity: PodIdentity, regarding: ObjectRef, name: string, eventTime: number, series?: Series,
): KubeObject & Record<string, unknown> {
  const related: ObjectRef = { apiVersion: 'v1', kind: 'Pod', name: identity.podName, namespace: identity.namespace, ...(identity.podUid ? { uid: identity.podUid } : {}) };
  const instance = identity.podName.length <= MAX_INSTANCE ? identity.podName : identity.podName.slice(-MAX_INSTANCE);
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name, namespace: identity.namespace },
    eventTime: microTime(eventTime),
    ...(series ? { series: { count: series.count, lastObservedTime: microTime(series.lastObservedTime) } } : {}),
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: instance,
    action: intent.action,
    reason: intent.reason,
    type: intent.type,
    note: truncateNote(intent.note),
    regarding,
    related,
  };
}

export function classifyWriteError(error: unknown): WriteFailure {
  if (isNotFound(error)) return 'gone';
  // Forbidden or invalid: the same request will not succeed later. Other 4xx (408, 409, 429) and
  // network errors are transient.
  if (error instanceof ApiError && (error.code === 400 || error.code === 403 || error.code === 422)) return 'drop';
  return 'retry';
}

export interface EventRecorderOptions {
  api: KubeApi;
  identity: PodIdentity;
  clock?: Clock;
  logger?: Logger;
  series?: Partial<Omit<EventSeriesOptions, 'classify'>>;
  finalFlushMs?: number;
}

export class EventRecorder implements Sink, EventWriter {
  private readonly translator = new EventTranslator();
  private readonly book: EventSeriesBook;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private corePodUid: string | undefined;
  private sequence = 0;

  constructor(private readonly options: EventRecorderOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.book = new EventSeriesBook(this.clock, this, {
      ...DEFAULT_SERIES,
      ...options.series,
      classify: classifyWriteError,
      onDrop: (intent, error) => this.logger.warn('event not recorded', { reason: intent.reason, note: intent.note, error: error instanceof Error ? error.message : String(error) }),
    });
  }

  deliver(event: SupervisorEvent): void | Promise<void> {
    for (const intent of this.translator.translate(event)) this.book.record(intent);
    if (event.type === 'supervisor' && event.state === 'stopped') return this.finalFlush();
  }

  /** Records an intent directly (tests, and events not from the supervisor). */
  record(intent: EventIntent): void {
    this.book.record(intent);
  }

  flush(): Promise<void> {
    return this.book.flush();
  }

  stats() {
    return { ...this.book.stats(), pending: this.book.pending() };
  }

  stop(): void {
    this.book.stop();
  }

  private async finalFlush(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.finalFlushMs ?? 1500)))]);
    clearTimeout(timer);
    this.stop();
  }

  // ---- EventWriter ----

  async create(intent: EventIntent, eventTime: number, series?: Series): Promise<string> {
    const { identity } = this.options;
    const name = `${identity.corePodName}.${eventTime.toString(16)}${(this.sequence++ & 0xfff).toString(16).padStart(3, '0')}${identity.podName.slice(-5).replace(/[^a-z0-9]/g, '0')}`;
    const body = eventObject(intent, identity, await this.regarding(), name, eventTime, series);
    await this.options.api.create(EVENT, body);
    return name;
  }

  async patchSeries(name: string, series: Series): Promise<void> {
    await this.options.api.patch(EVENT, this.options.identity.namespace, name, 'merge', {
      series: { count: series.count, lastObservedTime: microTime(series.lastObservedTime) },
    });
  }

  /** The CorePod reference, with its uid (kubectl describe matches Events by uid) once known. */
  private async regarding(): Promise<ObjectRef> {
    const { identity } = this.options;
    if (this.corePodUid === undefined) {
      try {
        const corePod = await this.options.api.get(CORE_POD, identity.namespace, identity.corePodName);
        this.corePodUid = corePod?.metadata?.uid;
      } catch (error) {
        this.logger.debug('cannot read the CorePod uid', { error: error instanceof Error ? error.message : String(error) });
      }
    }
    return { apiVersion: COREPOD_API_VERSION, kind: COREPOD_KIND, name: identity.corePodName, namespace: identity.namespace, ...(this.corePodUid ? { uid: this.corePodUid } : {}) };
  }
}
