import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../operator/kube/kube-api.js';
import { classifyWriteError, eventObject, microTime, REPORTING_CONTROLLER, truncateNote } from './event-recorder.js';

const identity = { podName: 'web-7d9c-abcde', namespace: 'shop', corePodName: 'web', podUid: 'pod-uid' };
const regarding = { apiVersion: 'dreamscape.io/v1alpha1', kind: 'CorePod', name: 'web', namespace: 'shop', uid: 'cp-uid' };
const intent = { key: 'k', type: 'Warning' as const, reason: 'ProcessExited', action: 'Exit', note: 'auth-service was killed by signal SIGKILL', program: 'auth-service' };

test('an Event regards the CorePod, relates the Pod and names the reporter', () => {
  const e = eventObject(intent, identity, regarding, 'web.1', Date.UTC(2026, 0, 2, 3, 4, 5, 678));
  assert.equal(e.apiVersion, 'events.k8s.io/v1');
  assert.deepEqual(e.metadata, { name: 'web.1', namespace: 'shop' });
  assert.equal(e.eventTime, '2026-01-02T03:04:05.678000Z');
  assert.deepEqual(e.regarding, regarding);
  assert.deepEqual(e.related, { apiVersion: 'v1', kind: 'Pod', name: 'web-7d9c-abcde', namespace: 'shop', uid: 'pod-uid' });
  assert.equal(e.reportingController, REPORTING_CONTROLLER);
  assert.equal(e.reportingInstance, 'web-7d9c-abcde');
  assert.deepEqual([e.type, e.reason, e.action, e.note], ['Warning', 'ProcessExited', 'Exit', intent.note]);
  assert.equal(e.series, undefined);
  const repeated = eventObject(intent, identity, regarding, 'web.2', 0, { count: 4, lastObservedTime: 1000 });
  assert.deepEqual(repeated.series, { count: 4, lastObservedTime: '1970-01-01T00:00:01.000000Z' });
});

test('reportingInstance stays within 128 characters; notes within 1 kB', () => {
  const e = eventObject(intent, { ...identity, podName: 'p'.repeat(200) }, regarding, 'x', 0);
  assert.equal((e.reportingInstance as string).length, 128);
  const note = truncateNote('é'.repeat(2000));
  assert.ok(Buffer.byteLength(note) <= 1024);
  assert.ok(note.endsWith('...'));
  assert.equal(truncateNote('short'), 'short');
});

test('microTime has six fractional digits', () => {
  assert.equal(microTime(0), '1970-01-01T00:00:00.000000Z');
});

test('write errors: missing Event is gone, forbidden or invalid is dropped, the rest retried', () => {
  assert.equal(classifyWriteError(new ApiError(404, 'NotFound', 'x')), 'gone');
  for (const code of [400, 403, 422]) assert.equal(classifyWriteError(new ApiError(code, 'x', 'x')), 'drop');
  for (const code of [409, 429, 500, 503]) assert.equal(classifyWriteError(new ApiError(code, 'x', 'x')), 'retry');
  assert.equal(classifyWriteError(new Error('connect ECONNREFUSED')), 'retry');
});
