// A CorePod carrying a real application (issue #18) on the real cluster: program env from a Secret
// and a ConfigMap seen by that program only, a Secret volume's file, pod-level fields honoured by
// the scheduler and the kubelet, the Service and ServiceAccount settings, a missing Secret as a
// condition, scaling through the scale subresource (kubectl scale, an HPA) and the
// PodDisruptionBudget.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { buildImages, IMAGES, Stage, waitFor } from '../e2e/support/corepod-stage.js';
import { kubectl } from '../e2e/support/cluster-env.js';

type Json = Record<string, any>;

let stage: Stage;
let node: string;
const nodeLabel = 'corepod.test/app-fields';

before(async () => {
  await buildImages(['sidecar', 'musl-busybox']);
  stage = await Stage.open('cp-app');
  node = (await kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout.trim();
  await kubectl(['label', 'node', node, `${nodeLabel}=${stage.namespace}`, '--overwrite']);
  await stage.kubectl(['apply', '-f', '-'], {
    input: [
      stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'auth-keys' }, stringData: { signing: 'signing-key-of-auth', 'tls.crt': 'CERTIFICATE OF NGINX' } }),
      stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { MODE: 'fast', LEVEL: 'debug' } }),
    ].join('---\n'),
  });
});

after(async () => {
  if (node) await kubectl(['label', 'node', node, `${nodeLabel}-`], { allowFailure: true });
  await stage?.close();
});

/** A program that records what it sees (its environment, a mounted file, its hosts file), then stays up. */
const recorder = (name: string, extra: Json = {}) => ({
  name,
  command: ['/bin/sh', '-c', `env > /tmp/${name}.env; cat /etc/tls/tls.crt > /tmp/${name}.tls 2>&1; cat /etc/hosts > /tmp/${name}.hosts; exec sleep 100000`],
  ...extra,
});

async function fileIn(pod: string, file: string): Promise<string> {
  return waitFor(`${file} in ${pod}`, async () => {
    const result = await stage.exec(pod, ['cat', file], { allowFailure: true });
    return result.code === 0 ? result.stdout : undefined;
  });
}

