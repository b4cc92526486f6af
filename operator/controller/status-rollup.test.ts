import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodStatus } from '../../crds/corepod-schema.js';
import { rollup, statusDiffers, type RollupInput } from './status-rollup.js';
import { corePodFrom, dreamscapeSpec } from '../desired/test-fixtures.js';

const proc = (name: string, state: PodStatus['processes'][number]['state'], restarts = 0, healthy?: boolean) => ({
  name,
  state,
  restarts,
  since: '2026-01-01T00:00:00Z',
  ...(healthy === undefined ? {} : { healthy }),
});
const pod = (name: string, processes: PodStatus['processes']): PodStatus => ({ name, updated: '2026-01-01T00:00:00Z', processes });
const doneDeployment = { generation: 1, observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 };

function input(pods: PodStatus[], extra: Partial<RollupInput> = {}): RollupInput {
  const corePod = corePodFrom(dreamscapeSpec());
  corePod.status = { pods };
  return { corePod, problems: [], waiting: [], repaired: [], deployment: doneDeployment, livePods: new Set(pods.map((p) => p.name)), now: 'T', ...extra };
}

test('all processes running and healthy: READY 3/3, Running, Ready=True', () => {
  const { status, prune } = rollup(input([pod('p1', [proc('auth-service', 'RUNNING', 1, true), proc('user-service', 'RUNNING', 0, true), proc('nginx', 'RUNNING', 2, true)])]));
  assert.equal(status.readyProcesses, '3/3');
  assert.equal(status.phase, 'Running');
  assert.equal(status.restarts, 3);
  assert.equal(status.observedGeneration, 1);
  assert.deepEqual(
    status.conditions.map((c) => [c.type, c.status, c.reason]),
    [
      ['Ready', 'True', 'AllProcessesReady'],
      ['Progressing', 'False', 'RolloutComplete'],
      ['Degraded', 'False', 'AsExpected'],
    ],
  );
  assert.deepEqual(prune, []);
});

test('an unhealthy or starting process is not ready: Starting', () => {
  const { status } = rollup(input([pod('p1', [proc('auth-service', 'RUNNING', 0, false), proc('user-service', 'STARTING'), proc('nginx', 'RUNNING', 0, true)])]));
  assert.equal(status.readyProcesses, '1/3');
  assert.equal(status.phase, 'Starting');
  assert.equal(status.conditions[0]!.reason, 'ProcessesNotReady');
});

test("a RUNNING process whose required health check has not passed yet is not ready, as the pod's /readyz says", () => {
  const { status } = rollup(input([pod('p1', [proc('auth-service', 'RUNNING', 0, true), proc('user-service', 'RUNNING', 0, true), proc('nginx', 'RUNNING')])]));
  assert.equal(status.readyProcesses, '2/3');
  assert.equal(status.phase, 'Starting');
  assert.equal(status.conditions[0]!.status, 'False');
});

test('a failing check that is not required does not make a process unready', () => {
  const corePod = corePodFrom({ ...dreamscapeSpec() });
  corePod.spec.programs[2]!.healthCheck!.required = false;
  corePod.status = { pods: [pod('p1', [proc('auth-service', 'RUNNING', 0, true), proc('user-service', 'RUNNING', 0, true), proc('nginx', 'RUNNING', 0, false)])] };
  const { status } = rollup({ corePod, problems: [], waiting: [], repaired: [], deployment: doneDeployment, livePods: new Set(['p1']), now: 'T' });
  assert.equal(status.readyProcesses, '3/3');
  assert.equal(status.phase, 'Running');
});

test('a FATAL process: Degraded phase and condition naming the program and pod', () => {
  const { status } = rollup(input([pod('p1', [proc('auth-service', 'FATAL', 3), proc('user-service', 'RUNNING'), proc('nginx', 'RUNNING')])]));
  assert.equal(status.phase, 'Degraded');
  const degraded = status.conditions.find((c) => c.type === 'Degraded')!;
  assert.equal(degraded.status, 'True');
  assert.equal(degraded.message, 'FATAL: auth-service in pod p1');
});

