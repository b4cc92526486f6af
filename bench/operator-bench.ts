// `node dist/bench/operator-bench.js [--count 1000] [--latency-count 100] [--concurrency N]
// [--max-writes-in-flight N] [--direct-concurrency 200] [--namespace-prefix bench] [--profile DIR]`:
// the operator (its own defaults unless --concurrency/--max-writes-in-flight are given) against
// the local cluster. Applies COUNT CorePods at once and measures the time until every Deployment exists and every CorePod has
// status.observedGeneration, the operator's peak RSS, and, for comparison, the same Deployments
// created directly with a client at the apiserver's mutating-request limit (200 in flight).
// Then LATENCY-COUNT CorePods: apply → Deployment latency (p50, p99). Prints a table; not a test.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../kube/kube-api.js';
import { Informer } from '../kube/informer.js';
import { connect } from '../kube/kubeconfig.js';
import { HttpKubeApi } from '../kube/http-kube-api.js';
import { RESOURCES } from '../kube/resources.js';
import { desiredState } from '../operator/desired/desired-state.js';
import { DEFAULT_SIDECAR } from '../contract/sidecar-contract.js';
import { validateCorePod } from '../crds/corepod-schema.js';
import { kubeconfigPath, installCrd, repoRoot } from '../e2e/support/cluster-env.js';
import { cpuSeconds, peakRssBytes, processTable } from '../lib/procfs.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    'latency-count': { type: 'string', default: '100' },
    /** Passed on to the operator when given; else the operator's default. */
    concurrency: { type: 'string' },
    'direct-concurrency': { type: 'string', default: '200' },
    'namespace-prefix': { type: 'string', default: 'bench' },
    /** Write a V8 CPU profile of each operator run into this directory (node --cpu-prof). */
    profile: { type: 'string' },
    /** Passed on to the operator when given; else the operator's default. */
    'max-writes-in-flight': { type: 'string' },
  },
});
const COUNT = Number(values.count);
const LATENCY_COUNT = Number(values['latency-count']);
const OPERATOR_FLAGS = [
  ...(values.concurrency ? ['--concurrency', values.concurrency] : []),
  ...(values['max-writes-in-flight'] ? ['--max-writes-in-flight', values['max-writes-in-flight']] : []),
];
const DIRECT_CONCURRENCY = Number(values['direct-concurrency']);
const PREFIX = values['namespace-prefix'];
const IMAGE = 'localhost/corepod/pause:3.10';

type CorePodDoc = KubeObject & { spec: unknown; status?: { observedGeneration?: number } };

const corePod = (namespace: string, name: string): CorePodDoc => ({
  apiVersion: 'dreamscape.io/v1alpha1',
  kind: 'CorePod',
  metadata: { name, namespace },
  // replicas 0: the Deployments are what is measured, not 1,000 pods on one node.
  spec: {
    image: IMAGE,
    replicas: 0,
    programs: [
      { name: 'web', command: ['/web'], ports: [{ containerPort: 8080 }] },
      { name: 'worker', command: ['/worker'], dependsOn: ['web'] },
    ],
  },
});

async function pool<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const CLUSTER_PROCESSES = ['kube-apiserver', 'etcd', 'kube-controller', 'kubelet'];

/** CPU seconds so far of the local cluster's processes on this machine, by command name. */
function clusterCpu(): Map<string, number> {
  const cpu = new Map<string, number>();
  for (const { pid, comm } of processTable().values()) {
    if (!CLUSTER_PROCESSES.includes(comm)) continue;
    const seconds = cpuSeconds(pid);
    // undefined: the process ended meanwhile
    if (seconds !== undefined) cpu.set(comm, (cpu.get(comm) ?? 0) + seconds);
  }
  return cpu;
}

function cpuSince(before: Map<string, number>): string {
  const after = clusterCpu();
  return [...after].map(([name, seconds]) => `${name} ${(seconds - (before.get(name) ?? 0)).toFixed(1)} s`).join(', ');
}

