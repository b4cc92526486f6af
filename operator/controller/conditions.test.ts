import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONDITION, REASON_PATTERN, conditionTime, setCondition } from './conditions.js';

test('lastTransitionTime moves only when the status flips', () => {
  let conditions = setCondition([], { type: CONDITION.ready, status: 'False', reason: 'WaitingForPods', message: 'a' }, 1, 't1');
  conditions = setCondition(conditions, { type: CONDITION.ready, status: 'False', reason: 'ProcessesNotReady', message: 'b' }, 2, 't2');
  assert.deepEqual(conditions, [{ type: 'Ready', status: 'False', reason: 'ProcessesNotReady', message: 'b', lastTransitionTime: 't1', observedGeneration: 2 }]);
  conditions = setCondition(conditions, { type: CONDITION.ready, status: 'True', reason: 'AllProcessesReady', message: 'c' }, 2, 't3');
  assert.equal(conditions[0]!.lastTransitionTime, 't3');
});

test('one entry per type, in the order Ready, Progressing, Degraded', () => {
  let conditions = setCondition([], { type: CONDITION.degraded, status: 'False', reason: 'AsExpected', message: '' }, 1, 't');
  conditions = setCondition(conditions, { type: CONDITION.ready, status: 'True', reason: 'AllProcessesReady', message: '' }, 1, 't');
  conditions = setCondition(conditions, { type: CONDITION.progressing, status: 'False', reason: 'RolloutComplete', message: '' }, 1, 't');
  conditions = setCondition(conditions, { type: CONDITION.ready, status: 'True', reason: 'AllProcessesReady', message: '' }, 1, 't');
  assert.deepEqual(
    conditions.map((c) => c.type),
    ['Ready', 'Progressing', 'Degraded'],
  );
});

test('a reason that would reject the status write is refused', () => {
  assert.throws(() => setCondition([], { type: CONDITION.ready, status: 'True', reason: 'all good', message: '' }, 1, 't'), /invalid condition reason/);
  assert.throws(() => setCondition([], { type: CONDITION.ready, status: 'True', reason: 'Trailing_,', message: '' }, 1, 't'));
  for (const reason of ['A', 'AllProcessesReady', 'Port_Conflict', 'a:b,c_1']) assert.ok(REASON_PATTERN.test(reason), reason);
});

test('long messages are cut to the API limit', () => {
  const [c] = setCondition([], { type: CONDITION.ready, status: 'False', reason: 'X', message: 'm'.repeat(40_000) }, 1, 't');
  assert.equal(c!.message.length, 32_768);
});

test('times are RFC 3339 with seconds, as metav1.Time', () => {
  assert.equal(conditionTime(new Date('2026-01-02T03:04:05.678Z')), '2026-01-02T03:04:05Z');
});
