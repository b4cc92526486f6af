import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, V1ConfigMap, V1Deployment, V1Role, V1RoleBinding, V1Service } from '@kubernetes/client-node';
import { desiredState } from './desired-state.js';
import { corePodFrom, dreamscapeSpec, random, randomSpec } from './test-fixtures.js';
import { DEFAULT_SIDECAR, CONFIG_PATH, LIVENESS_PATH, READINESS_PATH, RUNTIME_MOUNT_PATH } from '../../contract/sidecar-contract.js';
import { CONFIG_HASH_ANNOTATION, DEFAULT_CONTAINER_ANNOTATION, LABEL } from './names.js';
import { validateCorePod } from '../../crds/corepod-schema.js';
import { diffSpecs } from '../../contract/spec-diff.js';

const sidecar = { ...DEFAULT_SIDECAR, image: 'corepod/sidecar:test' };
const find = <T>(objects: KubernetesObject[], kind: string) => objects.find((o) => o.kind === kind) as T;

test('DreamScape: the objects, in apply order', () => {
  const state = desiredState(corePodFrom(dreamscapeSpec()), sidecar);
  assert.deepEqual(
    state.objects.map((o) => `${o.kind}/${o.metadata?.name}`),
    ['ConfigMap/core-pod-corepod-config', 'ServiceAccount/core-pod-corepod', 'Role/core-pod-corepod', 'RoleBinding/core-pod-corepod', 'Deployment/core-pod', 'Service/core-pod'],
  );
  assert.deepEqual(state.problems, []);
  assert.deepEqual(state.absent, [{ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', name: 'core-pod' }], 'no budget asked for');
});

test('DreamScape: the Deployment runs one app container started by the injected sidecar-init', () => {
  const state = desiredState(corePodFrom(dreamscapeSpec()), sidecar);
  const deployment = find<V1Deployment>(state.objects, 'Deployment');
  const pod = deployment.spec!.template.spec!;
  assert.equal(deployment.spec!.replicas, 1);
  assert.deepEqual(deployment.spec!.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } });
  assert.deepEqual(deployment.spec!.selector.matchLabels, { [LABEL.name]: 'corepod', [LABEL.instance]: 'core-pod' });
  assert.equal(deployment.spec!.template.metadata!.annotations![CONFIG_HASH_ANNOTATION], state.configHash);
  assert.equal(deployment.spec!.template.metadata!.annotations![DEFAULT_CONTAINER_ANNOTATION], 'app', 'kubectl exec/logs without -c');
  assert.equal(pod.terminationGracePeriodSeconds, 45);
  assert.equal(pod.serviceAccountName, 'core-pod-corepod');
  assert.equal(pod.initContainers, undefined, 'the runtime comes from an image volume: no init container');
  assert.equal(pod.containers.length, 1);
  const app = pod.containers[0]!;
  assert.equal(app.image, 'dreamscape/core-pod:1.0.0');
  assert.deepEqual(app.command, DEFAULT_SIDECAR.entrypoint);
  assert.ok(app.command![0]!.startsWith(`${RUNTIME_MOUNT_PATH}/`));
  assert.deepEqual(
    app.ports!.map((p) => [p.name, p.containerPort]),
    [
      ['corepod-health', 8686],
      ['auth', 3001],
      ['user', 3002],
      ['http', 80],
    ],
  );
  assert.equal(app.livenessProbe!.httpGet!.path, LIVENESS_PATH);
  assert.equal(app.readinessProbe!.httpGet!.path, READINESS_PATH);
  assert.equal(app.livenessProbe!.httpGet!.port, 'corepod-health');
  const env = Object.fromEntries(app.env!.map((e) => [e.name, e.value ?? e.valueFrom!.fieldRef!.fieldPath]));
  assert.deepEqual(env, {
    COREPOD_POD_NAME: 'metadata.name',
    COREPOD_POD_NAMESPACE: 'metadata.namespace',
    COREPOD_POD_UID: 'metadata.uid',
    COREPOD_NODE_NAME: 'spec.nodeName',
    COREPOD_NAME: 'core-pod',
    COREPOD_CONFIG: CONFIG_PATH,
    COREPOD_HEALTH_PORT: '8686',
  });
  const token = pod.volumes!.find((v) => v.name === 'corepod-token')!;
  assert.equal(token.projected!.defaultMode, 0o400);
  assert.equal(pod.automountServiceAccountToken, false);
});

test('runtime as an image volume: the sidecar image mounted read-only, only its runtime directory, at the runtime path', () => {
  const pod = find<V1Deployment>(desiredState(corePodFrom(dreamscapeSpec()), sidecar).objects, 'Deployment').spec!.template.spec!;
  assert.deepEqual(
    pod.volumes!.find((v) => v.name === 'corepod-runtime'),
    { name: 'corepod-runtime', image: { reference: 'corepod/sidecar:test', pullPolicy: 'IfNotPresent' } },
  );
  assert.deepEqual(
    pod.containers[0]!.volumeMounts!.find((m) => m.name === 'corepod-runtime'),
    { name: 'corepod-runtime', mountPath: RUNTIME_MOUNT_PATH, readOnly: true, subPath: 'opt/corepod/runtime' },
  );
  const pulled = find<V1Deployment>(desiredState(corePodFrom(dreamscapeSpec()), { ...sidecar, imagePullPolicy: 'Always' }).objects, 'Deployment');
  assert.equal(pulled.spec!.template.spec!.volumes!.find((v) => v.name === 'corepod-runtime')!.image!.pullPolicy, 'Always');
});

test('runtime as a copy: an init container copies it from the sidecar image into an emptyDir the app mounts read-only', () => {
  const copy = { ...sidecar, delivery: 'copy' as const, imagePullPolicy: 'Never' as const };
  const pod = find<V1Deployment>(desiredState(corePodFrom(dreamscapeSpec()), copy).objects, 'Deployment').spec!.template.spec!;
  assert.equal(pod.initContainers!.length, 1);
  const init = pod.initContainers![0]!;
  assert.equal(init.image, 'corepod/sidecar:test');
  assert.equal(init.imagePullPolicy, 'Never');
  assert.deepEqual(init.command, DEFAULT_SIDECAR.installCommand);
  assert.deepEqual(init.volumeMounts, [{ name: 'corepod-runtime', mountPath: RUNTIME_MOUNT_PATH }]);
  assert.deepEqual(
    pod.volumes!.find((v) => v.name === 'corepod-runtime'),
    { name: 'corepod-runtime', emptyDir: {} },
  );
  assert.deepEqual(
    pod.containers[0]!.volumeMounts!.find((m) => m.name === 'corepod-runtime'),
    { name: 'corepod-runtime', mountPath: RUNTIME_MOUNT_PATH, readOnly: true },
  );
  assert.deepEqual(pod.containers[0]!.command, DEFAULT_SIDECAR.entrypoint, 'the same command in both modes');
});

test('DreamScape: the ConfigMap holds the defaulted spec, which validates again', () => {
  const corePod = corePodFrom(dreamscapeSpec());
  const configMap = find<V1ConfigMap>(desiredState(corePod, sidecar).objects, 'ConfigMap');
  const document = JSON.parse(configMap.data!['corepod.json']!);
  const again = validateCorePod(document);
  assert.ok(again.ok);
  assert.deepEqual(again.value.spec, { ...corePod.spec, replicas: 1 });
  assert.equal('replicas' in document.spec, false);
  assert.deepEqual(document.metadata, { name: 'core-pod', namespace: 'shop', generation: 1 }, 'the generation the sidecar-init reports it runs');
});

test('DreamScape: the Service exposes the declared ports by name', () => {
  const service = find<V1Service>(desiredState(corePodFrom(dreamscapeSpec()), sidecar).objects, 'Service');
  assert.deepEqual(service.spec!.ports, [
    { name: 'auth', port: 3001, targetPort: 'auth', protocol: 'TCP' },
    { name: 'user', port: 3002, targetPort: 'user', protocol: 'TCP' },
    { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
  ]);
  assert.deepEqual(service.spec!.selector, { [LABEL.name]: 'corepod', [LABEL.instance]: 'core-pod' });
});

test('the Role is scoped to the own CorePod by resourceNames and grants no Secrets', () => {
  const objects = desiredState(corePodFrom(dreamscapeSpec()), sidecar).objects;
  const role = find<V1Role>(objects, 'Role');
  for (const rule of role.rules!) {
    assert.ok(!rule.resources!.includes('secrets'));
    if (rule.apiGroups!.includes('dreamscape.io')) assert.deepEqual(rule.resourceNames, ['core-pod']);
    // list and watch: of the own CorePod only (resourceNames), the live reconfiguration's and the control requests' watch.
    const allowed = rule.resources!.includes('corepods') ? ['get', 'list', 'watch'] : ['get', 'patch', 'create'];
    assert.ok(
      rule.verbs.every((v) => allowed.includes(v)),
      `${rule.resources}: ${rule.verbs}`,
    );
  }
  const binding = find<V1RoleBinding>(objects, 'RoleBinding');
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'core-pod-corepod', namespace: 'shop' }]);
  assert.equal(binding.roleRef.name, role.metadata!.name);
});

