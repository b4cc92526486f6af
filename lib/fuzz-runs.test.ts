import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fuzzParameters } from './fuzz-runs.js';

test('a property runs its own count unless FUZZ_SCALE multiplies it', () => {
  assert.deepEqual(fuzzParameters(200, {}), { numRuns: 200 });
  assert.deepEqual(fuzzParameters(200, { FUZZ_SCALE: '50' }), { numRuns: 10_000 });
  assert.deepEqual(fuzzParameters(3, { FUZZ_SCALE: '0.1' }), { numRuns: 1 });
});

test('FUZZ_SEED replays a run; bad values are refused', () => {
  assert.deepEqual(fuzzParameters(10, { FUZZ_SEED: '-42' }), { numRuns: 10, seed: -42 });
  assert.throws(() => fuzzParameters(10, { FUZZ_SCALE: 'lots' }), /FUZZ_SCALE: expected a positive number, got "lots"/);
  assert.throws(() => fuzzParameters(10, { FUZZ_SEED: '1.5' }), /FUZZ_SEED: expected an integer/);
});

test('FUZZ_TALLY collects the count of every property', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fuzz-tally-')), 'tally');
  fuzzParameters(7, { FUZZ_TALLY: file });
  fuzzParameters(5, { FUZZ_TALLY: file, FUZZ_SCALE: '2' });
  assert.equal(fs.readFileSync(file, 'utf8'), '7\n10\n');
  fs.rmSync(path.dirname(file), { recursive: true });
});
