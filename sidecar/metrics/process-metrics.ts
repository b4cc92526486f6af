// /metrics of the sidecar-init: per-program metrics in the Prometheus text format or OpenMetrics,
// as the scraper's Accept header asks. Every value is read at scrape time from the supervisor's
// cached views and the tally of its events (metric-tally.ts); a scrape never runs a probe. No pod
// or namespace label: the scraper adds those. prom-client is loaded by the first scrape, and
// only its registry, gauge and counter modules (docs/metrics.md: what that costs).
import type { Counter, Gauge, Metric, MetricObjectWithValues, MetricValueWithName, Registry, RegistryContentType } from 'prom-client';
import { PROCESS_STATES } from '../../crds/corepod-names.js';
import type { ContainerMemoryFigures } from '../memory-watch.js';
import type { ProgramDetail } from '../supervisor-views.js';
import { EXIT_REASONS, PROBE_BUCKETS, type MetricTally } from './metric-tally.js';

export const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_TEXT = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

export type MetricsFormat = 'text' | 'openmetrics';

/** What the scraper asked for: OpenMetrics when it prefers it (Prometheus does), else the text format. */
export function negotiateFormat(accept: string | undefined): MetricsFormat {
  let openMetrics = 0;
  let text = 0;
  for (const range of (accept ?? '').split(',')) {
    const [type = '', ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = Number(params.find((p) => p.startsWith('q='))?.slice(2) ?? '1');
    const version = params.find((p) => p.startsWith('version='))?.slice(8);
    if (!Number.isFinite(q)) continue;
    if (type === 'application/openmetrics-text' && (version === undefined || version === '1.0.0' || version === '0.0.1')) openMetrics = Math.max(openMetrics, q);
    else if (type === 'text/plain' || type === 'text/*' || type === '*/*') text = Math.max(text, q);
  }
  return openMetrics > 0 && openMetrics >= text ? 'openmetrics' : 'text';
}

/** What the metrics read of the supervisor (Supervisor has both). */
export interface MetricSource {
  details(): ProgramDetail[];
  /** The container memory figures alone (a scrape has no use for the rest of the health report). */
  containerMemory(): ContainerMemoryFigures | undefined;
}

interface Scrape {
  programs: ProgramDetail[];
  container: ContainerMemoryFigures | undefined;
}

type Fill = (scrape: Scrape, put: (labels: Record<string, string>, value: number) => void) => void;

interface Modules {
  Registry: typeof Registry;
  Gauge: typeof Gauge;
  Counter: typeof Counter;
}

let modules: Promise<Modules> | undefined;

function loadPromClient(): Promise<Modules> {
  modules ??= Promise.all([import('prom-client/lib/registry.js'), import('prom-client/lib/gauge.js'), import('prom-client/lib/counter.js')]).then(([registry, gauge, counter]) => ({
    Registry: registry.default,
    Gauge: gauge.default,
    Counter: counter.default,
  }));
  return modules;
}

const MEMORY_LEVELS = ['ok', 'warning', 'critical'] as const;
const seconds = (iso: string) => Date.parse(iso) / 1000;

export class ProcessMetrics {
  private readonly registries = new Map<MetricsFormat, Promise<Registry<RegistryContentType>>>();
  private current: Scrape = { programs: [], container: undefined };

  constructor(
    private readonly source: MetricSource,
    private readonly tally: MetricTally,
  ) {}

  /** One scrape in the format the Accept header asks for. */
  async scrape(accept: string | undefined): Promise<{ contentType: string; body: string }> {
    const format = negotiateFormat(accept);
    let registry = this.registries.get(format);
    if (!registry) {
      registry = this.build(format);
      this.registries.set(format, registry);
    }
    const ready = await registry;
    this.current = { programs: this.source.details(), container: this.source.containerMemory() };
    return { contentType: format === 'openmetrics' ? OPENMETRICS_TEXT : PROMETHEUS_TEXT, body: await ready.metrics() };
  }

  /** One registry per format: prom-client renames the counters of an OpenMetrics registry. */
  private async build(format: MetricsFormat): Promise<Registry<RegistryContentType>> {
    const { Registry, Gauge, Counter } = await loadPromClient();
    const registry: Registry<RegistryContentType> = new Registry();
    registry.setContentType(format === 'openmetrics' ? OPENMETRICS_TEXT : PROMETHEUS_TEXT);
    const scrape = () => this.current;
    // Filled at each collect from the scrape's snapshot: reset, then each series added from 0
    // (inc, which a Gauge and a Counter both have).
    const collected = (Type: typeof Gauge | typeof Counter) => (name: string, help: string, labelNames: string[], fill: Fill) =>
      new Type({
        name,
        help,
        labelNames,
        registers: [registry],
        collect() {
          this.reset();
          fill(scrape(), (labels, value) => this.inc(labels, value));
        },
      });
    const gauge = collected(Gauge);
    const counter = collected(Counter);
    const each = (fill: (program: ProgramDetail, put: (labels: Record<string, string>, value: number) => void) => void): Fill => {
      return (s, put) => {
        for (const program of s.programs) fill(program, put);
      };
    };

    gauge(
      'corepod_process_up',
      'Whether the program is RUNNING (1) or not (0)',
      ['program'],
      each((p, put) => put({ program: p.name }, p.state === 'RUNNING' ? 1 : 0)),
    );
    gauge(
      'corepod_process_state',
      'The program state: 1 on the current one (STOPPED, STARTING, RUNNING, BACKOFF, STOPPING, EXITED, FATAL)',
      ['program', 'state'],
      each((p, put) => {
        for (const state of PROCESS_STATES) put({ program: p.name, state }, p.state === state ? 1 : 0);
      }),
    );
    counter(
      'corepod_process_restarts_total',
      'Starts of the program after its first, for any cause',
      ['program'],
      each((p, put) => put({ program: p.name }, p.restarts)),
    );
    counter(
      'corepod_process_exits_total',
      'Ends of the program process by reason: expected or unexpected exit code, killed by a signal, stopped by the supervisor, spawn failed',
      ['program', 'reason'],
      each((p, put) => {
        const counts = this.tally.exitCounts().get(p.name);
        for (const reason of EXIT_REASONS) put({ program: p.name, reason }, counts?.get(reason) ?? 0);
      }),
    );
    gauge(
      'corepod_process_start_time_seconds',
      'When the current process of the program was started, in seconds since the Unix epoch (while it has one)',
      ['program'],
      each((p, put) => {
        if (p.startTime !== undefined) put({ program: p.name }, seconds(p.startTime));
      }),
    );
    gauge(
      'corepod_process_memory_bytes',
      'Resident memory of the process tree of the program at the last sample (while it has a process)',
      ['program'],
      each((p, put) => {
        if (p.memoryBytes !== undefined) put({ program: p.name }, p.memoryBytes);
      }),
    );
    registry.registerMetric(this.probeHistogram() as unknown as Metric);
    counter(
      'corepod_log_bytes_total',
      'Bytes the program wrote to its stdout and stderr',
      ['program', 'stream'],
      each((p, put) => {
        put({ program: p.name, stream: 'stdout' }, p.logs.stdoutBytes);
        put({ program: p.name, stream: 'stderr' }, p.logs.stderrBytes);
      }),
    );
    counter(
      'corepod_log_mirror_dropped_lines_total',
      'Lines of the program not mirrored to the container log because its reader lagged',
      ['program'],
      each((p, put) => put({ program: p.name }, p.logs.mirrorDropped)),
    );
    gauge('corepod_container_memory_level', 'The container memory level against spec.memory: 1 on the current one (ok, warning, critical)', ['level'], (s, put) => {
      if (s.container) for (const level of MEMORY_LEVELS) put({ level }, s.container.level === level ? 1 : 0);
    });
    gauge('corepod_container_memory_working_set_bytes', 'The container memory working set at the last sample (with a memory limit)', [], (s, put) => {
      if (s.container) put({}, s.container.workingSetBytes);
    });
    gauge('corepod_container_memory_limit_bytes', 'The container memory limit', [], (s, put) => {
      if (s.container) put({}, s.container.limitBytes);
    });
    return registry;
  }

  /**
   * corepod_health_probe_duration_seconds from the tally's buckets; prom-client's Histogram only
   * counts its own observations, which would begin at the first scrape.
   */
  private probeHistogram() {
    const name = 'corepod_health_probe_duration_seconds';
    const help = 'How long each health probe of the program took';
    const get = async (): Promise<MetricObjectWithValues<MetricValueWithName<string>>> => {
      const values: MetricValueWithName<string>[] = [];
      for (const program of this.current.programs) {
        if (!program.hasHealthCheck) continue;
        const h = this.tally.probeHistograms().get(program.name);
        PROBE_BUCKETS.forEach((le, i) => values.push({ metricName: `${name}_bucket`, labels: { le, program: program.name }, value: h?.buckets[i] ?? 0 }));
        values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', program: program.name }, value: h?.count ?? 0 });
        values.push({ metricName: `${name}_sum`, labels: { program: program.name }, value: h?.sumSeconds ?? 0 });
        values.push({ metricName: `${name}_count`, labels: { program: program.name }, value: h?.count ?? 0 });
      }
      return { name, help, type: 'histogram' as unknown as MetricObjectWithValues<MetricValueWithName<string>>['type'], aggregator: 'sum', values, collect: () => {} };
    };
    return { name, help, type: 'histogram', aggregator: 'sum', get };
  }
}
