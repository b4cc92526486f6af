import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configErrorProblems, missingObject, podConfigErrors, referencesTo } from './container-config-errors.js';
import { corePodFrom } from '../desired/test-fixtures.js';

const spec = corePodFrom({
  image: 'app:1',
  programs: [
    { name: 'api', command: ['/api'], env: [{ name: 'KEY', valueFrom: { secretKeyRef: { name: 'api-key', key: 'k' } } }], envFrom: [{ secretRef: { name: 'db' } }] },
    { name: 'web', command: ['/web'], env: [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'db', key: 'mode' } } }], envFrom: [{ secretRef: { name: 'api-key' } }] },
  ],
}).spec;

test("the kubelet's messages name the missing object", () => {
  assert.deepEqual(missingObject('secret "api-key" not found'), { kind: 'Secret', name: 'api-key', what: 'NotFound' });
  assert.deepEqual(missingObject('configmap "settings" not found'), { kind: 'ConfigMap', name: 'settings', what: 'NotFound' });
  assert.deepEqual(missingObject("couldn't find key k in Secret shop/api-key"), { kind: 'Secret', name: 'api-key', what: 'KeyNotFound' });
  assert.deepEqual(missingObject("couldn't find key mode in ConfigMap shop/db"), { kind: 'ConfigMap', name: 'db', what: 'KeyNotFound' });
  assert.equal(missingObject('something else'), undefined);
});

test('the spec fields that refer to a Secret or ConfigMap, by kind', () => {
  assert.deepEqual(referencesTo(spec, 'Secret', 'api-key'), ['spec.programs[0].env[0].valueFrom.secretKeyRef', 'spec.programs[1].envFrom[0].secretRef']);
  assert.deepEqual(referencesTo(spec, 'Secret', 'db'), ['spec.programs[0].envFrom[0].secretRef']);
  assert.deepEqual(referencesTo(spec, 'ConfigMap', 'db'), ['spec.programs[1].env[0].valueFrom.configMapKeyRef']);
});

test('only containers held in CreateContainerConfigError count', () => {
  const pod = {
    metadata: { name: 'p-1' },
    status: {
      containerStatuses: [
        { name: 'app', state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "api-key" not found' } } },
        { name: 'other', state: { waiting: { reason: 'ContainerCreating' } } },
      ],
    },
  };
  assert.deepEqual(podConfigErrors(pod), [{ pod: 'p-1', message: 'secret "api-key" not found' }]);
  assert.deepEqual(podConfigErrors({ metadata: { name: 'p-2' } }), []);
});

test('one problem per message, naming the Secret, the fields and the pods', () => {
  const problems = configErrorProblems(spec, [
    { pod: 'p-2', message: 'secret "api-key" not found' },
    { pod: 'p-1', message: 'secret "api-key" not found' },
    { pod: 'p-3', message: 'odd' },
  ]);
  assert.deepEqual(problems, [
    {
      reason: 'SecretNotFound',
      path: 'spec.programs[0].env[0].valueFrom.secretKeyRef, spec.programs[1].envFrom[0].secretRef',
      message: 'Secret "api-key": secret "api-key" not found (pods p-1, p-2 wait for it)',
    },
    { reason: 'CreateContainerConfigError', path: 'spec', message: 'odd (pod p-3 waits for it)' },
  ]);
});
