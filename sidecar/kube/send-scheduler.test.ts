import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/fake-clock.js';
import { Backoff } from '../../lib/backoff.js';
import { SendScheduler, type AttemptOutcome } from './send-scheduler.js';

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const options = { coalesceMs: 500, refreshMs: 10_000, retry: { initialMs: 500, maxMs: 4000 } };
// (no burst option: plain coalescing, except in the burst test)

function harness(outcomes: AttemptOutcome[] = []) {
  const clock = new FakeClock();
  const attempts: number[] = [];
  let gate: Promise<void> | undefined;
  const scheduler = new SendScheduler(
    clock,
    async () => {
      attempts.push(clock.now());
      if (gate) await gate;
      return outcomes.shift() ?? 'done';
    },
    options,
  );
  const advance = async (ms: number) => {
    for (let t = 0; t < ms; t += 100) {
      clock.advance(Math.min(100, ms - t));
      await settle();
    }
  };
  return { clock, attempts, scheduler, advance, hold: (p: Promise<void> | undefined) => (gate = p) };
}

test('changes within the coalescing window make one attempt, 0.5 s after the first', async () => {
  const h = harness();
  h.scheduler.poke();
  await h.advance(200);
  h.scheduler.poke();
  await h.advance(200);
  h.scheduler.poke();
  assert.deepEqual(h.attempts, []);
  await h.advance(200);
  assert.deepEqual(h.attempts, [500]);
  await h.advance(2000);
  assert.deepEqual(h.attempts, [500]);
});

test('a change while an attempt is in flight makes exactly one more attempt after it', async () => {
  const h = harness();
  let release!: () => void;
  h.hold(new Promise((resolve) => (release = resolve)));
  h.scheduler.poke();
  await h.advance(500);
  assert.equal(h.attempts.length, 1);
  h.scheduler.poke();
  h.scheduler.poke();
  await h.advance(3000);
  assert.equal(h.attempts.length, 1, 'never two in flight');
  h.hold(undefined);
  release();
  await settle();
  await h.advance(500);
  assert.deepEqual(h.attempts, [500, 4000]);
});

test('an urgent change goes at once: it ends the coalescing wait, or follows the attempt in flight', async () => {
  const h = harness();
  h.scheduler.poke();
  await h.advance(200);
  h.scheduler.poke(true);
  await settle();
  assert.deepEqual(h.attempts, [200], 'no wait for the rest of the window');
  let release!: () => void;
  h.hold(new Promise((resolve) => (release = resolve)));
  h.scheduler.poke();
  await h.advance(500);
  assert.deepEqual(h.attempts, [200, 700]);
  h.scheduler.poke(true);
  await h.advance(300);
  assert.equal(h.attempts.length, 2, 'never two in flight');
  h.hold(undefined);
  release();
  await settle();
  await settle();
  assert.deepEqual(h.attempts, [200, 700, 1000], 'right after the one in flight');
  h.scheduler.poke();
  await h.advance(500);
  assert.deepEqual(h.attempts, [200, 700, 1000, 1500], 'the next plain change waits its 0.5 s again');
});

test('an urgent change during a burst waits like the others', async () => {
  const clock = new FakeClock();
  const attempts: number[] = [];
  const scheduler = new SendScheduler(clock, async () => (attempts.push(clock.now()), 'done'), { ...options, burst: { windowMs: 10_000, maxSends: 2, coalesceMs: 2000 } });
  scheduler.poke(true);
  await settle();
  scheduler.poke(true);
  await settle();
  assert.deepEqual(attempts, [0, 0]);
  scheduler.poke(true);
  clock.advance(1900);
  await settle();
  assert.deepEqual(attempts, [0, 0], 'two sends in the window: the third waits 2 s');
  scheduler.poke(true);
  clock.advance(100);
  await settle();
  assert.deepEqual(attempts, [0, 0, 2000], 'and another urgent change does not push it back');
});

test('failures are retried with exponential backoff up to the cap, then the latest state goes once', async () => {
  const h = harness(['retry', 'retry', 'retry', 'retry', 'retry', 'done']);
  h.scheduler.poke();
  await h.advance(20_000);
  const gaps = h.attempts.slice(1).map((t, i) => t - h.attempts[i]!);
  assert.deepEqual(gaps, [500, 1000, 2000, 4000, 4000]);
  assert.equal(h.scheduler.retrying, false);
  // Pokes during the outage do not add attempts beyond the retries.
  const before = h.attempts.length;
  await h.advance(1000);
  assert.equal(h.attempts.length, before);
});

test('pokes while a retry is pending wait for that retry', async () => {
  const h = harness(['retry', 'done']);
  h.scheduler.poke();
  await h.advance(500);
  assert.equal(h.scheduler.retrying, true);
  for (let i = 0; i < 5; i++) h.scheduler.poke();
  await h.advance(400);
  assert.deepEqual(h.attempts, [500]);
  await h.advance(200);
  assert.deepEqual(h.attempts, [500, 1000]);
  await h.advance(2000);
  assert.deepEqual(h.attempts, [500, 1000]);
});

test('the refresh tick attempts every refreshMs when idle, and a success resets the backoff', async () => {
  const h = harness();
  h.scheduler.start();
  await h.advance(35_000);
  assert.deepEqual(h.attempts, [10_000, 20_000, 30_000]);
  h.scheduler.stop();
  await h.advance(20_000);
  assert.equal(h.attempts.length, 3);
});

test('flush attempts at once, after the one in flight', async () => {
  const h = harness();
  h.scheduler.poke();
  const outcome = await h.scheduler.flush();
  assert.equal(outcome, 'done');
  assert.deepEqual(h.attempts, [0]);
  await h.advance(1000);
  assert.deepEqual(h.attempts, [0], 'the cancelled coalescing timer does not fire');
});

test('while changes keep coming, attempts slow down to one per burst window; a quiet spell restores 0.5 s', async () => {
  const clock = new FakeClock();
  const attempts: number[] = [];
  const scheduler = new SendScheduler(
    clock,
    async () => {
      attempts.push(clock.now());
      return 'done';
    },
    { ...options, burst: { windowMs: 10_000, maxSends: 5, coalesceMs: 2000 } },
  );
  const step = async (ms: number) => {
    clock.advance(ms);
    await settle();
  };
  // A crash loop: a change every 300 ms for 30 s.
  for (let t = 0; t < 30_000; t += 300) {
    scheduler.poke();
    await step(300);
  }
  await step(3000);
  assert.ok(attempts.length >= 15 && attempts.length <= 20, `attempts: ${attempts.length}`);
  const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
  assert.ok(
    gaps.slice(0, 4).every((g) => g <= 700),
    `the first changes go at once: ${gaps.slice(0, 4)}`,
  );
  assert.ok(
    gaps.slice(6).every((g) => g >= 2000),
    `then one per 2 s: ${gaps.slice(6)}`,
  );
  // Quiet for a window: the next change goes after 0.5 s again.
  await step(11_000);
  const before = attempts.length;
  scheduler.poke();
  await step(600);
  assert.equal(attempts.length, before + 1);
  assert.equal(attempts.at(-1)! - (clock.now() - 600), 500);
});

test('backoff doubles from the initial delay up to the cap and resets', () => {
  const b = new Backoff({ initialMs: 100, maxMs: 1000 });
  assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()], [100, 200, 400, 800, 1000, 1000]);
  b.reset();
  assert.equal(b.next(), 100);
});