test('no declared port: no Service, and a stale one is marked absent', () => {
  const state = desiredState(corePodFrom({ image: 'i', programs: [{ name: 'a', command: ['x'] }] }), sidecar);
  assert.equal(
    state.objects.some((o) => o.kind === 'Service'),
    false,
  );
  assert.deepEqual(
    state.absent.filter((o) => o.kind === 'Service'),
    [{ apiVersion: 'v1', kind: 'Service', name: 'core-pod' }],
  );
});

test('port clashes between programs and with the health port are problems with exact paths', () => {
  const state = desiredState(
    corePodFrom({
      image: 'i',
      programs: [
        { name: 'a', command: ['x'], ports: [{ containerPort: 3000, name: 'web' }] },
        { name: 'b', command: ['x'], ports: [{ containerPort: 3000 }, { containerPort: 8686 }, { containerPort: 4000, name: 'web' }] },
      ],
    }),
    sidecar,
  );
  assert.deepEqual(state.problems, [
    { reason: 'PortConflict', path: 'spec.programs[1].ports[0].containerPort', message: 'port 3000/TCP of program "b" is also used by program "a"' },
    {
      reason: 'PortConflict',
      path: 'spec.programs[1].ports[1].containerPort',
      message: 'port 8686/TCP of program "b" is also used by the sidecar-init health endpoint (spec.healthPort)',
    },
    { reason: 'PortConflict', path: 'spec.programs[1].ports[2].name', message: 'port name "web" of program "b" is also used by program "a"' },
  ]);
});

