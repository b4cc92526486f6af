// `node dist/bench/write-cost.js [--writes 200] [--rounds 5] [--in-flight 50]`: the apiserver's CPU
// per create and per status update of a CorePod, a ConfigMap and a Deployment, side by side in one
// run, and of the CorePod CRD's variants (bench/lib/crd-variants.ts: without its CEL rules, without
// its defaults, without a schema) on scratch API groups, so the real CRD is not touched (issue 17,
// item 2). Rounds alternate the subjects; each phase's kube-apiserver (and etcd) CPU is read from
// /proc and the cluster's background rate, read in an idle window before each round, is taken off.
// Prints a markdown table (medians over the rounds). Not a test.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import type { KubeObject, ResourceType } from '../kube/kube-api.js';
import { RESOURCES } from '../kube/resources.js';
import { cpuSeconds, processTable } from '../lib/procfs.js';
import { clusterApi, createNamespace, kubectl, repoRoot } from '../e2e/support/cluster-env.js';
import { crdVariant, VARIANTS, variantGroup, type Variant } from './lib/crd-variants.js';
import { benchCorePod } from './lib/peer-corepods.js';
import { median } from './lib/stats.js';
import { sleep } from './lib/scope.js';

const { values } = parseArgs({
  options: {
    writes: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '5' },
    'in-flight': { type: 'string', default: '50' },
    /** Only these variants (comma-separated); all by default. */
    variants: { type: 'string' },
  },
});
const WRITES = Number(values.writes);
const ROUNDS = Number(values.rounds);
const IN_FLIGHT = Number(values['in-flight']);
const CHOSEN = (values.variants?.split(',') ?? VARIANTS) as Variant[];
const FIELD_MANAGER = 'corepod-operator';
const log = (message: string) => process.stderr.write(`[write-cost ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

interface Subject {
  label: string;
  type: ResourceType;
  body(namespace: string, name: string): KubeObject;
  /** The status write (for a ConfigMap, which has none, the same payload applied into its data). */
  status(namespace: string, name: string, round: number): { body: KubeObject; subresource?: 'status' };
}

const at = (round: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, round)).toISOString().replace('.000', '');

/** What the operator applies to a CorePod's status (operator/controller/status-rollup.ts OwnedStatus). */
function corePodStatus(name: string, round: number) {
  const condition = (type: string, status: string, reason: string, message: string) => ({ type, status, reason, message, lastTransitionTime: at(round), observedGeneration: 1 });
  return {
    observedGeneration: 1,
    phase: 'Running',
    readyProcesses: '0/0',
    restarts: round,
    conditions: [
      condition('Ready', 'True', 'ScaledToZero', 'spec.replicas is 0'),
      condition('Progressing', round % 2 ? 'True' : 'False', round % 2 ? 'RollingOut' : 'RolloutComplete', `round ${round}`),
      condition('Degraded', 'False', 'AsExpected', ''),
    ],
    replicas: 0,
    selector: `app.kubernetes.io/name=corepod,app.kubernetes.io/instance=${name}`,
  };
}

function corePodSubject(label: string, group: string): Subject {
  const type: ResourceType = { group, version: 'v1alpha1', plural: 'corepods', kind: 'CorePod', namespaced: true };
  const apiVersion = `${group}/v1alpha1`;
  return {
    label,
    type,
    body: (namespace, name) => ({ ...benchCorePod(namespace, name), apiVersion }),
    status: (namespace, name, round) => ({
      body: { apiVersion, kind: 'CorePod', metadata: { name, namespace }, status: corePodStatus(name, round) } as KubeObject,
      subresource: 'status' as const,
    }),
  };
}

const SUBJECTS: Subject[] = [
  {
    label: 'ConfigMap',
    type: RESOURCES.configMap,
    body: (namespace, name) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { 'corepod.json': JSON.stringify(benchCorePod(namespace, name)) } }),
    status: (namespace, name, round) => ({
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { status: JSON.stringify(corePodStatus(name, round)) } } as KubeObject,
    }),
  },
  {
    label: 'Deployment',
    type: RESOURCES.deployment,
    // Paused with no replicas: the deployment controller answers with a status write, no ReplicaSet.
    body: (namespace, name) =>
      ({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace },
        spec: {
          replicas: 0,
          paused: true,
          selector: { matchLabels: { app: name } },
          template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'localhost/corepod/pause:3.10' }] } },
        },
      }) as KubeObject,
    status: (namespace, name, round) => ({
      body: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace },
        status: { conditions: [{ type: 'BenchWrite', status: round % 2 ? 'True' : 'False', reason: 'Bench', message: `round ${round}`, lastTransitionTime: at(round) }] },
      } as KubeObject,
      subresource: 'status' as const,
    }),
  },
  ...CHOSEN.map((variant) => corePodSubject(`CorePod (${variant})`, variantGroup(variant))),
];

function apiserverCpu(): { apiserver: number; etcd: number } {
  const out = { apiserver: 0, etcd: 0 };
  for (const { pid, comm } of processTable().values()) {
    const key = comm === 'kube-apiserver' ? 'apiserver' : comm === 'etcd' ? 'etcd' : undefined;
    if (key) out[key] += cpuSeconds(pid) ?? 0;
  }
  return out;
}

async function pool<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from(
      { length: Math.min(width, items.length) },
      async () =>
        void (await (async () => {
          while (next < items.length) await work(items[next++]!);
        })()),
    ),
  );
}

/** CPU ms per write of a phase, less the background rate over the phase's wall time. */
async function measure(background: { apiserver: number; etcd: number }, count: number, phase: () => Promise<void>) {
  const before = apiserverCpu();
  const start = performance.now();
  await phase();
  const seconds = (performance.now() - start) / 1000;
  const after = apiserverCpu();
  return {
    apiserverMs: ((after.apiserver - before.apiserver - background.apiserver * seconds) / count) * 1000,
    etcdMs: ((after.etcd - before.etcd - background.etcd * seconds) / count) * 1000,
  };
}

async function main(): Promise<void> {
  const api = await clusterApi();
  const corePodYaml = readFileSync(`${repoRoot}crds/corepod.yaml`, 'utf8');
  const crds = CHOSEN.map((variant) => crdVariant(corePodYaml, variant));
  log(`installing ${crds.length} scratch CRDs: ${crds.map((c) => c.metadata.name).join(', ')}`);
  await kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: crds.map((c) => stringify(c)).join('---\n') });
  for (const crd of crds) await kubectl(['wait', '--for=condition=Established', '--timeout=60s', `crd/${crd.metadata.name}`]);
  const namespace = await createNamespace('write-cost');
  const load = readFileSync('/proc/loadavg', 'utf8').trim();
  const results = new Map<string, { create: number[]; status: number[]; createEtcd: number[]; statusEtcd: number[] }>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const before = apiserverCpu();
      await sleep(3000);
      const after = apiserverCpu();
      const background = { apiserver: (after.apiserver - before.apiserver) / 3, etcd: (after.etcd - before.etcd) / 3 };
      log(`round ${round + 1}/${ROUNDS}: background kube-apiserver ${(background.apiserver * 100).toFixed(0)} % of a core, etcd ${(background.etcd * 100).toFixed(0)} %`);
      // Rotate the order each round, so no subject always runs right after the same one.
      const order = SUBJECTS.map((_, i) => SUBJECTS[(i + round) % SUBJECTS.length]!);
      for (const subject of order) {
        const names = Array.from({ length: WRITES }, (_, i) => `w-${round}-${i}`);
        const create = await measure(background, WRITES, () => pool(names, IN_FLIGHT, async (name) => void (await api.create(subject.type, subject.body(namespace.name, name)))));
        // The first status write adds the field manager's entry; the second is the steady update measured.
        await pool(names, IN_FLIGHT, async (name) => {
          const { body, subresource } = subject.status(namespace.name, name, 1);
          await api.apply(subject.type, body, { fieldManager: FIELD_MANAGER, force: true, ...(subresource ? { subresource } : {}) });
        });
        const status = await measure(background, WRITES, () =>
          pool(names, IN_FLIGHT, async (name) => {
            const { body, subresource } = subject.status(namespace.name, name, 2);
            await api.apply(subject.type, body, { fieldManager: FIELD_MANAGER, force: true, ...(subresource ? { subresource } : {}) });
          }),
        );
        const r = results.get(subject.label) ?? { create: [], status: [], createEtcd: [], statusEtcd: [] };
        r.create.push(create.apiserverMs);
        r.status.push(status.apiserverMs);
        r.createEtcd.push(create.etcdMs);
        r.statusEtcd.push(status.etcdMs);
        results.set(subject.label, r);
        log(`  ${subject.label}: create ${create.apiserverMs.toFixed(2)} ms, status update ${status.apiserverMs.toFixed(2)} ms of kube-apiserver CPU per write`);
      }
    }
  } finally {
    await namespace.remove();
    await kubectl(['delete', '--wait=false', ...crds.map((c) => `crd/${c.metadata.name}`)], { allowFailure: true });
    api.close();
  }
  const configMap = results.get('ConfigMap')!;
  const [cmCreate, cmStatus] = [median(configMap.create), median(configMap.status)];
  process.stdout.write(
    `\nWrite cost (${WRITES} writes per phase, ${IN_FLIGHT} in flight, ${ROUNDS} rounds, medians; load before ${load}, after ${readFileSync('/proc/loadavg', 'utf8').trim()})\n\n`,
  );
  process.stdout.write(
    '| subject | create: kube-apiserver CPU (ms) | × ConfigMap | status update: kube-apiserver CPU (ms) | × ConfigMap | create: etcd (ms) | status update: etcd (ms) | rounds: create | rounds: status update |\n|---|---|---|---|---|---|---|---|---|\n',
  );
  for (const [label, r] of results) {
    const [create, status] = [median(r.create), median(r.status)];
    process.stdout.write(
      `| ${label} | ${create.toFixed(2)} | ${(create / cmCreate).toFixed(2)}× | ${status.toFixed(2)} | ${(status / cmStatus).toFixed(2)}× | ${median(r.createEtcd).toFixed(2)} | ${median(r.statusEtcd).toFixed(2)} | ${r.create.map((v) => v.toFixed(1)).join(' ')} | ${r.status.map((v) => v.toFixed(1)).join(' ')} |\n`,
    );
  }
  process.stdout.write(
    '\nTargets: CorePod (full) create ≤ 1.5× ConfigMap, status update ≤ 1.2× ConfigMap (the ConfigMap\'s "status update" is the same payload applied into its data).\n',
  );
}

main().catch((error: Error) => {
  process.stderr.write(`write-cost: ${error.stack ?? error.message}\n`);
  process.exitCode = 1;
});
