import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../lib/fake-clock.js';
import { connectionBudget } from './connection-budget.js';

test('a connection budget lets a burst through, then perSecond, and refills to the burst at most', () => {
  const clock = new FakeClock(1000);
  const budget = connectionBudget(clock, 10, 3);
  assert.deepEqual([budget.take(), budget.take(), budget.take(), budget.take()], [true, true, true, false]);
  clock.advance(100);
  assert.deepEqual([budget.take(), budget.take()], [true, false]);
  clock.advance(60_000);
  assert.deepEqual([budget.take(), budget.take(), budget.take(), budget.take()], [true, true, true, false]);
});