test('a program kept waiting by a failed dependency: Degraded with reason DependencyFailed naming it, the pod and why', () => {
  const waiting = { ...proc('nginx', 'STOPPED'), reason: 'DependencyFailed', message: 'user-service cannot become Ready: it is FATAL' };
  const { status } = rollup(input([pod('p1', [proc('auth-service', 'RUNNING', 0, true), proc('user-service', 'RUNNING', 0, true), waiting])]));
  assert.equal(status.phase, 'Starting');
  assert.deepEqual((({ status: s, reason, message }) => [s, reason, message])(status.conditions.find((c) => c.type === 'Degraded')!), [
    'True',
    'DependencyFailed',
    'waiting for a failed dependency: nginx in pod p1 (user-service cannot become Ready: it is FATAL)',
  ]);
});

test('entries of pods that no longer exist are pruned and not counted', () => {
  const gone = pod('old', [proc('auth-service', 'RUNNING', 7), proc('user-service', 'RUNNING'), proc('nginx', 'RUNNING')]);
  const now = pod('new', [proc('auth-service', 'RUNNING', 0, true), proc('user-service', 'RUNNING', 0, true)]);
  const { status, prune } = rollup(input([gone, now], { livePods: new Set(['new']) }));
  assert.deepEqual(prune, ['old']);
  assert.equal(status.readyProcesses, '2/3');
  assert.equal(status.restarts, 0);
});

test('no pod reported yet: Pending; with a missing Secret the reason says so', () => {
  assert.equal(rollup(input([])).status.phase, 'Pending');
  const { status } = rollup(input([], { waiting: [{ reason: 'SecretNotFound', path: 'spec.alerts.github.tokenSecretRef', message: 'Secret "gh" not found' }] }));
  assert.equal(status.phase, 'Pending');
  assert.deepEqual(
    status.conditions.map((c) => c.reason),
    ['SecretNotFound', 'RolloutComplete', 'SecretNotFound'],
  );
  assert.equal(status.conditions[2]!.message, 'spec.alerts.github.tokenSecretRef: Secret "gh" not found');
});

test('spec problems: Failed, every condition names the reason', () => {
  const { status } = rollup(input([], { problems: [{ reason: 'PortConflict', path: 'spec.programs[1].ports[0].containerPort', message: 'clash' }] }));
  assert.equal(status.phase, 'Failed');
  assert.deepEqual(
    status.conditions.map((c) => [c.status, c.reason]),
    [
      ['False', 'PortConflict'],
      ['False', 'PortConflict'],
      ['True', 'PortConflict'],
    ],
  );
});

test('a rollout in progress and a repaired drift show in Progressing', () => {
  const rolling = rollup(input([], { deployment: { ...doneDeployment, generation: 2 } })).status;
  assert.equal(rolling.conditions[1]!.reason, 'RollingOut');
  const repaired = rollup(input([], { repaired: ['Deployment/core-pod'] })).status;
  assert.deepEqual([repaired.conditions[1]!.status, repaired.conditions[1]!.reason], ['True', 'DriftRepaired']);
});

test('replicas scale the expected count; extra pods during a rollout never exceed it', () => {
  const corePod = corePodFrom({ ...dreamscapeSpec(), replicas: 2 });
  const all = ['auth-service', 'user-service', 'nginx'].map((n) => proc(n, 'RUNNING', 0, true));
  corePod.status = { pods: [pod('a', all), pod('b', all), pod('c', all)] };
  const { status } = rollup({ corePod, problems: [], waiting: [], repaired: [], livePods: new Set(['a', 'b', 'c']), now: 'T' });
  assert.equal(status.readyProcesses, '6/6');
});

test('statusDiffers: equal rollups do not write again', () => {
  const first = rollup(input([])).status;
  assert.equal(statusDiffers({ ...first }, first), false);
  assert.equal(statusDiffers({ ...first, restarts: 1 }, first), true);
  assert.equal(statusDiffers(undefined, first), true);
});

