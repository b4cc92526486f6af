import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './fake-clock.js';
import { WakeableSleep } from './wakeable-sleep.js';

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

test('a sleep ends when its time has passed, not before', async () => {
  const clock = new FakeClock();
  const sleeper = new WakeableSleep(clock);
  let done = false;
  void sleeper.sleep(1000).then(() => (done = true));
  clock.advance(999);
  await settle();
  assert.equal(done, false);
  clock.advance(1);
  await settle();
  assert.equal(done, true);
});

test('wake ends the current sleep at once; waking with none running does nothing', async () => {
  const clock = new FakeClock();
  const sleeper = new WakeableSleep(clock);
  sleeper.wake();
  let done = false;
  void sleeper.sleep(60_000).then(() => (done = true));
  sleeper.wake();
  await settle();
  assert.equal(done, true);
  clock.advance(60_000);
  await settle();
});
