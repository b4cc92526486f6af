import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProcessStatus } from '../../crds/corepod-schema.js';
import { CorePodStatus } from '../../crds/corepod-schema.js';
import { difference, statusApplyBody } from './status-report.js';

const MiB = 1024 * 1024;
const base: ProcessStatus[] = [
  { name: 'auth-service', state: 'RUNNING', pid: 12, restarts: 0, since: '2026-01-01T00:00:00.000Z', healthy: true, memoryBytes: 40 * MiB, probeLatencyMs: 1.2 },
  { name: 'nginx', state: 'STARTING', pid: 14, restarts: 0, since: '2026-01-01T00:00:01.000Z' },
];
const withChange = (i: number, fields: Partial<ProcessStatus>) => base.map((p, j) => (j === i ? { ...p, ...fields } : p));

test('the apply body is one status.pods entry keyed by pod name that the CRD schema accepts', () => {
  const body = statusApplyBody({ podName: 'web-7d9c-abcde', namespace: 'shop', corePodName: 'web' }, base, '2026-01-01T00:00:02.000Z');
  assert.deepEqual(body.metadata, { name: 'web', namespace: 'shop' });
  assert.equal(body.apiVersion, 'dreamscape.io/v1alpha1');
  assert.equal(body.kind, 'CorePod');
  const parsed = CorePodStatus.safeParse(body.status);
  assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
  assert.deepEqual(parsed.data.pods?.[0]?.name, 'web-7d9c-abcde');
  assert.equal(parsed.data.pods?.[0]?.processes.length, 2);
  assert.deepEqual(Object.keys(body.status as object), ['pods'], 'the sidecar never writes the fields the operator owns');
});

test('nothing sent yet, or a different program list, is a state difference', () => {
  assert.equal(difference(undefined, base), 'state');
  assert.equal(difference(base, base.slice(0, 1)), 'state');
  assert.equal(difference(base, [...base].reverse()), 'state');
});

test('each field a reader acts on is a state difference', () => {
  const changes: Partial<ProcessStatus>[] = [
    { state: 'EXITED' },
    { pid: 99 },
    { restarts: 1 },
    { lastExitCode: 1 },
    { lastSignal: 'SIGKILL' },
    { since: '2026-01-01T00:00:05.000Z' },
    { healthy: false },
    { reason: 'DependencyFailed' },
    { lastRunResult: 'Failed' },
    { nextScheduleTime: '2026-01-01T00:05:00.000Z' },
  ];
  for (const change of changes) assert.equal(difference(base, withChange(0, change)), 'state', JSON.stringify(change));
  assert.equal(difference(base, withChange(1, { healthy: true })), 'state');
});

test('memory jitter and probe latency are no difference; a noticeable memory move is volatile', () => {
  assert.equal(difference(base, base), 'none');
  assert.equal(difference(base, withChange(0, { probeLatencyMs: 9 })), 'none');
  assert.equal(difference(base, withChange(0, { notifyStatus: 'processed 1200 requests' })), 'none', "a program's STATUS= text rides along");
  assert.equal(difference(base, withChange(0, { memoryBytes: 41 * MiB })), 'none', '1 MiB of 40 is under 5 %');
  assert.equal(difference(base, withChange(0, { memoryBytes: 43 * MiB })), 'volatile');
  assert.equal(difference(base, withChange(1, { memoryBytes: 3 * MiB })), 'volatile', 'a first figure');
  assert.equal(difference(withChange(1, { memoryBytes: 100_000 }), withChange(1, { memoryBytes: 900_000 })), 'none', 'under 1 MiB');
});
