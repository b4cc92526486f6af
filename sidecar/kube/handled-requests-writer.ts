// Writes status.pods[<pod>].handledRequests with server-side apply under its own field manager
// (corepod-control/<pod>), beside the status reporter's processes: neither apply removes the
// other's fields, so what a pod handled survives a restart of its sidecar-init. Retries with
// backoff while the API is away, always sending the latest list.
import type { HandledRequest } from '../../contract/control-request.js';
import { API_VERSION, KIND } from '../../crds/corepod-names.js';
import type { KubeApi, KubeObject } from '../../kube/kube-api.js';
import { RESOURCES } from '../../kube/resources.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import type { Logger } from '../logger.js';
import { fieldManagerFor, type PodIdentity } from './pod-identity.js';
import { SendScheduler, type AttemptOutcome } from './send-scheduler.js';

const FIELD_MANAGER_PREFIX = 'corepod-control/';

/** The apply body: only the pod entry's key and its handled requests. */
export function handledRequestsBody(identity: PodIdentity, handled: readonly HandledRequest[]): KubeObject & { status: unknown } {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: identity.corePodName, namespace: identity.namespace },
    status: { pods: [{ name: identity.podName, handledRequests: handled.map((h) => ({ ...h, results: h.results.map((r) => ({ ...r })) })) }] },
  };
}

/** corepod-control/<pod>, cut to the API's 128 characters keeping the pod name's (unique) tail. */
export function controlFieldManager(podName: string): string {
  return fieldManagerFor(podName, FIELD_MANAGER_PREFIX);
}

export class HandledRequestsWriter {
  private latest: readonly HandledRequest[] | undefined;
  private sent: readonly HandledRequest[] | undefined;
  private readonly scheduler: SendScheduler;
  private failing = false;

  constructor(
    private readonly api: KubeApi,
    private readonly identity: PodIdentity,
    private readonly logger: Logger,
    clock: Clock = systemClock,
  ) {
    this.scheduler = new SendScheduler(clock, () => this.attempt(), { coalesceMs: 0, refreshMs: 60_000, retry: { initialMs: 500, maxMs: 30_000 } });
    this.scheduler.start();
  }

  write(handled: readonly HandledRequest[]): void {
    this.latest = handled;
    this.scheduler.poke();
  }

  flush(): Promise<AttemptOutcome> {
    return this.scheduler.flush();
  }

  stop(): void {
    this.scheduler.stop();
  }

  private async attempt(): Promise<AttemptOutcome> {
    const handled = this.latest;
    if (!handled || handled === this.sent) return 'done';
    try {
      await this.api.apply(RESOURCES.corePod, handledRequestsBody(this.identity, handled), {
        fieldManager: controlFieldManager(this.identity.podName),
        force: true,
        subresource: 'status',
      });
    } catch (error) {
      if (!this.failing) this.logger.warn('cannot report handled control requests; will retry', { error: (error as Error).message });
      this.failing = true;
      return 'retry';
    }
    this.failing = false;
    this.sent = handled;
    return 'done';
  }
}
