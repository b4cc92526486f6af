// The operator as a real child process against the real kube-apiserver (and kube-controller-manager
// for garbage collection): create, update, drift repair, deletion, status roll-up, bad input.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import type { KubeObject } from '../kube/kube-api.js';
import { RESOURCES } from '../kube/resources.js';
import type { HttpKubeApi } from '../kube/http-kube-api.js';
import { clusterApi, createNamespace, httpGet, installCrd, kubectl, startOperator, waitFor, type OperatorProcess } from '../e2e/support/cluster-env.js';

let namespace: string;
let removeNamespace: () => Promise<void>;
let operator: OperatorProcess;
let api: HttpKubeApi;
const IMAGE = 'localhost/corepod/pause:3.10';

before(async () => {
  await installCrd();
  ({ name: namespace, remove: removeNamespace } = await createNamespace('cp-op'));
  api = await clusterApi();
  operator = await startOperator(['--namespace', namespace, '--sidecar-image', IMAGE, '--concurrency', '4']);
});

after(async () => {
  await operator?.stop();
  await removeNamespace?.();
  api?.close();
});

type Json = Record<string, any>;

const dreamscape = (name: string, extra: Json = {}) => ({
  apiVersion: 'dreamscape.io/v1alpha1',
  kind: 'CorePod',
  metadata: { name, namespace },
  spec: {
    image: IMAGE,
    programs: [
      {
        name: 'auth-service',
        command: ['node', 'auth.js'],
        priority: 10,
        ports: [{ name: 'auth', containerPort: 3001 }],
        healthCheck: { httpGet: { path: '/health', port: 3001 } },
      },
      { name: 'user-service', command: ['node', 'user.js'], priority: 20, dependsOn: ['auth-service'], ports: [{ name: 'user', containerPort: 3002 }] },
      { name: 'nginx', command: ['nginx', '-g', 'daemon off;'], priority: 30, ports: [{ name: 'http', containerPort: 80 }] },
    ],
    ...extra,
  },
});

async function applyYaml(document: unknown): Promise<void> {
  await kubectl(['apply', '-f', '-'], { input: stringify(document) });
}

const get = (type: keyof typeof RESOURCES, name: string) => api.get<KubeObject & Json>(RESOURCES[type], namespace, name);
const corePod = (name: string) => get('corePod', name);

async function events(name: string): Promise<Json[]> {
  const list = await api.list<Json>(RESOURCES.event, { namespace });
  return list.items.filter((e) => e.regarding?.name === name && e.regarding?.kind === 'CorePod');
}

function condition(cp: Json | undefined, type: string): Json | undefined {
  return cp?.status?.conditions?.find((c: Json) => c.type === type);
}

test('create: every owned object exists, owned by the CorePod, labelled; status is written', async () => {
  await applyYaml(dreamscape('shop'));
  const cp = await waitFor('status.observedGeneration', async () => {
    const current = await corePod('shop');
    return current?.status?.observedGeneration === current?.metadata?.generation ? current : undefined;
  });
  for (const [type, name] of [
    ['deployment', 'shop'],
    ['service', 'shop'],
    ['configMap', 'shop-corepod-config'],
    ['serviceAccount', 'shop-corepod'],
    ['role', 'shop-corepod'],
    ['roleBinding', 'shop-corepod'],
  ] as const) {
    const object = await get(type, name);
    assert.ok(object, `${type}/${name} exists`);
    assert.deepEqual(object.metadata!.ownerReferences, [
      { apiVersion: 'dreamscape.io/v1alpha1', kind: 'CorePod', name: 'shop', uid: cp.metadata!.uid, controller: true, blockOwnerDeletion: true },
    ]);
    assert.equal(object.metadata!.labels!['app.kubernetes.io/managed-by'], 'corepod-operator');
    assert.equal(object.metadata!.labels!['app.kubernetes.io/instance'], 'shop');
  }
  assert.deepEqual(
    cp.status.conditions.map((c: Json) => c.type),
    ['Ready', 'Progressing', 'Degraded'],
  );
  assert.equal(cp.status.readyProcesses, '0/3');
  const deployment = (await get('deployment', 'shop'))!;
  const pod = deployment.spec.template.spec;
  assert.equal(pod.containers.length, 1);
  // Both local clusters (1.37, 1.35) mount image volumes, so 'auto' picks them: no init container copies.
  assert.equal(pod.initContainers, undefined);
  assert.deepEqual(
    pod.volumes.find((v: Json) => v.name === 'corepod-runtime'),
    { name: 'corepod-runtime', image: { reference: IMAGE, pullPolicy: 'IfNotPresent' } },
  );
  assert.deepEqual(pod.containers[0].command, ['/corepod/bin/corepod-init']);
  const managers = (deployment.metadata!.managedFields as Json[]).map((m) => `${m.manager}:${m.operation}`);
  assert.ok(managers.includes('corepod-operator:Apply'), managers.join(','));
});