/** Prometheus text → sample name{labels} → value. */
function scrape(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** Where the operator's time went: queue wait and work per reconcile, reconciles, and requests by verb. */
function breakdown(samples: Map<string, number>): string {
  const sum = (prefix: string) => [...samples].filter(([k]) => k.startsWith(prefix)).reduce((total, [, v]) => total + v, 0);
  const mean = (metric: string) => sum(`${metric}_sum`) / Math.max(1, sum(`${metric}_count`));
  const requests = [...samples]
    .filter(([k]) => k.startsWith('rest_client_requests_total'))
    .map(([k, v]) => `${/method="(\w+)"/.exec(k)?.[1]} ${/code="(\w+)"/.exec(k)?.[1]}: ${v}`);
  return (
    `reconciles ${sum('controller_runtime_reconcile_total')} (errors ${sum('controller_runtime_reconcile_errors_total')}), ` +
    `mean queue wait ${mean('workqueue_queue_duration_seconds').toFixed(2)} s, mean work ${mean('workqueue_work_duration_seconds').toFixed(3)} s; requests ${requests.join(', ')}`
  );
}

async function namespace(api: HttpKubeApi, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await api.create(RESOURCES.namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

function startOperator(kubeconfig: string, ns: string) {
  const profile = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [];
  const child = spawn(
    process.execPath,
    [
      ...profile,
      `${repoRoot}bin/corepod.js`,
      'operator',
      '--kubeconfig',
      kubeconfig,
      '--namespace',
      ns,
      ...OPERATOR_FLAGS,
      '--sidecar-image',
      IMAGE,
      '--metrics-port',
      '0',
      '--health-port',
      '0',
      '--log-level',
      'info',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  // The info lines tell the metrics port; warnings and errors are passed on.
  let metricsPort: number | undefined;
  let pending = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const entry = JSON.parse(line) as { level: number; metricsPort?: number };
      if (entry.metricsPort !== undefined) metricsPort = entry.metricsPort;
      if (entry.level >= 40) process.stderr.write(`${line}\n`);
    }
  });
  const metrics = async () => (metricsPort ? scrape(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()) : new Map<string, number>());
  return {
    child,
    peakRssMb: () => (peakRssBytes(child.pid!) ?? 0) / 2 ** 20,
    cpuSeconds: () => cpuSeconds(child.pid!) ?? 0,
    metrics,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Applies the CorePods at once and records when each Deployment appears and each CorePod is observed. */
async function operatorRun(api: HttpKubeApi, ns: string, names: string[]) {
  const deployments = new Informer<KubeObject>(api, RESOURCES.deployment, { namespace: ns });
  const corePods = new Informer<CorePodDoc>(api, RESOURCES.corePod, { namespace: ns });
  const created = new Map<string, number>();
  const deployed = new Map<string, number>();
  const observed = new Map<string, number>();
  deployments.addHandlers({ onAdd: (d) => deployed.has(d.metadata!.name!) || deployed.set(d.metadata!.name!, performance.now()) });
  const seen = (c: CorePodDoc) => {
    if (c.status?.observedGeneration === c.metadata?.generation && !observed.has(c.metadata!.name!)) observed.set(c.metadata!.name!, performance.now());
  };
  corePods.addHandlers({ onAdd: seen, onUpdate: (_, c) => seen(c) });
  await Promise.all([deployments.start(), corePods.start()]);
  const start = performance.now();
  await pool(names, DIRECT_CONCURRENCY, async (name) => {
    await api.create(RESOURCES.corePod, corePod(ns, name));
    created.set(name, performance.now());
  });
  const applied = performance.now();
  while (deployed.size < names.length || observed.size < names.length) await new Promise((r) => setTimeout(r, 50));
  const end = performance.now();
  await Promise.all([deployments.stop(), corePods.stop()]);
  const latencies = names.map((n) => deployed.get(n)! - created.get(n)!).sort((a, b) => a - b);
  return {
    applySeconds: (applied - start) / 1000,
    allDeploymentsSeconds: (Math.max(...deployed.values()) - start) / 1000,
    allObservedSeconds: (end - start) / 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

/**
 * Waits until the deployment controller has caught up with a namespace (every Deployment observed),
 * so that its deferred work (a ReplicaSet and a status update per Deployment) does not land in the
 * next measurement. Returns the seconds waited.
 */
async function settle(api: HttpKubeApi, ns: string, limitSeconds = 300): Promise<string> {
  const start = performance.now();
  for (;;) {
    const list = await api.list<KubeObject & { status?: { observedGeneration?: number } }>(RESOURCES.deployment, { namespace: ns });
    const seconds = (performance.now() - start) / 1000;
    const behind = list.items.filter((d) => d.status?.observedGeneration !== d.metadata?.generation).length;
    if (behind === 0) return `${seconds.toFixed(1)} s`;
    if (seconds > limitSeconds) return `${seconds.toFixed(1)} s (gave up, ${behind} Deployments not yet observed)`;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function directRun(api: HttpKubeApi, ns: string, names: string[]): Promise<number> {
  // The same Deployment objects the operator builds, created with plain POSTs.
  const bodies = names.map((name) => {
    const parsed = validateCorePod({ ...corePod(ns, name), metadata: { name, namespace: ns } });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const state = desiredState(
      { ...parsed.value, metadata: { name, namespace: ns, uid: '00000000-0000-4000-8000-000000000000', generation: 1 } },
      { ...DEFAULT_SIDECAR, image: IMAGE },
    );
    const deployment = state.objects.find((o) => o.kind === 'Deployment')!;
    delete deployment.metadata!.ownerReferences;
    return deployment;
  });
  const start = performance.now();
  await pool(bodies, DIRECT_CONCURRENCY, async (body) => void (await api.create(RESOURCES.deployment, body)));
  return (performance.now() - start) / 1000;
}

async function main(): Promise<void> {
  const kubeconfig = kubeconfigPath();
  const api = new HttpKubeApi(await connect({ kubeconfig }), { maxSockets: DIRECT_CONCURRENCY + 16 });
  await installCrd();
  const namespaces: string[] = [];
  try {
    const directNs = await namespace(api, `${PREFIX}-direct`);
    namespaces.push(directNs);
    const names = Array.from({ length: COUNT }, (_, i) => `cp-${i}`);
    const directCpu = clusterCpu();
    const directSeconds = await directRun(api, directNs, names);
    const directCluster = cpuSince(directCpu);
    const settled: string[] = [`after direct ${await settle(api, directNs)}`];

    // The floor: the same CorePods created where no operator watches. Whatever an operator does,
    // it cannot finish before the CorePods themselves exist.
    const floorNs = await namespace(api, `${PREFIX}-floor`);
    namespaces.push(floorNs);
    const floorCpu = clusterCpu();
    const floorStart = performance.now();
    await pool(names, DIRECT_CONCURRENCY, async (name) => void (await api.create(RESOURCES.corePod, corePod(floorNs, name))));
    const floorSeconds = (performance.now() - floorStart) / 1000;
    const floorCluster = cpuSince(floorCpu);

    const bulkNs = await namespace(api, `${PREFIX}-op`);
    namespaces.push(bulkNs);
    const bulkOperator = startOperator(kubeconfig, bulkNs);
    await new Promise((r) => setTimeout(r, 2000));
    const bulkCpu = clusterCpu();
    const bulk = await operatorRun(api, bulkNs, names);
    const bulkCluster = cpuSince(bulkCpu);
    const rss = bulkOperator.peakRssMb();
    const cpu = bulkOperator.cpuSeconds();
    const bulkBreakdown = breakdown(await bulkOperator.metrics());
    settled.push(`after the operator at ${COUNT} ${await settle(api, bulkNs)}`);
    await bulkOperator.stop();

    const latencyNs = await namespace(api, `${PREFIX}-lat`);
    namespaces.push(latencyNs);
    const latencyOperator = startOperator(kubeconfig, latencyNs);
    await new Promise((r) => setTimeout(r, 2000));
    const small = await operatorRun(api, latencyNs, names.slice(0, LATENCY_COUNT));
    const smallBreakdown = breakdown(await latencyOperator.metrics());
    await latencyOperator.stop();

    const directRate = COUNT / directSeconds;
    // Done when both hold: every Deployment exists and every CorePod has observedGeneration.
    const operatorSeconds = Math.max(bulk.allDeploymentsSeconds, bulk.allObservedSeconds);
    const operatorRate = COUNT / operatorSeconds;
    const rows = [
      [`direct: create ${COUNT} Deployments (${DIRECT_CONCURRENCY} in flight)`, `${directSeconds.toFixed(1)} s`, `${directRate.toFixed(0)} /s`, ''],
      [
        `floor: create ${COUNT} CorePods where no operator runs (${DIRECT_CONCURRENCY} in flight)`,
        `${floorSeconds.toFixed(1)} s`,
        `${(COUNT / floorSeconds).toFixed(0)} /s`,
        `${(directSeconds / floorSeconds).toFixed(2)}× direct: the best any operator can reach here`,
      ],
      [`operator: ${COUNT} CorePods → every Deployment exists`, `${bulk.allDeploymentsSeconds.toFixed(1)} s`, `${(COUNT / bulk.allDeploymentsSeconds).toFixed(0)} /s`, ''],
      [
        `operator: ${COUNT} CorePods → and every observedGeneration set`,
        `${operatorSeconds.toFixed(1)} s`,
        `${operatorRate.toFixed(0)} /s`,
        `${(operatorRate / directRate).toFixed(2)}× direct (target ≥ 0.7×)`,
      ],
      [`operator peak RSS at ${COUNT} CorePods`, `${rss.toFixed(0)} MB`, '', 'target ≤ 150 MB'],
      [`operator CPU for ${COUNT} CorePods`, `${cpu.toFixed(1)} s`, `${((cpu / bulk.allObservedSeconds) * 100).toFixed(0)} % of one core`, ''],
      [`apply → Deployment at ${COUNT} CorePods`, `p50 ${(bulk.p50 / 1000).toFixed(2)} s`, `p99 ${(bulk.p99 / 1000).toFixed(2)} s`, ''],
      [`apply → Deployment at ${LATENCY_COUNT} CorePods`, `p50 ${(small.p50 / 1000).toFixed(2)} s`, `p99 ${(small.p99 / 1000).toFixed(2)} s`, 'target p99 < 2 s'],
    ];
    process.stdout.write(`\nOperator benchmark (operator ${OPERATOR_FLAGS.join(' ') || 'with its default flags'}; CorePods applied ${DIRECT_CONCURRENCY} in flight)\n\n`);
    process.stdout.write('| what | time | rate / latency | vs target |\n|---|---|---|---|\n');
    for (const row of rows) process.stdout.write(`| ${row.join(' | ')} |\n`);
    process.stdout.write(`\nwaited for the deployment controller to catch up before the next phase: ${settled.join(', ')}`);
    process.stdout.write(`\ncluster CPU, direct run: ${directCluster}\ncluster CPU, CorePods alone: ${floorCluster}\ncluster CPU, operator run at ${COUNT}: ${bulkCluster}`);
    process.stdout.write(
      `\noperator at ${COUNT}: ${bulkBreakdown}\noperator at ${LATENCY_COUNT}: ${smallBreakdown}\nload average: ${readFileSync('/proc/loadavg', 'utf8').trim()}\n`,
    );
  } finally {
    for (const ns of namespaces) await api.delete(RESOURCES.namespace, undefined, ns).catch(() => undefined);
    api.close();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`operator-bench: ${error.stack ?? error.message}\n`);
  process.exitCode = 1;
});
