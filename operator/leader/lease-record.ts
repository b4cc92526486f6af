// The pure half of Lease-based leader election (client-go's tryAcquireOrRenew): whether we may take
// or keep the lease, and the record we write. Expiry is judged by our own clock from when we last
// saw the record change, never by comparing the holder's timestamps with our clock.
import { microTime } from '../../kube/kube-api.js';

export interface LeaseRecord {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Observation {
  record: LeaseRecord;
  /** Our clock (ms) when we last saw the record change. */
  observedAt: number;
}

export type Verdict = 'renew' | 'acquire' | 'held';

export function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    (a.holderIdentity ?? '') === (b.holderIdentity ?? '') &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    (a.leaseTransitions ?? 0) === (b.leaseTransitions ?? 0)
  );
}

/** Folds a freshly read record into what we observed: the time moves only when it changed. */
export function observe(previous: Observation | undefined, record: LeaseRecord, now: number): Observation {
  return previous && sameRecord(previous.record, record) ? previous : { record, observedAt: now };
}

export function verdict(observation: Observation, identity: string, now: number): Verdict {
  const holder = observation.record.holderIdentity ?? '';
  if (holder === identity) return 'renew';
  const durationMs = (observation.record.leaseDurationSeconds ?? 0) * 1000;
  if (holder !== '' && observation.observedAt + durationMs > now) return 'held';
  return 'acquire';
}

export function nextRecord(current: LeaseRecord | undefined, identity: string, durationSeconds: number, now: Date): LeaseRecord {
  const time = microTime(now.getTime());
  const ours = current?.holderIdentity === identity;
  return {
    holderIdentity: identity,
    leaseDurationSeconds: durationSeconds,
    acquireTime: ours && current?.acquireTime ? current.acquireTime : time,
    renewTime: time,
    leaseTransitions: ours ? (current?.leaseTransitions ?? 0) : current ? (current.leaseTransitions ?? 0) + 1 : 0,
  };
}

/** What a leader writes when it steps down, so a follower can take over at once. */
export function releasedRecord(current: LeaseRecord, now: Date): LeaseRecord {
  const time = microTime(now.getTime());
  return { ...current, holderIdentity: '', leaseDurationSeconds: 1, renewTime: time, acquireTime: time };
}