test('the runtime delivery is decided from the apiserver version, logged and exported as a metric', async () => {
  const { stdout } = await kubectl(['version', '-o', 'json']);
  const server = JSON.parse(stdout).serverVersion;
  const started = operator.logs.find((l) => l.msg === 'operator starting')!;
  assert.equal(started.runtimeDelivery, 'image-volume');
  assert.equal(started.runtimeDeliveryReason, `Kubernetes ${server.gitVersion} mounts image volumes`);
  const metrics = (await httpGet(operator.metricsPort, '/metrics')).body;
  assert.match(metrics, /^corepod_operator_runtime_delivery\{mode="image-volume"\} 1$/m);
  assert.doesNotMatch(metrics, /corepod_operator_runtime_delivery\{mode="copy"\}/);
});

test('update: a program edit reaches the ConfigMap and leaves the pod template alone; a pod-level change rolls it (new config hash); scaling does not', async () => {
  const before = (await get('deployment', 'shop'))!;
  const hash = before.spec.template.metadata.annotations['dreamscape.io/config-hash'];
  const edited = dreamscape('shop');
  edited.spec.programs[2]!.command = ['nginx', '-g', 'daemon off; worker_processes 2;'];
  await applyYaml(edited);
  await waitFor('the edit in the ConfigMap', async () => /worker_processes 2/.test((await get('configMap', 'shop-corepod-config'))?.data['corepod.json'] ?? ''));
  const same = (await get('deployment', 'shop'))!;
  assert.deepEqual(same.spec.template, before.spec.template, 'applied in place by the running pods: no rollout');
  const changed = { ...edited, spec: { ...edited.spec, terminationGracePeriodSeconds: 50 } };
  await applyYaml(changed);
  const rolled = await waitFor('a new config hash', async () => {
    const d = await get('deployment', 'shop');
    const h = d?.spec.template.metadata.annotations['dreamscape.io/config-hash'];
    return h && h !== hash ? d : undefined;
  });
  await applyYaml({ ...changed, spec: { ...changed.spec, replicas: 2 } });
  const scaled = await waitFor('2 replicas', async () => ((await get('deployment', 'shop'))?.spec.replicas === 2 ? get('deployment', 'shop') : undefined));
  assert.equal(scaled!.spec.template.metadata.annotations['dreamscape.io/config-hash'], rolled.spec.template.metadata.annotations['dreamscape.io/config-hash']);
  const cp = await waitFor('observedGeneration caught up', async () => {
    const c = await corePod('shop');
    return c?.status?.observedGeneration === c?.metadata?.generation ? c : undefined;
  });
  assert.equal(cp.status.readyProcesses, '0/6');
  await applyYaml(changed); // back to 1 replica
});

test('drift: a Deployment scaled by hand is restored and a Warning Event says so', async () => {
  await waitFor('1 replica', async () => (await get('deployment', 'shop'))?.spec.replicas === 1);
  await kubectl(['scale', 'deployment/shop', '-n', namespace, '--replicas=4']);
  await waitFor('replicas restored to 1', async () => (await get('deployment', 'shop'))?.spec.replicas === 1);
  const warning = await waitFor('a DriftRepaired event', async () => (await events('shop')).find((e) => e.reason === 'DriftRepaired'));
  assert.equal(warning.type, 'Warning');
  assert.match(warning.note, /Deployment\/shop was changed or deleted by hand/);
  assert.equal(warning.reportingController, 'dreamscape.io/corepod-operator');
});

