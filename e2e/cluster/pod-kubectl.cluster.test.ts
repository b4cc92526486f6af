// A Pod applied with the machine's kubectl through the loopback kubeconfig reaches Running on the
// real node, its log is readable, and the kubelet's Events are recorded.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectl } from './cluster.js';
import { createNamespace, waitFor } from '../support/cluster-env.js';
import { loadBusyboxImage } from './test-support.js';

let namespace: { name: string; remove: () => Promise<void> };
let image: string;

before(async () => {
  image = await loadBusyboxImage();
  namespace = await createNamespace('smoke-kubectl', { wait: true });
});
after(async () => namespace?.remove());

test('kubectl apply: the Pod runs, logs and has Events', async () => {
  const ns = namespace.name;
  const manifest = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'hello', namespace: ns },
    spec: {
      terminationGracePeriodSeconds: 2,
      containers: [
        {
          name: 'hello',
          image,
          imagePullPolicy: 'Never',
          command: ['/bin/sh', '-c', 'echo "hello from $HOSTNAME"; trap "exit 0" TERM; while true; do sleep 1; done'],
        },
      ],
    },
  });
  await kubectl(['apply', '-f', '-'], { input: manifest });

  await kubectl(['wait', '-n', ns, '--for=jsonpath={.status.phase}=Running', 'pod/hello', '--timeout=120s'], { timeoutMs: 150_000 });
  const podIP = (await kubectl(['get', 'pod', '-n', ns, 'hello', '-o', 'jsonpath={.status.podIP}'])).stdout;
  assert.match(podIP, /^10\.244\.\d+\.\d+$/, 'the pod has an address from the CNI bridge range');

  const log = await waitFor('the pod log line', async () => {
    const { stdout } = await kubectl(['logs', '-n', ns, 'hello']);
    return stdout.includes('hello from hello') ? stdout : undefined;
  });
  assert.equal(log.trim(), 'hello from hello');

  const reasons = await waitFor('Scheduled, Pulled, Created and Started events', async () => {
    const { stdout } = await kubectl(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=hello', '-o', 'json']);
    const items = (JSON.parse(stdout) as { items: { reason: string; source?: { component?: string } }[] }).items;
    const seen = new Set(items.map((e) => e.reason));
    return ['Scheduled', 'Pulled', 'Created', 'Started'].every((r) => seen.has(r)) ? seen : undefined;
  });
  assert.ok(reasons.has('Started'));

  await kubectl(['delete', 'pod', '-n', ns, 'hello', '--wait=true', '--timeout=60s'], { timeoutMs: 90_000 });
  const { stdout: left } = await kubectl(['get', 'pods', '-n', ns, '-o', 'name']);
  assert.equal(left.trim(), '', 'the pod is gone after delete');
});
