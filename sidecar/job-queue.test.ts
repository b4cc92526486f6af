import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobQueue } from './job-queue.js';

test('a job submitted while another runs waits for it, first in, first out', () => {
  const queue = new JobQueue();
  const log: string[] = [];
  queue.run(() => {
    log.push('a begins');
    queue.run(() => {
      log.push('b');
      queue.run(() => log.push('d'));
    });
    queue.run(() => log.push('c'));
    assert.equal(queue.isBusy(), true);
    log.push('a ends');
  });
  assert.deepEqual(log, ['a begins', 'a ends', 'b', 'c', 'd']);
  assert.equal(queue.isBusy(), false);
});

test('an idle queue runs a job at once', () => {
  const queue = new JobQueue();
  let ran = false;
  queue.run(() => void (ran = true));
  assert.equal(ran, true);
});
