// restartComponent: the API server comes back reachable from the host with its data, and a
// running pod survives a kubelet restart (containers belong to containerd, not to the kubelet).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectl, restartComponent } from './cluster.js';
import { createNamespace, waitFor } from '../support/cluster-env.js';
import { loadBusyboxImage } from './test-support.js';

let namespace: { name: string; remove: () => Promise<void> };
let image: string;

before(async () => {
  image = await loadBusyboxImage();
  namespace = await createNamespace('smoke-restart', { wait: true });
});
after(async () => namespace?.remove());

test('kube-apiserver restart keeps the data and the loopback kubeconfig working', async () => {
  const ns = namespace.name;
  await kubectl(['create', 'configmap', '-n', ns, 'before', '--from-literal=k=v']);
  const { stdout: ready } = await kubectl(['get', '--raw', '/readyz']);
  assert.equal(ready, 'ok');

  await restartComponent('kube-apiserver');

  const { stdout } = await kubectl(['get', 'configmap', '-n', ns, 'before', '-o', 'jsonpath={.data.k}']);
  assert.equal(stdout, 'v');
  await kubectl(['create', 'configmap', '-n', ns, 'after', '--from-literal=k=w']);
});

test('kubelet restart: the running pod keeps its container and the node is Ready again', async () => {
  const ns = namespace.name;
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'survivor', namespace: ns },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'c', image, imagePullPolicy: 'Never', command: ['/bin/sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'] }],
    },
  };
  await kubectl(['apply', '-f', '-'], { input: JSON.stringify(pod) });
  await kubectl(['wait', '-n', ns, '--for=condition=Ready', 'pod/survivor', '--timeout=120s'], { timeoutMs: 150_000 });
  const containerId = async () => (await kubectl(['get', 'pod', '-n', ns, 'survivor', '-o', 'jsonpath={.status.containerStatuses[0].containerID}'])).stdout;
  const before = await containerId();

  await restartComponent('kubelet');

  await waitFor('node Ready after the kubelet restart', async () => {
    const { stdout } = await kubectl(['get', 'node', 'corepod-node', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
    return stdout === 'True';
  });
  await kubectl(['wait', '-n', ns, '--for=condition=Ready', 'pod/survivor', '--timeout=120s'], { timeoutMs: 150_000 });
  assert.equal(await containerId(), before, 'same container, not restarted');
  const { stdout: restarts } = await kubectl(['get', 'pod', '-n', ns, 'survivor', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}']);
  assert.equal(restarts, '0');
});
