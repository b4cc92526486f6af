import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextRecord, observe, releasedRecord, verdict, type LeaseRecord } from './lease-record.js';

const held = (holder: string, seconds = 15): LeaseRecord => ({ holderIdentity: holder, leaseDurationSeconds: seconds, renewTime: 'r1', acquireTime: 'a1', leaseTransitions: 2 });

test('a lease held by someone else is respected until it has not changed for its duration', () => {
  let obs = observe(undefined, held('b'), 1000);
  assert.equal(verdict(obs, 'a', 1000), 'held');
  assert.equal(verdict(obs, 'a', 15_999), 'held');
  obs = observe(obs, held('b'), 15_000); // unchanged record: the observation time stays
  assert.equal(verdict(obs, 'a', 16_001), 'acquire');
});

test('a renewal by the holder restarts the wait, judged by our clock only', () => {
  let obs = observe(undefined, held('b'), 0);
  obs = observe(obs, { ...held('b'), renewTime: 'r2' }, 14_000);
  assert.equal(obs.observedAt, 14_000);
  assert.equal(verdict(obs, 'a', 20_000), 'held');
  assert.equal(verdict(obs, 'a', 29_001), 'acquire');
});

test('our own lease is renewed; a released (empty holder) lease is free at once', () => {
  assert.equal(verdict(observe(undefined, held('a'), 0), 'a', 0), 'renew');
  assert.equal(verdict(observe(undefined, { ...held(''), leaseDurationSeconds: 1 }, 0), 'a', 0), 'acquire');
});

test('records: renewing keeps acquireTime and transitions; taking over counts a transition', () => {
  const now = new Date('2026-01-01T00:00:00.123Z');
  assert.deepEqual(nextRecord(held('a'), 'a', 15, now), {
    holderIdentity: 'a',
    leaseDurationSeconds: 15,
    acquireTime: 'a1',
    renewTime: '2026-01-01T00:00:00.123000Z',
    leaseTransitions: 2,
  });
  assert.equal(nextRecord(held('b'), 'a', 15, now).leaseTransitions, 3);
  assert.equal(nextRecord(held('b'), 'a', 15, now).acquireTime, '2026-01-01T00:00:00.123000Z');
  assert.equal(nextRecord(undefined, 'a', 15, now).leaseTransitions, 0);
  const released = releasedRecord(held('a'), now);
  assert.equal(released.holderIdentity, '');
  assert.equal(released.leaseDurationSeconds, 1);
});
