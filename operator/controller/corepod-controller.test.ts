// The real controller (informers, work queue, reconciler, Event recorder) against the in-memory
// apiserver, every timer on a fake clock: what a CorePod becomes, how failed writes are retried
// or reported, drift, and deletion. No cluster.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { DEFAULT_SIDECAR } from '../../contract/sidecar-contract.js';
import type { Condition, CorePodSpecInput } from '../../crds/corepod-schema.js';
import { FakeKubeApi } from '../../kube/fake-kube-api.js';
import type { KubeObject } from '../../kube/kube-api.js';
import { RESOURCES } from '../../kube/resources.js';
import { FakeClock } from '../../lib/fake-clock.js';
import { names } from '../desired/names.js';
import { dreamscapeSpec } from '../desired/test-fixtures.js';
import { OperatorMetrics } from '../runtime/metrics.js';
import { conditionTime } from './conditions.js';
import { CorePodController, REPORTING_CONTROLLER } from './corepod-controller.js';
import type { RawCorePod } from './reconciler.js';

const NS = 'shop';
const START = Date.UTC(2026, 2, 1, 9, 0, 0);
const OWNED = [
  ['configMap', names.configMap],
  ['serviceAccount', names.serviceAccount],
  ['role', names.role],
  ['roleBinding', names.roleBinding],
  ['deployment', names.deployment],
  ['service', names.service],
] as const;

interface EventObject extends KubeObject {
  type: string;
  reason: string;
  note: string;
  reportingController: string;
  regarding: { name: string; uid?: string };
  series?: { count: number };
}

/** A started controller (no leader election) on a fresh fake apiserver and clock; stopped after the test. */
/** The Warning an owned object restored after a change by hand gets, as [type, reason, note]. */
const repairedRow = (object: string, fields?: string) => [
  'Warning',
  'DriftRepaired',
  `${object} was changed or deleted by hand and has been restored${fields ? `: ${fields}` : ''}`,
];

async function operator(t: TestContext) {
  const clock = new FakeClock(START);
  const api = new FakeKubeApi({ clock });
  const metrics = new OperatorMetrics(false);
  const controller = new CorePodController({ api, log: pino({ level: 'silent' }), metrics, sidecar: DEFAULT_SIDECAR, concurrency: 4, identity: 'operator-0', clock });
  t.after(() => controller.stop());
  await controller.start();
  const corePod = (name: string) => api.peek<RawCorePod>(RESOURCES.corePod, NS, name);
  return {
    clock,
    api,
    metrics,
    controller,
    corePod,
    async create(name: string, spec: CorePodSpecInput = dreamscapeSpec()) {
      await api.create(RESOURCES.corePod, { apiVersion: 'dreamscape.io/v1alpha1', kind: 'CorePod', metadata: { name, namespace: NS }, spec });
      await api.idle();
    },
    condition: (name: string, type: string): Pick<Condition, 'status' | 'reason' | 'message'> | undefined => {
      const found = corePod(name)?.status?.conditions?.find((c) => c.type === type);
      return found && { status: found.status, reason: found.reason, message: found.message };
    },
    owned: (name: string) => OWNED.map(([kind, nameOf]) => api.peek(RESOURCES[kind], NS, nameOf(name))),
    events: (name: string) => api.objects<EventObject>(RESOURCES.event, NS).filter((e) => e.regarding.name === name),
    /** The Events about a CorePod as [type, reason, note]. */
    eventRows(name: string) {
      return this.events(name).map((e) => [e.type, e.reason, e.note]);
    },
    applies: (kind: keyof typeof RESOURCES, name: string) => api.callsOf('apply', RESOURCES[kind]).filter((c) => c.name === name && !c.subresource).length,
    /** Moves the fake clock and lets what it triggers run. */
    async advance(ms: number) {
      clock.advance(ms);
      await api.idle();
    },
  };
}

