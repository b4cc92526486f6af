// The application fields of a CorePod (issue #18) as they reach the Deployment's pod template.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, V1Deployment, V1PodDisruptionBudget, V1Service, V1ServiceAccount } from '@kubernetes/client-node';
import { OPERATOR_POD_ANNOTATIONS, OPERATOR_POD_LABELS, type CorePodSpecInput } from '../../crds/corepod-schema.js';
import { POD_FIELDS } from './deployment.js';
import { LABEL } from './names.js';
import { desiredState } from './desired-state.js';
import { corePodFrom, random } from './test-fixtures.js';
import { DEFAULT_SIDECAR, PROGRAM_ENV_PATTERN, programEnvFromPrefix, programEnvName } from '../../contract/sidecar-contract.js';
import { ownEnv, sharedEnv } from '../../contract/program-env.js';

const sidecar = { ...DEFAULT_SIDECAR, image: 'corepod/sidecar:test' };
const find = <T>(objects: KubernetesObject[], kind: string) => objects.find((o) => o.kind === kind) as T;
const appOf = (objects: KubernetesObject[]) => find<V1Deployment>(objects, 'Deployment').spec!.template.spec!.containers[0]!;

const envSpec = () =>
  corePodFrom({
    image: 'app:1',
    programs: [
      {
        name: 'auth',
        command: ['/auth'],
        env: [
          { name: 'PORT', value: '3001' },
          { name: 'SIGNING_KEY', valueFrom: { secretKeyRef: { name: 'auth-keys', key: 'signing', optional: false } } },
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        ],
        envFrom: [{ secretRef: { name: 'db' } }, { prefix: 'CFG_', configMapRef: { name: 'settings', optional: true } }],
      },
      { name: 'web', command: ['/web'], env: [{ name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } }] },
    ],
  });

