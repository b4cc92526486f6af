import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProcessStatus } from '../../crds/corepod-schema.js';
import { FakeClock } from '../../lib/fake-clock.js';
import type { ProcessStateEvent, SupervisorEvent } from '../event-hub.js';
import { AlertBook, alertOf, commentBody, issueBody, issueTitle, markerOf, type Alert } from './alert-policy.js';

const time = '2026-01-01T00:00:00.000Z';
const target = { namespace: 'shop', corePod: 'dreamscape', pod: 'dreamscape-7d9-abcde' };
const status = (fields: Partial<ProcessStatus> = {}): ProcessStatus => ({ name: 'auth-service', state: 'RUNNING', restarts: 0, since: time, ...fields });
const state = (from: ProcessStateEvent['from'], to: ProcessStateEvent['to'], fields: Partial<ProcessStateEvent> = {}): SupervisorEvent => ({
  type: 'process-state',
  time,
  program: 'auth-service',
  from,
  to,
  restarts: 0,
  status: status({ state: to }),
  ...fields,
});
const fact = (alert: Alert | undefined, name: string) => alert?.facts.find(([k]) => k === name)?.[1];

test('FATAL, an unexpected exit, a program over its memory limit and critical container memory are alerts', () => {
  const fatal = alertOf(state('BACKOFF', 'FATAL', { reason: 'exited too quickly', restarts: 3, status: status({ state: 'FATAL', lastExitCode: 1 }) }));
  assert.equal(fatal?.kind, 'fatal');
  assert.equal(issueTitle(target, fatal!), '[corepod] shop/dreamscape: auth-service is FATAL');
  assert.deepEqual([fact(fatal, 'exit code'), fact(fatal, 'restarts'), fact(fatal, 'reason')], ['1', '3', 'exited too quickly']);

  const crash = alertOf(state('RUNNING', 'EXITED', { expected: false, exitCode: null, signal: 'KILL', restarts: 2 }));
  assert.deepEqual([crash?.kind, fact(crash, 'signal'), fact(crash, 'restarts'), fact(crash, 'exit code')], ['crash', 'SIGKILL', '2', undefined]);

  const memory = alertOf({
    type: 'program-memory',
    time,
    program: 'user-service',
    status: status(),
    over: true,
    bytes: 300 * 1024 * 1024,
    limitBytes: 256 * 1024 * 1024,
    action: 'restart',
  });
  assert.deepEqual([memory?.kind, memory?.program, fact(memory, 'memory (process tree RSS)'), fact(memory, 'limit')], ['memory', 'user-service', '300 MiB', '256 MiB']);

  const container = alertOf({
    type: 'container-memory',
    time,
    level: 'critical',
    previous: 'warning',
    workingSetBytes: 950 * 1024 * 1024,
    limitBytes: 1024 * 1024 * 1024,
    percent: 92.7,
    warningPercent: 80,
    criticalPercent: 90,
    action: 'restart',
    restarted: 'user-service',
  });
  assert.deepEqual(
    [container?.kind, container?.program, fact(container, 'percent of limit'), fact(container, 'restarted')],
    ['container-memory', undefined, '93% (critical at 90%)', 'user-service'],
  );
});

test('expected exits, recoveries, warnings and routine transitions are not alerts', () => {
  const quiet: SupervisorEvent[] = [
    state('RUNNING', 'EXITED', { expected: true, exitCode: 0 }),
    state('STARTING', 'RUNNING'),
    state('STOPPING', 'STOPPED'),
    { type: 'program-memory', time, program: 'auth-service', status: status(), over: false, bytes: 1, limitBytes: 2, action: 'alert' },
    { type: 'container-memory', time, level: 'warning', previous: 'ok', workingSetBytes: 1, limitBytes: 2, percent: 85, warningPercent: 80, criticalPercent: 90, action: 'alert' },
    {
      type: 'container-memory',
      time,
      level: 'critical',
      previous: 'critical',
      workingSetBytes: 1,
      limitBytes: 2,
      percent: 95,
      warningPercent: 80,
      criticalPercent: 90,
      action: 'alert',
    },
    { type: 'health', time, program: 'auth-service', status: status(), healthy: false, failures: 3 },
    { type: 'supervisor', time, state: 'stopped', exitCode: 0 },
  ];
  for (const event of quiet) assert.equal(alertOf(event), undefined, JSON.stringify(event));
});

test('the marker is stable per (CorePod, program, kind) and sits in the issue body', () => {
  const a = alertOf(state('BACKOFF', 'FATAL'))!;
  const b = alertOf(state('BACKOFF', 'FATAL', { restarts: 9, time: '2026-02-02T00:00:00.000Z' }))!;
  const crash = alertOf(state('RUNNING', 'EXITED', { expected: false, exitCode: 1 }))!;
  assert.equal(markerOf(target, a), markerOf(target, b));
  assert.notEqual(markerOf(target, a), markerOf(target, crash));
  assert.notEqual(markerOf(target, a), markerOf({ ...target, corePod: 'other' }, a));
  assert.ok(issueBody(target, a).includes(markerOf(target, a)));
  assert.ok(issueBody(target, a).includes('dreamscape-7d9-abcde'));
});

test('the first occurrence goes out at once; repeats wait for the interval and go out as one counted send', () => {
  const clock = new FakeClock(1_000);
  const book = new AlertBook(clock, 60_000);
  const crash = (n: number) => alertOf(state('RUNNING', 'EXITED', { expected: false, exitCode: 1, restarts: n, time: `t${n}` }))!;

  const first = book.note(crash(0));
  assert.deepEqual([first?.count, first?.first], [1, true]);
  clock.advance(10_000);
  assert.equal(book.note(crash(1)), undefined);
  clock.advance(10_000);
  assert.equal(book.note(crash(2)), undefined);
  assert.equal(book.nextDue(), 61_000);
  assert.deepEqual(book.due(), []);
  clock.advance(40_000);
  const [repeat, ...rest] = book.due();
  assert.deepEqual(rest, []);
  assert.deepEqual([repeat?.count, repeat?.firstTime, repeat?.alert.time, repeat?.first], [2, 't1', 't2', false]);
  assert.match(commentBody(target, repeat!), /2 more times since the last update \(first at t1\)/);
  assert.equal(book.nextDue(), undefined);
  // Long after the last send, a repeat goes out at once.
  clock.advance(120_000);
  assert.equal(book.note(crash(3))?.count, 1);
  // Other programs and kinds have their own interval.
  assert.equal(book.note(alertOf(state('BACKOFF', 'FATAL'))!)?.first, true);
});

test('a crash loop of a thousand exits becomes a send per interval, never one per exit', () => {
  const clock = new FakeClock(0);
  const book = new AlertBook(clock, 5 * 60_000);
  let sends = 0;
  let counted = 0;
  for (let i = 0; i < 1000; i += 1) {
    clock.advance(1_000);
    const send = book.note(alertOf(state('RUNNING', 'EXITED', { expected: false, exitCode: 1, restarts: i }))!);
    for (const s of [send, ...book.due()]) if (s) (sends += 1), (counted += s.count);
  }
  // 1000 s: the first send and one per full 300 s interval after it.
  assert.equal(sends, 4);
  assert.ok(counted <= 1000 && counted >= 1000 - 300, String(counted));
});
