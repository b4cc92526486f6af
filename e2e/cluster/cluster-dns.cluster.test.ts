// Cluster DNS: CoreDNS (kube-system Deployment, Service kube-dns at the kubelet's clusterDNS)
// resolves the kubernetes Service and the tests' own Services for pods with dnsPolicy ClusterFirst.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectl } from './cluster.js';
import { createNamespace, waitFor } from '../support/cluster-env.js';
import { loadBusyboxImage, startWebAndClient } from './test-support.js';

const DNS_SERVICE_IP = '10.96.0.10';

let namespace: { name: string; remove: () => Promise<void> };
let webServiceIP: string;

const inClient = (script: string) => kubectl(['exec', '-n', namespace.name, 'client', '--', '/bin/sh', '-c', script], { allowFailure: true });
/** The addresses busybox nslookup prints for a name (after the server's own lines). */
const lookup = async (name: string) => {
  const { stdout, code } = await inClient(`nslookup ${name}`);
  const answer = stdout
    .split(/^Name:/m)
    .slice(1)
    .join('\n');
  return { code, stdout, addresses: [...answer.matchAll(/Address(?: \d+)?:\s*([\d.]+)/g)].map((m) => m[1]) };
};

before(async () => {
  const image = await loadBusyboxImage();
  namespace = await createNamespace('cluster-dns', { wait: true });
  const ns = namespace.name;
  await startWebAndClient(ns, image, 'web by name');
  webServiceIP = (await kubectl(['get', 'service', '-n', ns, 'web', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
});
after(async () => namespace?.remove());

test('CoreDNS runs in kube-system behind Service kube-dns at the cluster DNS IP', async () => {
  const { stdout: ip } = await kubectl(['get', 'service', '-n', 'kube-system', 'kube-dns', '-o', 'jsonpath={.spec.clusterIP}']);
  assert.equal(ip, DNS_SERVICE_IP);
  const { stdout: ready } = await kubectl(['get', 'deployment', '-n', 'kube-system', 'coredns', '-o', 'jsonpath={.status.readyReplicas}']);
  assert.ok(Number(ready) >= 1, `coredns ready replicas: ${ready}`);
});

test("a pod's resolv.conf points at the cluster DNS with the cluster search path", async () => {
  const { stdout } = await inClient('cat /etc/resolv.conf');
  assert.match(stdout, new RegExp(`^nameserver ${DNS_SERVICE_IP.replaceAll('.', '\\.')}$`, 'm'));
  assert.match(stdout, new RegExp(`^search ${namespace.name}\\.svc\\.cluster\\.local svc\\.cluster\\.local cluster\\.local`, 'm'));
});

test('pods resolve kubernetes.default.svc.cluster.local to the apiserver Service', async () => {
  const result = await lookup('kubernetes.default.svc.cluster.local');
  assert.deepEqual(result.addresses, ['10.96.0.1'], result.stdout);
});

test('pods resolve another Service and reach it by its short name', async () => {
  const result = await waitFor('web to resolve', async () => {
    const r = await lookup(`web.${namespace.name}.svc.cluster.local`);
    return r.addresses.length > 0 ? r : undefined;
  });
  assert.deepEqual(result.addresses, [webServiceIP], result.stdout);
  const reply = await waitFor('web by name', async () => {
    const { stdout } = await inClient(`printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 web 80`);
    return stdout.includes('web by name') ? stdout : undefined;
  });
  assert.match(reply, /^HTTP\/1\.[01] 200/);
});

test('a name that does not exist is NXDOMAIN, not a timeout', async () => {
  const { code, stdout } = await inClient(`nslookup nothing-here.${namespace.name}.svc.cluster.local 2>&1`);
  assert.notEqual(code, 0);
  assert.match(stdout, /NXDOMAIN/);
});

test('the kubelet records no MissingClusterDNS events for the pods', async () => {
  const { stdout } = await kubectl(['get', 'events', '-n', namespace.name, '--field-selector', 'reason=MissingClusterDNS', '-o', 'name']);
  assert.equal(stdout.trim(), '');
});