test('valueFrom and envFrom reach the container under per-program mangled names; literal values stay in the ConfigMap', () => {
  const app = appOf(desiredState(envSpec(), sidecar).objects);
  const programEnv = app.env!.filter((e) => PROGRAM_ENV_PATTERN.test(e.name));
  assert.deepEqual(programEnv, [
    { name: programEnvName(0, 'SIGNING_KEY'), valueFrom: { secretKeyRef: { name: 'auth-keys', key: 'signing', optional: false } } },
    { name: programEnvName(0, 'POD_IP'), valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    { name: programEnvName(1, 'MEM'), valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
  ]);
  assert.ok(!app.env!.some((e) => e.name.endsWith('PORT') && e.value === '3001'), 'literal values are not on the container');
  assert.deepEqual(app.envFrom, [
    { prefix: programEnvFromPrefix(0, 0), secretRef: { name: 'db' } },
    { prefix: `${programEnvFromPrefix(0, 1)}CFG_`, configMapRef: { name: 'settings', optional: true } },
  ]);
});

test('no envFrom anywhere: the container has none', () => {
  const app = appOf(desiredState(corePodFrom({ image: 'a', programs: [{ name: 'a', command: ['/a'] }] }), sidecar).objects);
  assert.equal(app.envFrom, undefined);
});

test('what the kubelet would resolve from the container, the sidecar-init splits back per program', () => {
  const corePod = envSpec();
  const app = appOf(desiredState(corePod, sidecar).objects);
  // The kubelet's part: each valueFrom resolved to a value, each envFrom source expanded under its prefix.
  const resolved: Record<string, string> = { PATH: '/bin' };
  for (const variable of app.env!) resolved[variable.name] = variable.value ?? `resolved:${variable.name}`;
  resolved[`${app.envFrom![0]!.prefix}DB_PASSWORD`] = 'pw';
  resolved[`${app.envFrom![1]!.prefix}LEVEL`] = 'debug';
  const [auth, web] = corePod.spec.programs;
  assert.deepEqual(ownEnv(auth!, 0, resolved), {
    DB_PASSWORD: 'pw',
    CFG_LEVEL: 'debug',
    PORT: '3001',
    SIGNING_KEY: `resolved:${programEnvName(0, 'SIGNING_KEY')}`,
    POD_IP: `resolved:${programEnvName(0, 'POD_IP')}`,
  });
  assert.deepEqual(ownEnv(web!, 1, resolved), { MEM: `resolved:${programEnvName(1, 'MEM')}` });
  assert.deepEqual(
    sharedEnv(resolved),
    Object.fromEntries(
      app
        .env!.filter((e) => !PROGRAM_ENV_PATTERN.test(e.name))
        .map((e) => [e.name, resolved[e.name]])
        .concat([['PATH', '/bin']]),
    ),
  );
});

test("spec.volumes join the operator volumes; the container mounts the union of the programs' mounts", () => {
  const corePod = corePodFrom({
    image: 'app:1',
    volumes: [
      { name: 'tls', secret: { secretName: 'nginx-tls' } },
      { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
      { name: 'spare', emptyDir: {} },
    ],
    programs: [
      { name: 'nginx', command: ['/nginx'], volumeMounts: [{ name: 'tls', mountPath: '/etc/tls', readOnly: true }] },
      {
        name: 'worker',
        command: ['/worker'],
        volumeMounts: [
          { name: 'tls', mountPath: '/etc/tls', readOnly: true },
          { name: 'data', mountPath: '/var/lib/worker', subPath: 'w' },
        ],
      },
    ],
  });
  const state = desiredState(corePod, sidecar);
  const pod = find<V1Deployment>(state.objects, 'Deployment').spec!.template.spec!;
  assert.deepEqual(
    pod.volumes!.map((v) => v.name),
    ['corepod-runtime', 'corepod-config', 'corepod-token', 'tls', 'data', 'spare'],
  );
  assert.deepEqual(pod.volumes![3], { name: 'tls', secret: { secretName: 'nginx-tls' } });
  assert.deepEqual(pod.containers[0]!.volumeMounts!.slice(3), [
    { name: 'tls', mountPath: '/etc/tls', readOnly: true },
    { name: 'data', mountPath: '/var/lib/worker', subPath: 'w' },
  ]);
  assert.deepEqual(state.warnings, [{ reason: 'VolumeNotMounted', path: 'spec.volumes[2]', message: 'volume "spare" is not mounted by any program' }]);
  assert.deepEqual(state.problems, []);
});

test("spec.podDisruptionBudget: a policy/v1 budget over the CorePod's pods, owned by it; none (and absent) when left out", () => {
  const withBudget = desiredState(corePodFrom({ image: 'a', replicas: 3, podDisruptionBudget: { minAvailable: '50%' }, programs: [{ name: 'a', command: ['/a'] }] }), sidecar);
  const budget = find<V1PodDisruptionBudget>(withBudget.objects, 'PodDisruptionBudget');
  assert.equal(budget.apiVersion, 'policy/v1');
  assert.equal(budget.metadata!.name, 'core-pod');
  assert.equal(budget.metadata!.ownerReferences![0]!.kind, 'CorePod');
  assert.deepEqual(budget.spec, { selector: { matchLabels: { [LABEL.name]: 'corepod', [LABEL.instance]: 'core-pod' } }, minAvailable: '50%' });
  assert.ok(!withBudget.absent.some((o) => o.kind === 'PodDisruptionBudget'));
  const other = desiredState(corePodFrom({ image: 'a', podDisruptionBudget: { maxUnavailable: 1 }, programs: [{ name: 'a', command: ['/a'] }] }), sidecar);
  assert.deepEqual(find<V1PodDisruptionBudget>(other.objects, 'PodDisruptionBudget').spec!.maxUnavailable, 1);
  const without = desiredState(corePodFrom({ image: 'a', programs: [{ name: 'a', command: ['/a'] }] }), sidecar);
  assert.equal(find(without.objects, 'PodDisruptionBudget'), undefined);
  assert.ok(without.absent.some((o) => o.kind === 'PodDisruptionBudget' && o.name === 'core-pod'));
});

/** A random CorePod using every application field, from a seeded PRNG (test-fixtures' random). */
function randomAppSpec(next: () => number): CorePodSpecInput {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const word = () => `w${Math.floor(next() * 1e6).toString(36)}`;
  const maybe = <T>(make: () => T): T | undefined => (next() < 0.6 ? make() : undefined);
  const volumes = Array.from({ length: Math.floor(next() * 4) }, (_, j) =>
    pick([
      { name: `v${j}`, emptyDir: { sizeLimit: '64Mi' } },
      { name: `v${j}`, secret: { secretName: word(), defaultMode: 0o440 } },
      { name: `v${j}`, configMap: { name: word(), items: [{ key: 'k', path: 'p' }] } },
      { name: `v${j}`, persistentVolumeClaim: { claimName: word(), readOnly: true } },
    ]),
  );
  const programs = Array.from({ length: 1 + Math.floor(next() * 4) }, (_, i) => ({
    name: `prog-${i}`,
    command: ['/bin/prog'],
    env: Array.from({ length: Math.floor(next() * 3) }, (_, j) =>
      pick([
        { name: `E${j}`, value: word() },
        { name: `E${j}`, valueFrom: { secretKeyRef: { name: word(), key: word(), optional: next() < 0.5 } } },
        { name: `E${j}`, valueFrom: { configMapKeyRef: { name: word(), key: word() } } },
        { name: `E${j}`, valueFrom: { fieldRef: { fieldPath: pick(['metadata.name', 'status.podIP', 'spec.nodeName']) } } },
      ]),
    ),
    ...(next() < 0.5 ? { envFrom: [pick([{ secretRef: { name: word() } }, { prefix: 'P_', configMapRef: { name: word(), optional: true } }])] } : {}),
    ...(volumes.length > 0 ? { volumeMounts: [{ name: pick(volumes).name, mountPath: `/mnt/p${i}`, readOnly: next() < 0.5 }] } : {}),
    ports: next() < 0.5 ? [{ containerPort: 1000 + i }] : [],
  }));
  const spec: Record<string, unknown> = {
    image: 'app:1',
    replicas: Math.floor(next() * 4),
    programs,
    ...(volumes.length > 0 ? { volumes } : {}),
    podMetadata: maybe(() => ({ labels: { team: word() }, annotations: { 'mesh.io/inject': String(next() < 0.5) } })),
    serviceAccount: maybe(() => ({ annotations: { 'iam.gke.io/gcp-service-account': `${word()}@p.iam` } })),
    service: maybe(() => ({
      annotations: { a: word() },
      ...pick([
        { type: 'ClusterIP' as const },
        { type: 'NodePort' as const },
        { type: 'LoadBalancer' as const, loadBalancerClass: 'example.com/lb', externalTrafficPolicy: 'Local' as const },
      ]),
    })),
    podDisruptionBudget: maybe(() => pick([{ minAvailable: 1 }, { maxUnavailable: '25%' }])),
    imagePullSecrets: maybe(() => [{ name: word() }]),
    nodeSelector: maybe(() => ({ 'kubernetes.io/os': 'linux', disk: word() })),
    tolerations: maybe(() => [{ key: word(), operator: 'Exists', effect: 'NoSchedule' }]),
    affinity: maybe(() => ({
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: [word()] }] }] } },
    })),
    topologySpreadConstraints: maybe(() => [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' }]),
    priorityClassName: maybe(word),
    runtimeClassName: maybe(word),
    hostAliases: maybe(() => [{ ip: '10.0.0.1', hostnames: [word()] }]),
    dnsPolicy: maybe(() => pick(['ClusterFirst', 'Default'] as const)),
    dnsConfig: maybe(() => ({ options: [{ name: 'ndots', value: '2' }] })),
  };
  return Object.fromEntries(Object.entries(spec).filter(([, value]) => value !== undefined)) as CorePodSpecInput;
}

