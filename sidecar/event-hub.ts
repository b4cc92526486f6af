// Subscribers of the supervisor's events (the Kubernetes status reporter, the Event emitter, the
// control API's watchers). Publishing never waits: each sink has its own bounded queue, drained
// on later turns of the event loop one event at a time (an async sink is awaited before its next
// event), so a slow or failing sink loses its oldest events (counted) and never slows supervision.
import type { DependencyCondition, ProcessStateName, ProcessStatus } from '../crds/corepod-schema.js';
import { waitAtMost } from '../lib/wait-at-most.js';

interface ProgramEventBase {
  /** RFC 3339 */
  time: string;
  program: string;
  /** The program's status right after the event (the shape of CorePod status.pods[].processes[]). */
  status: ProcessStatus;
}

export type ProcessStateEvent = ProgramEventBase & {
  type: 'process-state';
  from: ProcessStateName;
  to: ProcessStateName;
  pid?: number;
  exitCode?: number | null;
  signal?: string | null;
  /** For EXITED: whether the exit code was in exitCodes. */
  expected?: boolean;
  reason?: string;
  restarts: number;
  /** The program has a schedule: its runs are reported by scheduled-run events. */
  scheduled?: true;
};

export type HealthEvent = ProgramEventBase & { type: 'health'; healthy: boolean; failures: number; message?: string };

export type ProgramMemoryEvent = ProgramEventBase & {
  type: 'program-memory';
  over: boolean;
  bytes: number;
  limitBytes: number;
  action: 'alert' | 'restart';
};

export type ContainerMemoryEvent = {
  type: 'container-memory';
  time: string;
  level: 'ok' | 'warning' | 'critical';
  previous: 'ok' | 'warning' | 'critical';
  workingSetBytes: number;
  limitBytes: number;
  percent: number;
  warningPercent: number;
  criticalPercent: number;
  action: 'alert' | 'restart';
  /** The program restarted because of it (action restart, at the critical level). */
  restarted?: string;
};

export type SigkillEvent = ProgramEventBase & { type: 'sigkill'; pid: number; reason: string };

/** A waiting program's dependency will not reach its condition by itself: the program keeps waiting. */
export type DependencyFailedEvent = ProgramEventBase & { type: 'dependency-failed'; dependency: string; condition: DependencyCondition; reason: string };

export type SupervisorStateEvent = {
  type: 'supervisor';
  time: string;
  state: 'running' | 'stopping' | 'stopped';
  reason?: string;
  exitCode?: number;
};

/** A scheduled run that failed or was skipped. */
export type ScheduledRunEvent = ProgramEventBase & { type: 'scheduled-run'; result: 'Failed' | 'Skipped'; due: string; reason: string };

/** A lifecycle hook finished: ok, or why not; ms is how long it took. */
export type HookEvent = ProgramEventBase & { type: 'hook'; hook: 'postStart' | 'preStop'; ok: boolean; ms: number; message?: string };

/** A new spec was applied in place (ok), or refused with the running programs left as they were. */
export interface ReconfiguredEvent {
  type: 'reconfigured';
  time: string;
  ok: boolean;
  message?: string;
  /** The CorePod generation of the spec, when it came from the cluster. */
  generation?: number;
  added: string[];
  removed: string[];
  restarted: string[];
  reloaded: string[];
  updated: string[];
}

export type SupervisorEvent =
  | ProcessStateEvent
  | HealthEvent
  | ProgramMemoryEvent
  | ContainerMemoryEvent
  | SigkillEvent
  | DependencyFailedEvent
  | HookEvent
  | ScheduledRunEvent
  | SupervisorStateEvent
  | ReconfiguredEvent;

export interface Sink {
  deliver(event: SupervisorEvent): void | Promise<void>;
}

export interface SubscribeOptions {
  /** Events kept waiting for this sink before the oldest are dropped. Default 1000. */
  maxQueue?: number;
  /** Told when the sink throws or rejects (the event is then skipped). */
  onError?: (error: unknown) => void;
}

export interface Subscription {
  unsubscribe(): void;
  /** Events dropped because this sink fell behind. */
  dropped(): number;
  /** Events waiting for this sink. */
  pending(): number;
}

class Subscriber implements Subscription {
  private readonly queue: SupervisorEvent[] = [];
  private droppedCount = 0;
  private pumping = false;
  active = true;
  private idle: (() => void)[] = [];

  constructor(
    private readonly sink: Sink,
    private readonly maxQueue: number,
    private readonly onError: (error: unknown) => void,
    private readonly remove: (s: Subscriber) => void,
  ) {}

  offer(event: SupervisorEvent): void {
    if (!this.active) return;
    if (this.queue.length >= this.maxQueue) {
      this.queue.shift();
      this.droppedCount += 1;
    }
    this.queue.push(event);
    if (!this.pumping) {
      this.pumping = true;
      setImmediate(() => void this.pump());
    }
  }

  private async pump(): Promise<void> {
    while (this.active && this.queue.length > 0) {
      const event = this.queue.shift()!;
      try {
        const result = this.sink.deliver(event);
        if (result && typeof (result as Promise<void>).then === 'function') await result;
      } catch (error) {
        this.onError(error);
      }
    }
    this.pumping = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  /** Resolves once the queue is empty. */
  whenIdle(): Promise<void> {
    if (!this.pumping && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  unsubscribe(): void {
    this.active = false;
    this.queue.length = 0;
    this.remove(this);
    for (const resolve of this.idle.splice(0)) resolve();
  }

  dropped(): number {
    return this.droppedCount;
  }

  pending(): number {
    return this.queue.length;
  }
}

export class EventHub {
  private readonly subscribers = new Set<Subscriber>();

  subscribe(sink: Sink, options: SubscribeOptions = {}): Subscription {
    const subscriber = new Subscriber(sink, options.maxQueue ?? 1000, options.onError ?? (() => {}), (s) => this.subscribers.delete(s));
    this.subscribers.add(subscriber);
    return subscriber;
  }

  publish(event: SupervisorEvent): void {
    for (const subscriber of this.subscribers) subscriber.offer(event);
  }

  /** Waits (at most timeoutMs) until every sink has taken its queued events, e.g. before exiting. */
  async drain(timeoutMs: number): Promise<void> {
    await waitAtMost(Promise.all([...this.subscribers].map((s) => s.whenIdle())), timeoutMs);
  }
}
