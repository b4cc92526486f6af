import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  convergence,
  convergenceViolations,
  crashInLine,
  duplicateOwned,
  eventRate,
  logContinuity,
  memoryBound,
  quantile,
  recoveries,
  StatusEntryCheck,
  violationsByInvariant,
  ZombieCheck,
  type CorePodSample,
} from './invariants.js';

const expected = { web: { ready: '3/3', phase: 'Running' }, loop: { ready: '1/2', phase: 'Degraded' } };
const s = (at: number, name: string, ready: string, phase: string, observed = true): CorePodSample => ({ at, name, ready, phase, observed });

test('convergence: the time from the last fault until a CorePod matched and kept matching', () => {
  const samples = [
    s(900, 'web', '3/3', 'Running'), // before the fault's end: not counted
    s(1000, 'web', '1/3', 'Starting'),
    s(2000, 'web', '3/3', 'Running'),
    s(3000, 'web', '2/3', 'Starting'), // flapped: settling starts again
    s(4000, 'web', '3/3', 'Running'),
    s(5000, 'web', '3/3', 'Running'),
    s(1000, 'loop', '1/2', 'Degraded'),
    s(5000, 'loop', '1/2', 'Degraded'),
  ];
  const results = convergence(samples, expected, 1000);
  assert.deepEqual(
    results.map((r) => [r.name, r.ms]),
    [
      ['web', 3000],
      ['loop', 0],
    ],
  );
  assert.deepEqual(convergenceViolations(results, expected, 5000, 9), []);
  const late = convergenceViolations(results, expected, 2000, 9);
  assert.equal(late.length, 1);
  assert.match(late[0]!.detail, /web: settled 3000 ms after the last fault, over the 2000 ms bound/);
});

test('convergence: a CorePod still off at the end, or whose generation is not observed, never settled', () => {
  const samples = [s(1000, 'web', '3/3', 'Running'), s(2000, 'web', '2/3', 'Starting'), s(1000, 'loop', '1/2', 'Degraded', false)];
  const v = convergenceViolations(convergence(samples, expected, 0), expected, 60_000, 9);
  assert.deepEqual(
    v.map((x) => x.detail),
    [
      'web: never settled at READY 3/3 PHASE Running after the last fault; last seen READY 2/3 PHASE Starting',
      'loop: never settled at READY 1/2 PHASE Degraded after the last fault; last seen READY 1/2 PHASE Degraded (generation not observed)',
    ],
  );
  assert.match(convergenceViolations(convergence([], expected, 0), expected, 1, 0)[0]!.detail, /last seen no sample/);
});

test('recoveries: per fault, only CorePods knocked off, censored when the next fault comes first', () => {
  const samples = [
    s(0, 'web', '3/3', 'Running'),
    s(100, 'web', '2/3', 'Starting'),
    s(400, 'web', '3/3', 'Running'),
    s(0, 'loop', '1/2', 'Degraded'),
    s(100, 'loop', '1/2', 'Degraded'),
    s(1100, 'loop', '0/2', 'Starting'),
    s(1500, 'web', '3/3', 'Running'),
    s(2100, 'loop', '1/2', 'Degraded'),
  ];
  const r = recoveries(samples, expected, [
    { start: 50, end: 150 }, // web off at 100, back at 400 → 250 ms; loop unaffected
    { start: 1000, end: 1050 }, // loop off at 1100, next fault at 2000 first → censored
    { start: 2000, end: 2000 }, // loop already back at 2100 and never off in this window → unaffected
  ]);
  assert.deepEqual(r, { ms: [250], censored: 1 });
});

test('quantile by nearest rank', () => {
  assert.equal(quantile([], 0.5), undefined);
  assert.equal(quantile([5], 0.99), 5);
  assert.equal(quantile([4, 1, 3, 2], 0.5), 2);
  assert.equal(
    quantile(
      Array.from({ length: 100 }, (_, i) => i + 1),
      0.99,
    ),
    99,
  );
});

test('duplicate owned objects: two of a kind owned by one CorePod; one each is fine', () => {
  const corePods = [{ name: 'web', uid: 'u1' }];
  const one = [
    { kind: 'Deployment', name: 'web', ownerUids: ['u1'] },
    { kind: 'Service', name: 'web', ownerUids: ['u1'] },
    { kind: 'Deployment', name: 'web', ownerUids: ['u-old'] },
  ];
  assert.deepEqual(duplicateOwned(5, corePods, one), []);
  const two = [...one, { kind: 'Deployment', name: 'web-2', ownerUids: ['u1'] }];
  assert.deepEqual(duplicateOwned(5, corePods, two), [{ at: 5, invariant: 'duplicate-owned-objects', detail: 'web: 2 Deployments owned by u1: web, web-2' }]);
});

test('Event objects per CorePod per minute: within the bound, and over it with the reasons', () => {
  const ev = (uid: string, createdAt: number, regarding = 'web', reason = 'ProcessExited') => ({ uid, createdAt, regarding, reason });
  const events = [ev('a', 0), ev('b', 10_000), ev('b', 10_000), ev('c', 61_000), ev('d', 1_000, 'loop')];
  assert.deepEqual(eventRate(events, 2), { worst: 2, violations: [] });
  const burst = [...events, ev('e', 20_000, 'web', 'ProcessFatal'), ev('f', 30_000)];
  const r = eventRate(burst, 2);
  assert.equal(r.worst, 4);
  assert.deepEqual(
    r.violations.map((v) => v.detail),
    ['web: 4 Event objects in minute 0 (bound 2): ProcessExited 3, ProcessFatal 1'],
  );
});

