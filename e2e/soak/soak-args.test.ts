import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, parseDuration } from './soak-args.js';

test('durations with a unit; anything else is a usage error naming --duration', () => {
  assert.equal(parseDuration('30m'), 1_800_000);
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.throws(() => parseDuration('30'), /--duration: expected a number with ms, s, m or h/);
});

test('arguments: defaults, values, and the errors', () => {
  assert.deepEqual(parseArgs([]), { durationMs: 1_800_000, seed: 1 });
  assert.deepEqual(parseArgs(['--duration', '2m', '--seed', '7', '--report', '/tmp/r.json']), { durationMs: 120_000, seed: 7, report: '/tmp/r.json' });
  assert.throws(() => parseArgs(['--seed', '-1']), /--seed: expected a non-negative integer/);
  assert.throws(() => parseArgs(['--seed']), /--seed: needs a value/);
  assert.throws(() => parseArgs(['--fast']), /unknown argument "--fast"/);
});
