import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodEntry } from './corepod-read.js';
import { statusTable, withUptime } from './status-command.js';

const NOW = Date.parse('2026-12-03T12:01:05Z');
const pods: PodEntry[] = [
  {
    name: 'shop-6d4-abc',
    updated: '2026-12-03T12:01:00Z',
    processes: [
      { name: 'web', state: 'RUNNING', pid: 42, restarts: 2, since: '2026-12-03T12:00:00Z', healthy: true },
      { name: 'worker', state: 'EXITED', restarts: 0, lastExitCode: 3, since: '2026-12-03T12:00:30Z' },
    ],
  },
  { name: 'shop-6d4-def', updated: '2026-12-03T12:01:00Z', processes: [{ name: 'web', state: 'STOPPED', restarts: 0, since: '2026-12-03T12:00:00Z' }] },
];

test('the uptime of a RUNNING program comes from its since', () => {
  assert.equal(withUptime(pods[0]!.processes[0]!, NOW).uptimeSeconds, 65);
  assert.equal('uptimeSeconds' in withUptime(pods[0]!.processes[1]!, NOW), false);
});

test("per pod, its programs in supervisorctl's columns", () => {
  const pad = (s: string) => s.padEnd(33);
  assert.equal(
    statusTable(pods, NOW, false),
    [
      'pod/shop-6d4-abc',
      `${pad('web')}RUNNING   pid 42, uptime 0:01:05, healthy, restarts 2`,
      `${pad('worker')}EXITED    exit status 3, at 2026-12-03T12:00:30Z`,
      '',
      'pod/shop-6d4-def',
      `${pad('web')}STOPPED   Not started`,
      '',
    ].join('\n'),
  );
});

test('wide: one table with the pod first', () => {
  const lines = statusTable(pods, NOW, true).split('\n');
  assert.match(lines[0]!, /^POD {3}\s+NAME\s+STATE\s+DESCRIPTION$/);
  assert.match(lines[1]!, /^shop-6d4-abc {3}web\s+RUNNING {3}pid 42/);
  assert.match(lines[3]!, /^shop-6d4-def {3}web\s+STOPPED/);
  assert.equal(lines.length, 5);
});
