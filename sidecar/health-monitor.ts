// The health probe loop of one program: from each spawn on, probes its check (often until a first
// pass, since readiness gates its dependents) and reports the results to its state machine.
import type { ProgramSpec } from '../crds/corepod-schema.js';
import type { Clock, TimerHandle } from '../lib/clock.js';
import type { ExecContext, Probe, ProbeResult } from './health-probe.js';
import type { MachineEvent, ProgramState } from './process-state-machine.js';

/**
 * Delay before the next probe while a program has not passed its check since it was spawned:
 * readiness gates its dependents, so probe often at first (50 ms for 1 s, 100 ms up to 5 s),
 * then back off to a tenth of the time since the spawn, never beyond periodSeconds. A network
 * check is probed every 10 ms for the first half second: a refused connection costs next to
 * nothing, and most services listen within it; an exec check spawns a process each time.
 */
export function startupProbeDelay(sinceSpawnMs: number, periodMs: number, network: boolean): number {
  const delay = network && sinceSpawnMs < 500 ? 10 : sinceSpawnMs < 1000 ? 50 : sinceSpawnMs < 5000 ? 100 : Math.round(sinceSpawnMs / 10);
  return Math.min(delay, periodMs);
}

export interface HealthMonitorOptions {
  check: ProgramSpec['healthCheck'];
  exec: ExecContext;
  probe: Probe;
  clock: Clock;
  /** The program's state right now. */
  state: () => ProgramState;
  report: (event: Extract<MachineEvent, { type: 'probe' }>) => void;
  /** Told of every probe that finished while its run was up (the metrics' probe durations). */
  observe?: (result: ProbeResult) => void;
}

export class HealthMonitor {
  latencyMs: number | undefined;
  message: string | undefined;
  private timer: TimerHandle | undefined;
  private probing = false;
  private abort: AbortController | undefined;
  /** When a failing probe last counted toward failureThreshold before a first pass. */
  private lastCountedFailure: number | undefined;

  constructor(private readonly options: HealthMonitorOptions) {}

  /** Starts over for the run just spawned; probes nothing while the program is not up. */
  restart(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.lastCountedFailure = undefined;
    const { check } = this.options;
    const s = this.options.state();
    if (!check || (s.state !== 'STARTING' && s.state !== 'RUNNING')) return;
    this.schedule(s.generation, check.initialDelaySeconds * 1000);
  }

  stop(): void {
    this.timer?.cancel();
    this.abort?.abort();
  }

  private schedule(generation: number, ms: number): void {
    this.timer?.cancel();
    this.timer = this.options.clock.setTimeout(() => this.run(generation), ms);
  }

  private run(generation: number): void {
    const { check, clock, state } = this.options;
    const alive = () => state().generation === generation && (state().state === 'STARTING' || state().state === 'RUNNING');
    if (!check || !alive() || this.probing) return;
    this.probing = true;
    this.abort = new AbortController();
    this.options.probe
      .run(check, this.options.exec, this.abort.signal)
      .catch((error: unknown) => ({ ok: false, latencyMs: 0, message: String(error) }))
      .then((result) => {
        this.probing = false;
        if (!alive()) return;
        this.options.observe?.(result);
        this.latencyMs = result.latencyMs;
        this.message = result.message;
        const period = check.periodSeconds * 1000;
        const now = clock.now();
        // The fast probes before a first pass only detect readiness early: a failure among them
        // counts at most once per periodSeconds, so failureThreshold means what it means in Kubernetes.
        let counts = result.ok || state().healthy === true;
        if (!counts && now - (this.lastCountedFailure ?? (state().startedAt ?? 0) + check.initialDelaySeconds * 1000) >= period) {
          counts = true;
          this.lastCountedFailure = now;
        }
        if (counts) this.options.report({ type: 'probe', generation, ok: result.ok, ...(result.message !== undefined ? { message: result.message } : {}) });
        if (!alive()) return;
        const sinceSpawn = clock.now() - (state().startedAt ?? 0);
        this.schedule(generation, state().healthy === true ? period : startupProbeDelay(sinceSpawn, period, check.exec === undefined));
      });
  }
}