test('status entries: a gone pod may linger for the grace period, not longer; reported once', () => {
  const check = new StatusEntryCheck(10_000);
  assert.deepEqual(check.observe({ at: 0, corePod: 'web', entries: ['p1'], pods: ['p1'] }), []);
  assert.deepEqual(check.observe({ at: 1000, corePod: 'web', entries: ['p1', 'p2'], pods: ['p2'] }), []);
  assert.deepEqual(check.observe({ at: 11_000, corePod: 'web', entries: ['p1', 'p2'], pods: ['p2'] }), []);
  const v = check.observe({ at: 11_001, corePod: 'web', entries: ['p1', 'p2'], pods: ['p2'] });
  assert.deepEqual(
    v.map((x) => x.detail),
    ['web: status.pods has p1, a pod gone for 10001 ms (grace 10000 ms)'],
  );
  assert.deepEqual(check.observe({ at: 20_000, corePod: 'web', entries: ['p1', 'p2'], pods: ['p2'] }), []);
  // An entry removed in time is forgotten: the same name coming back starts a new grace period.
  const fresh = new StatusEntryCheck(10_000);
  fresh.observe({ at: 0, corePod: 'web', entries: ['p1'], pods: [] });
  fresh.observe({ at: 5000, corePod: 'web', entries: [], pods: [] });
  assert.deepEqual(fresh.observe({ at: 12_000, corePod: 'web', entries: ['p1'], pods: [] }), []);
});

test('zombies: a zombie that stays one for minAge is reported once; a reaped one never', () => {
  const check = new ZombieCheck(5000);
  const tini = { pid: 1, ppid: 0, state: 'S', comm: 'tini', startTime: 1 };
  const z = { pid: 40, ppid: 1, state: 'Z', comm: 'sleep', startTime: 9 };
  assert.deepEqual(check.observe(0, 'pod', [tini, z]), []);
  assert.deepEqual(check.observe(1000, 'pod', [tini]), []); // reaped in time
  assert.deepEqual(check.observe(2000, 'pod', [tini, z]), []); // seen again: a new first sighting
  assert.deepEqual(check.observe(6999, 'pod', [tini, z]), []);
  const v = check.observe(7000, 'pod', [tini, z]);
  assert.deepEqual(
    v.map((x) => x.detail),
    ['pod: zombie pid 40 (sleep) for 5000 ms, parent 1 (tini)'],
  );
  assert.deepEqual(check.observe(9000, 'pod', [tini, z]), []);
  // The same pid reused by another process is another process.
  assert.deepEqual(check.observe(9000, 'pod', [tini, { ...z, startTime: 10 }]), []);
});

test('rotated log continuity: whole runs pass; a gap, a late start, a resumed run, a torn line do not', () => {
  const lines = ['a 7', 'a 8', 'a 9', 'b 0', 'b 1', 'c 0'];
  assert.deepEqual(logContinuity(lines), []);
  assert.deepEqual(
    logContinuity(['a 7', 'a 9', 'b 3', 'c 0', 'b 4', 'c 1x', '']).map((p) => `${p.kind}: ${p.detail}`),
    ['gap: run a: 7 then 9', 'late-start: run b begins at 3, not 0', 'out-of-order: run b resumes at 4 after another run', 'malformed: malformed line "c 1x"'],
  );
});

test('operator memory: the peak, and each process over the bound once', () => {
  const mib = 2 ** 20;
  const samples = [
    { at: 0, process: 'op-a', rssBytes: 80 * mib },
    { at: 1, process: 'op-b', rssBytes: 90 * mib },
  ];
  assert.deepEqual(memoryBound(samples, 200 * mib), { peak: 90 * mib, violations: [] });
  const grown = [...samples, { at: 2, process: 'op-a', rssBytes: 300 * mib }, { at: 3, process: 'op-a', rssBytes: 310 * mib }];
  const r = memoryBound(grown, 200 * mib);
  assert.equal(r.peak, 310 * mib);
  assert.deepEqual(
    r.violations.map((v) => v.detail),
    ['op-a: RSS 300.0 MiB over 200 MiB'],
  );
});

test("crash lines: Node's uncaught exception and rejection reports and fatal JSON; not ordinary logs", () => {
  const ok = [
    '{"level":30,"msg":"reconciled"}',
    '{"level":50,"msg":"apply failed","err":{"stack":"Error: connect ECONNREFUSED\\n    at TCPConnectWrap.afterConnect (node:net:1:2)"}}',
    '{"level":50,"msg":"leadership lost; exiting"}',
    'nginx: [warn] something',
    '',
  ];
  for (const line of ok) assert.equal(crashInLine(line), undefined, line);
  const bad = [
    '[UnhandledPromiseRejection: This error originated either by throwing inside of an async function without a catch block]',
    '    at Supervisor.spawn (file:///corepod/sidecar/supervisor.js:120:11)',
    'Node.js v24.11.1',
    'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
    '{"level":60,"msg":"boom"}',
    '{"level":50,"msg":"uncaughtException"}',
  ];
  for (const line of bad) assert.ok(crashInLine(line), line);
});

test('violations are counted under every invariant, 0 where none', () => {
  const counts = violationsByInvariant([
    { at: 0, invariant: 'zombies', detail: '' },
    { at: 1, invariant: 'zombies', detail: '' },
  ]);
  assert.equal(counts.zombies, 2);
  assert.equal(counts.convergence, 0);
  assert.equal(Object.keys(counts).length, 8);
});
