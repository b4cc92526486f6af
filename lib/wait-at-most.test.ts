import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitAtMost } from './wait-at-most.js';

test('returns when the work is done, without waiting for the bound', async () => {
  let done = false;
  await waitAtMost(
    new Promise<void>((resolve) =>
      setImmediate(() => {
        done = true;
        resolve();
      }),
    ),
    60_000,
  );
  assert.equal(done, true);
});

test('returns at the bound when the work never ends, and when it fails', async () => {
  await waitAtMost(new Promise(() => undefined), 10);
  await waitAtMost(Promise.reject(new Error('no')), 60_000);
});
