import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_VERSION, KIND } from '../../crds/corepod-schema.js';
import { RESOURCES } from '../../operator/kube/resources.js';
import { CORE_POD, COREPOD_API_VERSION, COREPOD_KIND, EVENT } from './kube-resources.js';

test('the sidecar spells the CorePod and Event resources as the schema and the operator do', () => {
  assert.equal(COREPOD_API_VERSION, API_VERSION);
  assert.equal(COREPOD_KIND, KIND);
  assert.deepEqual(CORE_POD, RESOURCES.corePod);
  assert.deepEqual(EVENT, RESOURCES.event);
});