test('property: over 300 random specs no application field is lost or renamed between the CorePod and its objects', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const corePod = corePodFrom(randomAppSpec(random(seed)));
    const { spec } = corePod;
    const state = desiredState(corePod, sidecar);
    const deployment = find<V1Deployment>(state.objects, 'Deployment');
    const pod = deployment.spec!.template.spec!;
    const app = pod.containers[0]!;
    const at = `seed ${seed}`;
    for (const field of POD_FIELDS) assert.deepEqual(pod[field], spec[field], `${at}: ${field}`);
    assert.deepEqual(pod.volumes!.slice(3), spec.volumes ?? [], `${at}: volumes`);
    const mounts = new Map(spec.programs.flatMap((p) => p.volumeMounts ?? []).map((m) => [m.mountPath, m]));
    assert.deepEqual(app.volumeMounts!.slice(3), [...mounts.values()], `${at}: volumeMounts`);
    for (const [key, value] of Object.entries(spec.podMetadata?.labels ?? {})) assert.equal(deployment.spec!.template.metadata!.labels![key], value, `${at}: label ${key}`);
    for (const [key, value] of Object.entries(spec.podMetadata?.annotations ?? {}))
      assert.equal(deployment.spec!.template.metadata!.annotations![key], value, `${at}: annotation ${key}`);
    assert.deepEqual(find<V1ServiceAccount>(state.objects, 'ServiceAccount').metadata!.annotations, spec.serviceAccount?.annotations, `${at}: ServiceAccount annotations`);
    const service = find<V1Service>(state.objects, 'Service');
    assert.equal(
      service !== undefined,
      spec.programs.some((p) => p.ports.length > 0),
      `${at}: Service`,
    );
    if (service) {
      assert.equal(service.spec!.type, spec.service?.type ?? 'ClusterIP', `${at}: Service type`);
      assert.deepEqual(service.metadata!.annotations, spec.service?.annotations, `${at}: Service annotations`);
      assert.equal(service.spec!.loadBalancerClass, spec.service?.loadBalancerClass, `${at}: loadBalancerClass`);
      assert.equal(service.spec!.externalTrafficPolicy, spec.service?.externalTrafficPolicy, `${at}: externalTrafficPolicy`);
    }
    const budget = find<V1PodDisruptionBudget>(state.objects, 'PodDisruptionBudget');
    assert.deepEqual(
      budget && { minAvailable: budget.spec!.minAvailable, maxUnavailable: budget.spec!.maxUnavailable },
      spec.podDisruptionBudget && { minAvailable: spec.podDisruptionBudget.minAvailable, maxUnavailable: spec.podDisruptionBudget.maxUnavailable },
      `${at}: PDB`,
    );
    // Env: what the kubelet resolves from the container, split back per program, is each program's own env.
    const resolved: Record<string, string> = {};
    for (const variable of app.env!) resolved[variable.name] = variable.value ?? `from:${JSON.stringify(variable.valueFrom)}`;
    spec.programs.forEach((program, i) => {
      const own = ownEnv(program, i, resolved);
      for (const variable of program.env) {
        assert.equal(own[variable.name], variable.valueFrom ? `from:${JSON.stringify(variable.valueFrom)}` : variable.value, `${at}: ${program.name} ${variable.name}`);
      }
    });
    const envFrom = spec.programs.flatMap((p) => (p.envFrom ?? []).map(({ prefix: _prefix, ...source }) => source));
    assert.deepEqual(
      (app.envFrom ?? []).map(({ prefix: _prefix, ...source }) => source),
      envFrom,
      `${at}: envFrom`,
    );
  }
});

