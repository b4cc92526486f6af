// Each benchmark's harness at tiny size against the real supervisors: it runs to the end, fills
// its table, finds nothing lost, and leaves no process or temp dir behind. No timing is asserted.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { BENCHES } from './benches.js';
import { PEER_NAMES, type BenchContext } from './lib/bench.js';
import { processTable } from '../lib/procfs.js';
import { evaluate, formatResult, type BenchResult } from './lib/report.js';

// A temp dir of its own, so another run on the machine (its corepod-bench-* dirs) is not counted as ours.
let privateTmp: string;
const sharedTmp = process.env.TMPDIR;
before(() => {
  privateTmp = fs.mkdtempSync(path.join(os.tmpdir(), 'harness-test-'));
  process.env.TMPDIR = privateTmp;
});
after(() => {
  if (sharedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = sharedTmp;
  fs.rmSync(privateTmp, { recursive: true, force: true });
});

const context: BenchContext = { size: 'tiny', peers: new Set(PEER_NAMES), log: () => {} };

function benchDirs(): Set<string> {
  return new Set(fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith('corepod-bench-')));
}

/** Processes whose command line names one of our temp dirs (anything a benchmark left running). */
function leftovers(dirs: Set<string>): string[] {
  const out: string[] = [];
  for (const pid of processTable().keys()) {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if ([...dirs].some((dir) => cmdline.includes(dir))) out.push(`${pid}: ${cmdline}`);
    } catch {
      // gone
    }
  }
  return out;
}

function row(result: BenchResult, metric: string) {
  const found = result.rows.find((r) => r.metric.startsWith(metric));
  assert.ok(found, `${result.name}: no row "${metric}" in\n${formatResult(result)}`);
  return found;
}

for (const bench of BENCHES) {
  test(`${bench.name}: the harness runs at tiny size and cleans up`, { timeout: 600_000 }, async () => {
    const before = benchDirs();
    const result = await bench.run(context);
    assert.equal(result.name, bench.name);
    assert.ok(result.rows.length > 0);
    // Every target has a figure for CorePod and, for ratios, for the peer it is compared with.
    for (const r of result.rows) {
      for (const outcome of evaluate(r)) {
        assert.ok(Number.isFinite(r.values.corepod), `${bench.name} / ${r.metric}: no CorePod figure\n${formatResult(result)}`);
        if (outcome.check.kind === 'ratio') assert.ok(outcome.ratio !== undefined, `${bench.name} / ${r.metric}: no ${outcome.check.against} figure\n${formatResult(result)}`);
      }
    }
    assert.match(formatResult(result), /\| metric \| corepod \| supervisord \| pm2 \|/);
    if (bench.name === 'log-capture') {
      const lost = row(result, 'records lost');
      assert.deepEqual(lost.values, { corepod: 0, supervisord: 0, pm2: 0, baseline: 0 });
      assert.ok((row(result, '100-byte lines: mirror lines delivered').values.corepod ?? 0) > 0);
    }
    if (bench.name === 'orphan-storm') {
      const runs = result.details.runs as Record<string, { exitCode: number | undefined; watch: { scans: number } }>;
      assert.equal(runs.corepod?.exitCode, 0, result.notes.join('\n'));
      assert.equal(runs.supervisord?.exitCode, 0, result.notes.join('\n'));
      // tini passes on the storm program's death by SIGTERM: 128 + 15.
      assert.equal(runs.baseline?.exitCode, 143, result.notes.join('\n'));
      for (const run of Object.values(runs)) assert.ok(run.watch.scans > 0);
    }
    if (bench.name === 'sigterm') assert.ok(result.notes.includes('Every supervisor exited 0.'), result.notes.join('\n'));
    const made = new Set([...benchDirs()].filter((dir) => !before.has(dir)));
    assert.deepEqual([...made], [], 'temp dirs left behind');
    assert.deepEqual(leftovers(made), []);
  });
}
