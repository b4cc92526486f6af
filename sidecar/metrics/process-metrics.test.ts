import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProgramDetail } from '../supervisor-views.js';
import type { ContainerMemoryFigures } from '../memory-watch.js';
import { parseSamples, sampleValue } from './exposition.js';
import { MetricTally } from './metric-tally.js';
import { OPENMETRICS_TEXT, PROMETHEUS_TEXT, ProcessMetrics, negotiateFormat } from './process-metrics.js';

const PROMETHEUS_2_ACCEPT = 'application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';

test('negotiateFormat: OpenMetrics when the scraper prefers it, the text format otherwise', () => {
  assert.equal(negotiateFormat(PROMETHEUS_2_ACCEPT), 'openmetrics');
  assert.equal(negotiateFormat('application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,text/plain;version=0.0.4;q=0.3,*/*;q=0.1'), 'openmetrics');
  assert.equal(negotiateFormat('application/openmetrics-text'), 'openmetrics');
  assert.equal(negotiateFormat(undefined), 'text');
  assert.equal(negotiateFormat('*/*'), 'text');
  assert.equal(negotiateFormat('text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5'), 'text');
  assert.equal(negotiateFormat('application/openmetrics-text;version=2.0.0'), 'text', 'an OpenMetrics version not served');
  assert.equal(negotiateFormat('application/openmetrics-text;q=0'), 'text');
});

function detail(name: string, fields: Partial<ProgramDetail> = {}): ProgramDetail {
  return {
    name,
    state: 'RUNNING',
    restarts: 0,
    since: '2026-12-03T10:00:00.000Z',
    priority: 999,
    critical: false,
    autostart: true,
    dependsOn: [],
    hasHealthCheck: false,
    logs: { stdoutBytes: 0, stderrBytes: 0, mirrorDropped: 0, rotations: 0 },
    ...fields,
  };
}

function metricsOf(programs: () => ProgramDetail[], container?: ContainerMemoryFigures) {
  const tally = new MetricTally();
  const source = { details: programs, containerMemory: () => container };
  return { tally, metrics: new ProcessMetrics(source, tally) };
}

test('a scrape reads every program at that moment: up, state set, restarts, start time, memory, logs', async () => {
  let programs = [
    detail('web', { pid: 10, startTime: '2026-12-03T10:00:01.500Z', memoryBytes: 4096, restarts: 2, logs: { stdoutBytes: 7, stderrBytes: 3, mirrorDropped: 1, rotations: 0 } }),
    detail('task', { state: 'EXITED' }),
  ];
  const { metrics } = metricsOf(() => programs);
  const first = await metrics.scrape(undefined);
  assert.equal(first.contentType, PROMETHEUS_TEXT);
  const s = parseSamples(first.body);
  assert.equal(sampleValue(s, 'corepod_process_up', { program: 'web' }), 1);
  assert.equal(sampleValue(s, 'corepod_process_up', { program: 'task' }), 0);
  assert.equal(sampleValue(s, 'corepod_process_state', { program: 'task', state: 'EXITED' }), 1);
  assert.equal(s.filter((x) => x.name === 'corepod_process_state' && x.labels.program === 'task' && x.value === 0).length, 6);
  assert.equal(sampleValue(s, 'corepod_process_restarts_total', { program: 'web' }), 2);
  assert.equal(sampleValue(s, 'corepod_process_start_time_seconds', { program: 'web' }), Date.parse('2026-12-03T10:00:01.500Z') / 1000);
  assert.equal(sampleValue(s, 'corepod_process_start_time_seconds', { program: 'task' }), undefined, 'no process, no start time');
  assert.equal(sampleValue(s, 'corepod_process_memory_bytes', { program: 'web' }), 4096);
  assert.equal(sampleValue(s, 'corepod_log_bytes_total', { program: 'web', stream: 'stderr' }), 3);
  assert.equal(sampleValue(s, 'corepod_log_mirror_dropped_lines_total', { program: 'web' }), 1);
  assert.equal(sampleValue(s, 'corepod_container_memory_level', { level: 'ok' }), undefined, 'no memory limit, no level');
  for (const sample of s) assert.ok(!('pod' in sample.labels) && !('namespace' in sample.labels), sample.name);

  programs = [detail('web', { state: 'BACKOFF', restarts: 3 })];
  const again = parseSamples((await metrics.scrape(undefined)).body);
  assert.equal(sampleValue(again, 'corepod_process_restarts_total', { program: 'web' }), 3);
  assert.equal(sampleValue(again, 'corepod_process_state', { program: 'web', state: 'BACKOFF' }), 1);
  assert.equal(sampleValue(again, 'corepod_process_up', { program: 'task' }), undefined, 'a program gone from the spec is gone from the scrape');
});