test('spec.service.enabled false: no Service though programs declare ports (and a stale one is absent)', () => {
  const state = desiredState(corePodFrom({ image: 'a', service: { enabled: false }, programs: [{ name: 'a', command: ['/a'], ports: [{ containerPort: 80 }] }] }), sidecar);
  assert.equal(find(state.objects, 'Service'), undefined);
  assert.ok(state.absent.some((o) => o.kind === 'Service'));
});

test("the labels and annotations the schema reserves are exactly the operator's own on the pod template", () => {
  const template = find<V1Deployment>(desiredState(corePodFrom({ image: 'a', programs: [{ name: 'a', command: ['/a'] }] }), sidecar).objects, 'Deployment').spec!.template
    .metadata!;
  const selector = Object.keys(
    find<V1Deployment>(desiredState(corePodFrom({ image: 'a', programs: [{ name: 'a', command: ['/a'] }] }), sidecar).objects, 'Deployment').spec!.selector.matchLabels!,
  );
  assert.deepEqual([...selector, LABEL.managedBy].sort(), [...OPERATOR_POD_LABELS].sort(), 'the selector and the pod informer labels');
  assert.deepEqual(Object.keys(template.annotations!).sort(), [...OPERATOR_POD_ANNOTATIONS].sort());
});

test('the Service, ServiceAccount and disruption budget settings do not change the config hash (no pod rolls); volumes do', () => {
  const spec = { image: 'a', volumes: [{ name: 'data', emptyDir: {} }], programs: [{ name: 'a', command: ['/a'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }] };
  const hash = (extra: Record<string, unknown>) => desiredState(corePodFrom({ ...spec, ...extra }), sidecar).configHash;
  const plain = hash({});
  assert.equal(hash({ service: { type: 'LoadBalancer', annotations: { a: 'b' } }, serviceAccount: { annotations: { c: 'd' } }, podDisruptionBudget: { minAvailable: 1 } }), plain);
  assert.notEqual(hash({ volumes: [{ name: 'data', emptyDir: { medium: 'Memory' } }] }), plain);
});
