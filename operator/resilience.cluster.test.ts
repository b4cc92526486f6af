// Faults: the operator killed mid-reconcile, the kube-apiserver restarted under running watches,
// and a watch answered with 410 Gone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import type { HttpKubeApi } from '../kube/http-kube-api.js';
import type { KubeObject } from '../kube/kube-api.js';
import { Informer } from '../kube/informer.js';
import { RESOURCES } from '../kube/resources.js';
import { clusterApi, createNamespace, installCrd, kubectl, restartComponent, startOperator, waitFor, type OperatorProcess } from '../e2e/support/cluster-env.js';

let namespace: string;
let removeNamespace: () => Promise<void>;
let api: HttpKubeApi;
const operators: OperatorProcess[] = [];

before(async () => {
  await installCrd();
  ({ name: namespace, remove: removeNamespace } = await createNamespace('cp-chaos'));
  api = await clusterApi();
});
after(async () => {
  for (const o of operators) await o.stop('SIGKILL');
  await removeNamespace?.();
  api?.close();
});

const corePod = (name: string) => ({
  apiVersion: 'dreamscape.io/v1alpha1',
  kind: 'CorePod',
  metadata: { name, namespace },
  spec: { image: 'registry.local/a:1', programs: [{ name: 'a', command: ['/a'], ports: [{ containerPort: 8080 }] }] },
});

async function observed(names: string[]): Promise<boolean> {
  const list = await api.list<KubeObject & { status?: { observedGeneration?: number } }>(RESOURCES.corePod, { namespace });
  const done = new Set(list.items.filter((c) => c.status?.observedGeneration === c.metadata?.generation).map((c) => c.metadata!.name));
  const deployments = new Set((await api.list(RESOURCES.deployment, { namespace })).items.map((d) => d.metadata!.name));
  return names.every((n) => done.has(n) && deployments.has(n));
}

test('killed mid-reconcile and restarted: everything converges, nothing is duplicated', async () => {
  const names = Array.from({ length: 100 }, (_, i) => `burst-${i}`);
  // All CorePods exist before the operator starts, so it is busy with them when it is killed.
  await kubectl(['apply', '-f', '-'], { input: names.map((n) => stringify(corePod(n))).join('---\n') });
  const first = await startOperator(['--namespace', namespace, '--concurrency', '1']);
  operators.push(first);
  await waitFor('the first Deployment', async () => (await api.list(RESOURCES.deployment, { namespace })).items.length >= 1, 90_000, 50);
  await first.stop('SIGKILL');
  const made = (await api.list(RESOURCES.deployment, { namespace })).items.length;
  assert.ok(made < names.length, `killed before the end (${made} of ${names.length})`);
  const second = await startOperator(['--namespace', namespace, '--concurrency', '2']);
  operators.push(second);
  await waitFor('all 100 reconciled', () => observed(names), 180_000);
  for (const [type, suffix] of [
    ['deployment', ''],
    ['service', ''],
    ['configMap', '-corepod-config'],
    ['serviceAccount', '-corepod'],
    ['role', '-corepod'],
    ['roleBinding', '-corepod'],
  ] as const) {
    const items = (await api.list(RESOURCES[type], { namespace, labelSelector: 'app.kubernetes.io/managed-by=corepod-operator' })).items;
    assert.deepEqual(items.map((i) => i.metadata!.name).sort(), names.map((n) => `${n}${suffix}`).sort(), `${type}: one per CorePod`);
    for (const item of items) assert.equal(item.metadata!.ownerReferences!.length, 1);
  }
  // A restart must not change the pod template: still one ReplicaSet per Deployment.
  const replicaSets = (await api.list(RESOURCES.replicaSet, { namespace })).items;
  const perDeployment = new Map<string, number>();
  for (const rs of replicaSets) {
    const owner = rs.metadata!.ownerReferences![0]!.name;
    perDeployment.set(owner, (perDeployment.get(owner) ?? 0) + 1);
  }
  assert.deepEqual([...new Set(perDeployment.values())], [1]);
  await second.stop();
});

test('a watch answered with 410 Gone makes the informer re-list and carry on', async (t) => {
  const informer = new Informer<KubeObject>(api, RESOURCES.corePod, { namespace, watchTimeoutSeconds: 60 });
  t.after(() => informer.stop());
  await informer.start();
  assert.equal(informer.stats.lists, 1);
  // As after a long disconnect: resume from a resourceVersion the apiserver no longer has.
  informer.resumeFrom('1');
  await waitFor('a 410 and a re-list', () => informer.stats.expired >= 1 && informer.stats.lists >= 2);
  await kubectl(['apply', '-f', '-'], { input: stringify(corePod('after-gone')) });
  await waitFor('the informer sees new objects', () => informer.get(`${namespace}/after-gone`) !== undefined);
});

test('kube-apiserver restarted: watches resume and new CorePods are reconciled', async () => {
  const operator = await startOperator(['--namespace', namespace]);
  operators.push(operator);
  await waitFor('caches synced', () => operator.logs.some((l) => l.msg === 'caches synced'));
  await restartComponent('kube-apiserver');
  await kubectl(['apply', '-f', '-'], { input: stringify(corePod('after-restart')) });
  await waitFor('reconciled after the restart', () => observed(['after-restart']), 180_000);
  // Drift repair needs the Deployment watch to be alive again.
  await kubectl(['delete', 'deployment/after-restart', '-n', namespace]);
  await waitFor('Deployment recreated through the resumed watch', async () => (await api.get(RESOURCES.deployment, namespace, 'after-restart')) !== undefined, 120_000);
  assert.equal(operator.child.exitCode, null, 'the operator kept running');
  await operator.stop();
});
