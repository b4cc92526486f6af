import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldManagerFor, podIdentityFrom } from './pod-identity.js';

test('the identity comes from the variables the operator sets', () => {
  const result = podIdentityFrom({
    COREPOD_POD_NAME: 'web-1',
    COREPOD_POD_NAMESPACE: 'shop',
    COREPOD_NAME: 'web',
    COREPOD_POD_UID: 'u-1',
    COREPOD_NODE_NAME: 'node-1',
  });
  assert.deepEqual(result, { kind: 'pod', identity: { podName: 'web-1', namespace: 'shop', corePodName: 'web', podUid: 'u-1', nodeName: 'node-1' } });
});

test('no variable means standalone; some means a clear list of the missing ones', () => {
  assert.deepEqual(podIdentityFrom({ PATH: '/bin' }), { kind: 'standalone' });
  assert.deepEqual(podIdentityFrom({ COREPOD_POD_NAME: 'web-1' }), { kind: 'incomplete', missing: ['COREPOD_POD_NAMESPACE', 'COREPOD_NAME'] });
});

test('the field manager names the pod and stays within 128 characters', () => {
  assert.equal(fieldManagerFor('web-7d9c-abcde'), 'corepod-sidecar/web-7d9c-abcde');
  const long = `${'a'.repeat(240)}-7d9c-abcde`;
  const manager = fieldManagerFor(long);
  assert.equal(manager.length, 128);
  assert.ok(manager.endsWith('-7d9c-abcde'));
  assert.notEqual(fieldManagerFor(`${'b'.repeat(240)}-7d9c-abcdf`), manager);
});