test('drift: a deleted Service and an edited ConfigMap are restored', async () => {
  const service = (await get('service', 'shop'))!;
  await kubectl(['delete', 'service/shop', '-n', namespace]);
  const recreated = await waitFor('Service recreated', async () => {
    const s = await get('service', 'shop');
    return s && s.metadata!.uid !== service.metadata!.uid ? s : undefined;
  });
  assert.deepEqual(
    recreated.spec.ports.map((p: Json) => p.port),
    [3001, 3002, 80],
  );
  const config = (await get('configMap', 'shop-corepod-config'))!;
  await kubectl(['patch', 'configmap/shop-corepod-config', '-n', namespace, '--type', 'merge', '-p', JSON.stringify({ data: { 'corepod.json': '{}' } })]);
  await waitFor('ConfigMap restored', async () => (await get('configMap', 'shop-corepod-config'))?.data['corepod.json'] === config.data['corepod.json']);
});

test("someone else's annotations and labels are kept and are not reported as drift", async () => {
  await applyYaml(dreamscape('quiet'));
  await waitFor('quiet reconciled', async () => (await get('configMap', 'quiet-corepod-config')) && (await get('serviceAccount', 'quiet-corepod')));
  await kubectl(['annotate', 'configmap/quiet-corepod-config', '-n', namespace, 'example.com/note=hello']);
  await kubectl(['label', 'serviceaccount/quiet-corepod', '-n', namespace, 'example.com/team=a']);
  // A spec change afterwards is the sync point: once it is rolled out, the edits above were seen.
  await applyYaml(dreamscape('quiet', { replicas: 2 }));
  await waitFor('quiet scaled', async () => (await get('deployment', 'quiet'))?.spec.replicas === 2);
  assert.equal((await get('configMap', 'quiet-corepod-config'))!.metadata!.annotations!['example.com/note'], 'hello');
  assert.equal((await get('serviceAccount', 'quiet-corepod'))!.metadata!.labels!['example.com/team'], 'a');
  assert.deepEqual(
    (await events('quiet')).filter((e) => e.reason === 'DriftRepaired'),
    [],
  );
});

test('a Service is removed when no program declares a port any more', async () => {
  const noPorts = dreamscape('shop');
  for (const p of noPorts.spec.programs) (p as Json).ports = [];
  await applyYaml(noPorts);
  await waitFor('Service deleted', async () => (await get('service', 'shop')) === undefined);
});

