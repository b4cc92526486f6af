// The supervisor's events as Kubernetes Events about the programs: regarding the CorePod, related
// to this Pod, reported by the sidecar-init, through the one EventRecorder (kube/events/).
import { EventRecorder } from '../../kube/events/event-recorder.js';
import type { ObjectRef } from '../../kube/events/event-object.js';
import type { EventSeriesOptions } from '../../kube/events/event-series.js';
import type { KubeApi } from '../../kube/kube-api.js';
import { RESOURCES } from '../../kube/resources.js';
import { API_VERSION, KIND } from '../../crds/corepod-names.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import type { Sink, SupervisorEvent } from '../event-hub.js';
import { silentLogger, type Logger } from '../logger.js';
import { EventTranslator, type EventIntent } from './event-intents.js';
import type { PodIdentity } from './pod-identity.js';
import { waitAtMost } from '../../lib/wait-at-most.js';

export const REPORTING_CONTROLLER = 'dreamscape.io/corepod-sidecar';

export interface ProcessEventSinkOptions {
  api: KubeApi;
  identity: PodIdentity;
  clock?: Clock;
  logger?: Logger;
  series?: Partial<Omit<EventSeriesOptions, 'classify' | 'onDrop'>>;
  finalFlushMs?: number;
}

export class ProcessEventSink implements Sink {
  private readonly translator = new EventTranslator();
  private readonly recorder: EventRecorder;
  private readonly logger: Logger;
  private corePodUid: string | undefined;

  constructor(private readonly options: ProcessEventSinkOptions) {
    const { identity } = options;
    this.logger = options.logger ?? silentLogger;
    this.recorder = new EventRecorder({
      api: options.api,
      reporter: { reportingController: REPORTING_CONTROLLER, reportingInstance: identity.podName },
      regarding: () => this.regarding(),
      related: { apiVersion: 'v1', kind: 'Pod', name: identity.podName, namespace: identity.namespace, ...(identity.podUid ? { uid: identity.podUid } : {}) },
      clock: options.clock ?? systemClock,
      ...(options.series ? { series: options.series } : {}),
      onDrop: (intent, error) =>
        this.logger.warn('event not recorded', { reason: intent.reason, note: intent.note, error: error instanceof Error ? error.message : String(error) }),
    });
  }

  deliver(event: SupervisorEvent): void | Promise<void> {
    for (const intent of this.translator.translate(event)) this.recorder.record(intent);
    if (event.type === 'supervisor' && event.state === 'stopped') return this.finalFlush();
  }

  /** Records an intent directly (tests, and events not from the supervisor). */
  record(intent: EventIntent): void {
    this.recorder.record(intent);
  }

  flush(): Promise<void> {
    return this.recorder.flush();
  }

  stats() {
    return this.recorder.stats();
  }

  stop(): void {
    this.recorder.stop();
  }

  private async finalFlush(): Promise<void> {
    await waitAtMost(this.flush(), this.options.finalFlushMs ?? 1500);
    this.stop();
  }

  /** The CorePod reference, with its uid (kubectl describe matches Events by uid) once known. */
  private async regarding(): Promise<ObjectRef> {
    const { identity } = this.options;
    if (this.corePodUid === undefined) {
      try {
        const corePod = await this.options.api.get(RESOURCES.corePod, identity.namespace, identity.corePodName);
        this.corePodUid = corePod?.metadata?.uid;
      } catch (error) {
        this.logger.debug('cannot read the CorePod uid', { error: error instanceof Error ? error.message : String(error) });
      }
    }
    return { apiVersion: API_VERSION, kind: KIND, name: identity.corePodName, namespace: identity.namespace, ...(this.corePodUid ? { uid: this.corePodUid } : {}) };
  }
}
