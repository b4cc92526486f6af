import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSchedule, choose, countByKind, DEFAULT_WEIGHTS, drawKind, FAULT_KINDS, prng, type FaultWeights } from './schedule.js';

const base = { seed: 7, durationMs: 30 * 60_000, meanGapMs: 20_000, minGapMs: 5_000, warmupMs: 10_000 };

test('the PRNG is deterministic per seed, in [0, 1), and differs between seeds', () => {
  const a = prng(42);
  const b = prng(42);
  const c = prng(43);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(
    xs.slice(0, 5),
    Array.from({ length: 5 }, () => b()),
  );
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.notEqual(xs[0], c());
  // Spread: each tenth of [0, 1) gets a share near 100 of 1000.
  const deciles = Array.from({ length: 10 }, (_, i) => xs.filter((x) => x >= i / 10 && x < (i + 1) / 10).length);
  assert.ok(
    deciles.every((n) => n > 60 && n < 140),
    String(deciles),
  );
});

test('the same options give the same schedule; another seed another one', () => {
  assert.deepEqual(buildSchedule(base), buildSchedule(base));
  assert.notDeepEqual(buildSchedule(base), buildSchedule({ ...base, seed: 8 }));
});

test('faults lie after the warm-up, before the end, in order, at least minGap apart', () => {
  const faults = buildSchedule(base);
  assert.ok(faults.length > 60 && faults.length < 120, `${faults.length} faults in 30 min at a 20 s mean gap`);
  assert.ok(faults[0]!.atMs >= base.warmupMs + base.minGapMs);
  assert.ok(faults.at(-1)!.atMs < base.durationMs);
  for (let i = 1; i < faults.length; i++) assert.ok(faults[i]!.atMs - faults[i - 1]!.atMs >= base.minGapMs - 1);
  for (const f of faults) {
    assert.ok(f.pick >= 0 && f.pick < 1);
    assert.ok(f.holdSeconds >= 3 && f.holdSeconds <= 10);
  }
});

test('kinds follow the weights: a zero weight never appears, a heavy one most', () => {
  const weights: FaultWeights = { ...DEFAULT_WEIGHTS, 'restart-etcd': 0, 'kill-program': 50 };
  const counts = countByKind(buildSchedule({ ...base, durationMs: 24 * 3600_000, weights }));
  assert.equal(counts['restart-etcd'], 0);
  const top = FAULT_KINDS.reduce((best, k) => (counts[k] > counts[best] ? k : best));
  assert.equal(top, 'kill-program');
  for (const k of FAULT_KINDS) if (k !== 'restart-etcd') assert.ok(counts[k] > 0, `${k} drawn`);
});

test('drawKind maps cumulative weight ranges; all-zero weights are refused', () => {
  const only: FaultWeights = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as unknown as FaultWeights;
  const two = { ...only, 'kill-program': 1, 'spec-edits': 3 };
  assert.equal(drawKind(two, 0), 'kill-program');
  assert.equal(drawKind(two, 0.24), 'kill-program');
  assert.equal(drawKind(two, 0.26), 'spec-edits');
  assert.equal(drawKind(two, 0.999), 'spec-edits');
  assert.throws(() => drawKind(only, 0.5), /every fault weight is 0/);
});

test('bad durations and gaps are refused with what was wrong', () => {
  assert.throws(() => buildSchedule({ ...base, durationMs: 0 }), /duration must be above 0/);
  assert.throws(() => buildSchedule({ ...base, minGapMs: 30_000 }), /minGapMs <= meanGapMs/);
});

test("choose picks by the fault's number, the last element for picks near 1", () => {
  assert.equal(choose(['a', 'b', 'c'], 0), 'a');
  assert.equal(choose(['a', 'b', 'c'], 0.5), 'b');
  assert.equal(choose(['a', 'b', 'c'], 0.9999), 'c');
  assert.throws(() => choose([], 0.5), /empty/);
});
