import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluate, formatTable, medianOf, rowOk, type BenchResult, type Row } from './report.js';

const respawn: Row = {
  metric: 'respawn median',
  unit: 'ms',
  values: { corepod: 4, supervisord: 1000, pm2: 8 },
  checks: [
    { kind: 'ratio', against: 'supervisord', op: '<=', limit: 0.02 },
    { kind: 'ratio', against: 'pm2', op: '<=', limit: 1 },
  ],
};

test('ratio checks divide corepod by the peer measured in the same run', () => {
  const outcomes = evaluate(respawn);
  assert.deepEqual(
    outcomes.map((o) => [o.ratio, o.ok]),
    [
      [0.004, true],
      [0.5, true],
    ],
  );
  assert.equal(rowOk(respawn), true);
  assert.equal(rowOk({ ...respawn, values: { corepod: 30, supervisord: 1000, pm2: 8 } }), false);
});

test('a missing peer leaves the check undecided, not passed', () => {
  const row: Row = { ...respawn, values: { corepod: 4, supervisord: 1000 } };
  assert.equal(rowOk(row), undefined);
  assert.equal(rowOk({ ...row, values: { corepod: 30, supervisord: 1000 } }), false);
});

test('absolute checks compare corepod itself', () => {
  const row: Row = { metric: 'start-up', unit: 'ms', values: { corepod: 1600 }, checks: [{ kind: 'absolute', op: '<=', limit: 1500 }] };
  assert.equal(rowOk(row), false);
  assert.equal(rowOk({ ...row, values: { corepod: 900 } }), true);
});

test('the table shows figures, ratios, targets and the verdict', () => {
  const result: BenchResult = { name: 'x', title: 'X', baseline: 'node loop', rows: [respawn, { metric: 'info', unit: 'MB', values: { corepod: 1.25 } }], notes: [], details: {} };
  const table = formatTable(result);
  assert.match(table, /\| metric \| corepod \| supervisord \| pm2 \| s6 \| baseline: node loop \| ratio \| target \| ok \|/);
  assert.match(table, /\| respawn median \(ms\) \| 4\.0 \| 1000\.0 \| 8\.0 \| — \| — \| 0\.0040× supervisord, 0\.50× pm2 \| ≤ 0\.02× supervisord, ≤ 1× pm2 \| yes \|/);
  assert.match(table, /\| info \(MB\) \| 1\.3 \| — \| — \| — \| — \| — \| — \| {2}\|/);
});

test('repeated runs aggregate to the median of each cell', () => {
  const run = (corepod: number, pm2?: number): BenchResult => ({
    name: 'x',
    title: 'X',
    rows: [{ ...respawn, values: { corepod, supervisord: 1000, ...(pm2 ? { pm2 } : {}) } }],
    notes: [],
    details: { corepod },
  });
  const result = medianOf([run(3, 8), run(9), run(5, 10)]);
  assert.deepEqual(result.rows[0]!.values, { corepod: 5, supervisord: 1000, pm2: 9 });
  assert.deepEqual(result.details, { runs: [{ corepod: 3 }, { corepod: 9 }, { corepod: 5 }] });
});
