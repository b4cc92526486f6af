import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, classifyApiError } from '../kube-api.js';
import { metaTime, microTime } from '../kube-api.js';
import { eventName, eventObject, MAX_NOTE_BYTES, reportingInstanceOf, truncateNote } from './event-object.js';

const regarding = { apiVersion: 'dreamscape.io/v1alpha1', kind: 'CorePod', name: 'web', namespace: 'shop', uid: 'cp-uid' };
const related = { apiVersion: 'v1', kind: 'Pod', name: 'web-7d9c-abcde', namespace: 'shop', uid: 'pod-uid' };
const reporter = { reportingController: 'dreamscape.io/corepod-sidecar', reportingInstance: 'web-7d9c-abcde' };
const intent = { key: 'k', type: 'Warning' as const, reason: 'ProcessExited', action: 'Exit', note: 'auth-service was killed by signal SIGKILL', program: 'auth-service' };

test('an Event regards its object, relates another and names the reporter', () => {
  const e = eventObject({ intent, regarding, related, reporter, name: 'web.1', eventTime: Date.UTC(2026, 0, 2, 3, 4, 5, 678) });
  assert.equal(e.apiVersion, 'events.k8s.io/v1');
  assert.deepEqual(e.metadata, { name: 'web.1', namespace: 'shop' });
  assert.equal(e.eventTime, '2026-01-02T03:04:05.678000Z');
  assert.deepEqual(e.regarding, regarding);
  assert.deepEqual(e.related, related);
  assert.equal(e.reportingController, 'dreamscape.io/corepod-sidecar');
  assert.equal(e.reportingInstance, 'web-7d9c-abcde');
  assert.deepEqual([e.type, e.reason, e.action, e.note], ['Warning', 'ProcessExited', 'Exit', intent.note]);
  assert.equal(e.series, undefined);
  const repeated = eventObject({ intent, regarding, reporter, name: 'web.2', eventTime: 0, series: { count: 4, lastObservedTime: 1000 } });
  assert.deepEqual(repeated.series, { count: 4, lastObservedTime: '1970-01-01T00:00:01.000000Z' });
  assert.equal('related' in repeated, false);
});

test('reportingInstance keeps the unique tail within 128 characters; names stay within 253', () => {
  assert.equal(reportingInstanceOf(`${'p'.repeat(200)}xyz`).length, 128);
  assert.ok(reportingInstanceOf(`${'p'.repeat(200)}xyz`).endsWith('xyz'));
  const name = eventName('n'.repeat(253), '18c2f3a4b5c001abcdef');
  assert.equal(name.length, 253);
  assert.ok(name.endsWith('.18c2f3a4b5c001abcdef'));
  assert.equal(eventName('web', 'abc'), 'web.abc');
});

test('notes are cut to at most 1,024 bytes of UTF-8 on a character boundary', () => {
  assert.equal(truncateNote('short'), 'short');
  const exact = 'a'.repeat(MAX_NOTE_BYTES);
  assert.equal(truncateNote(exact), exact);
  const over = 'a'.repeat(MAX_NOTE_BYTES + 1);
  assert.equal(Buffer.byteLength(truncateNote(over)), MAX_NOTE_BYTES);
  for (const unit of ['é', '€', '😀', 'a€😀é']) {
    for (let prefix = 0; prefix < 4; prefix++) {
      const note = 'x'.repeat(prefix) + unit.repeat(3000);
      const cut = truncateNote(note);
      assert.ok(Buffer.byteLength(cut) <= MAX_NOTE_BYTES, `${unit} +${prefix}: ${Buffer.byteLength(cut)} bytes`);
      assert.ok(Buffer.byteLength(cut) > MAX_NOTE_BYTES - 8, `${unit} +${prefix}: cut too short`);
      assert.ok(cut.endsWith('...'));
      assert.ok(!cut.includes('\uFFFD'), `${unit} +${prefix}: a character was split`);
      assert.ok(note.startsWith(cut.slice(0, -3)));
    }
  }
});

test('the API times: microTime (Events, Leases) has six fractional digits, metaTime (conditions, creationTimestamp) whole seconds', () => {
  assert.equal(microTime(0), '1970-01-01T00:00:00.000000Z');
  assert.equal(microTime(Date.parse('2026-05-06T07:08:09.010Z')), '2026-05-06T07:08:09.010000Z');
  assert.equal(metaTime(Date.parse('2026-01-02T03:04:05.678Z')), '2026-01-02T03:04:05Z');
});

test('failed writes: missing is notFound, invalid or forbidden is permanent, the rest retried', () => {
  assert.equal(classifyApiError(new ApiError(404, 'NotFound', 'x')), 'notFound');
  for (const code of [400, 403, 405, 413, 415, 422]) assert.equal(classifyApiError(new ApiError(code, 'x', 'x')), 'permanent', String(code));
  for (const code of [401, 408, 409, 429, 500, 503, 504]) assert.equal(classifyApiError(new ApiError(code, 'x', 'x')), 'retry', String(code));
  assert.equal(classifyApiError(new Error('connect ECONNREFUSED')), 'retry');
});
