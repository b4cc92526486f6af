// Wires informers, the work queue, the workers and leader election into one controller, the way
// controller-runtime's manager does: caches start on every replica (a warm standby), workers only
// on the leader; losing the lease ends the process so that it restarts as a follower.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { SidecarContract } from '../../contract/sidecar-contract.js';
import { LABEL, MANAGED_BY, MANAGED_SELECTOR } from '../desired/names.js';
import type { KubeApi, KubeObject, ObjectMetaLike } from '../../kube/kube-api.js';
import { objectKey } from '../../kube/informer.js';
import { cacheInformer, type CacheInformer } from '../../kube/namespaces-informer.js';
import { RESOURCES } from '../../kube/resources.js';
import { LeaderElector } from '../leader/leader-elector.js';
import { EventRecorder } from '../../kube/events/event-recorder.js';
import type { OperatorMetrics } from '../runtime/metrics.js';
import { CONFIG_ERROR_REASON, podConfigErrors } from './container-config-errors.js';
import { Reconciler, type Caches, type RawCorePod } from './reconciler.js';
import { defaultControllerRateLimiter } from './rate-limiter.js';
import { WorkQueue } from './work-queue.js';
import { WriteScheduler } from './write-scheduler.js';
import { waitAtMost } from '../../lib/wait-at-most.js';
import { systemClock, type Clock } from '../../lib/clock.js';

export const CONTROLLER_NAME = 'corepod';
/** reportingController of the operator's Events. */
export const REPORTING_CONTROLLER = 'dreamscape.io/corepod-operator';

export interface ControllerOptions {
  api: KubeApi;
  log: Logger;
  metrics: OperatorMetrics;
  sidecar: SidecarContract;
  /** Watch one namespace only; all namespaces when undefined. */
  namespace?: string;
  /** Watch only these namespaces (one cache each); overrides namespace. */
  namespaces?: string[];
  concurrency: number;
  /** Writes to the apiserver in flight at once, across all reconciles (the rest wait, by priority). */
  maxWritesInFlight?: number;
  identity: string;
  leaderElection?: { namespace: string; name: string; leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number };
  resyncMs?: number;
  watchTimeoutSeconds?: number;
  /** Retry delays, pauses, lease timing and timestamps (default: the system clock; tests pass a FakeClock). */
  clock?: Clock;
}

/** The kinds a CorePod owns (RESOURCES keys), watched and applied by the operator. */
export const OWNED = ['deployment', 'configMap', 'service', 'serviceAccount', 'role', 'roleBinding', 'podDisruptionBudget'] as const;

/** Keeps only what the reconciler reads, so 1,000 CorePods' worth of owned objects stays small. */
function slimMeta(meta: ObjectMetaLike | undefined): ObjectMetaLike {
  const m = meta ?? {};
  const out: ObjectMetaLike = { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion };
  if (m.generation !== undefined) out.generation = m.generation;
  if (m.labels) out.labels = m.labels;
  if (m.ownerReferences) {
    out.ownerReferences = m.ownerReferences.map(({ apiVersion, kind, name, uid, controller, blockOwnerDeletion }) => ({
      apiVersion,
      kind,
      name,
      uid,
      controller,
      blockOwnerDeletion,
    }));
  }
  if (m.deletionTimestamp) out.deletionTimestamp = m.deletionTimestamp;
  return out;
}

function slim(object: KubeObject & { status?: Record<string, unknown> }, keepStatus: string[] = []): KubeObject {
  const out: KubeObject & { status?: Record<string, unknown> } = { apiVersion: object.apiVersion, kind: object.kind, metadata: slimMeta(object.metadata) };
  if (keepStatus.length > 0 && object.status) {
    out.status = Object.fromEntries(keepStatus.filter((k) => k in object.status!).map((k) => [k, object.status![k]]));
  }
  return out;
}

function slimPod(pod: KubeObject & { status?: Record<string, unknown> }): KubeObject {
  const out: KubeObject & { status?: Record<string, unknown> } = slim(pod);
  const held = podConfigErrors(pod);
  if (held.length > 0) {
    out.status = { containerStatuses: held.map((e) => ({ state: { waiting: { reason: CONFIG_ERROR_REASON, message: e.message } } })) };
  }
  return out;
}

function controllerOwnerKey(object: KubeObject): string | undefined {
  const owner = object.metadata?.ownerReferences?.find((r) => r.controller && r.kind === 'CorePod');
  return owner && object.metadata?.namespace ? `${object.metadata.namespace}/${owner.name}` : undefined;
}