test('status roll-up: per-pod reports become READY 3/3 and Running; entries of gone pods are pruned', async () => {
  await applyYaml(dreamscape('rollup'));
  const pod = await waitFor('a pod of the Deployment', async () => {
    const pods = await api.list<Json>(RESOURCES.pod, { namespace, labelSelector: 'app.kubernetes.io/instance=rollup' });
    return pods.items[0];
  });
  const podName = pod.metadata.name as string;
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const report = (name: string, processes: Json[]) => ({
    apiVersion: 'dreamscape.io/v1alpha1',
    kind: 'CorePod',
    metadata: { name: 'rollup', namespace },
    status: { pods: [{ name, updated: now, processes }] },
  });
  const running = ['auth-service', 'user-service', 'nginx'].map((n, i) => ({ name: n, state: 'RUNNING', pid: 10 + i, restarts: i, since: now, healthy: true }));
  // What each pod's sidecar-init does: server-side apply of its own entry with its own field manager.
  await api.apply(RESOURCES.corePod, report(podName, running), { fieldManager: `corepod-sidecar/${podName}`, force: true, subresource: 'status' });
  await api.apply(RESOURCES.corePod, report('rollup-gone-pod', running), { fieldManager: 'corepod-sidecar/rollup-gone-pod', force: true, subresource: 'status' });
  const cp = await waitFor('READY 3/3 and the gone pod pruned', async () => {
    const c = await corePod('rollup');
    const names = (c?.status?.pods ?? []).map((p: Json) => p.name);
    return c?.status?.readyProcesses === '3/3' && !names.includes('rollup-gone-pod') ? c : undefined;
  });
  assert.equal(cp.status.phase, 'Running');
  assert.equal(cp.status.restarts, 3);
  assert.equal(condition(cp, 'Ready')?.status, 'True');
  assert.deepEqual(
    cp.status.pods.map((p: Json) => p.name),
    [podName],
  );
  const { stdout } = await kubectl(['get', 'cpod', 'rollup', '-n', namespace, '--no-headers']);
  assert.match(stdout, /^rollup\s+3\/3\s+Running\s+3\s+/);

  const fatal = running
    .map((p) => (p.name === 'auth-service' ? { ...p, state: 'FATAL', pid: undefined } : p))
    .map(({ pid, ...rest }) => (pid === undefined ? rest : { ...rest, pid }));
  await api.apply(RESOURCES.corePod, report(podName, fatal), { fieldManager: `corepod-sidecar/${podName}`, force: true, subresource: 'status' });
  const degraded = await waitFor('PHASE Degraded', async () => ((await corePod('rollup'))?.status?.phase === 'Degraded' ? corePod('rollup') : undefined));
  assert.equal(condition(degraded, 'Degraded')?.reason, 'ProcessFatal');
  assert.match(condition(degraded, 'Degraded')?.message, new RegExp(`auth-service in pod ${podName}`));
});

test('a port clash between programs: Failed, Degraded, and a Warning Event with the path', async () => {
  const clash = dreamscape('clash');
  clash.spec.programs[1]!.ports = [{ name: 'user', containerPort: 3001 }];
  await applyYaml(clash);
  const cp = await waitFor('phase Failed', async () => ((await corePod('clash'))?.status?.phase === 'Failed' ? corePod('clash') : undefined));
  assert.equal(condition(cp, 'Degraded')?.reason, 'PortConflict');
  assert.equal(condition(cp, 'Degraded')?.message, 'spec.programs[1].ports[0].containerPort: port 3001/TCP of program "user-service" is also used by program "auth-service"');
  const event = await waitFor('PortConflict event', async () => (await events('clash')).find((e) => e.reason === 'PortConflict'));
  assert.equal(event.type, 'Warning');
  assert.equal(await get('deployment', 'clash'), undefined, 'nothing is rolled out for a spec that cannot work');
});

test('a dependency cycle (which CEL cannot see) is reported with its path', async () => {
  const cycle = dreamscape('cycle');
  (cycle.spec.programs[0] as Json).dependsOn = ['nginx'];
  (cycle.spec.programs[2] as Json).dependsOn = ['user-service'];
  await applyYaml(cycle);
  const cp = await waitFor('DependencyCycle', async () => (condition(await corePod('cycle'), 'Degraded')?.reason === 'DependencyCycle' ? corePod('cycle') : undefined));
  assert.match(condition(cp, 'Ready')?.message, /spec\.programs\[0\]\.dependsOn: dependency cycle: auth-service -> nginx -> user-service -> auth-service/);
  await waitFor('DependencyCycle event', async () => (await events('cycle')).find((e) => e.reason === 'DependencyCycle' && e.type === 'Warning'));
});

test('a missing token Secret: SecretNotFound until the Secret exists', async () => {
  await applyYaml(dreamscape('alerts', { alerts: { github: { owner: 'o', repo: 'r', tokenSecretRef: { name: 'gh-token', key: 'token' } } } }));
  const cp = await waitFor('SecretNotFound', async () => (condition(await corePod('alerts'), 'Degraded')?.reason === 'SecretNotFound' ? corePod('alerts') : undefined));
  assert.match(condition(cp, 'Degraded')?.message, /spec\.alerts\.github\.tokenSecretRef: Secret "gh-token" not found/);
  await waitFor('SecretNotFound event', async () => (await events('alerts')).find((e) => e.reason === 'SecretNotFound'));
  const deployment = (await get('deployment', 'alerts'))!;
  assert.deepEqual(deployment.spec.template.spec.containers[0].env.find((e: Json) => e.name === 'COREPOD_GITHUB_TOKEN').valueFrom, {
    secretKeyRef: { name: 'gh-token', key: 'token' },
  });
  await kubectl(['create', 'secret', 'generic', 'gh-token', '-n', namespace, '--from-literal=token=t']);
  await waitFor('Degraded cleared', async () => condition(await corePod('alerts'), 'Degraded')?.status === 'False', 120_000);
});

