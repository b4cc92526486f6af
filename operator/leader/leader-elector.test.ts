// Leader election on the in-memory apiserver with a fake clock: acquiring, renewing, losing to
// another holder, and releasing on stop.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../lib/fake-clock.js';
import { FakeKubeApi } from '../../kube/fake-kube-api.js';
import { microTime, type KubeObject } from '../../kube/kube-api.js';
import { RESOURCES } from '../../kube/resources.js';
import { LeaderElector } from './leader-elector.js';
import type { LeaseRecord } from './lease-record.js';

const START = Date.UTC(2026, 0, 1, 12, 0, 0);
const at = (ms: number) => microTime(START + ms);
type Lease = KubeObject & { spec?: LeaseRecord };

/** A fake apiserver and clock that electors share. */
function cluster() {
  const clock = new FakeClock(START);
  const api = new FakeKubeApi({ clock });
  const lease = () => api.peek<Lease>(RESOURCES.lease, 'ops', 'corepod-operator');
  /** Moves the clock in steps (the retry period by default), letting each attempt finish. */
  const run = async (ms: number, step = 2_000) => {
    for (let done = 0; done < ms; done += step) {
      clock.advance(Math.min(step, ms - done));
      await api.idle();
    }
  };
  return { clock, api, lease, run };
}

/** An elector with what it called back; stopped after the test. */
function elector(t: TestContext, { api, clock }: ReturnType<typeof cluster>, identity: string) {
  const calls: string[] = [];
  const leader = new LeaderElector(api, {
    namespace: 'ops',
    name: 'corepod-operator',
    identity,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    clock,
    onStartedLeading: () => calls.push('started'),
    onStoppedLeading: () => calls.push('stopped'),
    onLeaderChange: (who) => calls.push(`leader ${who}`),
    onError: (error) => calls.push(`error ${error.message}`),
  });
  t.after(() => leader.stop());
  return { leader, calls };
}

test('the first elector creates the Lease and leads; each retry period it renews (renewTime only)', { timeout: 10_000 }, async (t) => {
  const c = cluster();
  const a = elector(t, c, 'a');
  a.leader.start();
  await c.api.idle();
  assert.equal(a.leader.isLeader, true);
  assert.deepEqual(a.calls, ['leader a', 'started']);
  const acquired = c.lease()!.spec!;
  assert.deepEqual(acquired, { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: at(0), renewTime: at(0), leaseTransitions: 0 });
  await c.run(2_000);
  assert.deepEqual(c.lease()!.spec, { ...acquired, renewTime: at(2_000) });
  await c.run(4_000);
  assert.equal(c.lease()!.spec!.renewTime, at(6_000));
  assert.deepEqual(a.calls, ['leader a', 'started'], 'no callback while renewing');
});

/** Writes the Lease as another holder would, bypassing any elector. */
async function writeLease(c: ReturnType<typeof cluster>, spec: LeaseRecord): Promise<void> {
  const current = c.lease();
  const body = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'corepod-operator', namespace: 'ops' }, spec };
  if (current) await c.api.replace(RESOURCES.lease, { ...current, spec });
  else await c.api.create(RESOURCES.lease, body);
}

test('a follower waits while another holder renews, and takes over once the lease stays unrenewed for its duration', { timeout: 10_000 }, async (t) => {
  const c = cluster();
  const held = (ms: number): LeaseRecord => ({ holderIdentity: 'x', leaseDurationSeconds: 15, acquireTime: at(0), renewTime: at(ms), leaseTransitions: 4 });
  await writeLease(c, held(0));
  const b = elector(t, c, 'b');
  b.leader.start();
  await c.api.idle();
  for (let ms = 2_000; ms <= 30_000; ms += 2_000) {
    await c.run(2_000);
    await writeLease(c, held(ms));
  }
  assert.equal(b.leader.isLeader, false, 'x renewed every 2 s');
  assert.deepEqual(b.calls, ['leader x']);

  // x is gone: b judges expiry by its own clock from when it last saw the record change.
  await c.run(14_000);
  assert.equal(b.leader.isLeader, false, 'not before leaseDuration has passed');
  await c.run(6_000);
  assert.equal(b.leader.isLeader, true);
  assert.deepEqual(b.calls, ['leader x', 'leader b', 'started']);
  const spec = c.lease()!.spec!;
  assert.deepEqual([spec.holderIdentity, spec.leaseTransitions], ['b', 5]);
  assert.ok(spec.acquireTime! >= at(45_000) && spec.acquireTime! <= at(50_000), `acquired 15-20 s after the last renewal at 30 s: ${spec.acquireTime}`);
});

test('a leader rides out failed renewals within renewDeadline, and steps down when another holder has the lease', { timeout: 10_000 }, async (t) => {
  const c = cluster();
  const a = elector(t, c, 'a');
  a.leader.start();
  await c.api.idle();
  assert.equal(a.leader.isLeader, true);

  // Three renewals (at 2, 4 and 6 s) conflict; the one at 8 s succeeds: still the leader, nothing reported.
  c.api.failNext('replace', 409, { type: RESOURCES.lease, times: 3 });
  await c.run(8_000);
  assert.equal(a.leader.isLeader, true);
  assert.equal(c.lease()!.spec!.renewTime, at(8_000));
  assert.deepEqual(a.calls, ['leader a', 'started']);

  // Someone else holds the lease now: a stops renewing it, and steps down once renewDeadline
  // (10 s) has passed since its last renewal at 8 s.
  await writeLease(c, { holderIdentity: 'x', leaseDurationSeconds: 15, acquireTime: at(8_000), renewTime: at(8_000), leaseTransitions: 1 });
  await c.run(10_000);
  assert.equal(a.leader.isLeader, true, 'at 18 s: 10 s since the last renewal, not more');
  await c.run(2_000);
  assert.equal(a.leader.isLeader, false);
  assert.deepEqual(a.calls, ['leader a', 'started', 'leader x', 'stopped']);
  assert.equal(c.lease()!.spec!.holderIdentity, 'x', 'the other holder was never overwritten');
  await c.run(20_000);
  assert.equal(a.calls.filter((call) => call === 'stopped').length, 1, 'onStoppedLeading once');
});

test('stop releases the lease, and a follower takes over at its next attempt', { timeout: 10_000 }, async (t) => {
  const c = cluster();
  const a = elector(t, c, 'a');
  a.leader.start();
  await c.api.idle();
  const b = elector(t, c, 'b');
  b.leader.start();
  await c.run(4_000);
  assert.equal(b.leader.isLeader, false);

  await a.leader.stop();
  assert.equal(a.leader.isLeader, false);
  const released = c.lease()!.spec!;
  assert.deepEqual([released.holderIdentity, released.leaseDurationSeconds, released.renewTime], ['', 1, at(4_000)]);
  assert.deepEqual(a.calls, ['leader a', 'started'], 'a requested stop is not a loss of leadership');

  await c.run(2_400, 400);
  assert.equal(b.leader.isLeader, true, 'within one retry period (with its jitter)');
  assert.deepEqual([c.lease()!.spec!.holderIdentity, c.lease()!.spec!.leaseTransitions], ['b', 1]);
});