test('property: every object is owned by the CorePod (controller, blockOwnerDeletion) and labelled', () => {
  const next = random(42);
  for (let i = 0; i < 200; i++) {
    const corePod = corePodFrom(randomSpec(next), `cp-${i}`, `ns-${i % 3}`);
    for (const object of desiredState(corePod, sidecar).objects) {
      assert.equal(object.metadata!.namespace, `ns-${i % 3}`);
      assert.deepEqual(object.metadata!.ownerReferences, [
        { apiVersion: 'dreamscape.io/v1alpha1', kind: 'CorePod', name: `cp-${i}`, uid: corePod.metadata.uid, controller: true, blockOwnerDeletion: true },
      ]);
      const labels = object.metadata!.labels!;
      assert.equal(labels[LABEL.instance], `cp-${i}`);
      assert.equal(labels[LABEL.managedBy], 'corepod-operator');
      assert.ok(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(object.metadata!.name!) && object.metadata!.name!.length <= 63);
    }
  }
});

test('property: replicas, service ports and container ports follow the spec', () => {
  const next = random(7);
  for (let i = 0; i < 200; i++) {
    const corePod = corePodFrom(randomSpec(next));
    const state = desiredState(corePod, sidecar);
    assert.deepEqual(state.problems, []);
    const deployment = find<V1Deployment>(state.objects, 'Deployment');
    assert.equal(deployment.spec!.replicas, corePod.spec.replicas);
    const declared = corePod.spec.programs.flatMap((p) => p.ports.map((port) => port.containerPort));
    const service = find<V1Service | undefined>(state.objects, 'Service');
    assert.deepEqual(
      (service?.spec?.ports ?? []).map((p) => p.port),
      declared,
    );
    for (const port of service?.spec?.ports ?? []) assert.ok(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(port.name!) && port.name!.length <= 15);
    const container = deployment.spec!.template.spec!.containers[0]!;
    assert.deepEqual(
      container.ports!.map((p) => p.containerPort),
      [corePod.spec.healthPort, ...declared],
    );
  }
});

