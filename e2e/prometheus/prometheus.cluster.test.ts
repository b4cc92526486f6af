// A real Prometheus (Debian's) in the cluster's network namespace scrapes the operator (it runs
// in the netns too) and the DreamScape pod, and evaluates the shipped rule file
// (deploy/prometheus/corepod-rules.yaml). Debian builds Prometheus without Kubernetes service
// discovery, so the targets are static, found through the API as the chart's corePodMonitor
// selects them (the CorePod's workload pods, their port named corepod-health), with the
// namespace and pod labels a PodMonitor adds. After three kill -9 of auth-service the
// restart counter and the restart-loop alert's expression move, read through Prometheus' HTTP API.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs, { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { RULE_FILE } from '../../charts/prometheus-rules.js';
import { isNode, memoryBreakdown, type MemoryBreakdown } from '../../lib/procfs.js';
import { median } from '../../bench/lib/stats.js';
import { HEALTH_PORT_NAME } from '../../operator/desired/deployment.js';
import { LABEL, MANAGED_BY } from '../../operator/desired/names.js';
import { repoRoot } from '../support/cluster-env.js';
import { buildImages, processNamed, Stage, waitFor } from '../support/corepod-stage.js';
import { startPrometheus, type PrometheusServer } from './prometheus-server.js';

let stage: Stage;
let prometheus: PrometheusServer | undefined;
let pod: string;
let supervisorPid: number;
let memoryBefore: MemoryBreakdown;
const MiB = 1024 * 1024;