test('a CorePod gets its ConfigMap, ServiceAccount, Role, RoleBinding, Deployment and Service, owned by it, and a status', { timeout: 20_000 }, async (t) => {
  const op = await operator(t);
  await op.create('dreamscape');
  const cp = op.corePod('dreamscape')!;

  const objects = op.owned('dreamscape');
  assert.deepEqual(
    objects.map((o) => `${o?.kind}/${o?.metadata?.name}`),
    [
      'ConfigMap/dreamscape-corepod-config',
      'ServiceAccount/dreamscape-corepod',
      'Role/dreamscape-corepod',
      'RoleBinding/dreamscape-corepod',
      'Deployment/dreamscape',
      'Service/dreamscape',
    ],
  );
  for (const object of objects) {
    assert.deepEqual(
      object!.metadata!.ownerReferences,
      [{ apiVersion: 'dreamscape.io/v1alpha1', kind: 'CorePod', name: 'dreamscape', uid: cp.metadata!.uid, controller: true, blockOwnerDeletion: true }],
      `${object!.kind} is owned by the CorePod`,
    );
    assert.equal(object!.metadata!.labels!['app.kubernetes.io/managed-by'], 'corepod-operator');
  }
  const config = objects[0] as KubeObject & { data: Record<string, string> };
  assert.equal(JSON.parse(config.data['corepod.json']!).spec.programs.length, 3, 'the ConfigMap holds the spec');

  // No pod has reported yet, and the fake runs no Deployment controller.
  const status = cp.status!;
  assert.deepEqual([status.observedGeneration, status.phase, status.readyProcesses, status.restarts], [1, 'Pending', '0/3', 0]);
  assert.deepEqual(op.condition('dreamscape', 'Ready'), { status: 'False', reason: 'WaitingForPods', message: 'no pod has reported its processes yet' });
  assert.deepEqual(op.condition('dreamscape', 'Progressing'), { status: 'True', reason: 'RollingOut', message: '0 updated, 0 available of 1' });
  assert.deepEqual(op.condition('dreamscape', 'Degraded'), { status: 'False', reason: 'AsExpected', message: '' });
  for (const c of status.conditions!) assert.equal(c.lastTransitionTime, conditionTime(new Date(START)), 'times from the controller clock');
  assert.deepEqual(op.events('dreamscape'), [], 'nothing to warn about');

  // Settled: another reconcile (a resync) writes nothing.
  const writes = op.api.calls.filter((c) => c.verb !== 'get' && c.verb !== 'list' && c.verb !== 'watch').length;
  op.controller.queue.add(`${NS}/dreamscape`);
  await op.api.idle();
  assert.equal(op.api.calls.filter((c) => c.verb !== 'get' && c.verb !== 'list' && c.verb !== 'watch').length, writes);
});

test('an apply answered with 500 is retried with backoff on the clock, not in a loop, and then succeeds', { timeout: 20_000 }, async (t) => {
  const op = await operator(t);
  op.api.failNext('apply', 500, { type: RESOURCES.configMap, times: 1000 });
  await op.create('flaky');

  assert.equal(op.api.peek(RESOURCES.configMap, NS, 'flaky-corepod-config'), undefined);
  assert.equal(op.api.peek(RESOURCES.deployment, NS, 'flaky'), undefined, 'the Deployment waits for its ConfigMap');
  assert.deepEqual(op.condition('flaky', 'Degraded'), { status: 'True', reason: 'ApplyFailed', message: 'injected 500 InternalError' });
  assert.deepEqual(op.condition('flaky', 'Progressing'), { status: 'True', reason: 'ApplyFailed', message: 'injected 500 InternalError' });
  const [event] = op.events('flaky');
  assert.deepEqual([event?.type, event?.reason, event?.note, event?.reportingController], ['Warning', 'ApplyFailed', 'injected 500 InternalError', REPORTING_CONTROLLER]);

  // While the apiserver keeps failing, attempts come only as the clock passes the backoff.
  const attempts = op.applies('configMap', 'flaky-corepod-config');
  await op.api.idle();
  assert.equal(op.applies('configMap', 'flaky-corepod-config'), attempts, 'no retry without time passing');
  await op.advance(1_000);
  assert.equal(op.applies('configMap', 'flaky-corepod-config'), attempts + 1, 'one retry when the delay is over');
  assert.ok(op.controller.queue.retries(`${NS}/flaky`) >= 2);

  op.api.clearInjections();
  await op.advance(1_000);
  assert.equal(op.applies('configMap', 'flaky-corepod-config'), attempts + 2);
  assert.ok(
    op.owned('flaky').every((o) => o !== undefined),
    'every object applied',
  );
  assert.deepEqual(op.condition('flaky', 'Degraded'), { status: 'False', reason: 'AsExpected', message: '' });
  assert.equal(op.controller.queue.retries(`${NS}/flaky`), 0, 'the backoff is forgotten after a success');
  assert.equal(op.events('flaky').length, 1, 'the repeated warning is one Event (a series)');
});

