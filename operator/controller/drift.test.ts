import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../kube/kube-api.js';
import { DEFAULT_SIDECAR } from '../../contract/sidecar-contract.js';
import { desiredState } from '../desired/desired-state.js';
import { corePodFrom, dreamscapeSpec } from '../desired/test-fixtures.js';
import { jsonPatch, type Json as PatchJson } from '../../kube/fake-kube-api-patch.js';
import { findDrift, repairPatch, type Drift, type PatchOp } from './drift.js';

type Json = Record<string, any>;
const sidecar = { ...DEFAULT_SIDECAR, image: 'corepod/sidecar:test' };
const objects = () => desiredState(corePodFrom({ ...dreamscapeSpec(), replicas: 1 }), sidecar).objects;
const desired = (kind: string): Json => structuredClone(objects().find((o: KubeObject) => o.kind === kind)!) as Json;

/** The JSON patch applied as the apiserver would. */
const patch = (live: Json, ops: PatchOp[]): Json => jsonPatch(live as PatchJson, ops) as Json;

/** The live object after the repair patch of its drift: what the patch leaves to be restored (nothing). */
function afterRepair(object: Json, live: Json): string[] {
  return findDrift(object, patch(live, repairPatch(findDrift(object, live)))).paths;
}

/** What the apiserver gives back: defaulted fields, others' metadata, status. */
function asLive(object: Json): Json {
  const live = structuredClone(object);
  live.metadata = { ...live.metadata, uid: 'u1', resourceVersion: '42', generation: 3, managedFields: [{ manager: 'x' }] };
  live.status = { replicas: 7 };
  return live;
}

test('the live copy of each desired object, with defaults, others metadata and status, has no drift', () => {
  for (const object of objects()) {
    const live = asLive(object as Json);
    live.metadata.annotations = { ...live.metadata.annotations, 'example.com/note': 'kept' };
    live.metadata.labels = { ...live.metadata.labels, 'example.com/team': 'a' };
    if (live.kind === 'Service') {
      live.spec.clusterIP = '10.0.0.9';
      for (const port of live.spec.ports) port.targetPort = port.targetPort ?? port.port;
    }
    if (live.kind === 'Deployment') {
      live.spec.template.spec.containers[0].terminationMessagePath = '/dev/termination-log';
      live.spec.template.spec.dnsPolicy = 'ClusterFirst';
    }
    const drift = findDrift(object, live);
    assert.deepEqual([drift.paths, drift.foreign, repairPatch(drift)], [[], [], []], `${object.kind}`);
  }
});

test('a Service port edited by JSON patch: the foreign entry and the missing one, restored in one patch', () => {
  const service = desired('Service');
  const live = asLive(service);
  live.spec.ports[0].port = 9999;
  const drift = findDrift(service, live);
  assert.deepEqual(drift.paths, ['spec.ports[port=9999,protocol=TCP]', 'spec.ports[port=3001,protocol=TCP]']);
  assert.deepEqual(drift.foreign, [{ path: 'spec.ports[port=9999,protocol=TCP]', pointer: '/spec/ports/0', entry: live.spec.ports[0] }]);
  const patched = patch(live, repairPatch(drift));
  assert.deepEqual(
    patched.spec.ports.map((p: Json) => p.port),
    [3002, 80, 3001],
  );
});

test('Service ports replaced whole by a merge patch, one port under a name of ours: ports and names restored in one patch', () => {
  // Removing the foreign port alone leaves a Service without ports, the forced apply alone two
  // ports named "auth": the apiserver refuses both, so the repair is one write.
  const service = desired('Service');
  const live = asLive(service);
  live.spec.ports = [{ name: 'auth', port: 9999, targetPort: 'auth', protocol: 'TCP' }];
  const patched = patch(live, repairPatch(findDrift(service, live)));
  assert.deepEqual(patched.spec.ports.map((p: Json) => `${p.name}:${p.port}`).sort(), service.spec.ports.map((p: Json) => `${p.name}:${p.port}`).sort());
  assert.deepEqual(afterRepair(service, live), []);
});

