import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeOutcomes } from './program-command.js';

const done = (results: { name: string; ok: boolean; state: string; pid?: number; error?: string; message?: string }[]) => ({
  pod: 'p1',
  done: true as const,
  handled: { id: 'r', completedAt: '', results },
});

test('per pod and program what was done, with the new pid', () => {
  assert.deepEqual(describeOutcomes('restart', undefined, [done([{ name: 'web', ok: true, state: 'RUNNING', pid: 77 }])], 60_000), {
    lines: ['pod/p1: web: restarted (pid 77)'],
    ok: true,
  });
  assert.deepEqual(describeOutcomes('stop', undefined, [done([{ name: 'web', ok: true, state: 'STOPPED' }])], 60_000), { lines: ['pod/p1: web: stopped'], ok: true });
  assert.deepEqual(describeOutcomes('signal', 'HUP', [done([{ name: 'web', ok: true, state: 'RUNNING', pid: 77 }])], 60_000), {
    lines: ['pod/p1: web: signalled HUP (pid 77)'],
    ok: true,
  });
});

test('a failure, a pod that did not act in time and a pod that went away are not ok', () => {
  const failed = describeOutcomes('stop', undefined, [done([{ name: 'web', ok: false, state: 'STOPPED', error: 'NOT_RUNNING' }])], 60_000);
  assert.deepEqual(failed, { lines: ['pod/p1: web: ERROR (not running) [STOPPED]'], ok: false });
  const late = describeOutcomes(
    'restart',
    undefined,
    [
      { pod: 'p2', done: false, gone: false },
      { pod: 'p3', done: false, gone: true },
    ],
    90_000,
  );
  assert.deepEqual(late, {
    lines: ["pod/p2: did not act within 90s (its sidecar-init's log says why; an older sidecar-init does not act on requests)", 'pod/p3: gone before it acted'],
    ok: false,
  });
});

test('starting a program already started is fine, as supervisorctl says', () => {
  assert.equal(describeOutcomes('start', undefined, [done([{ name: 'web', ok: false, state: 'RUNNING', error: 'ALREADY_STARTED' }])], 60_000).ok, true);
});