test('an apply refused with 422 is a terminal condition and an Event; other CorePods are still served', { timeout: 20_000 }, async (t) => {
  const op = await operator(t);
  op.api.failNext('apply', 422, { type: RESOURCES.deployment, name: 'refused', times: 1000 });
  await op.create('refused');
  await op.create('neighbour');

  const refusedMessage = 'injected 422 Invalid';
  assert.deepEqual(op.condition('refused', 'Degraded'), { status: 'True', reason: 'ApplyFailed', message: refusedMessage });
  assert.equal(op.corePod('refused')!.status!.phase, 'Pending');
  assert.equal(op.api.peek(RESOURCES.deployment, NS, 'refused'), undefined);
  assert.ok(op.api.peek(RESOURCES.configMap, NS, 'refused-corepod-config'), 'what the apiserver accepts is applied');
  const events = op.events('refused');
  assert.deepEqual(
    events.map((e) => [e.type, e.reason, e.note]),
    [['Warning', 'ApplyFailed', refusedMessage]],
  );
  const terminal = await op.metrics.terminalErrors.get();
  assert.ok((terminal.values[0]?.value ?? 0) >= 1, 'counted as a terminal reconcile error');
  assert.equal(op.controller.queue.retries(`${NS}/refused`), 0, 'not retried with backoff');

  assert.ok(
    op.owned('neighbour').every((o) => o !== undefined),
    'the neighbour is reconciled',
  );
  assert.deepEqual(op.condition('neighbour', 'Degraded'), { status: 'False', reason: 'AsExpected', message: '' });

  // Rechecked after five minutes, not before.
  const attempts = op.applies('deployment', 'refused');
  await op.advance(299_000);
  assert.equal(op.applies('deployment', 'refused'), attempts);
  await op.advance(1_000);
  assert.equal(op.applies('deployment', 'refused'), attempts + 1);
});

test('a spec whose programs share a port is Failed with PortConflict, an Event, and nothing applied', { timeout: 20_000 }, async (t) => {
  const op = await operator(t);
  await op.create('clash', {
    image: 'app:1',
    programs: [
      { name: 'one', command: ['one'], ports: [{ containerPort: 8080 }] },
      { name: 'two', command: ['two'], ports: [{ containerPort: 8080 }] },
    ],
  });
  const message = 'spec.programs[1].ports[0].containerPort: port 8080/TCP of program "two" is also used by program "one"';
  assert.equal(op.corePod('clash')!.status!.phase, 'Failed');
  assert.deepEqual(op.condition('clash', 'Ready'), { status: 'False', reason: 'PortConflict', message });
  assert.deepEqual(op.condition('clash', 'Degraded'), { status: 'True', reason: 'PortConflict', message });
  assert.deepEqual(op.eventRows('clash'), [['Warning', 'PortConflict', message]]);
  assert.ok(
    op.owned('clash').every((o) => o === undefined),
    'nothing is applied',
  );
});

