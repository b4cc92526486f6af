import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventHub, type SupervisorEvent } from './event-hub.js';

const event = (n: number): SupervisorEvent => ({ type: 'supervisor', time: new Date(0).toISOString(), state: 'running', reason: String(n) });
const reasons = (list: SupervisorEvent[]) => list.map((e) => (e.type === 'supervisor' ? e.reason : ''));

test('publish returns before any sink runs; each sink gets the events in order', async () => {
  const hub = new EventHub();
  const got: SupervisorEvent[] = [];
  hub.subscribe({ deliver: (e) => void got.push(e) });
  hub.publish(event(1));
  hub.publish(event(2));
  assert.deepEqual(got, []);
  await hub.drain(5000);
  assert.deepEqual(reasons(got), ['1', '2']);
});

test('a slow sink loses its oldest events (counted) and does not hold back a fast one', async () => {
  const hub = new EventHub();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const slow: SupervisorEvent[] = [];
  const fast: SupervisorEvent[] = [];
  const slowSub = hub.subscribe(
    {
      deliver: async (e) => {
        slow.push(e);
        await gate;
      },
    },
    { maxQueue: 2 },
  );
  hub.subscribe({ deliver: (e) => void fast.push(e) });
  hub.publish(event(1));
  await new Promise((resolve) => setImmediate(resolve));
  for (let n = 2; n <= 6; n++) hub.publish(event(n));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(fast.length, 6);
  assert.equal(slowSub.dropped(), 3);
  release();
  await hub.drain(5000);
  assert.deepEqual(reasons(slow), ['1', '5', '6']);
});

test('a throwing sink is reported and keeps receiving', async () => {
  const hub = new EventHub();
  const errors: unknown[] = [];
  let calls = 0;
  hub.subscribe(
    {
      deliver: () => {
        calls += 1;
        throw new Error('boom');
      },
    },
    { onError: (e) => errors.push(e) },
  );
  hub.publish(event(1));
  hub.publish(event(2));
  await hub.drain(5000);
  assert.equal(calls, 2);
  assert.equal(errors.length, 2);
});

test('unsubscribe stops delivery', async () => {
  const hub = new EventHub();
  const got: SupervisorEvent[] = [];
  const sub = hub.subscribe({ deliver: (e) => void got.push(e) });
  sub.unsubscribe();
  hub.publish(event(1));
  await hub.drain(5000);
  assert.deepEqual(got, []);
});
