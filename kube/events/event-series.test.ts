import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/fake-clock.js';
import type { ApiErrorClass } from '../kube-api.js';
import type { EventIntent, Series } from './event-object.js';
import { DEFAULT_SERIES, EventSeriesBook, type EventWriter } from './event-series.js';

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

class Failure extends Error {
  constructor(readonly kind: ApiErrorClass) {
    super(kind);
  }
}

/** Records what would reach the API server; can be made to fail. */
class RecordingWriter implements EventWriter {
  readonly objects = new Map<string, { intent: EventIntent; eventTime: number; series?: Series }>();
  readonly writes: { op: 'create' | 'patch'; at: number; name: string; count: number }[] = [];
  failNext: ApiErrorClass[] = [];
  down = false;
  private n = 0;

  constructor(private readonly clock: FakeClock) {}

  async create(intent: EventIntent, eventTime: number, series?: Series): Promise<string> {
    this.check();
    const name = `e${this.n++}`;
    this.objects.set(name, { intent, eventTime, ...(series ? { series } : {}) });
    this.writes.push({ op: 'create', at: this.clock.now(), name, count: series?.count ?? 1 });
    return name;
  }

  async patchSeries(name: string, series: Series): Promise<void> {
    this.check();
    const object = this.objects.get(name);
    if (!object) throw new Failure('notFound');
    object.series = series;
    this.writes.push({ op: 'patch', at: this.clock.now(), name, count: series.count });
  }

  private check() {
    if (this.down) throw new Failure('retry');
    const failure = this.failNext.shift();
    if (failure) throw new Failure(failure);
  }
}

const intent = (reason: string, program = 'auth-service'): EventIntent => ({
  key: `${reason}|${program}`,
  type: 'Warning',
  reason,
  action: 'Exit',
  note: `${program} ${reason}`,
  program,
});

function harness(overrides: Partial<typeof DEFAULT_SERIES> = {}) {
  const clock = new FakeClock();
  clock.advance(1_000_000);
  const writer = new RecordingWriter(clock);
  const dropped: string[] = [];
  const book = new EventSeriesBook(clock, writer, {
    ...DEFAULT_SERIES,
    retry: { initialMs: 500, maxMs: 8000 },
    ...overrides,
    classify: (error) => (error instanceof Failure ? error.kind : 'retry'),
    onDrop: (i) => dropped.push(i.reason),
  });
  const advance = async (ms: number) => {
    await settle();
    for (let t = 0; t < ms; t += 100) {
      clock.advance(Math.min(100, ms - t));
      await settle();
    }
  };
  return { clock, writer, book, advance, dropped };
}

test('the first occurrence is created at once; repeats become one series patched at most every 10 s', async () => {
  const h = harness();
  h.book.record(intent('ProcessExited'));
  await h.advance(0);
  assert.deepEqual(
    h.writer.writes.map((w) => [w.op, w.count]),
    [['create', 1]],
  );
  // A crash every second for a minute.
  for (let s = 1; s <= 60; s++) {
    await h.advance(1000);
    h.book.record(intent('ProcessExited'));
  }
  await h.advance(10_000);
  const creates = h.writer.writes.filter((w) => w.op === 'create');
  const patches = h.writer.writes.filter((w) => w.op === 'patch');
  assert.equal(creates.length, 1, 'one object for the whole loop');
  assert.ok(patches.length >= 5 && patches.length <= 7, `patches: ${patches.length}`);
  for (let i = 1; i < patches.length; i++) assert.ok(patches[i]!.at - patches[i - 1]!.at >= 10_000);
  const object = h.writer.objects.get('e0')!;
  assert.equal(object.series?.count, 61);
  assert.equal(object.series?.lastObservedTime, 1_000_000 + 60_000);
});

test('distinct intents are distinct objects; a crash loop of exit + restart makes two objects a minute', async () => {
  const h = harness();
  for (let s = 0; s < 60; s++) {
    h.book.record(intent('ProcessExited'));
    h.book.record(intent('ProcessRestarted'));
    await h.advance(1000);
  }
  await h.advance(10_000);
  assert.equal(h.writer.objects.size, 2);
  assert.deepEqual(
    [...h.writer.objects.values()].map((o) => o.series?.count),
    [60, 60],
  );
});

test('after seriesIdleMs without a repeat, the next occurrence starts a new object', async () => {
  const h = harness();
  h.book.record(intent('ProcessExited'));
  await h.advance(DEFAULT_SERIES.seriesIdleMs + 1000);
  h.book.record(intent('ProcessExited'));
  await h.advance(0);
  assert.deepEqual(
    h.writer.writes.map((w) => [w.op, w.name]),
    [
      ['create', 'e0'],
      ['create', 'e1'],
    ],
  );
});

test('while the API server is away, creates retry with backoff and the latest count goes once it is back', async () => {
  const h = harness();
  h.writer.down = true;
  h.book.record(intent('ProcessExited'));
  for (let s = 0; s < 20; s++) {
    await h.advance(1000);
    h.book.record(intent('ProcessExited'));
  }
  assert.equal(h.writer.writes.length, 0);
  assert.equal(h.book.pending(), 1);
  h.writer.down = false;
  await h.advance(9000);
  assert.deepEqual(
    h.writer.writes.map((w) => [w.op, w.count]),
    [['create', 21]],
  );
  assert.equal(h.writer.objects.get('e0')!.eventTime, 1_000_000, 'eventTime is the first occurrence');
  assert.equal(h.book.pending(), 0);
});

test('a series whose Event was garbage-collected continues in a new object', async () => {
  const h = harness();
  h.book.record(intent('ProcessExited'));
  await h.advance(0);
  h.writer.objects.clear();
  h.book.record(intent('ProcessExited'));
  await h.advance(10_000);
  assert.deepEqual(
    h.writer.writes.map((w) => [w.op, w.name]),
    [
      ['create', 'e0'],
      ['create', 'e1'],
    ],
  );
});

test('a write the server refuses for good is dropped and reported, not retried', async () => {
  const h = harness();
  h.writer.failNext = ['permanent'];
  h.book.record(intent('ProcessFatal'));
  await h.advance(60_000);
  assert.deepEqual(h.dropped, ['ProcessFatal']);
  assert.equal(h.writer.writes.length, 0);
  assert.equal(h.book.stats().dropped, 1);
  h.book.record(intent('ProcessFatal'));
  await h.advance(0);
  assert.equal(h.writer.writes.length, 1, 'a later occurrence is tried again');
});

test('flush writes pending repeats without waiting for the patch interval', async () => {
  const h = harness();
  h.book.record(intent('ProcessStopped'));
  await h.advance(0);
  h.book.record(intent('ProcessStopped'));
  h.book.record(intent('ProcessExited'));
  await h.book.flush();
  assert.deepEqual(h.writer.writes.map((w) => [w.op, w.count]).sort(), [
    ['create', 1],
    ['create', 1],
    ['patch', 2],
  ]);
  assert.equal(h.book.pending(), 0);
});

test('the number of tracked series is bounded', async () => {
  const h = harness({ maxSeries: 4 });
  h.writer.down = true;
  for (let i = 0; i < 10; i++) {
    h.book.record(intent('ProcessExited', `p${i}`));
    await h.advance(100);
  }
  assert.ok(h.book.pending() <= 4, `pending ${h.book.pending()}`);
  assert.equal(h.book.stats().dropped, 6);
});
