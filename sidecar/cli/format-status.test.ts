import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProgramDetail } from '../supervisor-views.js';
import { formatBytes, formatUptime, nameWidth, statusLine } from './format-status.js';

const base: ProgramDetail = {
  name: 'auth-service',
  state: 'RUNNING',
  pid: 42,
  restarts: 0,
  since: '2024-01-01T00:00:00.000Z',
  priority: 10,
  critical: false,
  autostart: true,
  dependsOn: [],
  hasHealthCheck: true,
  logs: { stdoutBytes: 0, stderrBytes: 0, mirrorDropped: 0, rotations: 0 },
};

test('RUNNING reads like supervisorctl, plus health, restarts and memory', () => {
  const line = statusLine({ ...base, uptimeSeconds: 3725, healthy: true, restarts: 2, memoryBytes: 43 * 2 ** 20 });
  assert.equal(line, `${'auth-service'.padEnd(33)}${'RUNNING'.padEnd(10)}pid 42, uptime 1:02:05, healthy, restarts 2, 43.0 MiB`);
});

test('FATAL and BACKOFF show the reason; STOPPED shows what it waits for', () => {
  assert.match(statusLine({ ...base, state: 'FATAL', reason: 'too many start retries too quickly' }), /FATAL {5}too many start retries too quickly$/);
  assert.match(statusLine({ ...base, state: 'STOPPED', pid: undefined, waitingFor: ['db'] }), /STOPPED {3}waiting for db$/);
  assert.match(statusLine({ ...base, state: 'STOPPED', pid: undefined }), /Not started$/);
  assert.match(statusLine({ ...base, state: 'EXITED', pid: undefined, lastExitCode: 3 }), /EXITED {4}exit status 3, at 2024/);
});

test("a failed dependency, a program's STATUS= and a schedule show in the description", () => {
  const blocked = {
    ...base,
    state: 'STOPPED' as const,
    pid: undefined,
    waitingFor: ['migrate'],
    reason: 'DependencyFailed',
    message: 'migrate cannot become CompletedSuccessfully: it exited with 1',
  };
  assert.match(statusLine(blocked), /STOPPED {3}waiting: migrate cannot become CompletedSuccessfully: it exited with 1$/);
  assert.match(statusLine({ ...base, uptimeSeconds: 5, notifyStatus: 'accepting connections' }), /pid 42, uptime 0:00:05, status "accepting connections"$/);
  const scheduled = {
    ...base,
    state: 'EXITED' as const,
    pid: undefined,
    lastExitCode: 0,
    lastRunResult: 'Succeeded' as const,
    lastScheduleTime: '2024-01-01T02:00:00.000Z',
    nextScheduleTime: '2024-01-02T02:00:00.000Z',
  };
  assert.match(statusLine(scheduled), /exit status 0, at .*, last run Succeeded \(2024-01-01T02:00:00.000Z\), next run 2024-01-02T02:00:00.000Z$/);
});

test('uptime and byte formats', () => {
  assert.equal(formatUptime(59), '0:00:59');
  assert.equal(formatUptime(90_061), '1 day, 1:01:01');
  assert.equal(formatBytes(512 * 1024), '512 KiB');
  assert.equal(formatBytes(3 * 2 ** 30), '3.0 GiB');
});

test('the name column widens for long names as supervisorctl does', () => {
  assert.equal(nameWidth([{ name: 'a' }]), 33);
  const long = 'a-very-long-program-name-of-40-characters';
  assert.equal(nameWidth([{ name: 'a' }, { name: long }]), long.length + 3);
  assert.ok(statusLine({ ...base, name: long, uptimeSeconds: 1 }, nameWidth([{ name: long }])).startsWith(`${long}   RUNNING`));
});
