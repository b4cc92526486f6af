// `node dist/bench/operator-bench.js [--count 1000] [--latency-count 100] [--concurrency N]
// [--max-writes-in-flight N] [--direct-concurrency 200] [--namespace-prefix bench] [--profile DIR]
// [--peer-concurrency N] [--no-peer]`:
// the operator (its own defaults unless --concurrency/--max-writes-in-flight are given) and its
// controller-runtime peer (bench/peer-operator, Go; built and cached on first use) against the
// local cluster, one after the other in the same run. Each gets COUNT CorePods applied at once; measured: the time until
// every Deployment exists and every CorePod has status.observedGeneration, the operator's peak RSS
// and CPU, the cluster's CPU (kube-apiserver per CorePod), and, for comparison, the same
// Deployments created directly with a client at the apiserver's mutating-request limit (200 in
// flight). Then LATENCY-COUNT CorePods each: apply → Deployment latency (p50, p99). Prints a table; not a test.
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
import { operatorNodeFlags } from '../operator/node-flags.js';
import { cpuSeconds, peakRssBytes, processTable } from '../lib/procfs.js';
import { buildPeerOperator, startPeerOperator } from './lib/peer-operator.js';
import { BENCH_IMAGE, benchCorePod, type CorePodDoc } from './lib/peer-corepods.js';

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
    /** MaxConcurrentReconciles of the peer (default: the same as our operator's, 128). */
    'peer-concurrency': { type: 'string', default: '128' },
    /** Leave the controller-runtime peer out. */
    'no-peer': { type: 'boolean', default: false },
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
const IMAGE = BENCH_IMAGE;
const PEER_CONCURRENCY = Number(values['peer-concurrency']);
const corePod = benchCorePod;
const log = (message: string) => process.stderr.write(`[operator-bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

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

function cpuSince(before: Map<string, number>): { text: string; apiserverSeconds: number } {
  const after = clusterCpu();
  return {
    text: [...after].map(([name, seconds]) => `${name} ${(seconds - (before.get(name) ?? 0)).toFixed(1)} s`).join(', '),
    apiserverSeconds: (after.get('kube-apiserver') ?? 0) - (before.get('kube-apiserver') ?? 0),
  };
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

type Subject = 'ours' | 'peer';
const SUBJECT_LABEL: Record<Subject, string> = { ours: 'our operator', peer: 'controller-runtime peer' };

interface RunningOperator {
  peakRssMb(): number;
  cpuSeconds(): number;
  metrics(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

function startOperator(kubeconfig: string, ns: string): RunningOperator {
  const profile = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [];
  const child = spawn(
    process.execPath,
    [
      ...profile,
      ...operatorNodeFlags(),
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

async function startPeer(binary: string, kubeconfig: string, ns: string): Promise<RunningOperator> {
  const peer = await startPeerOperator(binary, { kubeconfig, namespace: ns, sidecarImage: IMAGE, concurrency: PEER_CONCURRENCY });
  const pid = peer.child.pid!;
  return {
    peakRssMb: () => (peakRssBytes(pid) ?? 0) / 2 ** 20,
    cpuSeconds: () => cpuSeconds(pid) ?? 0,
    metrics: async () => scrape(await (await fetch(`http://127.0.0.1:${peer.metricsPort}/metrics`)).text()),
    stop: async () => void (await peer.stop()),
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
  // The watches see everything, unless the apiserver drops them: other sessions re-applying the
  // shared CRD reinitialize its storage (429 "storage is (re)initializing"). A list every 5 s fills
  // in what a dropped watch missed, at the time of that list (counted in `listed`).
  let lastList = performance.now();
  let listed = 0;
  while (deployed.size < names.length || observed.size < names.length) {
    await new Promise((r) => setTimeout(r, 50));
    if (performance.now() - lastList < 5000) continue;
    // An apiserver too busy to answer a list in time is asked again at the next one.
    const lists = await Promise.all([api.list<KubeObject>(RESOURCES.deployment, { namespace: ns }), api.list<CorePodDoc>(RESOURCES.corePod, { namespace: ns })]).catch(
      () => undefined,
    );
    lastList = performance.now();
    if (!lists) continue;
    const [ds, cs] = lists;
    const now = performance.now();
    for (const d of ds.items) {
      if (deployed.has(d.metadata!.name!)) continue;
      deployed.set(d.metadata!.name!, now);
      listed++;
    }
    for (const c of cs.items) {
      if (c.status?.observedGeneration !== c.metadata?.generation || observed.has(c.metadata!.name!)) continue;
      observed.set(c.metadata!.name!, now);
      listed++;
    }
    lastList = performance.now();
  }
  const end = performance.now();
  await Promise.all([deployments.stop(), corePods.stop()]);
  const latencies = names.map((n) => deployed.get(n)! - created.get(n)!).sort((a, b) => a - b);
  return {
    applySeconds: (applied - start) / 1000,
    allDeploymentsSeconds: (Math.max(...deployed.values()) - start) / 1000,
    allObservedSeconds: (end - start) / 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    listed,
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

/** Operators not yet stopped: a failed run stops them before it ends. */
const running = new Set<RunningOperator>();

interface SubjectResult {
  bulk: Awaited<ReturnType<typeof operatorRun>>;
  /** Done when both hold: every Deployment exists and every CorePod has observedGeneration. */
  seconds: number;
  rate: number;
  rss: number;
  cpu: number;
  cluster: ReturnType<typeof cpuSince>;
  breakdown: string;
  small: Awaited<ReturnType<typeof operatorRun>>;
  smallBreakdown: string;
  settled: string;
}

async function measureSubject(subject: Subject, api: HttpKubeApi, kubeconfig: string, names: string[], namespaces: string[], peerBinary?: string): Promise<SubjectResult> {
  const start = async (ns: string) => {
    const operator = subject === 'ours' ? startOperator(kubeconfig, ns) : await startPeer(peerBinary!, kubeconfig, ns);
    running.add(operator);
    return operator;
  };
  const bulkNs = await namespace(api, `${PREFIX}-${subject === 'ours' ? 'op' : 'peer'}`);
  namespaces.push(bulkNs);
  log(`${SUBJECT_LABEL[subject]}: ${COUNT} CorePods in ${bulkNs}`);
  const bulkOperator = await start(bulkNs);
  await new Promise((r) => setTimeout(r, 2000));
  const bulkCpu = clusterCpu();
  const bulk = await operatorRun(api, bulkNs, names);
  const cluster = cpuSince(bulkCpu);
  const rss = bulkOperator.peakRssMb();
  const cpu = bulkOperator.cpuSeconds();
  const bulkBreakdown = breakdown(await bulkOperator.metrics());
  const settled = `after the ${SUBJECT_LABEL[subject]} at ${COUNT} ${await settle(api, bulkNs)}`;
  await bulkOperator.stop();
  running.delete(bulkOperator);

  const latencyNs = await namespace(api, `${PREFIX}-${subject === 'ours' ? 'lat' : 'peer-lat'}`);
  namespaces.push(latencyNs);
  log(`${SUBJECT_LABEL[subject]}: ${LATENCY_COUNT} CorePods in ${latencyNs}`);
  const latencyOperator = await start(latencyNs);
  await new Promise((r) => setTimeout(r, 2000));
  const small = await operatorRun(api, latencyNs, names.slice(0, LATENCY_COUNT));
  const smallBreakdown = breakdown(await latencyOperator.metrics());
  await latencyOperator.stop();
  running.delete(latencyOperator);
  const seconds = Math.max(bulk.allDeploymentsSeconds, bulk.allObservedSeconds);
  return { bulk, seconds, rate: COUNT / seconds, rss, cpu, cluster, breakdown: bulkBreakdown, small, smallBreakdown, settled };
}

async function main(): Promise<void> {
  const kubeconfig = kubeconfigPath();
  const peerBinary = values['no-peer'] ? undefined : await buildPeerOperator();
  const api = new HttpKubeApi(await connect({ kubeconfig }), { maxSockets: DIRECT_CONCURRENCY + 16 });
  await installCrd();
  const namespaces: string[] = [];
  const loadBefore = readFileSync('/proc/loadavg', 'utf8').trim();
  try {
    const directNs = await namespace(api, `${PREFIX}-direct`);
    namespaces.push(directNs);
    const names = Array.from({ length: COUNT }, (_, i) => `cp-${i}`);
    log(`direct: ${COUNT} Deployments in ${directNs}`);
    const directCpu = clusterCpu();
    const directSeconds = await directRun(api, directNs, names);
    const directCluster = cpuSince(directCpu);
    const settled: string[] = [`after direct ${await settle(api, directNs)}`];

    // The floor: the same CorePods created where no operator watches. Whatever an operator does,
    // it cannot finish before the CorePods themselves exist.
    const floorNs = await namespace(api, `${PREFIX}-floor`);
    namespaces.push(floorNs);
    log(`floor: ${COUNT} CorePods in ${floorNs}, no operator`);
    const floorCpu = clusterCpu();
    const floorStart = performance.now();
    await pool(names, DIRECT_CONCURRENCY, async (name) => void (await api.create(RESOURCES.corePod, corePod(floorNs, name))));
    const floorSeconds = (performance.now() - floorStart) / 1000;
    const floorCluster = cpuSince(floorCpu);

    const results = new Map<Subject, SubjectResult>();
    for (const subject of peerBinary ? (['ours', 'peer'] as const) : (['ours'] as const)) {
      const result = await measureSubject(subject, api, kubeconfig, names, namespaces, peerBinary);
      results.set(subject, result);
      settled.push(result.settled);
    }
    const peer = results.get('peer');

    const directRate = COUNT / directSeconds;
    const perCorePodMs = (r: SubjectResult) => (r.cluster.apiserverSeconds / COUNT) * 1000;
    const rows = [
      [`direct: create ${COUNT} Deployments (${DIRECT_CONCURRENCY} in flight)`, `${directSeconds.toFixed(1)} s`, `${directRate.toFixed(0)} /s`, ''],
      [
        `floor: create ${COUNT} CorePods where no operator runs (${DIRECT_CONCURRENCY} in flight)`,
        `${floorSeconds.toFixed(1)} s`,
        `${(COUNT / floorSeconds).toFixed(0)} /s`,
        `${(directSeconds / floorSeconds).toFixed(2)}× direct: the best any operator can reach here`,
      ],
    ];
    for (const [subject, r] of results) {
      const who = SUBJECT_LABEL[subject];
      const vsPeer = (text: (peer: SubjectResult) => string) => (subject === 'ours' && peer ? text(peer) : '');
      rows.push(
        [`${who}: ${COUNT} CorePods → every Deployment exists`, `${r.bulk.allDeploymentsSeconds.toFixed(1)} s`, `${(COUNT / r.bulk.allDeploymentsSeconds).toFixed(0)} /s`, ''],
        [
          `${who}: ${COUNT} CorePods → and every observedGeneration set`,
          `${r.seconds.toFixed(1)} s`,
          `${r.rate.toFixed(0)} /s`,
          `${(r.rate / directRate).toFixed(2)}× direct${vsPeer((p) => `; ${(r.rate / p.rate).toFixed(2)}× the peer (target ≥ 1.0×)`)}`,
        ],
        [`${who}: peak RSS at ${COUNT} CorePods`, `${r.rss.toFixed(0)} MB`, '', vsPeer((p) => `${(r.rss / p.rss).toFixed(2)}× the peer (target ≤ 1.5×)`)],
        [
          `${who}: CPU for ${COUNT} CorePods`,
          `${r.cpu.toFixed(1)} s`,
          `${((r.cpu / r.bulk.allObservedSeconds) * 100).toFixed(0)} % of one core`,
          vsPeer((p) => `${(r.cpu / p.cpu).toFixed(2)}× the peer`),
        ],
        [
          `${who}: kube-apiserver CPU per CorePod at ${COUNT}`,
          `${perCorePodMs(r).toFixed(1)} ms`,
          '',
          vsPeer((p) => `${(perCorePodMs(r) / perCorePodMs(p)).toFixed(2)}× the peer`),
        ],
        [`${who}: apply → Deployment at ${COUNT} CorePods`, `p50 ${(r.bulk.p50 / 1000).toFixed(2)} s`, `p99 ${(r.bulk.p99 / 1000).toFixed(2)} s`, ''],
        [
          `${who}: apply → Deployment at ${LATENCY_COUNT} CorePods`,
          `p50 ${(r.small.p50 / 1000).toFixed(2)} s`,
          `p99 ${(r.small.p99 / 1000).toFixed(2)} s`,
          vsPeer((p) => `p99 ${(r.small.p99 / p.small.p99).toFixed(2)}× the peer (target ≤ 1.0×)`),
        ],
      );
    }
    process.stdout.write(
      `\nOperator benchmark (our operator ${OPERATOR_FLAGS.join(' ') || 'with its default flags'}, node ${operatorNodeFlags().join(' ') || 'without flags'}; the peer with ${PEER_CONCURRENCY} concurrent reconciles; CorePods applied ${DIRECT_CONCURRENCY} in flight)\n\n`,
    );
    process.stdout.write('| what | time | rate / latency | vs target |\n|---|---|---|---|\n');
    for (const row of rows) process.stdout.write(`| ${row.join(' | ')} |\n`);
    process.stdout.write(`\nwaited for the deployment controller to catch up before the next phase: ${settled.join(', ')}`);
    process.stdout.write(`\ncluster CPU, direct run: ${directCluster.text}\ncluster CPU, CorePods alone: ${floorCluster.text}`);
    for (const [subject, r] of results) {
      process.stdout.write(`\ncluster CPU, ${SUBJECT_LABEL[subject]} at ${COUNT}: ${r.cluster.text}`);
      process.stdout.write(`\n${SUBJECT_LABEL[subject]} at ${COUNT}: ${r.breakdown}\n${SUBJECT_LABEL[subject]} at ${LATENCY_COUNT}: ${r.smallBreakdown}`);
      process.stdout.write(
        `\n${SUBJECT_LABEL[subject]}: events a dropped watch missed, filled in from a list: ${r.bulk.listed} at ${COUNT}, ${r.small.listed} at ${LATENCY_COUNT}`,
      );
    }
    process.stdout.write(`\nload average before: ${loadBefore}, after: ${readFileSync('/proc/loadavg', 'utf8').trim()}\n`);
  } finally {
    for (const operator of running) await operator.stop();
    for (const ns of namespaces) await api.delete(RESOURCES.namespace, undefined, ns).catch(() => undefined);
    api.close();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`operator-bench: ${error.stack ?? error.message}\n`);
  // The run's informers may still hold the event loop open; everything it started is stopped.
  process.exit(1);
});