test('a volume renamed together with its mount: both lists and the mount restored in one patch', () => {
  const deployment = desired('Deployment');
  const live = asLive(deployment);
  const pod = live.spec.template.spec;
  const config = pod.volumes.find((v: Json) => v.configMap);
  const mount = pod.containers[0].volumeMounts.find((m: Json) => m.name === config.name);
  const name = config.name;
  config.name = 'renamed';
  mount.name = 'renamed';
  const drift = findDrift(deployment, live);
  assert.deepEqual(drift.paths.sort(), [
    `spec.template.spec.containers[name=app].volumeMounts[mountPath=${mount.mountPath}].name`,
    `spec.template.spec.volumes[name=${name}]`,
    'spec.template.spec.volumes[name=renamed]',
  ]);
  assert.deepEqual(afterRepair(deployment, live), []);
  const patched = patch(live, repairPatch(drift));
  assert.deepEqual(patched.spec.template.spec.volumes.map((v: Json) => v.name).sort(), deployment.spec.template.spec.volumes.map((v: Json) => v.name).sort());
});

test('a changed env value is drift at its field; an added env entry and volume are foreign', () => {
  const deployment = desired('Deployment');
  const live = asLive(deployment);
  const container = live.spec.template.spec.containers[0];
  const env = container.env.find((e: Json) => typeof e.value === 'string');
  env.value = 'changed';
  container.env.push({ name: 'EXTRA', value: '1' });
  live.spec.template.spec.volumes.push({ name: 'extra', emptyDir: {} });
  const drift = findDrift(deployment, live);
  const envPath = `spec.template.spec.containers[name=app].env[name=${env.name}].value`;
  assert.deepEqual(drift.paths.sort(), [envPath, 'spec.template.spec.containers[name=app].env[name=EXTRA]', 'spec.template.spec.volumes[name=extra]'].sort());
  assert.deepEqual(drift.foreign.map((f) => f.pointer).sort(), [
    `/spec/template/spec/containers/0/env/${container.env.length - 1}`,
    `/spec/template/spec/volumes/${live.spec.template.spec.volumes.length - 1}`,
  ]);
  assert.deepEqual(afterRepair(deployment, live), []);
  // The value is set in the entry of that name only: were the entries reordered meanwhile, the patch fails.
  const index = container.env.indexOf(env);
  assert.ok(repairPatch(drift).some((op) => op.op === 'test' && op.path === `/spec/template/spec/containers/0/env/${index}/name` && op.value === env.name));
  const reordered = structuredClone(live);
  reordered.spec.template.spec.containers[0].env.reverse();
  assert.throws(() => patch(reordered, repairPatch(drift)), /testing value/);
});

test('a foreign volumeMount and a foreign container port are found by their keys', () => {
  const deployment = desired('Deployment');
  const live = asLive(deployment);
  const container = live.spec.template.spec.containers[0];
  container.volumeMounts.push({ name: 'x', mountPath: '/x' });
  container.ports.push({ containerPort: 1234 });
  const drift = findDrift(deployment, live);
  assert.deepEqual(drift.paths, [
    'spec.template.spec.containers[name=app].ports[containerPort=1234,protocol=TCP]',
    'spec.template.spec.containers[name=app].volumeMounts[mountPath=/x]',
  ]);
});

test('scaled by hand: spec.replicas; without replicas in the desired object, the live count is left alone', () => {
  const deployment = desired('Deployment');
  const live = asLive(deployment);
  live.spec.replicas = 4;
  assert.deepEqual(findDrift(deployment, live).paths, ['spec.replicas']);
  delete deployment.spec.replicas;
  assert.deepEqual(findDrift(deployment, live).paths, []);
});

test('an atomic list (command) and a map value (ConfigMap data, a label we set) are drift as a whole field', () => {
  const deployment = desired('Deployment');
  const live = asLive(deployment);
  live.spec.template.spec.containers[0].command = ['/bin/sh'];
  live.metadata.labels['app.kubernetes.io/instance'] = 'other';
  assert.deepEqual(findDrift(deployment, live).paths, ['metadata.labels["app.kubernetes.io/instance"]', 'spec.template.spec.containers[name=app].command']);
  assert.deepEqual(afterRepair(deployment, live), []);
  const config = desired('ConfigMap');
  const liveConfig = asLive(config);
  const [key] = Object.keys(config.data);
  liveConfig.data[key!] = '{}';
  assert.deepEqual(findDrift(config, liveConfig).paths, [`data[${JSON.stringify(key)}]`]);
  assert.deepEqual(afterRepair(config, liveConfig), []);
});

