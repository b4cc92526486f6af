// The generated Role, checked by the apiserver's authorizer as the pod's ServiceAccount.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import type { HttpKubeApi } from '../kube/http-kube-api.js';
import { RESOURCES } from '../kube/resources.js';
import { clusterApi, createNamespace, installCrd, kubectl, startOperator, waitFor, type OperatorProcess } from '../e2e/support/cluster-env.js';

let namespace: string;
let removeNamespace: () => Promise<void>;
let api: HttpKubeApi;
let operator: OperatorProcess;

before(async () => {
  await installCrd();
  ({ name: namespace, remove: removeNamespace } = await createNamespace('cp-rbac'));
  api = await clusterApi();
  operator = await startOperator(['--namespace', namespace]);
  for (const name of ['mine', 'theirs']) {
    await kubectl(['apply', '-f', '-'], {
      input: stringify({
        apiVersion: 'dreamscape.io/v1alpha1',
        kind: 'CorePod',
        metadata: { name, namespace },
        spec: { image: 'registry.local/a:1', programs: [{ name: 'a', command: ['/a'] }] },
      }),
    });
  }
  await waitFor(
    'RoleBindings',
    async () => (await api.get(RESOURCES.roleBinding, namespace, 'theirs-corepod')) && (await api.get(RESOURCES.roleBinding, namespace, 'mine-corepod')),
  );
});
after(async () => {
  await operator?.stop();
  await removeNamespace?.();
  api?.close();
});

async function can(...args: string[]): Promise<string> {
  const { stdout } = await kubectl(['auth', 'can-i', '-n', namespace, `--as=system:serviceaccount:${namespace}:mine-corepod`, ...args], { allowFailure: true });
  return stdout.trim();
}

test('the pod can patch its own CorePod status', async () => {
  assert.equal(await can('patch', 'corepods.dreamscape.io/mine', '--subresource=status'), 'yes');
  assert.equal(await can('get', 'corepods.dreamscape.io/mine', '--subresource=status'), 'yes');
});

test("the pod cannot patch another CorePod's status, nor its own spec", async () => {
  assert.equal(await can('patch', 'corepods.dreamscape.io/theirs', '--subresource=status'), 'no');
  assert.equal(await can('patch', 'corepods.dreamscape.io/mine'), 'no');
  assert.equal(await can('delete', 'corepods.dreamscape.io/mine'), 'no');
  assert.equal(await can('list', 'corepods.dreamscape.io'), 'no');
});

test('the pod can create Events but cannot read Secrets or touch workloads', async () => {
  assert.equal(await can('create', 'events.events.k8s.io'), 'yes');
  assert.equal(await can('create', 'events'), 'yes');
  assert.equal(await can('get', 'secrets'), 'no');
  assert.equal(await can('list', 'secrets'), 'no');
  assert.equal(await can('get', 'configmaps'), 'no');
  assert.equal(await can('create', 'pods'), 'no');
  assert.equal(await can('patch', 'deployments.apps/mine'), 'no');
});

test('the grant is real: a status write as the ServiceAccount succeeds for its own CorePod only', async () => {
  const body = { status: { pods: [{ name: 'mine-pod', updated: '2026-01-01T00:00:00Z', processes: [] }] } };
  const asSa = ['-n', namespace, `--as=system:serviceaccount:${namespace}:mine-corepod`, '--subresource=status', '--type=merge', '-p', JSON.stringify(body)];
  const own = await kubectl(['patch', 'corepod', 'mine', ...asSa], { allowFailure: true });
  assert.equal(own.code, 0, own.stderr);
  const other = await kubectl(['patch', 'corepod', 'theirs', ...asSa], { allowFailure: true });
  assert.notEqual(other.code, 0);
  assert.match(other.stderr, /forbidden/);
});