test('a volume no program mounts: SpecWarning=True while it lasts, gone once fixed; the rest is unaffected', () => {
  const running = [pod('p1', [proc('auth-service', 'RUNNING', 0, true), proc('user-service', 'RUNNING', 0, true), proc('nginx', 'RUNNING', 0, true)])];
  const warned = rollup(input(running, { warnings: [{ reason: 'VolumeNotMounted', path: 'spec.volumes[0]', message: 'volume "cache" is not mounted by any program' }] }));
  assert.equal(warned.status.phase, 'Running');
  assert.deepEqual(
    warned.status.conditions.map((c) => [c.type, c.status, c.reason, c.message]),
    [
      ['Ready', 'True', 'AllProcessesReady', '3/3 processes ready'],
      ['Progressing', 'False', 'RolloutComplete', '1 replicas up to date'],
      ['Degraded', 'False', 'AsExpected', ''],
      ['SpecWarning', 'True', 'VolumeNotMounted', 'spec.volumes[0]: volume "cache" is not mounted by any program'],
    ],
  );
  const fixed = input(running);
  fixed.corePod.status = { ...fixed.corePod.status, conditions: warned.status.conditions };
  assert.deepEqual(
    rollup(fixed).status.conditions.map((c) => c.type),
    ['Ready', 'Progressing', 'Degraded'],
  );
});

test("the scale subresource status: replicas are the Deployment's pods, the selector selects them", () => {
  const { status } = rollup(input([], { deployment: { ...doneDeployment, replicas: 2 } }));
  assert.equal(status.replicas, 2);
  assert.equal(status.selector, 'app.kubernetes.io/name=corepod,app.kubernetes.io/instance=core-pod');
  assert.equal(rollup(input([], { deployment: undefined })).status.replicas, 0);
  assert.ok(statusDiffers({ ...status, replicas: 1 }, status), 'a change of replicas alone is written');
});

test('a program with instances counts each of its processes, reported as name:00, name:01, …', () => {
  const corePod = corePodFrom(dreamscapeSpec());
  corePod.spec.programs[1]!.instances = 3;
  const processes = [
    proc('auth-service', 'RUNNING', 0, true),
    proc('user-service:00', 'RUNNING', 0, true),
    proc('user-service:01', 'RUNNING', 0, true),
    proc('user-service:02', 'FATAL', 4),
    proc('nginx', 'RUNNING', 0, true),
  ];
  corePod.status = { pods: [pod('p1', processes)] };
  const { status } = rollup({ corePod, problems: [], waiting: [], repaired: [], deployment: doneDeployment, livePods: new Set(['p1']), now: 'T' });
  assert.equal(status.readyProcesses, '4/5');
  assert.equal(status.restarts, 4);
  assert.equal(status.conditions.find((c) => c.type === 'Degraded')!.message, 'FATAL: user-service:02 in pod p1');
});

