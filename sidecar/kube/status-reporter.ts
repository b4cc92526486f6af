// Writes this pod's processes into its CorePod's status: one entry of status.pods (a list-map keyed
// by pod name) owned through server-side apply by a per-pod field manager, so replicas never
// conflict. Changes coalesce (send-scheduler.ts), except that the pod becoming ready or unready
// goes at once; while the API server is unreachable supervision
// goes on and only the latest state is kept, sent once it answers again.
import type { ProcessStatus } from '../../crds/corepod-schema.js';
import type { KubeApi } from '../../kube/kube-api.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import type { Sink, SupervisorEvent } from '../event-hub.js';
import { silentLogger, type Logger } from '../logger.js';
import { RESOURCES } from '../../kube/resources.js';
import { fieldManagerFor, type PodIdentity } from './pod-identity.js';
import { DEFAULT_SEND_SCHEDULE, SendScheduler, type AttemptOutcome, type SendSchedulerOptions } from './send-scheduler.js';
import { DEFAULT_DIFFERENCE, difference, statusApplyBody, type DifferenceOptions, type PodFacts } from './status-report.js';
import { waitAtMost } from '../../lib/wait-at-most.js';

export interface StatusSource {
  /** Every program in the shape of status.pods[].processes[]. */
  snapshot(): ProcessStatus[];
  /** Whether the pod is ready (/readyz): when this flips, the status goes at once. */
  ready?(): boolean;
}

/** The generation and conditions this pod reports (live reconfiguration). */
export type PodFactsSource = () => PodFacts;

/** How long the pod facts are left out after an older CRD refused them. */
const FACTS_RETRY_MS = 15_000;

export interface StatusReporterOptions {
  api: KubeApi;
  identity: PodIdentity;
  source: StatusSource;
  facts?: PodFactsSource;
  clock?: Clock;
  logger?: Logger;
  schedule?: SendSchedulerOptions;
  difference?: DifferenceOptions;
  /** Longest wait for the final patch when the supervisor has stopped. */
  finalFlushMs?: number;
}

export interface StatusReporterStats {
  patches: number;
  failures: number;
  lastError?: string;
}

export class StatusReporter implements Sink {
  private readonly scheduler: SendScheduler;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly fieldManager: string;
  private lastSent: ProcessStatus[] | undefined;
  private lastFacts = '';
  /** Until when the pod facts are left out: the installed CRD does not know them yet (an older version). */
  private factsRefusedUntil = 0;
  private readonly counters: StatusReporterStats = { patches: 0, failures: 0 };
  private failing = false;
  private wasReady: boolean | undefined;

  constructor(private readonly options: StatusReporterOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.fieldManager = fieldManagerFor(options.identity.podName);
    this.scheduler = new SendScheduler(this.clock, () => this.attempt(), options.schedule ?? DEFAULT_SEND_SCHEDULE);
  }

  start(): void {
    this.wasReady = this.options.source.ready?.();
    this.scheduler.start();
    this.scheduler.poke();
  }

  deliver(event: SupervisorEvent): void | Promise<void> {
    if (event.type === 'supervisor' && event.state === 'stopped') return this.finalFlush();
    const ready = this.options.source.ready?.();
    const flipped = ready !== this.wasReady;
    this.wasReady = ready;
    this.scheduler.poke(flipped);
  }

  stop(): void {
    this.scheduler.stop();
  }

  /** The pod facts changed (a new generation applied or refused): report soon. */
  refresh(): void {
    this.scheduler.poke();
  }

  stats(): StatusReporterStats {
    return { ...this.counters };
  }

  /** Sends the latest state now if it differs from what was sent; resolves when done. */
  flush(): Promise<AttemptOutcome> {
    return this.scheduler.flush();
  }

  private async finalFlush(): Promise<void> {
    await waitAtMost(this.flush(), this.options.finalFlushMs ?? 1500);
    this.stop();
  }

  private async attempt(): Promise<AttemptOutcome> {
    const snapshot = this.options.source.snapshot();
    const facts = this.clock.now() < this.factsRefusedUntil ? {} : (this.options.facts?.() ?? {});
    const factsText = JSON.stringify(facts);
    if (this.lastSent && factsText === this.lastFacts && difference(this.lastSent, snapshot, this.options.difference ?? DEFAULT_DIFFERENCE) === 'none') return 'done';
    const body = statusApplyBody(this.options.identity, snapshot, new Date(this.clock.now()).toISOString(), facts);
    try {
      await this.options.api.apply(RESOURCES.corePod, body, { fieldManager: this.fieldManager, force: true, subresource: 'status' });
    } catch (error) {
      if (factsText !== '{}' && error instanceof Error && /field not declared in schema/.test(error.message)) {
        // A CRD older than this sidecar-init: report the processes without the generation for a while.
        this.logger.warn('the CorePod CRD does not know status.pods[].generation and conditions yet: reporting without them', { error: error.message });
        this.factsRefusedUntil = this.clock.now() + FACTS_RETRY_MS;
        return this.attempt();
      }
      this.counters.failures += 1;
      this.counters.lastError = error instanceof Error ? error.message : String(error);
      if (!this.failing) this.logger.warn('cannot report status; will retry with the latest state', { error: this.counters.lastError });
      this.failing = true;
      return 'retry';
    }
    if (this.failing) this.logger.info('status reported again', { failures: this.scheduler.failures });
    this.failing = false;
    this.lastSent = snapshot;
    this.lastFacts = factsText;
    this.counters.patches += 1;
    return 'done';
  }
}
