// The alert rules of deploy/prometheus/ (generated from the chart) with Debian's promtool: valid,
// every alert tested on synthetic series (corepod-rules.test.yaml), every metric they read exported
// by the operator or the sidecar-init, every alert with its runbook in docs/alerts.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { OperatorMetrics } from '../operator/runtime/metrics.js';
import { parseSamples } from '../sidecar/metrics/exposition.js';
import { MetricTally } from '../sidecar/metrics/metric-tally.js';
import { ProcessMetrics } from '../sidecar/metrics/process-metrics.js';
import type { ProgramDetail } from '../sidecar/supervisor-views.js';
import { repoRoot } from './crd-template.js';
import { RULE_FILE } from './prometheus-rules.js';

const TEST_FILE = 'deploy/prometheus/corepod-rules.test.yaml';

interface Rule {
  alert: string;
  expr: string;
}
const groups = () => (parse(readFileSync(`${repoRoot}${RULE_FILE}`, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups;

function promtool(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('promtool', args, { cwd: repoRoot, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error("promtool not found: `make deps` installs Debian's prometheus package");
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

test('promtool: the rule file is valid and its unit tests pass', async () => {
  const check = await promtool(['check', 'rules', RULE_FILE]);
  assert.equal(check.code, 0, check.output);
  const run = await promtool(['test', 'rules', TEST_FILE]);
  assert.equal(run.code, 0, run.output);
  assert.match(run.output, /SUCCESS/);
});

test('every alert has a test that expects it to fire and one that expects silence', () => {
  const tests = (parse(readFileSync(`${repoRoot}${TEST_FILE}`, 'utf8')) as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] }).tests;
  const cases = tests.flatMap((t) => t.alert_rule_test);
  const alerts = groups().flatMap((g) => g.rules.map((r) => r.alert));
  assert.deepEqual(
    groups().map((g) => g.name),
    ['corepod-operator', 'corepod-programs'],
  );
  assert.ok(alerts.length >= 8, alerts.join());
  for (const alert of alerts) {
    assert.ok(
      cases.some((c) => c.alertname === alert && c.exp_alerts.length > 0),
      `${alert} is never expected to fire`,
    );
    assert.ok(
      cases.some((c) => c.alertname === alert && c.exp_alerts.length === 0),
      `${alert} is never expected to stay silent`,
    );
  }
});

test('every metric the rules read is exported by the operator or the sidecar-init', async () => {
  const operator = new Set((await new OperatorMetrics(false).registry.getMetricsAsJSON()).map((m) => m.name));
  const program: ProgramDetail = {
    name: 'web',
    state: 'RUNNING',
    restarts: 0,
    since: '2026-12-03T00:00:00.000Z',
    priority: 999,
    critical: false,
    autostart: true,
    dependsOn: [],
    hasHealthCheck: true,
    logs: { stdoutBytes: 0, stderrBytes: 0, mirrorDropped: 0, rotations: 0 },
  };
  const source = {
    details: () => [program],
    containerMemory: () => ({ level: 'ok' as const, percent: 1, workingSetBytes: 1, limitBytes: 100 }),
  };
  const scraped = await new ProcessMetrics(source, new MetricTally()).scrape(undefined);
  const sidecar = new Set(parseSamples(scraped.body).map((s) => s.name));
  for (const group of groups()) {
    for (const rule of group.rules) {
      // Metric names: snake_case words that are not functions (label names here have no underscore).
      const names = [...rule.expr.matchAll(/\b([a-z]+_[a-z0-9_]+)\b(?!\s*\()/g)].map((m) => m[1]!);
      assert.ok(names.length > 0, rule.alert);
      for (const name of names) {
        const from = group.name === 'corepod-operator' ? operator : sidecar;
        assert.ok(from.has(name), `${rule.alert} reads ${name}, which the ${group.name === 'corepod-operator' ? 'operator' : 'sidecar-init'} does not export`);
      }
    }
  }
});

test('every alert has its runbook section in docs/alerts.md, where its runbook_url points', () => {
  const doc = readFileSync(`${repoRoot}docs/alerts.md`, 'utf8');
  const headings = new Set([...doc.matchAll(/^### (\w+)$/gm)].map((m) => m[1]!.toLowerCase()));
  for (const rule of groups().flatMap((g) => g.rules) as (Rule & { annotations: { runbook_url: string } })[]) {
    assert.ok(headings.has(rule.alert.toLowerCase()), `docs/alerts.md has no "### ${rule.alert}"`);
    assert.equal(rule.annotations.runbook_url, `docs/alerts.md#${rule.alert.toLowerCase()}`);
  }
});
