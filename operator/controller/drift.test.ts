import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../kube/kube-api.js';
import { DEFAULT_SIDECAR } from '../../contract/sidecar-contract.js';
import { desiredState } from '../desired/desired-state.js';
import { corePodFrom, dreamscapeSpec } from '../desired/test-fixtures.js';
import { jsonPatch, type Json as PatchJson } from '../../kube/fake-kube-api-patch.js';
import { findDrift, removeForeignPatch } from './drift.js';

type Json = Record<string, any>;
const sidecar = { ...DEFAULT_SIDECAR, image: 'corepod/sidecar:test' };
const objects = () => desiredState(corePodFrom({ ...dreamscapeSpec(), replicas: 1 }), sidecar).objects;
const desired = (kind: string): Json => structuredClone(objects().find((o: KubeObject) => o.kind === kind)!) as Json;

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
    assert.deepEqual(findDrift(object, live), { paths: [], foreign: [] }, `${object.kind}`);
  }
});

test('a Service port edited by JSON patch: the foreign entry and the missing one, with the pointer to remove it', () => {
  const service = desired('Service');
  const live = asLive(service);
  live.spec.ports[0].port = 9999;
  const drift = findDrift(service, live);
  assert.deepEqual(drift.paths, ['spec.ports[port=9999,protocol=TCP]', 'spec.ports[port=3001,protocol=TCP]']);
  assert.deepEqual(drift.foreign, [{ path: 'spec.ports[port=9999,protocol=TCP]', pointer: '/spec/ports/0' }]);
  const patched = jsonPatch(live as PatchJson, removeForeignPatch(drift.foreign, '42')) as Json;
  assert.deepEqual(
    patched.spec.ports.map((p: Json) => p.port),
    [3002, 80],
  );
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
  const config = desired('ConfigMap');
  const liveConfig = asLive(config);
  const [key] = Object.keys(config.data);
  liveConfig.data[key!] = '{}';
  assert.deepEqual(findDrift(config, liveConfig).paths, [`data[${JSON.stringify(key)}]`]);
});

test('a removed owner reference is drift; removing foreign entries of nested lists keeps the other pointers valid', () => {
  const service = desired('Service');
  const live = asLive(service);
  live.metadata.ownerReferences = [];
  assert.deepEqual(findDrift(service, live).paths, [`metadata.ownerReferences[uid=${service.metadata.ownerReferences[0].uid}]`]);
  const patch = removeForeignPatch(
    [
      { path: 'a', pointer: '/spec/volumes/2' },
      { path: 'b', pointer: '/spec/volumes/10' },
      { path: 'c', pointer: '/spec/containers/0/env/1' },
    ],
    '7',
  );
  assert.deepEqual(
    patch.map((op) => op.path),
    ['/metadata/resourceVersion', '/spec/volumes/10', '/spec/volumes/2', '/spec/containers/0/env/1'],
  );
});

test('an atomic map (the Service selector) is drift at a key someone added; labels, which are not atomic, are not', () => {
  const service = desired('Service');
  const live = asLive(service);
  live.spec.selector['example.com/track'] = 'canary';
  live.metadata.labels['example.com/team'] = 'a';
  assert.deepEqual(findDrift(service, live), { paths: ['spec.selector["example.com/track"]'], foreign: [] });
  live.spec.selector['app.kubernetes.io/instance'] = 'other';
  assert.deepEqual(findDrift(service, live).paths, ['spec.selector["app.kubernetes.io/instance"]', 'spec.selector["example.com/track"]']);
});

test("a Role rule with a field someone added is drift (rules are atomic); a PodDisruptionBudget's selector with an expression added too", () => {
  const role = desired('Role');
  const live = asLive(role);
  const index = live.rules.findIndex((r: Json) => !r.resourceNames);
  live.rules[index].resourceNames = ['someone-else'];
  assert.deepEqual(findDrift(role, live), { paths: ['rules'], foreign: [] });

  const budget = desiredState(corePodFrom({ ...dreamscapeSpec(), podDisruptionBudget: { minAvailable: 1 } }), sidecar).objects.find(
    (o) => o.kind === 'PodDisruptionBudget',
  ) as Json;
  const liveBudget = asLive(budget);
  assert.deepEqual(findDrift(budget, liveBudget).paths, []);
  liveBudget.spec.selector.matchExpressions = [{ key: 'tier', operator: 'Exists' }];
  assert.deepEqual(findDrift(budget, liveBudget).paths, ['spec.selector.matchExpressions']);
});