test('a removed owner reference is drift; foreign entries of nested lists are removed last, from the last pointer down', () => {
  const service = desired('Service');
  const live = asLive(service);
  live.metadata.ownerReferences = [];
  assert.deepEqual(findDrift(service, live).paths, [`metadata.ownerReferences[uid=${service.metadata.ownerReferences[0].uid}]`]);
  assert.deepEqual(afterRepair(service, live), []);
  const drift: Drift = {
    paths: [],
    foreign: [
      { path: 'a', pointer: '/spec/volumes/2', entry: { name: 'a' } },
      { path: 'b', pointer: '/spec/volumes/10', entry: { name: 'b' } },
      { path: 'c', pointer: '/spec/containers/0/env/1', entry: { name: 'c' } },
    ],
    fixes: { set: [{ op: 'add', path: '/spec/containers/0/env/3/value', value: 'x' }], append: [{ op: 'add', path: '/spec/volumes/-', value: { name: 'd' } }], guards: [] },
  };
  assert.deepEqual(
    repairPatch(drift).map((op) => `${op.op} ${op.path}`),
    [
      'test /spec/volumes/10',
      'test /spec/volumes/2',
      'test /spec/containers/0/env/1',
      'add /spec/containers/0/env/3/value',
      'add /spec/volumes/-',
      'remove /spec/volumes/10',
      'remove /spec/volumes/2',
      'remove /spec/containers/0/env/1',
    ],
  );
});

test('a repair is made however the rest of the object changed meanwhile, but not when a list it changes did', () => {
  // The Deployment controller writes the status moments after an edit of the spec: that must not
  // fail the removal (a failed write throws away the whole reconcile), an edit of the list must.
  const deployment = desired('Deployment');
  const live = asLive(deployment);
  live.spec.template.spec.volumes.push({ name: 'extra', emptyDir: {} });
  const ops = repairPatch(findDrift(deployment, live));
  const later = structuredClone(live);
  later.metadata.resourceVersion = '43';
  later.status = { observedGeneration: 4 };
  const patched = patch(later, ops);
  assert.deepEqual(
    patched.spec.template.spec.volumes.map((v: Json) => v.name),
    deployment.spec.template.spec.volumes.map((v: Json) => v.name),
  );
  const reordered = structuredClone(live);
  reordered.spec.template.spec.volumes.unshift(reordered.spec.template.spec.volumes.pop());
  assert.throws(() => patch(reordered, ops), /testing value/);
});

test('an atomic map (the Service selector) is drift at a key someone added; labels, which are not atomic, are not', () => {
  const service = desired('Service');
  const live = asLive(service);
  live.spec.selector['example.com/track'] = 'canary';
  live.metadata.labels['example.com/team'] = 'a';
  assert.deepEqual(findDrift(service, live).paths, ['spec.selector["example.com/track"]']);
  assert.deepEqual(findDrift(service, live).foreign, []);
  assert.deepEqual(afterRepair(service, live), []);
  live.spec.selector['app.kubernetes.io/instance'] = 'other';
  assert.deepEqual(findDrift(service, live).paths, ['spec.selector["app.kubernetes.io/instance"]', 'spec.selector["example.com/track"]']);
  assert.deepEqual(afterRepair(service, live), []);
});

test("a Role rule with a field someone added is drift (rules are atomic); a PodDisruptionBudget's selector with an expression added too", () => {
  const role = desired('Role');
  const live = asLive(role);
  const index = live.rules.findIndex((r: Json) => !r.resourceNames);
  live.rules[index].resourceNames = ['someone-else'];
  assert.deepEqual(findDrift(role, live).paths, ['rules']);
  assert.deepEqual(afterRepair(role, live), []);

  const budget = desiredState(corePodFrom({ ...dreamscapeSpec(), podDisruptionBudget: { minAvailable: 1 } }), sidecar).objects.find(
    (o) => o.kind === 'PodDisruptionBudget',
  ) as Json;
  const liveBudget = asLive(budget);
  assert.deepEqual(findDrift(budget, liveBudget).paths, []);
  liveBudget.spec.selector.matchExpressions = [{ key: 'tier', operator: 'Exists' }];
  assert.deepEqual(findDrift(budget, liveBudget).paths, ['spec.selector.matchExpressions']);
  assert.deepEqual(afterRepair(budget, liveBudget), []);
});