const envOf = (text: string) =>
  new Map(text.split('\n').flatMap((line) => (line.includes('=') ? [[line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const] : [])));

test('env from a Secret, a ConfigMap and the downward API reach their program only; the Secret volume and pod-level fields reach the pod', async () => {
  await stage.apply('shop', {
    image: IMAGES.muslBusybox,
    imagePullPolicy: 'Never',
    volumes: [{ name: 'tls', secret: { secretName: 'auth-keys', items: [{ key: 'tls.crt', path: 'tls.crt' }] } }],
    podMetadata: { labels: { team: 'checkout' }, annotations: { 'mesh.example.com/inject': 'true' } },
    serviceAccount: { annotations: { 'iam.example.com/role': 'shop' } },
    service: { type: 'NodePort', annotations: { 'lb.example.com/scheme': 'internal' }, externalTrafficPolicy: 'Local' },
    nodeSelector: { [nodeLabel]: stage.namespace },
    tolerations: [{ key: 'corepod.test/dedicated', operator: 'Equal', value: 'shop', effect: 'NoSchedule' }],
    hostAliases: [{ ip: '10.1.2.3', hostnames: ['payments.internal'] }],
    dnsConfig: { options: [{ name: 'ndots', value: '2' }] },
    podDisruptionBudget: { minAvailable: 1 },
    programs: [
      recorder('auth', {
        env: [
          { name: 'SIGNING_KEY', valueFrom: { secretKeyRef: { name: 'auth-keys', key: 'signing' } } },
          { name: 'MY_POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'PORT', value: '3001' },
        ],
        envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'settings' } }],
        volumeMounts: [{ name: 'tls', mountPath: '/etc/tls', readOnly: true }],
        ports: [{ name: 'auth', containerPort: 3001 }],
      }),
      recorder('web', { env: [{ name: 'PORT', value: '8080' }] }),
      // Another uid: no process's environment (the sidecar-init's holds every program's secrets) is readable.
      {
        name: 'outsider',
        user: 'nobody',
        command: ['/bin/sh', '-c', 'grep -l signing-key-of-auth /proc/[0-9]*/environ > /tmp/outsider.found 2>/dev/null; echo searched >> /tmp/outsider.found; exec sleep 100000'],
      },
    ],
  });
  await stage.waitForCorePod('shop', 'READY 3/3', (c) => c.status?.readyProcesses === '3/3');
  const pod = await stage.readyPod('shop');
  const name = pod.metadata.name as string;

  const auth = envOf(await fileIn(name, '/tmp/auth.env'));
  assert.equal(auth.get('SIGNING_KEY'), 'signing-key-of-auth');
  assert.equal(auth.get('CFG_MODE'), 'fast');
  assert.equal(auth.get('CFG_LEVEL'), 'debug');
  assert.equal(auth.get('MY_POD'), name);
  assert.equal(auth.get('PORT'), '3001');
  const web = envOf(await fileIn(name, '/tmp/web.env'));
  assert.equal(web.get('PORT'), '8080');
  for (const env of [auth, web]) {
    assert.deepEqual(
      [...env.keys()].filter((key) => /^COREPOD_P\d+_/.test(key)),
      [],
      'no mangled variable reaches a program',
    );
  }
  assert.ok(![...web.values()].includes('signing-key-of-auth'), "web does not see auth's secret");
  assert.ok(!web.has('CFG_MODE') && !web.has('SIGNING_KEY'));
  assert.equal(await fileIn(name, '/tmp/auth.tls'), 'CERTIFICATE OF NGINX');
  assert.match(await fileIn(name, '/tmp/auth.hosts'), /10\.1\.2\.3\s+payments\.internal/);
  assert.equal(await fileIn(name, '/tmp/outsider.found'), 'searched\n', 'a program run as another user finds the secret in no environ');

  const spec = pod.spec as Json;
  assert.equal(spec.nodeName, node, 'scheduled onto the labelled node');
  assert.deepEqual(spec.nodeSelector, { [nodeLabel]: stage.namespace });
  assert.ok(spec.tolerations.some((t: Json) => t.key === 'corepod.test/dedicated' && t.value === 'shop'));
  assert.deepEqual(spec.dnsConfig, { options: [{ name: 'ndots', value: '2' }] });
  assert.ok(spec.volumes.some((v: Json) => v.name === 'tls' && v.secret.secretName === 'auth-keys'));
  assert.equal(pod.metadata.labels.team, 'checkout');
  assert.equal(pod.metadata.annotations['mesh.example.com/inject'], 'true');
  const resolv = await stage.exec(name, ['cat', '/etc/resolv.conf']);
  assert.match(resolv.stdout, /options .*ndots:2/);

  const service = JSON.parse((await stage.kubectl(['get', 'service', 'shop', '-o', 'json'])).stdout) as Json;
  assert.equal(service.spec.type, 'NodePort');
  assert.equal(service.spec.externalTrafficPolicy, 'Local');
  assert.equal(service.metadata.annotations['lb.example.com/scheme'], 'internal');
  const account = JSON.parse((await stage.kubectl(['get', 'serviceaccount', 'shop-corepod', '-o', 'json'])).stdout) as Json;
  assert.equal(account.metadata.annotations['iam.example.com/role'], 'shop');
  const budget = JSON.parse((await stage.kubectl(['get', 'poddisruptionbudget', 'shop', '-o', 'json'])).stdout) as Json;
  assert.equal(budget.spec.minAvailable, 1);
  assert.equal(budget.metadata.ownerReferences[0].kind, 'CorePod');
  await waitFor('the budget counts the pod', async () => {
    const current = JSON.parse((await stage.kubectl(['get', 'poddisruptionbudget', 'shop', '-o', 'json'])).stdout) as Json;
    return current.status?.currentHealthy === 1 && current.status?.expectedPods === 1;
  });
});

test('kubectl scale to 2 and back to 1: status.replicas, status.selector and one status.pods entry per pod', async () => {
  await stage.kubectl(['scale', 'corepod', 'shop', '--replicas=2']);
  const scaled = await stage.waitForCorePod('shop', '2 replicas, each reporting, READY 6/6', (c) =>
    c.status?.replicas === 2 && c.status.pods?.length === 2 && c.status.readyProcesses === '6/6' ? c : undefined,
  );
  assert.equal((scaled.status as Json).selector, 'app.kubernetes.io/name=corepod,app.kubernetes.io/instance=shop');
  const pods = await stage.pods('shop');
  assert.deepEqual(scaled.status!.pods!.map((p) => p.name).sort(), pods.map((p) => p.metadata.name).sort());
  const scale = JSON.parse((await stage.kubectl(['get', '--raw', `/apis/dreamscape.io/v1alpha1/namespaces/${stage.namespace}/corepods/shop/scale`])).stdout) as Json;
  assert.equal(scale.spec.replicas, 2);
  assert.equal(scale.status.replicas, 2);
  assert.equal(scale.status.selector, 'app.kubernetes.io/name=corepod,app.kubernetes.io/instance=shop');

  await stage.kubectl(['scale', 'corepod', 'shop', '--replicas=1']);
  await stage.waitForCorePod(
    'shop',
    'back to 1 replica with one status.pods entry',
    (c) => c.status?.replicas === 1 && c.status.pods?.length === 1 && c.status.readyProcesses === '3/3',
  );
});

