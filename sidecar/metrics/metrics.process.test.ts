// /metrics of a real `corepod run` on its health port: after a kill -9 of a program its restart
// and exit counters move; OpenMetrics by the Accept header; a scrape runs no probe; what the first
// scrape (which loads prom-client) adds to the supervisor's resident memory stays under 3 MiB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { memoryBreakdown } from '../../lib/procfs.js';
import type { StatusDocument } from '../control-server.js';
import { runCli, startCli, tempDir, waitFor } from '../test-helpers.js';
import { parseSamples, sampleValue, type Sample } from './exposition.js';
import { OPENMETRICS_TEXT, PROMETHEUS_TEXT } from './process-metrics.js';

const MiB = 1024 * 1024;

test('corepod run serves per-program metrics that follow a kill -9, and never probes for a scrape', async (t) => {
  const dir = tempDir(t, 'corepod-metrics-');
  const probes = path.join(dir, 'probes');
  fs.writeFileSync(
    path.join(dir, 'corepod.yaml'),
    `apiVersion: dreamscape.io/v1alpha1
kind: CorePod
metadata: {name: metrics}
spec:
  image: test
  programs:
    - name: worker
      command: [sleep, '1000']
      startSeconds: 0
      backoff: {initialSeconds: 1}
    - name: checked
      command: [sleep, '1000']
      healthCheck:
        exec: {command: [sh, -c, 'echo probe >> ${probes}']}
        periodSeconds: 3600
    - name: chatty
      command: [sh, -c, 'echo hello; echo oops >&2; exec sleep 1000']
      startSeconds: 0
`,
  );
  const env = { ...process.env, COREPOD_RUN_DIR: path.join(dir, 'run') };
  const run = startCli(t, ['run', '-f', path.join(dir, 'corepod.yaml'), '--health-port', '0'], env);
  const status = async () => {
    const result = await runCli(['status', '--json'], env);
    return result.code === 0 ? (JSON.parse(result.stdout) as StatusDocument) : undefined;
  };
  const up = await waitFor(
    'all three RUNNING, checked healthy',
    async () => {
      const document = await status();
      const running = document?.programs.filter((p) => p.state === 'RUNNING' && (p.name !== 'checked' || p.healthy === true)) ?? [];
      return running.length === 3 ? document : undefined;
    },
    30_000,
    100,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\ncorepod run printed:\n${run.output().slice(-4000)}`);
  });
  const port = up.supervisor.healthPort!;
  const scrape = async (accept?: string) => {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, accept ? { headers: { accept } } : {});
    assert.equal(response.status, 200);
    return { contentType: response.headers.get('content-type'), body: await response.text() };
  };
  const samples = async (): Promise<Sample[]> => parseSamples((await scrape()).body);

  const before = memoryBreakdown(run.child.pid!)!;
  const first = await scrape();
  const after = memoryBreakdown(run.child.pid!)!;
  t.diagnostic(
    `first scrape: PSS +${((after.pss - before.pss) / MiB).toFixed(2)} MiB, private +${((after.private - before.private) / MiB).toFixed(2)} MiB, RSS +${((after.rss - before.rss) / MiB).toFixed(2)} MiB`,
  );
  // Resident pages, shared ones included: loading prom-client's index instead (its Pushgateway's
  // https, tls and zlib) adds 4.5-5 MiB here, where PSS and private memory grow less because this
  // machine's other node processes share the binary's pages.
  assert.ok(after.rss - before.rss < 3 * MiB, `the first scrape added ${after.rss - before.rss} resident bytes`);
  assert.equal(first.contentType, PROMETHEUS_TEXT);

  let s = parseSamples(first.body);
  for (const program of ['worker', 'checked', 'chatty']) {
    assert.equal(sampleValue(s, 'corepod_process_up', { program }), 1, program);
    assert.equal(sampleValue(s, 'corepod_process_state', { program, state: 'RUNNING' }), 1, program);
    assert.equal(sampleValue(s, 'corepod_process_restarts_total', { program }), 0, program);
    const started = sampleValue(s, 'corepod_process_start_time_seconds', { program })!;
    assert.ok(Math.abs(started - Date.now() / 1000) < 120, `${program} started at ${started}`);
  }
  assert.ok(sampleValue(s, 'corepod_health_probe_duration_seconds_count', { program: 'checked' })! >= 1);
  assert.equal(sampleValue(s, 'corepod_health_probe_duration_seconds_count', { program: 'worker' }), undefined);
  assert.equal(sampleValue(s, 'corepod_log_bytes_total', { program: 'chatty', stream: 'stdout' }), 'hello\n'.length);
  assert.equal(sampleValue(s, 'corepod_log_bytes_total', { program: 'chatty', stream: 'stderr' }), 'oops\n'.length);
  await waitFor('memory sampled', async () => (sampleValue(await samples(), 'corepod_process_memory_bytes', { program: 'worker' }) ?? 0) > 0, 10_000, 100);

  // The check runs once an hour once it passed: scrapes must not add runs.
  const probesBefore = fs.readFileSync(probes, 'utf8');
  for (let i = 0; i < 20; i++) await scrape();
  assert.equal(fs.readFileSync(probes, 'utf8'), probesBefore, 'a scrape ran the health check');

  const worker = up.programs.find((p) => p.name === 'worker')!;
  process.kill(worker.pid!, 'SIGKILL');
  s = await waitFor(
    'worker restarted after the kill',
    async () => {
      const now = await samples();
      return sampleValue(now, 'corepod_process_restarts_total', { program: 'worker' }) === 1 && sampleValue(now, 'corepod_process_up', { program: 'worker' }) === 1
        ? now
        : undefined;
    },
    20_000,
    100,
  );
  assert.equal(sampleValue(s, 'corepod_process_exits_total', { program: 'worker', reason: 'signal' }), 1);
  assert.equal(sampleValue(s, 'corepod_process_exits_total', { program: 'worker', reason: 'unexpected' }), 0);
  assert.equal(sampleValue(s, 'corepod_process_exits_total', { program: 'checked', reason: 'signal' }), 0);
  assert.equal(sampleValue(s, 'corepod_process_restarts_total', { program: 'checked' }), 0);

  const openMetrics = await scrape('application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.2');
  assert.equal(openMetrics.contentType, OPENMETRICS_TEXT);
  assert.ok(openMetrics.body.endsWith('# EOF\n'));
  assert.equal(sampleValue(parseSamples(openMetrics.body), 'corepod_process_restarts_total', { program: 'worker' }), 1);

  // The restart counter survives a stop of the program by the supervisor, counted as "stopped".
  assert.equal((await runCli(['restart', 'worker'], env)).code, 0);
  s = await samples();
  assert.equal(sampleValue(s, 'corepod_process_restarts_total', { program: 'worker' }), 2);
  await waitFor('the stop is counted', async () => sampleValue(await samples(), 'corepod_process_exits_total', { program: 'worker', reason: 'stopped' }) === 1, 10_000, 50);

  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0);
});