test('one bad CorePod does not hold up the others', async () => {
  // The apiserver refuses the bad one's Service: a ResourceQuota leaves no room for another.
  await applyYaml(dreamscape('neighbour'));
  await waitFor('the neighbour is rolled out', async () => (await get('deployment', 'neighbour')) !== undefined && (await get('service', 'neighbour')) !== undefined);
  const services = (await api.list(RESOURCES.service, { namespace })).items.length;
  await kubectl(['create', 'quota', 'no-more-services', '-n', namespace, `--hard=services=${services}`]);
  try {
    await applyYaml(dreamscape('refused'));
    const bad = await waitFor('ApplyFailed on the bad one', async () =>
      condition(await corePod('refused'), 'Degraded')?.reason === 'ApplyFailed' ? corePod('refused') : undefined,
    );
    assert.match(condition(bad, 'Degraded')?.message, /exceeded quota: no-more-services/);
    await waitFor('ApplyFailed event', async () => (await events('refused')).find((e) => e.reason === 'ApplyFailed'));
    // Meanwhile the neighbour is still reconciled.
    await applyYaml({ ...dreamscape('neighbour'), spec: { ...(dreamscape('neighbour') as Json).spec, replicas: 2 } });
    await waitFor('the neighbour scaled to 2', async () => (await get('deployment', 'neighbour'))?.spec.replicas === 2);
  } finally {
    await kubectl(['delete', 'quota', 'no-more-services', '-n', namespace], { allowFailure: true });
  }
});

test('delete: the owned objects are garbage-collected through their ownerReferences', async () => {
  await kubectl(['delete', 'corepod', 'shop', '-n', namespace]);
  await waitFor(
    'owned objects gone',
    async () => {
      const left = await Promise.all([
        get('deployment', 'shop'),
        get('configMap', 'shop-corepod-config'),
        get('serviceAccount', 'shop-corepod'),
        get('role', 'shop-corepod'),
        get('roleBinding', 'shop-corepod'),
      ]);
      return left.every((o) => o === undefined);
    },
    120_000,
  );
});

test('/readyz, /healthz and /metrics with controller-runtime names', async () => {
  assert.equal((await httpGet(operator.healthPort, '/readyz')).status, 200);
  assert.equal((await httpGet(operator.healthPort, '/healthz')).status, 200);
  const { body } = await httpGet(operator.metricsPort, '/metrics');
  assert.match(body, /controller_runtime_reconcile_total\{controller="corepod",result="success"\} [1-9]/);
  assert.match(body, /controller_runtime_reconcile_time_seconds_bucket/);
  assert.match(body, /workqueue_depth\{name="corepod",controller="corepod"\}/);
  assert.match(body, /workqueue_adds_total/);
  assert.match(body, /rest_client_requests_total\{method="PATCH",code="200"/);
  assert.match(body, /controller_runtime_max_concurrent_reconciles\{controller="corepod"\} 4/);
});

test('every log line of a reconcile names its CorePod', () => {
  const reconcileLines = operator.logs.filter((l) => typeof l.reconcileID === 'string');
  assert.ok(reconcileLines.length > 0);
  for (const line of reconcileLines) assert.match(String(line.corepod), new RegExp(`^${namespace}/`));
});

test('SIGTERM: a graceful stop with exit code 0', async () => {
  assert.equal(await operator.stop('SIGTERM'), 0);
  assert.ok(operator.logs.some((l) => l.msg === 'stopped'));
});
