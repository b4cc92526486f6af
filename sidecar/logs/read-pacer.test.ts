import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUSY_READS, BUSY_WINDOW_MS, DEFAULT_PIPE_BYTES, PACE_FRACTION, PACE_MS, ReadPacer } from './read-pacer.js';

const MiB = 1 << 20;

test('a read that filled a default pipe makes it busy at once, and only once', () => {
  const pacer = new ReadPacer();
  assert.equal(pacer.busy(DEFAULT_PIPE_BYTES - 1, 0), false);
  assert.equal(pacer.busy(DEFAULT_PIPE_BYTES, 1), true);
  assert.equal(pacer.busy(DEFAULT_PIPE_BYTES, 2), false);
});

test(`${BUSY_READS} reads within ${BUSY_WINDOW_MS} ms make a pipe busy; the same reads spread wider do not`, () => {
  const often = new ReadPacer();
  const answers = Array.from({ length: BUSY_READS }, (_, i) => often.busy(100, i * ((BUSY_WINDOW_MS - 1) / BUSY_READS)));
  assert.deepEqual(answers.indexOf(true), BUSY_READS - 1);
  assert.equal(answers.filter(Boolean).length, 1);

  const calm = new ReadPacer();
  for (let i = 0; i < 10 * BUSY_READS; i++) assert.equal(calm.busy(100, i * (BUSY_WINDOW_MS / (BUSY_READS - 2))), false, `read ${i}`);
});

test('the window restarts: a burst split across two windows is not busy', () => {
  const pacer = new ReadPacer();
  for (let i = 0; i < BUSY_READS - 1; i++) assert.equal(pacer.busy(10, 0), false);
  for (let i = 0; i < BUSY_READS - 1; i++) assert.equal(pacer.busy(10, BUSY_WINDOW_MS), false);
  assert.equal(pacer.busy(10, BUSY_WINDOW_MS), true);
});

test('no pacing until the pipe has grown past the default size', () => {
  const pacer = new ReadPacer();
  assert.equal(pacer.pauseAfter(1), 0);
  pacer.busy(DEFAULT_PIPE_BYTES, 0);
  assert.equal(pacer.pauseAfter(1), 0, 'asked, not yet grown');
  pacer.grown(undefined);
  assert.equal(pacer.pauseAfter(1), 0, 'could not grow');

  const same = new ReadPacer();
  same.grown(DEFAULT_PIPE_BYTES);
  assert.equal(same.pauseAfter(1), 0, 'grown to the default is not grown');
});

test('a grown pipe is paced after small reads and read on after big ones', () => {
  const pacer = new ReadPacer();
  pacer.busy(DEFAULT_PIPE_BYTES, 0);
  pacer.grown(MiB);
  assert.equal(pacer.pauseAfter(1), PACE_MS);
  assert.equal(pacer.pauseAfter(MiB / PACE_FRACTION - 1), PACE_MS);
  assert.equal(pacer.pauseAfter(MiB / PACE_FRACTION), 0);
  assert.equal(pacer.pauseAfter(256 << 10), 0);
  assert.equal(pacer.busy(DEFAULT_PIPE_BYTES, 1), false, 'never asks again');
});
