// What the metrics count between scrapes, kept in plain maps from the supervisor's events and
// probe results (prom-client is loaded only when the first scrape comes: process-metrics.ts).
import type { ProcessStateName } from '../../crds/corepod-schema.js';
import type { ProcessStateEvent, Sink, SupervisorEvent } from '../event-hub.js';

/** Why a process ended, as the `reason` label of corepod_process_exits_total. */
export type ExitReason = 'expected' | 'unexpected' | 'signal' | 'stopped' | 'spawn-failed';
export const EXIT_REASONS: readonly ExitReason[] = ['expected', 'unexpected', 'signal', 'stopped', 'spawn-failed'];

/** Upper bounds (seconds) of the corepod_health_probe_duration_seconds buckets. */
export const PROBE_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const UP: ReadonlySet<ProcessStateName> = new Set(['STARTING', 'RUNNING', 'STOPPING']);

/**
 * The exit a state event reports, if it reports one: a move from a state with a process
 * (STARTING, RUNNING, STOPPING) to one without. An exit the supervisor asked for (from STOPPING)
 * is "stopped"; otherwise the exit's own facts decide, or the status right after it when the
 * event carries none (a start that failed goes STARTING → BACKOFF).
 */
export function exitReason(event: ProcessStateEvent): ExitReason | undefined {
  if (!UP.has(event.from) || UP.has(event.to)) return undefined;
  if (event.from === 'STOPPING') return 'stopped';
  if (event.reason?.startsWith('spawn failed')) return 'spawn-failed';
  const hasFacts = event.exitCode !== undefined || event.signal !== undefined;
  const signal = hasFacts ? event.signal : event.status.lastSignal;
  if (signal) return 'signal';
  return event.expected === true ? 'expected' : 'unexpected';
}

export interface ProbeHistogram {
  /** Observations at or under each bound of PROBE_BUCKETS, cumulative as Prometheus wants them. */
  buckets: number[];
  sumSeconds: number;
  count: number;
}

export class MetricTally implements Sink {
  private readonly exits = new Map<string, Map<ExitReason, number>>();
  private readonly probes = new Map<string, ProbeHistogram>();

  deliver(event: SupervisorEvent): void {
    if (event.type !== 'process-state') return;
    const reason = exitReason(event);
    if (!reason) return;
    const counts = this.exits.get(event.program) ?? new Map<ExitReason, number>();
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
    this.exits.set(event.program, counts);
  }

  /** One health probe of `program` finished after latencyMs. */
  probed(program: string, latencyMs: number): void {
    let histogram = this.probes.get(program);
    if (!histogram) {
      histogram = { buckets: PROBE_BUCKETS.map(() => 0), sumSeconds: 0, count: 0 };
      this.probes.set(program, histogram);
    }
    const seconds = latencyMs / 1000;
    PROBE_BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) histogram.buckets[i]! += 1;
    });
    histogram.sumSeconds += seconds;
    histogram.count += 1;
  }

  exitCounts(): ReadonlyMap<string, ReadonlyMap<ExitReason, number>> {
    return this.exits;
  }

  probeHistograms(): ReadonlyMap<string, Readonly<ProbeHistogram>> {
    return this.probes;
  }
}
