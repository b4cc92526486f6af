import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CorePodStatus } from '../../crds/corepod-schema.js';
import { fieldManagerFor } from './pod-identity.js';
import { controlFieldManager, handledRequestsBody } from './handled-requests-writer.js';

const identity = { podName: 'shop-5d9c7-x2x4q', namespace: 'ns', corePodName: 'shop' };
const handled = [{ id: 'a1', completedAt: '2026-12-03T13:00:00.000Z', results: [{ name: 'web', ok: true, state: 'RUNNING' }] }];

test("the body holds only the pod entry's key and its handled requests, valid for the schema once merged with the reporter's fields", () => {
  const body = handledRequestsBody(identity, handled) as { status: { pods: Record<string, unknown>[] } };
  assert.deepEqual(body.status.pods, [{ name: 'shop-5d9c7-x2x4q', handledRequests: handled }]);
  const merged = { pods: [{ ...body.status.pods[0], updated: '2026-12-03T13:00:00Z', processes: [] }] };
  assert.equal(CorePodStatus.safeParse(merged).success, true);
});

test("its field manager is not the status reporter's, and stays within the API's 128 characters", () => {
  assert.equal(controlFieldManager('shop-1'), 'corepod-control/shop-1');
  assert.notEqual(controlFieldManager('shop-1'), fieldManagerFor('shop-1'));
  const long = `${'a'.repeat(200)}-tail`;
  assert.equal(controlFieldManager(long).length, 128);
  assert.ok(controlFieldManager(long).endsWith('-tail'));
});
