// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: try to acquire every
// retryPeriod; once leading, renew every retryPeriod and give up leadership if no renewal has
// succeeded within renewDeadline; on stop, release the lease so a follower takes over at once.
import { isConflict, isNotFound, type KubeApi } from '../../kube/kube-api.js';
import { RESOURCES } from '../../kube/resources.js';
import { nextRecord, observe, releasedRecord, verdict, type LeaseRecord, type Observation } from './lease-record.js';
import { systemClock, wallDate, type Clock } from '../../lib/clock.js';
import { WakeableSleep } from '../../lib/wakeable-sleep.js';

export interface LeaderElectorOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  /** Called once when leadership is lost (not on a requested stop). */
  onStoppedLeading: () => void;
  onLeaderChange?: (identity: string) => void;
  onError?: (error: Error) => void;
  /** Retry and renew periods, lease expiry and the times written to the Lease (default: the system clock). */
  clock?: Clock;
}

interface LeaseObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: LeaseRecord;
}

export class LeaderElector {
  private observation?: Observation;
  private leading = false;
  private stopped = false;
  private readonly clock: Clock;
  private readonly sleeper: WakeableSleep;
  private loop?: Promise<void>;
  private lastLeader = '';

  constructor(
    private readonly api: KubeApi,
    private readonly options: LeaderElectorOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.sleeper = new WakeableSleep(this.clock);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  private get durationMs() {
    return this.options.leaseDurationMs ?? 15_000;
  }
  private get deadlineMs() {
    return this.options.renewDeadlineMs ?? 10_000;
  }
  private get retryMs() {
    return this.options.retryPeriodMs ?? 2_000;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops electing; a leader releases the lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.sleeper.wake();
    await this.loop;
    if (this.leading) {
      this.leading = false;
      await this.release().catch((error: Error) => this.options.onError?.(error));
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped && !this.leading) {
      if (await this.tryAcquireOrRenew()) {
        this.leading = true;
        this.options.onStartedLeading();
        break;
      }
      await this.sleeper.sleep(this.retryMs * (1 + Math.random() * 0.2));
    }
    let lastRenew = this.clock.now();
    while (!this.stopped && this.leading) {
      await this.sleeper.sleep(this.retryMs);
      if (this.stopped) break;
      if (await this.tryAcquireOrRenew()) lastRenew = this.clock.now();
      else if (this.clock.now() - lastRenew > this.deadlineMs) {
        this.leading = false;
        this.options.onStoppedLeading();
      }
    }
  }

  /** One attempt; true when we hold the lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.options;
    const durationSeconds = Math.round(this.durationMs / 1000);
    try {
      const lease = await this.api.get<LeaseObject>(RESOURCES.lease, namespace, name);
      if (!lease) {
        const record = nextRecord(undefined, identity, durationSeconds, wallDate(this.clock));
        const created = await this.api.create<LeaseObject>(RESOURCES.lease, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: record,
        });
        this.remember(created);
        return true;
      }
      const record = lease.spec ?? {};
      this.observation = observe(this.observation, record, this.clock.now());
      this.noticeLeader(record.holderIdentity ?? '');
      const decision = verdict(this.observation, identity, this.clock.now());
      if (decision === 'held') return false;
      const updated = await this.api.replace<LeaseObject>(RESOURCES.lease, {
        ...lease,
        spec: nextRecord(record, identity, durationSeconds, wallDate(this.clock)),
      });
      this.remember(updated);
      return true;
    } catch (error) {
      if (!isConflict(error) && !isNotFound(error)) this.options.onError?.(error as Error);
      return false;
    }
  }

  private remember(lease: LeaseObject): void {
    const record = lease.spec ?? {};
    this.observation = { record, observedAt: this.clock.now() };
    this.noticeLeader(record.holderIdentity ?? '');
  }

  private noticeLeader(identity: string): void {
    if (identity !== this.lastLeader) {
      this.lastLeader = identity;
      if (identity) this.options.onLeaderChange?.(identity);
    }
  }

  private async release(): Promise<void> {
    const { namespace, name, identity } = this.options;
    const lease = await this.api.get<LeaseObject>(RESOURCES.lease, namespace, name);
    if (!lease?.spec || lease.spec.holderIdentity !== identity) return;
    await this.api.replace(RESOURCES.lease, { ...lease, spec: releasedRecord(lease.spec, wallDate(this.clock)) });
  }
}