test('exits by reason start at 0 for every program; probe durations for programs with a health check', async () => {
  const { metrics, tally } = metricsOf(() => [detail('web', { hasHealthCheck: true }), detail('worker')]);
  tally.deliver({
    type: 'process-state',
    time: '2026-12-03T10:00:00.000Z',
    program: 'web',
    status: { name: 'web', state: 'EXITED', restarts: 0, since: '2026-12-03T10:00:00.000Z' },
    from: 'RUNNING',
    to: 'EXITED',
    exitCode: null,
    signal: 'SIGKILL',
    expected: false,
    restarts: 0,
  });
  tally.probed('web', 20);
  tally.probed('web', 200);
  const s = parseSamples((await metrics.scrape(undefined)).body);
  assert.equal(sampleValue(s, 'corepod_process_exits_total', { program: 'web', reason: 'signal' }), 1);
  assert.equal(sampleValue(s, 'corepod_process_exits_total', { program: 'worker', reason: 'unexpected' }), 0);
  assert.equal(s.filter((x) => x.name === 'corepod_process_exits_total').length, 10);
  assert.equal(sampleValue(s, 'corepod_health_probe_duration_seconds_bucket', { program: 'web', le: '0.025' }), 1);
  assert.equal(sampleValue(s, 'corepod_health_probe_duration_seconds_bucket', { program: 'web', le: '0.25' }), 2);
  assert.equal(sampleValue(s, 'corepod_health_probe_duration_seconds_bucket', { program: 'web', le: '+Inf' }), 2);
  assert.equal(sampleValue(s, 'corepod_health_probe_duration_seconds_count', { program: 'web' }), 2);
  assert.ok(Math.abs(sampleValue(s, 'corepod_health_probe_duration_seconds_sum', { program: 'web' })! - 0.22) < 1e-9);
  assert.equal(sampleValue(s, 'corepod_health_probe_duration_seconds_count', { program: 'worker' }), undefined);
});

test('the container memory level as a state set, with the working set and the limit', async () => {
  const { metrics } = metricsOf(() => [], { level: 'critical', percent: 96, workingSetBytes: 960, limitBytes: 1000 });
  const s = parseSamples((await metrics.scrape(undefined)).body);
  assert.equal(sampleValue(s, 'corepod_container_memory_level', { level: 'critical' }), 1);
  assert.equal(sampleValue(s, 'corepod_container_memory_level', { level: 'ok' }), 0);
  assert.equal(sampleValue(s, 'corepod_container_memory_working_set_bytes'), 960);
  assert.equal(sampleValue(s, 'corepod_container_memory_limit_bytes'), 1000);
});

test('OpenMetrics and the text format side by side: counters keep _total in both, OpenMetrics ends in # EOF', async () => {
  const { metrics } = metricsOf(() => [detail('web', { restarts: 1, hasHealthCheck: true })]);
  for (let round = 0; round < 2; round++) {
    const om = await metrics.scrape(PROMETHEUS_2_ACCEPT);
    assert.equal(om.contentType, OPENMETRICS_TEXT);
    assert.ok(om.body.endsWith('# EOF\n'));
    assert.match(om.body, /^# TYPE corepod_process_restarts counter$/m);
    assert.match(om.body, /^# TYPE corepod_health_probe_duration_seconds histogram$/m);
    assert.equal(sampleValue(parseSamples(om.body), 'corepod_process_restarts_total', { program: 'web' }), 1);
    const text = await metrics.scrape('text/plain');
    assert.ok(!text.body.includes('# EOF'));
    assert.match(text.body, /^# TYPE corepod_process_restarts_total counter$/m);
    assert.equal(sampleValue(parseSamples(text.body), 'corepod_process_restarts_total', { program: 'web' }), 1);
  }
});

test('parseSamples reads labels with escapes and special values, and refuses garbage', () => {
  const s = parseSamples('# HELP x y\nx{a="q\\"uote",b="2"} 1.5\ny +Inf\n');
  assert.deepEqual(s, [
    { name: 'x', labels: { a: 'q"uote', b: '2' }, value: 1.5 },
    { name: 'y', labels: {}, value: Number.POSITIVE_INFINITY },
  ]);
  assert.throws(() => parseSamples('{oops} 1\n'), /not a sample line/);
});
