// Pod networking on the node: pods get bridge addresses; node -> pod, pod -> pod and ClusterIP
// Services (kube-proxy) work. Node-side requests run inside the cluster network namespace.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectl, netnsRun } from './cluster.js';
import { createNamespace, waitFor } from '../support/cluster-env.js';
import { loadBusyboxImage, startWebAndClient } from './test-support.js';

let namespace: { name: string; remove: () => Promise<void> };
let webIP: string;
let serviceIP: string;

before(async () => {
  const image = await loadBusyboxImage();
  namespace = await createNamespace('smoke-net', { wait: true });
  const ns = namespace.name;
  await startWebAndClient(ns, image, 'web says hi');
  webIP = (await kubectl(['get', 'pod', '-n', ns, 'web', '-o', 'jsonpath={.status.podIP}'])).stdout;
  serviceIP = (await kubectl(['get', 'service', '-n', ns, 'web', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
  // kube-proxy programs the Service once its EndpointSlice lists the ready pod.
  await waitFor('the web EndpointSlice', async () => {
    const { stdout } = await kubectl(['get', 'endpointslices', '-n', ns, '-l', 'kubernetes.io/service-name=web', '-o', 'jsonpath={.items[*].endpoints[*].addresses[*]}']);
    return stdout.includes(webIP);
  });
});
after(async () => namespace?.remove());

const httpGetInPod = (url: { host: string; port: number }) =>
  kubectl(['exec', '-n', namespace.name, 'client', '--', '/bin/sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${url.host} ${url.port}`], { allowFailure: true });

test('pods get addresses in the pod range and the Service a ClusterIP', () => {
  assert.match(webIP, /^10\.244\.0\.\d+$/);
  assert.match(serviceIP, /^10\.96\.\d+\.\d+$/);
});

test('node -> pod', async () => {
  const { stdout } = await netnsRun('curl', ['-sS', '-m', '5', `http://${webIP}:8080/`]);
  assert.equal(stdout.trim(), 'web says hi');
});

test('node -> ClusterIP Service', async () => {
  const body = await waitFor('the Service from the node', async () => {
    const { stdout, code } = await netnsRun('curl', ['-sS', '-m', '5', `http://${serviceIP}/`], { allowFailure: true });
    return code === 0 ? stdout : undefined;
  });
  assert.equal(body.trim(), 'web says hi');
});

test('pod -> pod', async () => {
  const { stdout } = await httpGetInPod({ host: webIP, port: 8080 });
  assert.match(stdout, /^HTTP\/1\.[01] 200/);
  assert.match(stdout, /web says hi/);
});

test('pod -> ClusterIP Service', async () => {
  const reply = await waitFor('the Service from a pod', async () => {
    const { stdout } = await httpGetInPod({ host: serviceIP, port: 80 });
    return stdout.includes('web says hi') ? stdout : undefined;
  });
  assert.match(reply, /^HTTP\/1\.[01] 200/);
});
