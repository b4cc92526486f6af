// The application fields of a CorePod (issue #18) as they reach the Deployment's pod template.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, V1Deployment, V1PodDisruptionBudget } from '@kubernetes/client-node';
import { LABEL } from './names.js';
import { desiredState } from './desired-state.js';
import { corePodFrom } from './test-fixtures.js';
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
