// The chaos soak for two minutes with a fixed seed (make soak runs it for longer): every fault
// kind the short schedule draws, and not one invariant violated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTable, runSoak } from './soak.js';

test('a 2-minute chaos soak (seed 14) violates no invariant', { timeout: 30 * 60_000 }, async () => {
  const report = await runSoak({ durationMs: 120_000, seed: 14, meanGapMs: 10_000, minGapMs: 4_000 });
  console.log(renderTable(report));
  assert.ok(report.faults.filter((f) => f.hit).length >= 5, `at least 5 faults hit something: ${JSON.stringify(report.faultsByKind)}`);
  assert.deepEqual(
    report.violations.map((v) => `${v.invariant}: ${v.detail}`),
    [],
  );
  assert.ok(report.convergence.every((c) => c.ms !== undefined));
});