test('live reconfiguration: Ready only once every pod runs this generation; a pod that refused it makes Degraded say why', () => {
  const running = [proc('auth-service', 'RUNNING', 0, true), proc('user-service', 'RUNNING', 0, true), proc('nginx', 'RUNNING', 0, true)];
  const at = (name: string, generation: number, conditions?: PodStatus['conditions']): PodStatus => ({ ...pod(name, running), generation, ...(conditions ? { conditions } : {}) });
  const twoPods = (pods: PodStatus[]) => {
    const i = input(pods, { deployment: { ...doneDeployment, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 } });
    i.corePod.spec.replicas = 2;
    i.corePod.metadata.generation = 3;
    return rollup(i).status;
  };
  const converged = twoPods([at('p1', 3), at('p2', 3)]);
  assert.deepEqual([converged.conditions[0]!.status, converged.conditions[0]!.reason, converged.conditions[0]!.observedGeneration], ['True', 'AllProcessesReady', 3]);
  assert.equal(converged.observedGeneration, 3, 'every pod runs generation 3');

  const catchingUp = twoPods([at('p1', 3), at('p2', 2)]);
  assert.equal(catchingUp.phase, 'Running', 'the processes are fine');
  assert.deepEqual([catchingUp.conditions[0]!.status, catchingUp.conditions[0]!.reason], ['False', 'SpecNotApplied']);
  assert.match(catchingUp.conditions[0]!.message, /pod p2 runs generation 2/);
  assert.equal(catchingUp.conditions.find((c) => c.type === 'Degraded')!.status, 'False');
  assert.equal(catchingUp.observedGeneration, 2, 'observedGeneration is the oldest generation a pod runs');
  assert.equal(catchingUp.conditions[0]!.observedGeneration, 3, 'the conditions say the operator saw generation 3');
  assert.equal(twoPods([at('p1', 1), at('p2', 2)]).observedGeneration, 1);
  const goneOld = input([at('p1', 3), at('p0', 1)], { livePods: new Set(['p1']) });
  goneOld.corePod.metadata.generation = 3;
  assert.equal(rollup(goneOld).status.observedGeneration, 3, 'a pod that no longer exists holds nothing back');

  const refusal = {
    type: 'SpecApplied',
    status: 'False' as const,
    reason: 'SpecRefused',
    message: 'spec.programs[0].dependsOn: dependency cycle',
    lastTransitionTime: 'T',
    observedGeneration: 3,
  };
  const refused = twoPods([at('p1', 2, [refusal]), at('p2', 2, [refusal])]);
  assert.equal(refused.conditions[0]!.reason, 'SpecNotApplied');
  assert.match(refused.conditions[0]!.message, /SpecRefused: spec\.programs\[0\]\.dependsOn: dependency cycle/);
  const degraded = refused.conditions.find((c) => c.type === 'Degraded')!;
  assert.deepEqual([degraded.status, degraded.reason], ['True', 'SpecRefused']);

  const legacy = twoPods([pod('p1', running), pod('p2', running)]);
  assert.equal(legacy.conditions[0]!.status, 'True', 'a sidecar-init that reports no generation does not hold Ready back');
  assert.equal(legacy.observedGeneration, 3);
});

test('a rollout stuck on a new pod that never becomes ready: READY counts one pod per replica, the newest generation first, never the old and the new pod together', () => {
  const half = [proc('auth-service', 'RUNNING', 0, true), proc('user-service', 'BACKOFF', 4), proc('nginx', 'RUNNING', 0, true)];
  const full = [proc('auth-service', 'RUNNING', 0, true), proc('user-service', 'RUNNING', 0, true), proc('nginx', 'RUNNING', 0, true)];
  const stuck = input(
    [
      { ...pod('old', full), generation: 1 },
      { ...pod('new', half), generation: 2 },
    ],
    {
      deployment: { ...doneDeployment, generation: 2, observedGeneration: 2, replicas: 2, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 },
    },
  );
  stuck.corePod.metadata.generation = 2;
  const { status } = rollup(stuck);
  assert.equal(status.readyProcesses, '2/3', 'the new pod, not 3 + 2 capped at 3');
  assert.equal(status.conditions.find((c) => c.type === 'Ready')!.status, 'False');
  assert.equal(status.restarts, 4, 'restarts still count every live pod');

  // Before the new pod reports, the old one is what serves.
  const before = input([{ ...pod('old', full), generation: 1 }]);
  before.corePod.metadata.generation = 2;
  assert.equal(rollup(before).status.readyProcesses, '3/3');
  // Two replicas at generation 2 and an old pod left over: the two newest count.
  const surge = input([
    { ...pod('a', full), generation: 2 },
    { ...pod('b', half), generation: 2 },
    { ...pod('old', full), generation: 1 },
  ]);
  surge.corePod.spec.replicas = 2;
  surge.corePod.metadata.generation = 2;
  assert.equal(rollup(surge).status.readyProcesses, '5/6');
});
