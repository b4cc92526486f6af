import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProcessStateEvent } from '../event-hub.js';
import { MetricTally, PROBE_BUCKETS, exitReason } from './metric-tally.js';

const event = (fields: Partial<ProcessStateEvent> & Pick<ProcessStateEvent, 'from' | 'to'>): ProcessStateEvent => ({
  type: 'process-state',
  time: '2026-12-03T00:00:00.000Z',
  program: 'web',
  status: { name: 'web', state: fields.to, restarts: 0, since: '2026-12-03T00:00:00.000Z' },
  restarts: 0,
  ...fields,
});

test('exitReason: only a move from a state with a process to one without is an exit', () => {
  assert.equal(exitReason(event({ from: 'STOPPED', to: 'STARTING' })), undefined);
  assert.equal(exitReason(event({ from: 'STARTING', to: 'RUNNING' })), undefined);
  assert.equal(exitReason(event({ from: 'RUNNING', to: 'STOPPING' })), undefined);
  assert.equal(exitReason(event({ from: 'EXITED', to: 'FATAL' })), undefined, 'the exit before it was counted already');
  assert.equal(exitReason(event({ from: 'BACKOFF', to: 'STOPPED' })), undefined);
});

test('exitReason: the exit facts decide, the stop the supervisor asked for is "stopped"', () => {
  assert.equal(exitReason(event({ from: 'RUNNING', to: 'EXITED', exitCode: 0, signal: null, expected: true })), 'expected');
  assert.equal(exitReason(event({ from: 'RUNNING', to: 'EXITED', exitCode: 3, signal: null, expected: false })), 'unexpected');
  assert.equal(exitReason(event({ from: 'RUNNING', to: 'EXITED', exitCode: null, signal: 'SIGKILL', expected: false })), 'signal');
  assert.equal(exitReason(event({ from: 'STOPPING', to: 'STOPPED', exitCode: null, signal: 'SIGTERM' })), 'stopped');
  assert.equal(exitReason(event({ from: 'STARTING', to: 'BACKOFF', reason: 'spawn failed: ENOENT' })), 'spawn-failed');
});

test('exitReason: a failed start (STARTING → BACKOFF, no facts) reads the status right after it', () => {
  const killed = event({ from: 'STARTING', to: 'BACKOFF', reason: 'exited too quickly' });
  killed.status = { ...killed.status, lastSignal: 'SIGKILL' };
  assert.equal(exitReason(killed), 'signal');
  const failed = event({ from: 'STARTING', to: 'BACKOFF', reason: 'exited too quickly' });
  failed.status = { ...failed.status, lastExitCode: 0 };
  assert.equal(exitReason(failed), 'unexpected', 'a start that ends before startSeconds failed, whatever its code');
});

test('MetricTally counts exits per program and reason, and ignores other events', () => {
  const tally = new MetricTally();
  tally.deliver(event({ from: 'RUNNING', to: 'EXITED', exitCode: null, signal: 'SIGKILL', expected: false }));
  tally.deliver(event({ from: 'RUNNING', to: 'EXITED', exitCode: null, signal: 'SIGKILL', expected: false }));
  tally.deliver(event({ from: 'STOPPING', to: 'STOPPED', program: 'db' }));
  tally.deliver(event({ from: 'STOPPED', to: 'STARTING' }));
  tally.deliver({ type: 'supervisor', time: '2026-12-03T00:00:00.000Z', state: 'running' });
  assert.deepEqual(
    [...tally.exitCounts()].map(([program, counts]) => [program, Object.fromEntries(counts)]),
    [
      ['web', { signal: 2 }],
      ['db', { stopped: 1 }],
    ],
  );
});

test('MetricTally: probe durations into cumulative buckets, sum and count', () => {
  const tally = new MetricTally();
  tally.probed('web', 3);
  tally.probed('web', 30);
  tally.probed('web', 20_000);
  const h = tally.probeHistograms().get('web')!;
  assert.equal(h.count, 3);
  assert.ok(Math.abs(h.sumSeconds - 20.033) < 1e-9);
  const at = (bound: number) => h.buckets[PROBE_BUCKETS.indexOf(bound)];
  assert.equal(at(0.005), 1);
  assert.equal(at(0.025), 1);
  assert.equal(at(0.05), 2);
  assert.equal(at(10), 2, 'the 20 s probe is only in +Inf (the count)');
  assert.equal(tally.probeHistograms().get('other'), undefined);
});