test('a HorizontalPodAutoscaler targets the CorePod and reads its scale', async () => {
  await stage.kubectl(['apply', '-f', '-'], {
    input: stringify({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'shop' },
      spec: {
        scaleTargetRef: { apiVersion: 'dreamscape.io/v1alpha1', kind: 'CorePod', name: 'shop' },
        minReplicas: 1,
        maxReplicas: 3,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
      },
    }),
  });
  // No metrics-server here: the HPA cannot compute a recommendation, but it got the scale.
  const hpa = await waitFor(
    'the HPA reports the scale target',
    async () => {
      const current = JSON.parse((await stage.kubectl(['get', 'hpa', 'shop', '-o', 'json'])).stdout) as Json;
      const able = current.status?.conditions?.find((c: Json) => c.type === 'AbleToScale');
      return able ? current : undefined;
    },
    120_000,
  );
  const able = hpa.status.conditions.find((c: Json) => c.type === 'AbleToScale');
  assert.equal(able.status, 'True', JSON.stringify(able));
  assert.equal(able.reason, 'SucceededGetScale');
  assert.equal(hpa.status.currentReplicas, 1);
  await stage.kubectl(['delete', 'hpa', 'shop']);
});

test('removing the budget deletes the PodDisruptionBudget', async () => {
  await stage.kubectl(['patch', 'corepod', 'shop', '--type=json', '-p', JSON.stringify([{ op: 'remove', path: '/spec/podDisruptionBudget' }])]);
  await waitFor('the PDB is gone', async () => (await stage.kubectl(['get', 'poddisruptionbudget', 'shop'], { allowFailure: true })).code !== 0);
});

test('a Secret that does not exist: the pod waits and the CorePod names the Secret and the field', async () => {
  await stage.apply('no-secret', {
    image: IMAGES.muslBusybox,
    imagePullPolicy: 'Never',
    programs: [{ name: 'app', command: ['/bin/sh', '-c', 'exec sleep 100000'], env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'not-there', key: 'token' } } }] }],
  });
  const ready = await stage.waitForCorePod('no-secret', 'Ready=False SecretNotFound', (c) =>
    c.status?.conditions?.find((x) => x.type === 'Ready' && x.status === 'False' && x.reason === 'SecretNotFound'),
  );
  assert.match(ready.message, /spec\.programs\[0\]\.env\[0\]\.valueFrom\.secretKeyRef: Secret "not-there": secret "not-there" not found \(pod no-secret-\S+ waits for it\)/);
  const cp = (await stage.corePod('no-secret'))!;
  assert.equal(cp.status!.phase, 'Pending');
  assert.equal(cp.status!.conditions!.find((c) => c.type === 'Degraded')!.reason, 'SecretNotFound');
  await waitFor('a Warning Event naming the Secret', async () =>
    (await stage.events('no-secret')).find((e) => e.type === 'Warning' && e.reason === 'SecretNotFound' && /not-there/.test(e.note)),
  );
  await stage.kubectl(['create', 'secret', 'generic', 'not-there', '--from-literal=token=late']);
  await stage.waitForCorePod('no-secret', 'READY 1/1 once the Secret exists', (c) => c.status?.readyProcesses === '1/1');
  await stage.waitForCorePod('no-secret', 'the condition is gone', (c) => c.status?.conditions?.find((x) => x.type === 'Degraded')?.reason === 'AsExpected');
});

test('a changed Secret reaches the program once the pods are restarted with kubectl rollout restart, which the operator leaves in place', async () => {
  await stage.kubectl(['patch', 'secret', 'auth-keys', '--type=merge', '-p', JSON.stringify({ stringData: { signing: 'rotated-key' } })]);
  const before = (await stage.readyPod('shop')).metadata.name as string;
  assert.equal(envOf(await fileIn(before, '/tmp/auth.env')).get('SIGNING_KEY'), 'signing-key-of-auth', 'env is resolved when the container starts');
  await stage.kubectl(['rollout', 'restart', 'deployment', 'shop']);
  const after = await waitFor(
    'a new ready pod',
    async () => {
      const pods = await stage.pods('shop');
      const ready = pods.filter((p) => p.metadata.name !== before && p.status?.conditions?.some((c: Json) => c.type === 'Ready' && c.status === 'True'));
      return pods.length === 1 && ready.length === 1 ? ready[0] : undefined;
    },
    180_000,
  );
  assert.equal(envOf(await fileIn(after.metadata.name, '/tmp/auth.env')).get('SIGNING_KEY'), 'rotated-key');
  await stage.waitForCorePod('shop', 'READY 3/3 after the restart', (c) => c.status?.readyProcesses === '3/3');
  const deployment = JSON.parse((await stage.kubectl(['get', 'deployment', 'shop', '-o', 'json'])).stdout) as Json;
  assert.ok(deployment.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'], 'the restart annotation stays');
  assert.ok(!(await stage.events('shop')).some((e) => e.reason === 'DriftRepaired'), 'not taken for drift');
});
