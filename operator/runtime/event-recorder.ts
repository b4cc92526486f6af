// Events (events.k8s.io/v1) on CorePods. Repeats of the same reason and note on the same object
// within the window become a series (count + lastObservedTime) instead of new objects.
import { randomBytes } from 'node:crypto';
import type { KubeApi } from '../kube/kube-api.js';
import { RESOURCES } from '../kube/resources.js';
import { microTime } from '../leader/lease-record.js';

export const REPORTING_CONTROLLER = 'dreamscape.io/corepod-operator';

export interface Regarding {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid: string;
}

export interface EventSpec {
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  note: string;
}

interface Series {
  name: string;
  count: number;
  firstAt: number;
  lastPatchAt: number;
}

const MAX_NOTE = 1024;

export class EventRecorder {
  private readonly series = new Map<string, Series>();

  constructor(
    private readonly api: KubeApi,
    private readonly instance: string,
    private readonly onError: (error: Error) => void,
    private readonly windowMs = 10 * 60_000,
    private readonly maxTracked = 5000,
  ) {}

  /** Best effort: never throws, never blocks the caller on the API. */
  record(regarding: Regarding, event: EventSpec): void {
    void this.emit(regarding, event).catch((error: Error) => this.onError(error));
  }

  async emit(regarding: Regarding, event: EventSpec): Promise<void> {
    const note = event.note.length > MAX_NOTE ? `${event.note.slice(0, MAX_NOTE - 1)}…` : event.note;
    const key = `${regarding.uid}\u0000${event.reason}\u0000${note}`;
    const now = Date.now();
    const known = this.series.get(key);
    if (known && now - known.firstAt < this.windowMs) {
      known.count++;
      // At most one series update per 30 s per event.
      if (now - known.lastPatchAt < 30_000) return;
      known.lastPatchAt = now;
      await this.api.patch(RESOURCES.event, regarding.namespace, known.name, 'merge', {
        series: { count: known.count, lastObservedTime: microTime(new Date(now)) },
      });
      return;
    }
    const name = `${regarding.name}.${randomBytes(8).toString('hex')}`;
    this.remember(key, { name, count: 1, firstAt: now, lastPatchAt: now });
    await this.api.create(RESOURCES.event, {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, namespace: regarding.namespace },
      eventTime: microTime(new Date(now)),
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: this.instance.slice(0, 128),
      action: event.action,
      reason: event.reason,
      type: event.type,
      note,
      regarding: { apiVersion: regarding.apiVersion, kind: regarding.kind, name: regarding.name, namespace: regarding.namespace, uid: regarding.uid },
    });
  }

  private remember(key: string, series: Series): void {
    if (this.series.size >= this.maxTracked) {
      const oldest = this.series.keys().next().value;
      if (oldest !== undefined) this.series.delete(oldest);
    }
    this.series.set(key, series);
  }
}