export class CorePodController {
  readonly corePods: CacheInformer<RawCorePod>;
  readonly owned: Map<string, CacheInformer<KubeObject>>;
  readonly pods: CacheInformer<KubeObject>;
  readonly queue: WorkQueue;
  private readonly reconciler: Reconciler;
  private readonly events: EventRecorder;
  private readonly elector?: LeaderElector;
  private readonly podIndex = new Map<string, Set<string>>();
  private workers: Promise<void>[] = [];
  private synced = false;
  private leading = false;
  private stopping = false;
  private gaugeTimer?: NodeJS.Timeout;
  private resolveDone!: (code: number) => void;
  /** Resolves with the exit code when the controller must end on its own (leadership lost). */
  readonly done = new Promise<number>((resolve) => (this.resolveDone = resolve));

  constructor(private readonly options: ControllerOptions) {
    const { api, metrics } = options;
    const clock = options.clock ?? systemClock;
    const namespaces = options.namespaces?.length ? options.namespaces : options.namespace ? [options.namespace] : undefined;
    const common = {
      resyncMs: options.resyncMs ?? 10 * 60_000,
      watchTimeoutSeconds: options.watchTimeoutSeconds,
      onError: (error: Error, during: string) => options.log.warn({ err: error, during }, 'informer error; retrying'),
      clock,
    };
    this.corePods = cacheInformer<RawCorePod>(api, RESOURCES.corePod, namespaces, common);
    this.owned = new Map(
      OWNED.map((kind) => [
        RESOURCES[kind].kind,
        cacheInformer<KubeObject>(api, RESOURCES[kind], namespaces, {
          ...common,
          labelSelector: MANAGED_SELECTOR,
          transform: (o) => slim(o, kind === 'deployment' ? ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas'] : []),
        }),
      ]),
    );
    this.pods = cacheInformer<KubeObject>(api, RESOURCES.pod, namespaces, {
      ...common,
      labelSelector: `${LABEL.name}=corepod,${LABEL.managedBy}=${MANAGED_BY}`,
      // Of the status only the containers held in CreateContainerConfigError (a missing Secret or ConfigMap).
      transform: (o) => slimPod(o),
    });
    this.queue = new WorkQueue(defaultControllerRateLimiter(clock), clock, metrics.queueObserver(CONTROLLER_NAME));
    this.events = new EventRecorder({
      api,
      reporter: { reportingController: REPORTING_CONTROLLER, reportingInstance: options.identity },
      clock,
      onDrop: (intent, error) => options.log.warn({ err: error, reason: intent.reason }, 'could not record an event'),
    });
    this.reconciler = new Reconciler({
      api,
      caches: this.caches(),
      sidecar: options.sidecar,
      events: this.events,
      log: options.log,
      clock,
      ...(options.maxWritesInFlight ? { writes: new WriteScheduler(options.maxWritesInFlight) } : {}),
    });

    const enqueue = (key: string | undefined) => key && !this.stopping && this.queue.add(key);
    this.corePods.addHandlers({
      onAdd: (o) => enqueue(objectKey(o)),
      onUpdate: (_, o) => enqueue(objectKey(o)),
      onDelete: (o) => {
        this.reconciler.forget(objectKey(o));
        enqueue(objectKey(o));
      },
    });
    for (const informer of this.owned.values()) {
      informer.addHandlers({ onAdd: (o) => enqueue(controllerOwnerKey(o)), onUpdate: (_, o) => enqueue(controllerOwnerKey(o)), onDelete: (o) => enqueue(controllerOwnerKey(o)) });
    }
    const podOwner = (o: KubeObject) => {
      const instance = o.metadata?.labels?.[LABEL.instance];
      return instance && o.metadata?.namespace ? `${o.metadata.namespace}/${instance}` : undefined;
    };
    // Pods by CorePod, so a reconcile does not scan every pod.
    this.pods.addHandlers({
      onAdd: (o) => {
        const owner = podOwner(o);
        if (!owner) return;
        const names = this.podIndex.get(owner) ?? new Set<string>();
        names.add(o.metadata!.name!);
        this.podIndex.set(owner, names);
        enqueue(owner);
      },
      onUpdate: (before, after) => {
        const status = (o: KubeObject) => JSON.stringify((o as { status?: unknown }).status);
        if (status(before) !== status(after)) enqueue(podOwner(after));
      },
      onDelete: (o) => {
        const owner = podOwner(o);
        if (!owner) return;
        const names = this.podIndex.get(owner);
        names?.delete(o.metadata!.name!);
        if (names?.size === 0) this.podIndex.delete(owner);
        enqueue(owner);
      },
    });

    if (options.leaderElection) {
      this.elector = new LeaderElector(api, {
        ...options.leaderElection,
        identity: options.identity,
        clock,
        onStartedLeading: () => {
          options.log.info({ identity: options.identity }, 'became leader');
          metrics.leaderStatus.set({ name: options.leaderElection!.name }, 1);
          this.startWorkers();
        },
        onStoppedLeading: () => {
          options.log.error({ identity: options.identity }, 'leadership lost; exiting');
          metrics.leaderStatus.set({ name: options.leaderElection!.name }, 0);
          this.resolveDone(1);
        },
        onLeaderChange: (leader) => options.log.info({ leader }, 'leader observed'),
        onError: (error) => options.log.warn({ err: error }, 'leader election error'),
      });
      metrics.leaderStatus.set({ name: options.leaderElection.name }, 0);
    }
    metrics.maxConcurrent.set({ controller: CONTROLLER_NAME }, options.concurrency);
  }

  private caches(): Caches {
    return {
      corePod: (key) => this.corePods.get(key),
      owned: (kind, namespace, name) => this.owned.get(kind)?.get(`${namespace}/${name}`),
      podsOf: (namespace, name) => (this.pods.hasSynced ? new Set(this.podIndex.get(`${namespace}/${name}`)) : undefined),
      podConfigErrors: (namespace, name) =>
        [...(this.podIndex.get(`${namespace}/${name}`) ?? [])].flatMap((pod) => {
          const cached = this.pods.get(`${namespace}/${pod}`);
          return cached ? podConfigErrors(cached) : [];
        }),
    };
  }

  get ready(): boolean {
    return this.synced;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  informers(): CacheInformer<KubeObject>[] {
    return [this.corePods as CacheInformer<KubeObject>, ...this.owned.values(), this.pods];
  }

  /** Starts the caches, waits until they are synced, then leads (or campaigns). */
  async start(): Promise<void> {
    await Promise.all(this.informers().map((i) => i.start()));
    this.synced = true;
    this.options.log.info({ corePods: this.corePods.size }, 'caches synced');
    this.gaugeTimer = setInterval(() => this.updateGauges(), 1000);
    this.gaugeTimer.unref();
    if (this.elector) this.elector.start();
    else this.startWorkers();
  }

  private updateGauges(): void {
    const { metrics } = this.options;
    const inFlight = this.queue.inFlight();
    const labels = { name: CONTROLLER_NAME, controller: CONTROLLER_NAME };
    metrics.unfinishedWork.set(
      labels,
      inFlight.reduce((sum, f) => sum + f.seconds, 0),
    );
    metrics.longestRunning.set(
      labels,
      inFlight.reduce((max, f) => Math.max(max, f.seconds), 0),
    );
    for (const informer of this.informers()) metrics.informerRelists.set({ resource: informer.type.plural }, informer.stats.lists);
  }

  private startWorkers(): void {
    if (this.stopping || this.leading) return;
    this.leading = true;
    for (const key of this.corePods.list().map(objectKey)) this.queue.add(key);
    for (let i = 0; i < this.options.concurrency; i++) this.workers.push(this.work());
  }

  private async work(): Promise<void> {
    const { metrics, log } = this.options;
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const reconcileID = randomUUID();
      const keyLog = log.child({ corepod: key, reconcileID });
      metrics.activeWorkers.inc({ controller: CONTROLLER_NAME });
      const stopTimer = metrics.reconcileTime.startTimer({ controller: CONTROLLER_NAME });
      try {
        const result = await this.reconciler.reconcile(key, keyLog);
        this.queue.forget(key);
        if (result.terminal !== undefined) {
          metrics.terminalErrors.inc({ controller: CONTROLLER_NAME });
          keyLog.error({ error: result.terminal, recheckMs: result.requeueAfterMs }, 'reconcile failed terminally');
        }
        if (result.requeueAfterMs !== undefined) {
          this.queue.addAfter(key, result.requeueAfterMs);
          metrics.reconcileTotal.inc({ controller: CONTROLLER_NAME, result: 'requeue_after' });
        } else metrics.reconcileTotal.inc({ controller: CONTROLLER_NAME, result: 'success' });
      } catch (error) {
        metrics.reconcileErrors.inc({ controller: CONTROLLER_NAME });
        const retries = this.queue.retries(key);
        this.queue.addRateLimited(key);
        keyLog.warn({ err: error, retries }, 'reconcile failed; requeued with backoff');
        metrics.reconcileTotal.inc({ controller: CONTROLLER_NAME, result: 'error' });
      } finally {
        stopTimer();
        metrics.activeWorkers.dec({ controller: CONTROLLER_NAME });
        this.queue.done(key);
      }
    }
  }

  /** Graceful stop: no new work, in-flight reconciles finish (bounded), their Events are sent (bounded), the lease is released. */
  async stop(graceMs = 20_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.queue.shutDown();
    const drained = Promise.all(this.workers);
    await waitAtMost(drained, graceMs);
    // The last reconciles' Events, then no more series or retry timers.
    await waitAtMost(this.events.flush(), 2000);
    this.events.stop();
    if (this.gaugeTimer) clearInterval(this.gaugeTimer);
    await this.elector?.stop();
    if (this.options.leaderElection) this.options.metrics.leaderStatus.set({ name: this.options.leaderElection.name }, 0);
    await Promise.all(this.informers().map((i) => i.stop()));
  }
}
