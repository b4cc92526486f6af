import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WritePriority, WriteScheduler } from './write-scheduler.js';

/** A write the test finishes by hand. */
function manual(log: string[], name: string) {
  let finish!: (ok: boolean) => void;
  const write = () => {
    log.push(`start ${name}`);
    return new Promise<string>((resolve, reject) => (finish = (ok) => (ok ? resolve(name) : reject(new Error(name)))));
  };
  return { write, finish: (ok = true) => finish(ok) };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('never more than maxInFlight writes at once', async () => {
  const scheduler = new WriteScheduler(2);
  const log: string[] = [];
  const writes = ['a', 'b', 'c', 'd'].map((n) => manual(log, n));
  const results = writes.map((w) => scheduler.run(WritePriority.Workload, w.write));
  assert.deepEqual(log, ['start a', 'start b']);
  assert.equal(scheduler.running, 2);
  assert.deepEqual(scheduler.queued, [2, 0]);
  writes[0]!.finish();
  await tick();
  assert.deepEqual(log, ['start a', 'start b', 'start c']);
  writes[1]!.finish();
  writes[2]!.finish();
  await tick();
  writes[3]!.finish();
  assert.deepEqual(await Promise.all(results), ['a', 'b', 'c', 'd']);
  assert.equal(scheduler.running, 0);
});

test('a waiting workload write goes before waiting follow-up writes, FIFO within a priority', async () => {
  const scheduler = new WriteScheduler(1);
  const log: string[] = [];
  const first = manual(log, 'first');
  const done = [scheduler.run(WritePriority.Workload, first.write)];
  const rest = [
    ['status-1', WritePriority.Follow],
    ['deploy-1', WritePriority.Workload],
    ['status-2', WritePriority.Follow],
    ['deploy-2', WritePriority.Workload],
  ] as const;
  const writes = rest.map(([name, priority]) => {
    const w = manual(log, name);
    done.push(scheduler.run(priority, w.write));
    return w;
  });
  first.finish();
  for (const name of ['deploy-1', 'deploy-2', 'status-1', 'status-2']) {
    await tick();
    assert.equal(log.at(-1), `start ${name}`);
    writes[rest.findIndex(([n]) => n === name)]!.finish();
  }
  await Promise.all(done);
});

test('a failed or throwing write frees its slot and rejects only its own caller', async () => {
  const scheduler = new WriteScheduler(1);
  const log: string[] = [];
  const failing = manual(log, 'failing');
  const failed = scheduler.run(WritePriority.Workload, failing.write);
  const thrown = scheduler.run(WritePriority.Workload, () => {
    throw new Error('thrown');
  });
  const ok = scheduler.run(WritePriority.Workload, async () => 'ok');
  failing.finish(false);
  await assert.rejects(failed, /failing/);
  await assert.rejects(thrown, /thrown/);
  assert.equal(await ok, 'ok');
  assert.equal(scheduler.running, 0);
});

test('follow-up writes hold at most a quarter of the slots; the rest stay free for workload writes', async () => {
  const scheduler = new WriteScheduler(4);
  const log: string[] = [];
  const follow = ['f1', 'f2'].map((n) => manual(log, n));
  const done = follow.map((w) => scheduler.run(WritePriority.Follow, w.write));
  assert.deepEqual(log, ['start f1']);
  const workload = ['w1', 'w2', 'w3', 'w4'].map((n) => manual(log, n));
  done.push(...workload.map((w) => scheduler.run(WritePriority.Workload, w.write)));
  assert.deepEqual(log, ['start f1', 'start w1', 'start w2', 'start w3']);
  assert.deepEqual(scheduler.queued, [1, 1]);
  follow[0]!.finish();
  await tick();
  assert.equal(log.at(-1), 'start w4', 'a freed slot goes to the waiting workload write');
  workload.forEach((w) => w.finish());
  await tick();
  assert.equal(log.at(-1), 'start f2');
  follow[1]!.finish();
  await Promise.all(done);
  assert.equal(scheduler.running, 0);
});

test('with one slot, follow-up writes still run', async () => {
  const scheduler = new WriteScheduler(1);
  assert.equal(await scheduler.run(WritePriority.Follow, async () => 'ran'), 'ran');
});

test('maxInFlight must be a positive integer', () => {
  assert.throws(() => new WriteScheduler(0), /positive integer/);
});
