import assert from 'node:assert/strict';
import { test } from 'node:test';
import { respawnLatencies } from './respawn.js';

test('latency runs from each exit to the next start, in the order written', () => {
  const log = ['start 10 100.000000', 'exit 10 100.300000', 'start 11 100.302500', 'exit 11 100.602500', 'start 12 101.602500', ''].join('\n');
  const latencies = respawnLatencies(log);
  assert.equal(latencies.length, 2);
  assert.ok(Math.abs(latencies[0]! - 2.5) < 1e-6);
  assert.ok(Math.abs(latencies[1]! - 1000) < 1e-6);
});

test('an exit without a successor yet, and a torn last line, are not counted', () => {
  assert.deepEqual(respawnLatencies('start 1 5.0\nexit 1 5.1\nsta'), []);
});