test('property: the config hash changes exactly when a new pod is needed; a program edit reaches the ConfigMap only', () => {
  const next = random(99);
  for (let i = 0; i < 100; i++) {
    const spec = randomSpec(next);
    const a = desiredState(corePodFrom(spec), sidecar);
    const same = desiredState(corePodFrom(structuredClone(spec)), sidecar);
    assert.equal(a.configHash, same.configHash);
    const changed = structuredClone(spec);
    changed.programs[0]!.command = [...changed.programs[0]!.command, '--changed'];
    const edited = desiredState(corePodFrom(changed), sidecar);
    assert.equal(edited.configHash, a.configHash, 'a command edit is applied in place');
    const config = (state: typeof a) => find<V1ConfigMap>(state.objects, 'ConfigMap').data!['corepod.json'];
    assert.notEqual(config(edited), config(a), 'the ConfigMap carries the edit');
    const deployment = (state: typeof a) => find<V1Deployment>(state.objects, 'Deployment').spec!.template;
    assert.deepEqual(deployment(edited), deployment(a), 'the pod template is the same');
    const rolled = structuredClone(spec);
    rolled.image = `${rolled.image}-2`;
    assert.notEqual(desiredState(corePodFrom(rolled), sidecar).configHash, a.configHash);
    const scaled = { ...structuredClone(spec), replicas: (spec.replicas ?? 1) + 1 };
    assert.equal(desiredState(corePodFrom(scaled), sidecar).configHash, a.configHash, 'scaling must not roll the pods');
  }
});

test('property: when the diff says no new pod is needed the pod template is the same, and when it says one is, the config hash differs', () => {
  const next = random(7);
  const edits: ((s: ReturnType<typeof randomSpec>) => void)[] = [
    (s) => (s.programs[0]!.command = [...s.programs[0]!.command, '--v2']),
    (s) => (s.programs[0]!.env = [...(s.programs[0]!.env ?? []).filter((e) => e.name !== 'EDITED'), { name: 'EDITED', value: 'yes' }]),
    (s) => (s.programs[0]!.healthCheck = { tcpSocket: { port: 80 } }),
    (s) => (s.programs[0]!.startRetries = 7),
    (s) => s.programs.push({ name: 'appended', command: ['/appended'] }),
    (s) => s.programs.unshift({ name: 'first', command: ['/first'] }),
    (s) => (s.programs[0]!.ports = [{ containerPort: 9999 }]),
    (s) => (s.image = `${s.image}-2`),
  ];
  for (let i = 0; i < 200; i++) {
    const spec = randomSpec(next);
    const edited = structuredClone(spec);
    edits[i % edits.length]!(edited);
    const a = corePodFrom(spec);
    const b = corePodFrom(edited);
    const diff = diffSpecs(a.spec, b.spec);
    const template = (corePod: typeof a) => find<V1Deployment>(desiredState(corePod, sidecar).objects, 'Deployment').spec!.template;
    if (diff.needsNewPod) assert.notEqual(desiredState(b, sidecar).configHash, desiredState(a, sidecar).configHash, `edit ${i % edits.length}`);
    else assert.deepEqual(template(b), template(a), `edit ${i % edits.length} is applied in place, so the template must not change`);
  }
});

test('GitHub alerts: the token comes from the referenced Secret key, never from the ConfigMap', () => {
  const spec = { ...dreamscapeSpec(), alerts: { github: { owner: 'o', repo: 'r', tokenSecretRef: { name: 'gh', key: 'token' } } } };
  const state = desiredState(corePodFrom(spec), sidecar);
  const app = find<V1Deployment>(state.objects, 'Deployment').spec!.template.spec!.containers[0]!;
  assert.deepEqual(
    app.env!.find((e) => e.name === 'COREPOD_GITHUB_TOKEN'),
    { name: 'COREPOD_GITHUB_TOKEN', valueFrom: { secretKeyRef: { name: 'gh', key: 'token' } } },
  );
});
