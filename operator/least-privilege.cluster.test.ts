// The operator as `make deploy` runs it: a ServiceAccount holding exactly the ClusterRole of
// operator/deploy/operator.yaml, not the admin kubeconfig (system:masters skips the apiserver's
// RBAC escalation check, which is what caught a RoleBinding applied alongside its Role).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { HttpKubeApi } from '../kube/http-kube-api.js';
import type { KubeObject } from '../kube/kube-api.js';
import { RESOURCES } from '../kube/resources.js';
import { clusterApi, createNamespace, installCrd, kubectl, readRepoFile, startOperator, waitFor, type OperatorProcess } from '../e2e/support/cluster-env.js';

type Json = Record<string, any>;

const IMAGE = 'localhost/corepod/pause:3.10';
const COUNT = 6;
let namespace: string;
let removeNamespace: () => Promise<void>;
let api: HttpKubeApi;
let operator: OperatorProcess;
let clusterRoleName: string;
let dir: string;

/** A kubeconfig for the ServiceAccount: the cluster's server and CA, a token from the TokenRequest API. */
async function serviceAccountKubeconfig(serviceAccount: string): Promise<string> {
  const admin = JSON.parse((await kubectl(['config', 'view', '--raw', '--minify', '-o', 'json'])).stdout) as Json;
  const token = (await kubectl(['create', 'token', serviceAccount, '-n', namespace, '--duration', '1h'])).stdout.trim();
  const file = path.join(dir, 'kubeconfig');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'operator',
      clusters: [{ name: 'local', cluster: admin.clusters[0].cluster }],
      users: [{ name: 'operator', user: { token } }],
      contexts: [{ name: 'operator', context: { cluster: 'local', user: 'operator' } }],
    }),
    { mode: 0o600 },
  );
  return file;
}

before(async () => {
  await installCrd();
  ({ name: namespace, remove: removeNamespace } = await createNamespace('cp-least'));
  api = await clusterApi();
  dir = mkdtempSync(path.join(tmpdir(), 'corepod-least-'));
  const deployed = parseAllDocuments(readRepoFile('operator/deploy/operator.yaml')).map((d) => d.toJS() as Json);
  const clusterRole = deployed.find((d) => d.kind === 'ClusterRole')!;
  clusterRoleName = `${namespace}-operator`;
  await kubectl(['create', 'serviceaccount', 'operator', '-n', namespace]);
  await kubectl(['apply', '-f', '-'], {
    input: [
      stringify({ ...clusterRole, metadata: { name: clusterRoleName } }),
      stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: clusterRoleName },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRoleName },
        subjects: [{ kind: 'ServiceAccount', name: 'operator', namespace }],
      }),
    ].join('---\n'),
  });
  const kubeconfig = await serviceAccountKubeconfig('operator');
  operator = await startOperator(['--kubeconfig', kubeconfig, '--namespace', namespace, '--sidecar-image', IMAGE]);
});

after(async () => {
  await operator?.stop();
  if (clusterRoleName) await kubectl(['delete', 'clusterrolebinding,clusterrole', clusterRoleName, '--ignore-not-found'], { allowFailure: true });
  await removeNamespace?.();
  api?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('as its least-privilege ServiceAccount, a clean create of CorePods raises no Warning Event', async () => {
  const names = Array.from({ length: COUNT }, (_, i) => `clean-${i}`);
  await kubectl(['apply', '-f', '-'], {
    input: names
      .map((name) =>
        stringify({
          apiVersion: 'dreamscape.io/v1alpha1',
          kind: 'CorePod',
          metadata: { name, namespace },
          spec: { image: IMAGE, replicas: 1, programs: [{ name: 'web', command: ['/web'], ports: [{ containerPort: 8080 }] }] },
        }),
      )
      .join('---\n'),
  });
  for (const name of names) {
    await waitFor(`${name}: observedGeneration and a RoleBinding`, async () => {
      const cp = await api.get<KubeObject & Json>(RESOURCES.corePod, namespace, name);
      return cp?.status?.observedGeneration === cp?.metadata?.generation && (await api.get(RESOURCES.roleBinding, namespace, `${name}-corepod`));
    });
  }
  // Each ReplicaSet got its pod admitted (the ServiceAccount existed when the Deployment came).
  await waitFor('a pod for every CorePod', async () => {
    const pods = await api.list<KubeObject>(RESOURCES.pod, { namespace });
    const owners = new Set(pods.items.map((p) => p.metadata?.labels?.['app.kubernetes.io/instance']));
    return names.every((n) => owners.has(n));
  });
  const events = (await api.list<Json>(RESOURCES.event, { namespace })).items;
  const warnings = events
    .filter((e) => e.type === 'Warning' && (e.regarding?.kind === 'CorePod' || e.reason === 'FailedCreate'))
    .map((e) => `${e.regarding?.kind}/${e.regarding?.name} ${e.reason}: ${e.note}`);
  assert.deepEqual(warnings, []);
  const failedReconciles = operator.logs.filter((l) => l.msg === 'reconcile failed; requeued with backoff');
  assert.deepEqual(
    failedReconciles.map((l) => (l.err as Json | undefined)?.message),
    [],
  );
});

test('as its least-privilege ServiceAccount, a PodDisruptionBudget is created and deleted with the spec', async () => {
  const name = 'budgeted';
  const spec = { image: IMAGE, replicas: 1, programs: [{ name: 'web', command: ['/web'] }] };
  const apply = (extra: Json) =>
    kubectl(['apply', '-f', '-'], { input: stringify({ apiVersion: 'dreamscape.io/v1alpha1', kind: 'CorePod', metadata: { name, namespace }, spec: { ...spec, ...extra } }) });
  await apply({ podDisruptionBudget: { maxUnavailable: 1 } });
  const budget = await waitFor('the PodDisruptionBudget', () => api.get<KubeObject & Json>(RESOURCES.podDisruptionBudget, namespace, name));
  assert.equal(budget.spec.maxUnavailable, 1);
  await apply({});
  await waitFor('the PodDisruptionBudget is deleted', async () => (await api.get(RESOURCES.podDisruptionBudget, namespace, name)) === undefined);
  const failedReconciles = operator.logs.filter((l) => l.msg === 'reconcile failed; requeued with backoff');
  assert.deepEqual(
    failedReconciles.map((l) => (l.err as Json | undefined)?.message),
    [],
  );
});
