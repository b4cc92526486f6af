import assert from 'node:assert/strict';
import { test } from 'node:test';
import { max, mean, median, min, p90, quantile, summarize } from './stats.js';

test('median of odd and even counts', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test('quantiles interpolate between closest ranks', () => {
  const values = Array.from({ length: 11 }, (_, i) => i * 10);
  assert.equal(p90(values), 90);
  assert.equal(quantile(values, 0), 0);
  assert.equal(quantile(values, 1), 100);
  assert.equal(quantile([1, 2], 0.25), 1.25);
});

test('empty samples give NaN, never a made-up number', () => {
  for (const f of [median, p90, max, min, mean]) assert.ok(Number.isNaN(f([])));
});

test('summarize does not reorder its input', () => {
  const input = [5, 1, 9, 3];
  const summary = summarize(input);
  assert.deepEqual({ ...summary, p90: Math.round(summary.p90 * 1e9) / 1e9 }, { n: 4, median: 4, p90: 7.8, min: 1, max: 9 });
  assert.deepEqual(input, [5, 1, 9, 3]);
});