test('dependencies the CRD cannot check (dependsOn is a name or an object) are Failed with SpecInvalid and the path, an Event, and nothing applied', {
  timeout: 20_000,
}, async (t) => {
  const op = await operator(t);
  await op.create('deps', {
    image: 'app:1',
    programs: [
      { name: 'migrate', command: ['migrate'] },
      { name: 'web', command: ['web'], dependsOn: ['ghost', { name: 'migrate', condition: 'CompletedSuccessfully' }] },
    ],
  });
  const ghost = 'spec.programs[1].dependsOn[0]: no program named "ghost"';
  const forever =
    'spec.programs[1].dependsOn[1].condition: "migrate" is restarted whenever it exits (autorestart: true), so it never completes; give it autorestart: false or "unexpected"';
  assert.equal(op.corePod('deps')!.status!.phase, 'Failed');
  assert.equal(op.condition('deps', 'Degraded')?.reason, 'SpecInvalid');
  assert.equal(op.condition('deps', 'Ready')?.message, `${ghost}; ${forever}`);
  assert.deepEqual(
    op.events('deps').map((e) => [e.type, e.reason]),
    [['Warning', 'SpecInvalid']],
  );
  assert.ok(
    op.owned('deps').every((o) => o === undefined),
    'nothing is applied',
  );
});

test('a ConfigMap deleted by hand is restored with a DriftRepaired Event', { timeout: 20_000 }, async (t) => {
  const op = await operator(t);
  await op.create('drift');
  const before = op.api.peek<KubeObject & { data: Record<string, string> }>(RESOURCES.configMap, NS, 'drift-corepod-config')!;
  await op.api.delete(RESOURCES.configMap, NS, 'drift-corepod-config');
  await op.api.idle();

  const after = op.api.peek<KubeObject & { data: Record<string, string> }>(RESOURCES.configMap, NS, 'drift-corepod-config');
  assert.ok(after, 'recreated');
  assert.notEqual(after.metadata!.uid, before.metadata!.uid);
  assert.deepEqual(after.data, before.data);
  assert.deepEqual(op.eventRows('drift'), [repairedRow('ConfigMap/drift-corepod-config')]);
  assert.equal(op.api.peek(RESOURCES.deployment, NS, 'drift')!.metadata!.generation, 1, 'the Deployment is left as it was');
});

test('a Deployment scaled by hand is restored and the DriftRepaired Event names spec.replicas', { timeout: 20_000 }, async (t) => {
  const op = await operator(t);
  await op.create('scaled');
  await op.api.patch(RESOURCES.deployment, NS, 'scaled', 'merge', { spec: { replicas: 5 } });
  await op.api.idle();

  assert.equal(op.api.peek<KubeObject & { spec: { replicas: number } }>(RESOURCES.deployment, NS, 'scaled')!.spec.replicas, 1);
  assert.deepEqual(op.eventRows('scaled'), [repairedRow('Deployment/scaled', 'spec.replicas')]);
});

test("a label the operator sets, changed by hand on the Deployment (its generation stays), is restored and named; someone else's label is left", { timeout: 20_000 }, async (t) => {
  const op = await operator(t);
  await op.create('relabel');
  const component = 'app.kubernetes.io/component';
  await op.api.patch(RESOURCES.deployment, NS, 'relabel', 'merge', { metadata: { labels: { [component]: 'someone-else' } } });
  await op.api.idle();
  const labels = () => op.api.peek(RESOURCES.deployment, NS, 'relabel')!.metadata!.labels!;
  assert.equal(labels()[component], 'workload');
  await op.api.patch(RESOURCES.deployment, NS, 'relabel', 'merge', { metadata: { labels: { 'example.com/team': 'a' } } });
  await op.api.idle();
  assert.equal(labels()['example.com/team'], 'a');
  assert.equal(op.api.peek(RESOURCES.deployment, NS, 'relabel')!.metadata!.generation, 1);
  assert.deepEqual(op.eventRows('relabel'), [repairedRow('Deployment/relabel', `metadata.labels["${component}"]`)]);
});

