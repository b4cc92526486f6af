import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProcessStatus } from '../../crds/corepod-schema.js';
import type { ProcessStateEvent, SupervisorEvent } from '../event-hub.js';
import { EventTranslator, formatBytes } from './event-intents.js';
import { eventName, eventObject } from '../../kube/events/event-object.js';

const time = '2026-01-01T00:00:00.000Z';
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
const one = (t: EventTranslator, e: SupervisorEvent) => {
  const out = t.translate(e);
  assert.equal(out.length, 1, JSON.stringify(out));
  return out[0]!;
};

test('an unexpected exit is a Warning ProcessExited naming the program and the signal or code', () => {
  const t = new EventTranslator();
  const killed = one(t, state('RUNNING', 'EXITED', { signal: 'SIGKILL', exitCode: null, expected: false, status: status({ state: 'STARTING' }) }));
  assert.deepEqual([killed.type, killed.reason, killed.note], ['Warning', 'ProcessExited', 'auth-service was killed by signal SIGKILL']);
  const code = one(t, state('RUNNING', 'EXITED', { exitCode: 3, signal: null, expected: false }));
  assert.equal(code.note, 'auth-service exited with code 3');
  assert.notEqual(code.key, killed.key);
  const expected = one(t, state('RUNNING', 'EXITED', { exitCode: 0, signal: null, expected: true }));
  assert.deepEqual([expected.type, expected.note], ['Normal', 'auth-service exited with code 0 (expected)']);
});

test('the same exit again has the same key (one series)', () => {
  const t = new EventTranslator();
  const a = one(t, state('RUNNING', 'EXITED', { exitCode: 1, signal: null, expected: false }));
  const b = one(t, state('RUNNING', 'EXITED', { exitCode: 1, signal: null, expected: false }));
  assert.equal(a.key, b.key);
});

test('an exit before startSeconds takes the code from the status; a spawn failure is ProcessStartFailed', () => {
  const t = new EventTranslator();
  const early = one(t, state('STARTING', 'BACKOFF', { reason: 'exited too quickly', status: status({ state: 'BACKOFF', lastExitCode: 2 }) }));
  assert.deepEqual([early.reason, early.note], ['ProcessExited', 'auth-service exited with code 2 before startSeconds passed']);
  const spawn = one(t, state('STARTING', 'BACKOFF', { reason: 'spawn failed: ENOENT: no such file', status: status({ state: 'BACKOFF' }) }));
  assert.deepEqual([spawn.type, spawn.reason], ['Warning', 'ProcessStartFailed']);
  assert.match(spawn.note, /^auth-service could not be started: spawn failed: ENOENT/);
});

test('restarts are Normal ProcessRestarted with the cause; retries of every number share one series; the first start is silent', () => {
  const t = new EventTranslator();
  assert.deepEqual(t.translate(state('STOPPED', 'STARTING', { reason: 'start' })), []);
  const auto = one(t, state('EXITED', 'STARTING', { reason: 'autorestart', restarts: 1 }));
  assert.deepEqual([auto.type, auto.reason, auto.note], ['Normal', 'ProcessRestarted', 'auth-service restarted (autorestart)']);
  const r1 = one(t, state('BACKOFF', 'STARTING', { reason: 'retry 1' }));
  const r2 = one(t, state('BACKOFF', 'STARTING', { reason: 'retry 2' }));
  assert.equal(r1.key, r2.key);
  assert.equal(one(t, state('STOPPED', 'STARTING', { reason: 'restart after memory over limit' })).note, 'auth-service restarted (restart after memory over limit)');
});

test('FATAL is a Warning ProcessFatal with the reason', () => {
  const e = one(new EventTranslator(), state('BACKOFF', 'FATAL', { reason: 'too many start retries too quickly' }));
  assert.deepEqual([e.type, e.reason], ['Warning', 'ProcessFatal']);
  assert.match(e.note, /^auth-service is FATAL: too many start retries too quickly/);
});

test('a stop is ProcessStopped, unless it is the first half of a restart', () => {
  const t = new EventTranslator();
  const stop = one(t, state('STOPPING', 'STOPPED', { exitCode: 0, signal: null, status: status({ state: 'STOPPED' }) }));
  assert.deepEqual([stop.type, stop.reason, stop.note], ['Normal', 'ProcessStopped', 'auth-service stopped: exited with code 0']);
  assert.deepEqual(t.translate(state('STOPPING', 'STOPPED', { exitCode: 0, signal: null, status: status({ state: 'STARTING' }) })), []);
  assert.equal(one(t, state('BACKOFF', 'STOPPED', { status: status({ state: 'STOPPED' }) })).note, 'auth-service stopped while BACKOFF');
});

