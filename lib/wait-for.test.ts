import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor, waitForWith } from './wait-for.js';

test('waitFor resolves with the first truthy value; falsy ones (0 and empty text included) mean not yet', async () => {
  const values: unknown[] = [undefined, null, false, 0, '', 'found'];
  let calls = 0;
  const value = await waitFor('a value', () => values[calls++], 1000, 1);
  assert.equal(value, 'found');
  assert.equal(calls, values.length);
});

test('waitFor waits for an async check and counts a throw as not yet', async () => {
  let calls = 0;
  const value = await waitFor(
    'the third call',
    async () => {
      calls++;
      if (calls < 3) throw new Error('not ready');
      return { calls };
    },
    1000,
    1,
  );
  assert.deepEqual(value, { calls: 3 });
});

test('waitFor fails after the timeout naming what it waited for and the last error', async () => {
  await assert.rejects(
    waitFor(
      'the impossible',
      () => {
        throw new Error('still broken');
      },
      20,
      5,
    ),
    /^Error: timed out after 20 ms waiting for the impossible: still broken$/,
  );
  await assert.rejects(
    waitFor('nothing', () => false, 10, 5),
    /^Error: timed out after 10 ms waiting for nothing$/,
  );
});

test('waitForWith keeps a caller default timeout, which a call may override', async () => {
  const quick = waitForWith({ timeoutMs: 10, intervalMs: 2 });
  await assert.rejects(
    quick('never', () => undefined),
    /timed out after 10 ms/,
  );
  await assert.rejects(
    quick('never', () => undefined, 30),
    /timed out after 30 ms/,
  );
  assert.equal(await quick('now', () => 7), 7);
});
