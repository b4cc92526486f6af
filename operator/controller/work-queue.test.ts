import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from './work-queue.js';
import { BucketRateLimiter, ItemExponentialFailureRateLimiter, defaultControllerRateLimiter } from './rate-limiter.js';
import { FakeClock } from '../../lib/fake-clock.js';

const queue = (clock = new FakeClock()) => ({
  clock,
  q: new WorkQueue(defaultControllerRateLimiter(clock), clock),
});

test('a key added many times is queued once', async () => {
  const { q } = queue();
  for (let i = 0; i < 10; i++) q.add('ns/a');
  q.add('ns/b');
  assert.equal(q.length, 2);
  assert.equal(await q.get(), 'ns/a');
  assert.equal(await q.get(), 'ns/b');
  assert.equal(q.length, 0);
});

test('a key is never handed to two workers; changes during processing requeue it after done', async () => {
  const { q } = queue();
  q.add('k');
  const key = await q.get();
  q.add('k');
  q.add('k');
  assert.equal(q.length, 0, 'not queued while processing');
  let second: string | undefined;
  void q.get().then((k) => (second = k));
  await Promise.resolve();
  assert.equal(second, undefined);
  q.done(key!);
  await Promise.resolve();
  assert.equal(second, 'k');
});

test('a waiting worker gets a key as soon as it is added', async () => {
  const { q } = queue();
  const got = q.get();
  q.add('x');
  assert.equal(await got, 'x');
});

test('addAfter delays, and the earliest pending delay wins', async () => {
  const { q, clock } = queue();
  q.addAfter('k', 1000);
  q.addAfter('k', 5000);
  clock.advance(999);
  assert.equal(q.length, 0);
  clock.advance(1);
  assert.equal(q.length, 1);
  clock.advance(10_000);
  assert.equal(q.length, 1, 'the later delay was dropped');
});

test('rate-limited requeues back off exponentially per key from 5 ms, and forget resets', () => {
  const limiter = new ItemExponentialFailureRateLimiter(5, 1_000_000);
  assert.deepEqual(
    [1, 2, 3, 4, 5].map(() => limiter.when('k')),
    [5, 10, 20, 40, 80],
  );
  assert.equal(limiter.when('other'), 5, 'per key');
  assert.equal(limiter.retries('k'), 5);
  for (let i = 0; i < 100; i++) limiter.when('k');
  assert.equal(limiter.when('k'), 1_000_000, 'capped at 1000 s');
  limiter.forget('k');
  assert.equal(limiter.when('k'), 5);
});

test('the token bucket allows a burst of 100 then 10 per second', () => {
  const clock = new FakeClock();
  const bucket = new BucketRateLimiter(10, 100, clock);
  for (let i = 0; i < 100; i++) assert.equal(bucket.when(), 0);
  assert.equal(bucket.when(), 100);
  assert.equal(bucket.when(), 200);
  clock.advance(1000);
  // ten tokens came back, two were owed: eight left
  for (let i = 0; i < 8; i++) assert.equal(bucket.when(), 0);
  assert.equal(bucket.when(), 100);
});

test('one failing key does not delay the others', async () => {
  const { q, clock } = queue();
  for (let i = 0; i < 10; i++) {
    q.add('bad');
    q.done((await q.get())!);
    q.addRateLimited('bad');
    clock.advance(5 * 2 ** i);
  }
  q.add('bad');
  q.done((await q.get())!);
  q.addRateLimited('bad');
  q.add('good');
  assert.equal(await q.get(), 'good');
  assert.equal(q.length, 0, 'bad waits for its backoff (5120 ms)');
  clock.advance(5 * 2 ** 10);
  assert.equal(await q.get(), 'bad');
});

test('shutDown wakes waiting workers with undefined and drops delayed adds', async () => {
  const { q, clock } = queue();
  const waiting = q.get();
  q.addAfter('late', 100);
  q.shutDown();
  assert.equal(await waiting, undefined);
  clock.advance(1000);
  assert.equal(q.length, 0);
  q.add('after');
  assert.equal(await q.get(), undefined);
});
