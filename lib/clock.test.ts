import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_TIMER_MS, systemClock } from './clock.js';

// Found by fuzzing sd_notify (EXTEND_TIMEOUT_USEC): Node fires a timer longer than 2^31-1 ms after
// 1 ms, so a program that asked for more time was stopped at once.
test('regression (fuzz): a system-clock timer longer than 2^31-1 ms does not fire at once', async () => {
  let fired = 0;
  const warnings: string[] = [];
  const listener = (warning: Error) => warnings.push(warning.name);
  process.on('warning', listener);
  const long = systemClock.setTimeout(() => fired++, MAX_TIMER_MS + 1);
  const forever = systemClock.setTimeout(() => fired++, Number.MAX_SAFE_INTEGER);
  let shortFired = false;
  await new Promise<void>((resolve) => systemClock.setTimeout(() => resolve(void (shortFired = true)), 20));
  long.cancel();
  forever.cancel();
  process.off('warning', listener);
  assert.equal(shortFired, true);
  assert.equal(fired, 0);
  assert.deepEqual(warnings, []);
});