test('health: a failure is a Warning; the next pass is HealthCheckRecovered once; a first pass is silent', () => {
  const t = new EventTranslator();
  const health = (healthy: boolean, failures = 0): SupervisorEvent => ({
    type: 'health',
    time,
    program: 'auth-service',
    status: status(),
    healthy,
    failures,
    message: healthy ? 'HTTP 200' : 'HTTP 503',
  });
  assert.deepEqual(t.translate(health(true)), []);
  const failed = one(t, health(false, 3));
  assert.deepEqual([failed.type, failed.reason, failed.note], ['Warning', 'HealthCheckFailed', 'auth-service failed its health check 3 times in a row: HTTP 503']);
  const recovered = one(t, health(true));
  assert.deepEqual([recovered.type, recovered.reason, recovered.note], ['Normal', 'HealthCheckRecovered', 'auth-service passes its health check again']);
  assert.deepEqual(t.translate(health(true)), []);
});

test('program memory over its limit is MemoryPressure with the figures and the action; back under is silent', () => {
  const t = new EventTranslator();
  const mem = (over: boolean, bytes: number, action: 'alert' | 'restart'): SupervisorEvent => ({
    type: 'program-memory',
    time,
    program: 'user-service',
    status: status({ name: 'user-service' }),
    over,
    bytes,
    limitBytes: 64 * 1024 * 1024,
    action,
  });
  const e = one(t, mem(true, 80 * 1024 * 1024, 'restart'));
  assert.deepEqual([e.type, e.reason, e.action, e.program], ['Warning', 'MemoryPressure', 'Restart', 'user-service']);
  assert.equal(e.note, 'user-service uses 80.0 MiB (process tree RSS), over its limit of 64.0 MiB; action: restart');
  assert.equal(one(t, mem(true, 90 * 1024 * 1024, 'restart')).key, e.key, 'repeats with other figures join the series');
  assert.deepEqual(t.translate(mem(false, 10, 'restart')), []);
});

test('container memory going up a level is MemoryPressure with percent, figures and thresholds', () => {
  const t = new EventTranslator();
  const c = (level: 'ok' | 'warning' | 'critical', previous: 'ok' | 'warning' | 'critical', restarted?: string): SupervisorEvent => ({
    type: 'container-memory',
    time,
    level,
    previous,
    workingSetBytes: 460 * 1024 * 1024,
    limitBytes: 512 * 1024 * 1024,
    percent: 89.8,
    warningPercent: 85,
    criticalPercent: 95,
    action: 'restart',
    ...(restarted ? { restarted } : {}),
  });
  const warning = one(t, c('warning', 'ok'));
  assert.equal(warning.note, 'container memory warning: 90% of its limit (460 MiB of 512 MiB; warning at 85%, critical at 95%); action: alert only');
  const critical = one(t, c('critical', 'warning', 'user-service'));
  assert.match(critical.note, /^container memory critical: .*action: restart; restarted user-service/);
  assert.equal(critical.action, 'Restart');
  assert.deepEqual(t.translate(c('warning', 'critical')), []);
  assert.deepEqual(t.translate(c('ok', 'warning')), []);
});

test('SIGKILL after stopWaitSeconds is ProcessKilled; supervisor events make none', () => {
  const t = new EventTranslator();
  const e = one(t, { type: 'sigkill', time, program: 'nginx', status: status({ name: 'nginx' }), pid: 7, reason: 'still running 10s after TERM' });
  assert.deepEqual([e.type, e.reason, e.note], ['Warning', 'ProcessKilled', 'nginx did not stop (still running 10s after TERM); sent SIGKILL to its process group']);
  assert.deepEqual(t.translate({ type: 'supervisor', time, state: 'stopping' }), []);
});