test('the managed-by label removed from the ConfigMap (it leaves the label-selected cache) is restored and named', { timeout: 20_000 }, async (t) => {
  const op = await operator(t);
  await op.create('unlabelled');
  await op.api.patch(RESOURCES.configMap, NS, 'unlabelled-corepod-config', 'json', [{ op: 'remove', path: '/metadata/labels/app.kubernetes.io~1managed-by' }]);
  await op.api.idle();
  assert.equal(op.api.peek(RESOURCES.configMap, NS, 'unlabelled-corepod-config')!.metadata!.labels!['app.kubernetes.io/managed-by'], 'corepod-operator');
  assert.deepEqual(op.eventRows('unlabelled'), [repairedRow('ConfigMap/unlabelled-corepod-config', 'metadata.labels["app.kubernetes.io/managed-by"]')]);
});

test('a repair is reported though the write of another object in the same reconcile fails (and the retry reports only its own)', { timeout: 20_000 }, async (t) => {
  const op = await operator(t);
  await op.create('partial');
  // A reconcile held in the middle of a repair, while two more objects are edited: the next one
  // finds both changed, and one of its writes fails.
  const gate = op.api.hold('apply', { type: RESOURCES.roleBinding });
  await op.api.patch(RESOURCES.roleBinding, NS, 'partial-corepod', 'merge', { subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: NS }] });
  await gate.reached;
  await op.api.patch(RESOURCES.configMap, NS, 'partial-corepod-config', 'merge', { data: { 'corepod.json': '{}' } });
  await op.api.patch(RESOURCES.service, NS, 'partial', 'merge', { spec: { type: 'NodePort' } });
  op.api.failNext('apply', 500, { type: RESOURCES.service });
  await op.api.idle();
  gate.release();
  await op.api.idle();
  await op.advance(1_000);
  assert.notEqual(op.api.peek<KubeObject & { data: Record<string, string> }>(RESOURCES.configMap, NS, 'partial-corepod-config')!.data['corepod.json'], '{}');
  assert.equal(op.api.peek<KubeObject & { spec: { type: string } }>(RESOURCES.service, NS, 'partial')!.spec.type, 'ClusterIP');
  assert.deepEqual(
    op
      .events('partial')
      .map((e) => [e.reason, e.note])
      .sort(),
    [
      ['ApplyFailed', 'injected 500 InternalError'],
      ['DriftRepaired', 'ConfigMap/partial-corepod-config was changed or deleted by hand and has been restored: data["corepod.json"]'],
      ['DriftRepaired', 'RoleBinding/partial-corepod was changed or deleted by hand and has been restored: subjects'],
      ['DriftRepaired', 'Service/partial was changed or deleted by hand and has been restored: spec.type'],
    ],
  );
});

test("others' two quick edits of their own metadata, one landing while our apply is in flight, are no drift", { timeout: 20_000 }, async (t) => {
  const op = await operator(t);
  await op.create('busy');
  // The reconcile after the first edit finds no drift; our (no-op) apply returns the object as the
  // second edit left it, newer than the cache it started from.
  const gate = op.api.hold('apply', { type: RESOURCES.role });
  await op.api.patch(RESOURCES.role, NS, 'busy-corepod', 'merge', { metadata: { annotations: { 'example.com/note': 'kept' } } });
  await gate.reached;
  await op.api.patch(RESOURCES.role, NS, 'busy-corepod', 'merge', { metadata: { labels: { 'example.com/team': 'a' } } });
  gate.release();
  await op.api.idle();
  const role = op.api.peek(RESOURCES.role, NS, 'busy-corepod')!;
  assert.equal(role.metadata!.annotations!['example.com/note'], 'kept');
  assert.equal(role.metadata!.labels!['example.com/team'], 'a');
  assert.deepEqual(
    op.events('busy').map((e) => [e.reason, e.note]),
    [],
  );
});

