import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideRun, type DueRun } from './schedule-policy.js';

const due = (over: Partial<DueRun> = {}): DueRun => ({ policy: 'Forbid', up: false, waiting: false, lateMs: 0, unready: [], ...over });

test('decideRun: every policy against an idle and a busy program, the starting deadline and dependencies', () => {
  const cases: [Partial<DueRun>, ReturnType<typeof decideRun>][] = [
    [{}, { action: 'start' }],
    [{ policy: 'Allow' }, { action: 'start' }],
    [{ policy: 'Replace' }, { action: 'start' }],
    [{ up: true }, { action: 'skip', reason: 'the previous run is still up (concurrencyPolicy Forbid)' }],
    [{ up: true, policy: 'Replace' }, { action: 'replace' }],
    [{ up: true, policy: 'Allow' }, { action: 'wait' }],
    [
      { up: true, policy: 'Allow', waiting: true },
      { action: 'skip', reason: 'a run already waits for the previous one (concurrencyPolicy Allow)' },
    ],
    [{ lateMs: 5000, startingDeadlineSeconds: 10 }, { action: 'start' }],
    [{ lateMs: 10_000, startingDeadlineSeconds: 10 }, { action: 'start' }],
    [
      { lateMs: 25_000, startingDeadlineSeconds: 10 },
      { action: 'skip', reason: 'missed its startingDeadlineSeconds (10s) by 15s' },
    ],
    [{ lateMs: 3_600_000 }, { action: 'start' }],
    [{ unready: ['db', 'cache'] }, { action: 'skip', reason: 'dependencies not ready: db, cache' }],
  ];
  for (const [over, expected] of cases) assert.deepEqual(decideRun(due(over)), expected, JSON.stringify(over));
});