/** The host pid of the sidecar-init in the pod's app container (the node running corepod.js run). */
function sidecarInitPid(containerId: string): number {
  const found = fs.readdirSync('/proc').filter((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    try {
      // tini, in front of it, has the same command line after its own.
      return (
        fs.readFileSync(`/proc/${entry}/cgroup`, 'utf8').includes(containerId) &&
        /corepod\.js\0run/.test(fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8')) &&
        isNode(Number(entry))
      );
    } catch {
      return false;
    }
  });
  if (found.length !== 1) throw new Error(`expected one sidecar-init in container ${containerId}, found ${found.join(', ') || 'none'}`);
  return Number(found[0]);
}

/** Medians of one sample a second for `seconds`. */
async function memoryOver(pid: number, seconds: number): Promise<MemoryBreakdown> {
  const samples: MemoryBreakdown[] = [];
  for (let i = 0; i < seconds; i++) {
    samples.push(memoryBreakdown(pid)!);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const of = (key: keyof MemoryBreakdown) => median(samples.map((s) => s[key]));
  return { rss: of('rss'), pss: of('pss'), anonymous: of('anonymous'), file: of('file'), private: of('private') };
}

const ruleFile = `${repoRoot}${RULE_FILE}`;
const restartLoop = () => {
  const groups = (parse(readFileSync(ruleFile, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups;
  return groups.flatMap((g) => g.rules).find((r) => r.alert === 'CorePodProgramRestartLoop')!;
};

before(async () => {
  await buildImages(['sidecar', 'dreamscape']);
  stage = await Stage.open('cp-prometheus', { operatorInClusterNetwork: true });
  await stage.createDreamscapeSecrets();
  await stage.applyFile(`${repoRoot}examples/dreamscape/corepod.yaml`);
  await stage.waitForCorePod('dreamscape', 'READY 3/3', (c) => c.status?.readyProcesses === '3/3', 300_000);
  const ready = await stage.readyPod('dreamscape');
  pod = ready.metadata.name;
  supervisorPid = sidecarInitPid(ready.status.containerStatuses.find((c: { name: string }) => c.name === 'app').containerID.replace(/^containerd:\/\//, ''));
  memoryBefore = await memoryOver(supervisorPid, 10);
  const selected = JSON.parse((await stage.kubectl(['get', 'pods', '-l', `${LABEL.managedBy}=${MANAGED_BY},${LABEL.component}=workload`, '-o', 'json'])).stdout) as {
    items: { metadata: { name: string }; status: { podIP: string }; spec: { containers: { ports?: { name?: string; containerPort: number }[] }[] } }[];
  };
  const targets = selected.items.flatMap((p) =>
    p.spec.containers.flatMap((c) =>
      (c.ports ?? []).filter((port) => port.name === HEALTH_PORT_NAME).map((port) => ({ pod: p.metadata.name, address: `${p.status.podIP}:${port.containerPort}` })),
    ),
  );
  assert.deepEqual(
    targets.map((t) => t.pod),
    [pod],
  );
  prometheus = await startPrometheus({
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: [ruleFile],
    scrape_configs: [
      { job_name: 'corepod-operator', static_configs: [{ targets: [`127.0.0.1:${stage.operator.metricsPort}`], labels: { namespace: stage.namespace } }] },
      { job_name: 'corepod-pods', static_configs: targets.map((t) => ({ targets: [t.address], labels: { namespace: stage.namespace, pod: t.pod } })) },
    ],
  });
});

after(async () => {
  await prometheus?.close();
  await stage?.close();
});

const value = async (expr: string): Promise<number | undefined> => {
  const result = await prometheus!.query(expr);
  if (result.length > 1) throw new Error(`${expr}: ${result.length} series`);
  return result[0]?.value;
};

test('Prometheus scrapes the operator and the DreamScape pod on its health port', async (t) => {
  const targets = await waitFor(
    'both scrape pools up',
    async () => {
      const active = await prometheus!.targets();
      return ['corepod-operator', 'corepod-pods'].every((pool) => active.some((t) => t.scrapePool === pool && t.health === 'up')) ? active : undefined;
    },
    60_000,
  ).catch(async (error: Error) => {
    throw new Error(`${error.message}\ntargets: ${JSON.stringify(await prometheus!.targets())}\nprometheus: ${prometheus!.output().slice(-2000)}`);
  });
  const pods = targets.filter((t) => t.scrapePool === 'corepod-pods');
  assert.deepEqual(
    pods.map((t) => t.labels.pod),
    [pod],
  );
  assert.ok((await value(`sum(controller_runtime_reconcile_total{job="corepod-operator", controller="corepod"})`))! > 0, 'the operator reconciled, as scraped');
  for (const program of ['auth-service', 'user-service', 'nginx']) {
    const selector = `{job="corepod-pods", namespace="${stage.namespace}", pod="${pod}", program="${program}"}`;
    assert.equal(await value(`corepod_process_up${selector}`), 1, program);
    assert.equal(await value(`corepod_process_state${selector.replace('}', ', state="RUNNING"}')}`), 1, program);
    assert.equal(await value(`corepod_process_restarts_total${selector}`), 0, program);
  }
  assert.equal(await value(`corepod_container_memory_level{pod="${pod}", level="ok"}`), 1, 'the container has a memory limit, at the ok level');
  assert.ok((await value(`corepod_health_probe_duration_seconds_count{pod="${pod}", program="nginx"}`))! > 0);
  // A figure, not asserted here (sidecar/metrics/metrics.process.test.ts bounds it): the
  // sidecar-init's memory before the first scrape and while Prometheus scrapes it every second.
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const after = await memoryOver(supervisorPid, 10);
  t.diagnostic(
    `sidecar-init in the pod, scraped every 1 s vs never scraped: PSS ${(memoryBefore.pss / MiB).toFixed(1)} → ${(after.pss / MiB).toFixed(1)} MiB, private ${(memoryBefore.private / MiB).toFixed(1)} → ${(after.private / MiB).toFixed(1)} MiB`,
  );
});

test('kill -9 of auth-service three times: the restart counter and the restart-loop expression move in Prometheus', async () => {
  const rule = restartLoop();
  const increase = rule.expr.replace(/\s*>\s*[\d.]+\s*$/, '');
  assert.notEqual(increase, rule.expr, `the restart-loop expression ends in a threshold: ${rule.expr}`);
  const auth = `{pod="${pod}", program="auth-service"}`;
  assert.deepEqual(await prometheus!.query(rule.expr), [], 'no restart loop yet');
  const authIncrease = increase.replace('corepod_process_restarts_total', `corepod_process_restarts_total${auth}`);
  await waitFor('the increase of auth-service reads 0 (two scrapes in)', async () => (await value(authIncrease)) === 0, 30_000);

  for (let kill = 1; kill <= 3; kill++) {
    const before = processNamed(await stage.processes('dreamscape'), 'auth-service')!;
    await stage.exec(pod, ['kill', '-9', String(before.pid)]);
    await stage.waitForCorePod('dreamscape', `auth-service back after kill ${kill}`, (c) => {
      const now = processNamed(c.status?.pods?.[0]?.processes, 'auth-service');
      return now?.state === 'RUNNING' && now.pid !== before.pid && now.restarts === kill ? now : undefined;
    });
  }

  await waitFor('Prometheus scraped restarts = 3', async () => (await value(`corepod_process_restarts_total${auth}`)) === 3, 30_000);
  assert.equal(await value(`corepod_process_exits_total{pod="${pod}", program="auth-service", reason="signal"}`), 3);
  assert.equal(await value(`corepod_process_restarts_total{pod="${pod}", program="nginx"}`), 0, 'nginx did not restart');
  const loop = await waitFor('the restart-loop expression returns auth-service', async () => {
    const result = await prometheus!.query(rule.expr);
    return result.length === 1 ? result[0] : undefined;
  });
  assert.equal(loop.metric.program, 'auth-service');
  assert.ok((await value(authIncrease))! >= 3);
  assert.equal(loop.metric.pod, pod);
  assert.ok(loop.value >= 3, `increase over 10m: ${loop.value}`);
  // The rule file is loaded and evaluated: the alert is pending (its `for` has not passed yet).
  const pending = await waitFor('CorePodProgramRestartLoop pending', async () => {
    const alerts = await prometheus!.query('ALERTS{alertname="CorePodProgramRestartLoop"}');
    return alerts.find((a) => a.metric.program === 'auth-service');
  });
  assert.equal(pending.metric.alertstate, 'pending');
  assert.equal(pending.metric.severity, 'warning');
});
