// The same through @kubernetes/client-node 1.x (one object parameter per call, the body returned):
// create a Pod, see it Running, read its log and its Events, delete it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { kubeconfigPath } from './cluster.js';
import { uniqueName, waitFor } from '../support/cluster-env.js';
import { loadBusyboxImage } from './test-support.js';

let api: CoreV1Api;
let namespace: string;
let image: string;

before(async () => {
  image = await loadBusyboxImage();
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath());
  api = config.makeApiClient(CoreV1Api);
  namespace = uniqueName('smoke-client');
  await api.createNamespace({ body: { metadata: { name: namespace } } });
});

after(async () => {
  if (!namespace) return;
  await api.deleteNamespace({ name: namespace });
  await waitFor('namespace deletion', async () => {
    try {
      await api.readNamespace({ name: namespace });
      return false;
    } catch (error) {
      return (error as { code?: number }).code === 404;
    }
  });
});

test('client-node: the Pod runs, logs and has Events', async () => {
  const pod: V1Pod = {
    metadata: { name: 'hello', labels: { 'app.kubernetes.io/name': 'smoke' } },
    spec: {
      terminationGracePeriodSeconds: 2,
      containers: [
        {
          name: 'hello',
          image,
          imagePullPolicy: 'Never',
          command: ['/bin/sh', '-c', 'echo "ready in $POD_NAMESPACE"; trap "exit 0" TERM; while true; do sleep 1; done'],
          env: [{ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }],
        },
      ],
    },
  };
  const created = await api.createNamespacedPod({ namespace, body: pod });
  assert.equal(created.metadata?.namespace, namespace);

  const running = await waitFor('pod Running', async () => {
    const current = await api.readNamespacedPod({ name: 'hello', namespace });
    return current.status?.phase === 'Running' ? current : undefined;
  });
  assert.equal(running.spec?.nodeName, 'corepod-node');
  assert.ok(running.status?.containerStatuses?.[0]?.ready !== undefined);

  const log = await waitFor('pod log', async () => {
    const text = await api.readNamespacedPodLog({ name: 'hello', namespace });
    return text.includes('ready in') ? text : undefined;
  });
  assert.equal(log.trim(), `ready in ${namespace}`);

  const events = await waitFor('Started event', async () => {
    const list = await api.listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.name=hello' });
    return list.items.some((e) => e.reason === 'Started') ? list.items : undefined;
  });
  const started = events.find((e) => e.reason === 'Started')!;
  assert.equal(started.involvedObject.kind, 'Pod');
  assert.equal(started.source?.component, 'kubelet');

  await api.deleteNamespacedPod({ name: 'hello', namespace });
  await waitFor('pod deleted', async () => (await api.listNamespacedPod({ namespace })).items.length === 0);
});