test('a crash backoff after a short run makes no Event of its own: the EXITED before it reported the exit', () => {
  const t = new EventTranslator();
  assert.deepEqual(t.translate(state('EXITED', 'BACKOFF', { reason: 'autorestart in 2s (backoff)', status: status({ state: 'BACKOFF', lastExitCode: 1 }) })), []);
  assert.equal(one(t, state('BACKOFF', 'STARTING', { reason: 'autorestart after backoff', restarts: 2 })).note, 'auth-service restarted (autorestart after backoff)');
});

test('a failed dependency is a Warning DependencyFailed naming the waiting program, the dependency and its condition', () => {
  const t = new EventTranslator();
  const e = one(t, {
    type: 'dependency-failed',
    time,
    program: 'web',
    status: status({ name: 'web', state: 'STOPPED' }),
    dependency: 'migrate',
    condition: 'CompletedSuccessfully',
    reason: 'it exited with 1, not an exit code in its exitCodes',
  });
  assert.deepEqual(
    [e.type, e.reason, e.action, e.program, e.note],
    ['Warning', 'DependencyFailed', 'Wait', 'web', 'web keeps waiting: migrate cannot become CompletedSuccessfully (it exited with 1, not an exit code in its exitCodes)'],
  );
});

test("a failed hook is a Warning FailedPostStartHook or FailedPreStopHook (the kubelet's reasons); a hook that succeeded makes none", () => {
  const t = new EventTranslator();
  const hook = (name: 'postStart' | 'preStop', ok: boolean) =>
    t.translate({ type: 'hook', time, program: 'db', status: status({ name: 'db' }), hook: name, ok, ms: 10, ...(ok ? {} : { message: 'exit 3' }) });
  assert.deepEqual(hook('postStart', true), []);
  const post = hook('postStart', false)[0]!;
  assert.deepEqual([post.type, post.reason, post.action, post.note], ['Warning', 'FailedPostStartHook', 'Hook', 'db: postStart hook failed: exit 3']);
  assert.equal(hook('preStop', false)[0]!.reason, 'FailedPreStopHook');
});

test('a scheduled program: its state changes make no Events; a failed run is a Warning ScheduledRunFailed, a skipped one none', () => {
  const t = new EventTranslator();
  assert.deepEqual(t.translate(state('RUNNING', 'EXITED', { exitCode: 1, signal: null, expected: false, scheduled: true })), []);
  assert.deepEqual(t.translate(state('STOPPED', 'STARTING', { reason: 'start', scheduled: true })), []);
  const run = (result: 'Failed' | 'Skipped') =>
    t.translate({ type: 'scheduled-run', time, program: 'backup', status: status({ name: 'backup' }), result, due: '2026-12-03T02:00:00.000Z', reason: 'exited with 1' });
  assert.deepEqual(run('Skipped'), []);
  const failed = run('Failed')[0]!;
  assert.deepEqual([failed.type, failed.reason, failed.note], ['Warning', 'ScheduledRunFailed', 'backup: the run due at 2026-12-03T02:00:00.000Z failed: exited with 1']);
});

test('formatBytes', () => {
  assert.equal(formatBytes(1.5 * 1024 * 1024), '1.5 MiB');
  assert.equal(formatBytes(300 * 1024 * 1024), '300 MiB');
  assert.equal(formatBytes(3 * 1024 * 1024 * 1024), '3.00 GiB');
});

test('an instance is named as the supervisor names it (worker:01) in the Event, whose object name stays the CorePod’s', () => {
  const t = new EventTranslator();
  const instance = one(t, state('RUNNING', 'EXITED', { program: 'worker:01', exitCode: 3, signal: null, expected: false, status: status({ name: 'worker:01', state: 'EXITED' }) }));
  assert.deepEqual([instance.program, instance.note], ['worker:01', 'worker:01 exited with code 3']);
  const other = one(t, state('RUNNING', 'EXITED', { program: 'worker:02', exitCode: 3, signal: null, expected: false, status: status({ name: 'worker:02', state: 'EXITED' }) }));
  assert.notEqual(instance.key, other.key, 'each instance has its own Event series');
  const object = eventObject({
    intent: instance,
    regarding: { apiVersion: 'dreamscape.io/v1alpha1', kind: 'CorePod', name: 'app', namespace: 'ns' },
    reporter: { reportingController: 'c', reportingInstance: 'pod-1' },
    name: eventName('app', 'abc123'),
    eventTime: 0,
  });
  assert.match((object.metadata as { name: string }).name, /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a DNS subdomain: the instance name is in the note only');
});