test('a deleted CorePod takes its objects with it (owner references), and the controller does not recreate them', { timeout: 20_000 }, async (t) => {
  const op = await operator(t);
  await op.create('gone');
  await op.create('stays');
  const applies = op.api.callsOf('apply').length;
  await op.api.delete(RESOURCES.corePod, NS, 'gone');
  await op.api.idle();

  assert.ok(
    op.owned('gone').every((o) => o === undefined),
    'collected as dependents',
  );
  assert.equal(op.api.callsOf('apply').length, applies, 'no apply after the deletion');
  assert.ok(op.owned('stays').every((o) => o !== undefined));
  assert.equal(op.controller.queue.length, 0);
});

test('one mount path used by two programs from different volumes is Failed with MountConflict, and nothing applied', { timeout: 20_000 }, async (t) => {
  const op = await operator(t);
  await op.create('mounts', {
    image: 'app:1',
    volumes: [
      { name: 'data', emptyDir: {} },
      { name: 'tls', secret: { secretName: 'tls' } },
    ],
    programs: [
      { name: 'one', command: ['one'], volumeMounts: [{ name: 'data', mountPath: '/srv' }] },
      { name: 'two', command: ['two'], volumeMounts: [{ name: 'tls', mountPath: '/srv' }] },
    ],
  });
  const message = 'spec.programs[1].volumeMounts[0].mountPath: mount path "/srv" is also mounted by program "one" from another volume, subPath or mode';
  assert.equal(op.corePod('mounts')!.status!.phase, 'Failed');
  assert.deepEqual(op.condition('mounts', 'Ready'), { status: 'False', reason: 'MountConflict', message });
  assert.deepEqual(op.eventRows('mounts'), [['Warning', 'MountConflict', message]]);
  assert.ok(op.owned('mounts').every((o) => o === undefined));
});

test('a pod the kubelet holds for a missing Secret: Pending, SecretNotFound naming the field, cleared when the pod starts', { timeout: 20_000 }, async (t) => {
  const op = await operator(t);
  await op.create('keyed', { image: 'app:1', programs: [{ name: 'api', command: ['api'], env: [{ name: 'KEY', valueFrom: { secretKeyRef: { name: 'api-key', key: 'k' } } }] }] });
  const labels = { 'app.kubernetes.io/name': 'corepod', 'app.kubernetes.io/instance': 'keyed', 'app.kubernetes.io/managed-by': 'corepod-operator' };
  const held = { containerStatuses: [{ name: 'app', state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "api-key" not found' } } }] };
  await op.api.create(RESOURCES.pod, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'keyed-1', namespace: NS, labels } });
  await op.api.patch(RESOURCES.pod, NS, 'keyed-1', 'merge', { status: held }, { subresource: 'status' });
  await op.api.idle();
  const message = 'spec.programs[0].env[0].valueFrom.secretKeyRef: Secret "api-key": secret "api-key" not found (pod keyed-1 waits for it)';
  assert.equal(op.corePod('keyed')!.status!.phase, 'Pending');
  assert.deepEqual(op.condition('keyed', 'Ready'), { status: 'False', reason: 'SecretNotFound', message });
  assert.deepEqual(op.condition('keyed', 'Degraded'), { status: 'True', reason: 'SecretNotFound', message });
  assert.ok(op.events('keyed').some((e) => e.type === 'Warning' && e.reason === 'SecretNotFound' && e.note === message));
  assert.ok(op.api.peek(RESOURCES.deployment, NS, 'keyed'), 'the workload is applied: its pods wait for the Secret');

  await op.api.patch(RESOURCES.pod, NS, 'keyed-1', 'merge', { status: { containerStatuses: [{ name: 'app', state: { running: {} } }] } }, { subresource: 'status' });
  await op.api.idle();
  assert.deepEqual(op.condition('keyed', 'Degraded'), { status: 'False', reason: 'AsExpected', message: '' });
});
