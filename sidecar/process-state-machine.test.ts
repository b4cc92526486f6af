import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProcessStateName } from '../crds/corepod-schema.js';
import {
  EVENT_TYPES,
  TABLE,
  backoffDelayMs,
  initialState,
  isCommand,
  restartsOf,
  transition,
  type Effect,
  type MachineConfig,
  type MachineEvent,
  type MachineEventType,
  type ProgramState,
  type Transition,
} from './process-state-machine.js';

const T0 = 1_000_000;
const PID = 4242;

const config = (over: Partial<MachineConfig> = {}): MachineConfig => ({
  startSeconds: 1,
  startRetries: 3,
  autorestart: true,
  exitCodes: [0],
  backoff: { policy: 'linear', initialSeconds: 1, resetAfterSeconds: 0 },
  restartPreventExitCodes: [],
  exitContainerOnExit: false,
  stopSignal: 'TERM',
  stopWaitSeconds: 10,
  restartBudget: { maxRestarts: 5, windowSeconds: 60 },
  health: { failureThreshold: 3 },
  memory: { limitBytes: 1000, action: 'alert' },
  ...over,
});

/** A program in `state`, spawned once (generation 1, pid PID) unless overridden. */
function at(state: ProcessStateName, over: Partial<ProgramState> = {}): ProgramState {
  const running = state === 'STARTING' || state === 'RUNNING' || state === 'STOPPING';
  return { ...initialState(T0), state, generation: 1, spawns: 1, startedAt: T0, pid: running ? PID : undefined, ...over };
}

const states = (t: Transition): string[] => t.effects.flatMap((fx) => (fx.type === 'emit' && fx.notice.kind === 'state' ? [`${fx.notice.from}>${fx.notice.to}`] : []));
const effectsOf = (t: Transition, type: Effect['type']) => t.effects.filter((fx) => fx.type === type);
const noticeKinds = (t: Transition) => t.effects.flatMap((fx) => (fx.type === 'emit' ? [fx.notice.kind] : []));

function sample(type: MachineEventType, generation = 1): MachineEvent {
  switch (type) {
    case 'start':
      return { type };
    case 'spawned':
      return { type, generation, pid: PID + 1 };
    case 'spawnFailed':
      return { type, generation, error: 'ENOENT' };
    case 'exited':
      return { type, generation, code: 1, signal: null };
    case 'timer':
      return { type, generation, timer: 'start' };
    case 'stop':
      return { type };
    case 'restart':
      return { type, reason: 'admin' };
    case 'shutdown':
      return { type };
    case 'forceKill':
      return { type };
    case 'signal':
      return { type, signal: 'HUP' };
    case 'probe':
      return { type, generation, ok: true };
    case 'memory':
      return { type, generation, bytes: 5000 };
    case 'notify':
      return { type, generation, ready: true };
    case 'hookDone':
      return { type, generation, hook: 'postStart', ok: true };
  }
}

/** Every table cell (state × event) that a test below exercises. */
const covered = new Set<string>();
function cell(state: ProcessStateName, type: MachineEventType, name: string, fn: () => void): void {
  covered.add(`${state}/${type}`);
  test(`${state} × ${type}: ${name}`, fn);
}

// ---------------- STOPPED ----------------

cell('STOPPED', 'start', 'spawns the next generation in STARTING', () => {
  const t = transition(initialState(T0), { type: 'start' }, T0, config());
  assert.equal(t.state.state, 'STARTING');
  assert.equal(t.state.generation, 1);
  assert.equal(t.state.startedAt, T0);
  assert.deepEqual(states(t), ['STOPPED>STARTING']);
  assert.deepEqual(effectsOf(t, 'spawn'), [{ type: 'spawn', generation: 1 }]);
  assert.equal(t.error, undefined);
});

cell('STOPPED', 'start', 'is refused while shutting down', () => {
  const t = transition({ ...initialState(T0), shuttingDown: true }, { type: 'start' }, T0, config());
  assert.equal(t.error, 'SHUTTING_DOWN');
  assert.equal(t.state.state, 'STOPPED');
  assert.deepEqual(t.effects, []);
});

cell('STOPPED', 'stop', 'answers NOT_RUNNING', () => {
  const t = transition(at('STOPPED'), { type: 'stop' }, T0, config());
  assert.equal(t.error, 'NOT_RUNNING');
  assert.deepEqual(t.effects, []);
});

cell('STOPPED', 'restart', 'an admin restart starts it; health and memory restarts are ignored', () => {
  const admin = transition(at('STOPPED'), { type: 'restart', reason: 'admin' }, T0, config());
  assert.deepEqual(states(admin), ['STOPPED>STARTING']);
  for (const reason of ['health', 'memory'] as const) {
    const t = transition(at('STOPPED'), { type: 'restart', reason }, T0, config());
    assert.equal(t.state.state, 'STOPPED');
    assert.deepEqual(t.effects, []);
  }
});

cell('STOPPED', 'shutdown', 'only marks the shutdown', () => {
  const t = transition(at('STOPPED'), { type: 'shutdown' }, T0, config());
  assert.equal(t.state.shuttingDown, true);
  assert.equal(t.state.state, 'STOPPED');
  assert.deepEqual(t.effects, []);
});

cell('STOPPED', 'signal', 'answers NOT_RUNNING', () => {
  const t = transition(at('STOPPED'), { type: 'signal', signal: 'HUP' }, T0, config());
  assert.equal(t.error, 'NOT_RUNNING');
  assert.deepEqual(t.effects, []);
});

// ---------------- STARTING ----------------

cell('STARTING', 'start', 'answers ALREADY_STARTED', () => {
  const t = transition(at('STARTING'), { type: 'start' }, T0, config());
  assert.equal(t.error, 'ALREADY_STARTED');
  assert.deepEqual(t.effects, []);
});

cell('STARTING', 'spawned', 'records the pid and arms the startSeconds timer', () => {
  const t = transition(at('STARTING', { pid: undefined }), { type: 'spawned', generation: 1, pid: 77 }, T0, config({ startSeconds: 4 }));
  assert.equal(t.state.pid, 77);
  assert.equal(t.state.state, 'STARTING');
  assert.deepEqual(t.effects, [{ type: 'setTimer', timer: 'start', ms: 4000, generation: 1 }]);
});

cell('STARTING', 'spawned', 'with startSeconds 0 is RUNNING at once', () => {
  const t = transition(at('STARTING', { pid: undefined, backoff: 2 }), { type: 'spawned', generation: 1, pid: 77 }, T0, config({ startSeconds: 0 }));
  assert.deepEqual(states(t), ['STARTING>RUNNING']);
  assert.equal(t.state.backoff, 0);
});

cell('STARTING', 'spawnFailed', 'goes to BACKOFF with a 1 s delay', () => {
  const t = transition(at('STARTING', { pid: undefined }), { type: 'spawnFailed', generation: 1, error: 'ENOENT' }, T0, config());
  assert.deepEqual(states(t), ['STARTING>BACKOFF']);
  assert.equal(t.state.backoff, 1);
  assert.match(t.state.reason ?? '', /ENOENT/);
  assert.deepEqual(effectsOf(t, 'setTimer'), [{ type: 'setTimer', timer: 'backoff', ms: 1000, generation: 1 }]);
});

cell('STARTING', 'exited', 'before startSeconds: BACKOFF, start timer cancelled, stragglers killed', () => {
  const t = transition(at('STARTING'), { type: 'exited', generation: 1, code: 0, signal: null }, T0 + 500, config());
  assert.deepEqual(states(t), ['STARTING>BACKOFF']);
  assert.equal(t.state.pid, undefined);
  assert.deepEqual(effectsOf(t, 'cancelTimer'), [{ type: 'cancelTimer', timer: 'start' }]);
  assert.deepEqual(effectsOf(t, 'signal'), [{ type: 'signal', pid: PID, signal: 'KILL', group: true }]);
  assert.equal(t.state.lastExit?.code, 0);
});

cell('STARTING', 'exited', 'the failure after startRetries goes BACKOFF then FATAL', () => {
  const t = transition(at('STARTING', { backoff: 3 }), { type: 'exited', generation: 1, code: 1, signal: null }, T0 + 10, config({ startRetries: 3 }));
  assert.deepEqual(states(t), ['STARTING>BACKOFF', 'BACKOFF>FATAL']);
  assert.equal(t.state.backoff, 0);
  assert.equal(effectsOf(t, 'setTimer').length, 0);
  assert.match(t.state.reason ?? '', /too many start retries/);
});

cell('STARTING', 'exited', 'while shutting down goes BACKOFF then STOPPED, no retry', () => {
  const t = transition(at('STARTING', { shuttingDown: true }), { type: 'exited', generation: 1, code: 1, signal: null }, T0 + 10, config());
  assert.deepEqual(states(t), ['STARTING>BACKOFF', 'BACKOFF>STOPPED']);
  assert.equal(effectsOf(t, 'setTimer').length, 0);
});

cell('STARTING', 'exited', 'after startSeconds but before the timer: RUNNING, EXITED, restarted', () => {
  const t = transition(at('STARTING'), { type: 'exited', generation: 1, code: 3, signal: null }, T0 + 1500, config());
  assert.deepEqual(states(t), ['STARTING>RUNNING', 'RUNNING>EXITED', 'EXITED>STARTING']);
  assert.equal(t.state.generation, 2);
});

cell('STARTING', 'exited', 'before startSeconds with exponential backoff: the delay doubles up to maxSeconds', () => {
  const c = config({ startRetries: 10, backoff: { policy: 'exponential', initialSeconds: 2, maxSeconds: 10, resetAfterSeconds: 0 } });
  const third = transition(at('STARTING', { backoff: 2 }), { type: 'exited', generation: 1, code: 1, signal: null }, T0 + 10, c);
  assert.equal(third.state.backoff, 3);
  assert.deepEqual(effectsOf(third, 'setTimer'), [{ type: 'setTimer', timer: 'backoff', ms: 8000, generation: 1 }]);
  const capped = transition(at('STARTING', { backoff: 3 }), { type: 'exited', generation: 1, code: 1, signal: null }, T0 + 10, c);
  assert.deepEqual(effectsOf(capped, 'setTimer'), [{ type: 'setTimer', timer: 'backoff', ms: 10_000, generation: 1 }]);
});

cell('STARTING', 'exited', 'before startSeconds with a code in restartPreventExitCodes: EXITED, no retry', () => {
  const t = transition(at('STARTING'), { type: 'exited', generation: 1, code: 78, signal: null }, T0 + 10, config({ restartPreventExitCodes: [78] }));
  assert.deepEqual(states(t), ['STARTING>EXITED']);
  assert.equal(effectsOf(t, 'setTimer').length, 0);
  assert.equal(effectsOf(t, 'spawn').length, 0);
  assert.match(t.state.reason ?? '', /restartPreventExitCodes/);
  assert.equal(t.state.lastExit?.code, 78);
});

cell('STARTING', 'exited', 'before startSeconds with exitContainerOnExit: EXITED and the container exits with its status', () => {
  const t = transition(at('STARTING'), { type: 'exited', generation: 1, code: 4, signal: null }, T0 + 10, config({ exitContainerOnExit: true }));
  assert.deepEqual(states(t), ['STARTING>EXITED']);
  assert.deepEqual(effectsOf(t, 'exitContainer'), [{ type: 'exitContainer', code: 4, signal: null }]);
  assert.equal(effectsOf(t, 'setTimer').length, 0);
});

cell('STARTING', 'exited', 'before startSeconds with an expected code and autorestart false or "unexpected": completed, EXITED (a oneshot)', () => {
  for (const autorestart of [false, 'unexpected'] as const) {
    const t = transition(at('STARTING', { backoff: 1 }), { type: 'exited', generation: 1, code: 0, signal: null }, T0 + 10, config({ autorestart }));
    assert.deepEqual(states(t), ['STARTING>EXITED']);
    assert.equal(t.state.backoff, 0);
    assert.equal(effectsOf(t, 'setTimer').length, 0);
    const notice = t.effects.find((fx) => fx.type === 'emit');
    assert.ok(notice?.type === 'emit' && notice.notice.kind === 'state' && notice.notice.expected === true);
  }
  const failed = transition(at('STARTING'), { type: 'exited', generation: 1, code: 1, signal: null }, T0 + 10, config({ autorestart: false }));
  assert.deepEqual(states(failed), ['STARTING>BACKOFF'], 'an unexpected code is still a failed start');
});

cell('STARTING', 'timer', 'the start timer makes it RUNNING and resets the backoff', () => {
  const t = transition(at('STARTING', { backoff: 2 }), { type: 'timer', generation: 1, timer: 'start' }, T0 + 1000, config());
  assert.deepEqual(states(t), ['STARTING>RUNNING']);
  assert.equal(t.state.backoff, 0);
});

cell('STARTING', 'timer', 'other timers are ignored', () => {
  const t = transition(at('STARTING'), { type: 'timer', generation: 1, timer: 'kill' }, T0, config());
  assert.equal(t.state.state, 'STARTING');
  assert.deepEqual(t.effects, []);
});

cell('STARTING', 'stop', 'signals the group, arms SIGKILL after stopWaitSeconds', () => {
  const t = transition(at('STARTING'), { type: 'stop' }, T0, config({ stopSignal: 'INT', stopWaitSeconds: 7 }));
  assert.deepEqual(states(t), ['STARTING>STOPPING']);
  assert.deepEqual(
    t.effects.filter((fx) => fx.type !== 'emit'),
    [
      { type: 'cancelTimer', timer: 'start' },
      { type: 'signal', pid: PID, signal: 'INT', group: true },
      { type: 'setTimer', timer: 'kill', ms: 7000, generation: 1 },
    ],
  );
});

cell('STARTING', 'stop', 'before the spawn is confirmed: no signal yet', () => {
  const t = transition(at('STARTING', { pid: undefined }), { type: 'stop' }, T0, config());
  assert.deepEqual(states(t), ['STARTING>STOPPING']);
  assert.equal(effectsOf(t, 'signal').length, 0);
});

cell('STARTING', 'restart', 'admin and memory restarts stop first and remember to start again; health is ignored', () => {
  for (const reason of ['admin', 'memory'] as const) {
    const t = transition(at('STARTING'), { type: 'restart', reason }, T0, config());
    assert.deepEqual(states(t), ['STARTING>STOPPING']);
    assert.equal(t.state.pendingRestart, reason);
  }
  const health = transition(at('STARTING'), { type: 'restart', reason: 'health' }, T0, config());
  assert.equal(health.state.state, 'STARTING');
  assert.deepEqual(health.effects, []);
});

cell('STARTING', 'restart', 'is refused while shutting down', () => {
  const t = transition(at('STARTING', { shuttingDown: true }), { type: 'restart', reason: 'admin' }, T0, config());
  assert.equal(t.error, 'SHUTTING_DOWN');
});

cell('STARTING', 'shutdown', 'marks the shutdown and keeps it running until its turn', () => {
  const t = transition(at('STARTING', { pendingRestart: 'admin' }), { type: 'shutdown' }, T0, config());
  assert.equal(t.state.state, 'STARTING');
  assert.equal(t.state.shuttingDown, true);
  assert.equal(t.state.pendingRestart, undefined);
  assert.deepEqual(t.effects, []);
});

cell('STARTING', 'forceKill', 'SIGKILLs the group at once', () => {
  const t = transition(at('STARTING'), { type: 'forceKill' }, T0, config());
  assert.deepEqual(states(t), ['STARTING>STOPPING']);
  assert.deepEqual(effectsOf(t, 'signal'), [{ type: 'signal', pid: PID, signal: 'KILL', group: true }]);
});

cell('STARTING', 'signal', 'is sent to the process itself', () => {
  const t = transition(at('STARTING'), { type: 'signal', signal: 'USR1' }, T0, config());
  assert.deepEqual(t.effects, [{ type: 'signal', pid: PID, signal: 'USR1', group: false }]);
  assert.equal(t.state.state, 'STARTING');
});

cell('STARTING', 'probe', 'a passing check makes it RUNNING before startSeconds (readiness)', () => {
  const t = transition(at('STARTING', { backoff: 1 }), { type: 'probe', generation: 1, ok: true }, T0 + 100, config({ startSeconds: 10 }));
  assert.deepEqual(states(t), ['STARTING>RUNNING']);
  assert.equal(t.state.healthy, true);
  assert.equal(t.state.backoff, 0);
  assert.deepEqual(noticeKinds(t), ['state', 'health']);
  assert.deepEqual(effectsOf(t, 'cancelTimer'), [{ type: 'cancelTimer', timer: 'start' }]);
});

cell('STARTING', 'probe', 'a failing check while starting does not count', () => {
  const t = transition(at('STARTING'), { type: 'probe', generation: 1, ok: false }, T0 + 100, config());
  assert.equal(t.state.healthFailures, 0);
  assert.deepEqual(t.effects, []);
});

cell('STARTING', 'memory', 'over the limit with action alert: a notice, nothing else', () => {
  const t = transition(at('STARTING'), { type: 'memory', generation: 1, bytes: 1001 }, T0, config());
  assert.equal(t.state.memoryOver, true);
  assert.deepEqual(t.effects, [{ type: 'emit', notice: { kind: 'memory', over: true, bytes: 1001, limitBytes: 1000, action: 'alert' } }]);
});

cell('STARTING', 'memory', 'over the limit with action restart: a notice and a stop that restarts', () => {
  const t = transition(at('STARTING'), { type: 'memory', generation: 1, bytes: 2000 }, T0, config({ memory: { limitBytes: 1000, action: 'restart' } }));
  assert.deepEqual(noticeKinds(t), ['memory', 'state']);
  assert.equal(t.state.state, 'STOPPING');
  assert.equal(t.state.pendingRestart, 'memory');
});

// ---------------- notify (sd_notify READY=1, s6 notifyFd) ----------------

const notifying = (over: Partial<MachineConfig> = {}) => config({ notify: { startTimeoutSeconds: 30, watchdogSeconds: 5 }, ...over });

cell('STARTING', 'spawned', 'a notify program waits for READY up to startTimeoutSeconds, whatever startSeconds says', () => {
  const t = transition(at('STARTING', { pid: undefined }), { type: 'spawned', generation: 1, pid: 77 }, T0, notifying({ startSeconds: 0 }));
  assert.equal(t.state.state, 'STARTING');
  assert.deepEqual(t.effects, [{ type: 'setTimer', timer: 'start', ms: 30_000, generation: 1 }]);
});

cell('STARTING', 'notify', 'READY=1 makes it RUNNING and arms the watchdog', () => {
  const t = transition(at('STARTING', { backoff: 2 }), { type: 'notify', generation: 1, ready: true }, T0 + 2000, notifying());
  assert.deepEqual(states(t), ['STARTING>RUNNING']);
  assert.equal(t.state.backoff, 0);
  assert.deepEqual(
    t.effects.filter((fx) => fx.type !== 'emit'),
    [
      { type: 'cancelTimer', timer: 'start' },
      { type: 'setTimer', timer: 'watchdog', ms: 5000, generation: 1 },
    ],
  );
});

cell('STARTING', 'notify', 'EXTEND_TIMEOUT_USEC moves the start timeout; a ping before READY does nothing', () => {
  const t = transition(at('STARTING'), { type: 'notify', generation: 1, extendMs: 45_000 }, T0, notifying());
  assert.deepEqual(t.effects, [{ type: 'setTimer', timer: 'start', ms: 45_000, generation: 1 }]);
  assert.deepEqual(transition(at('STARTING'), { type: 'notify', generation: 1, watchdog: 'ping' }, T0, notifying()).effects, []);
});

cell('STARTING', 'timer', 'a notify program that never said READY within startTimeoutSeconds is stopped, then FATAL', () => {
  const t = transition(at('STARTING'), { type: 'timer', generation: 1, timer: 'start' }, T0 + 30_000, notifying());
  assert.deepEqual(states(t), ['STARTING>STOPPING']);
  assert.deepEqual(t.state.afterStop, { to: 'FATAL', reason: 'did not say it was ready within 30s (startTimeoutSeconds)' });
  assert.deepEqual(effectsOf(t, 'signal'), [{ type: 'signal', pid: PID, signal: 'TERM', group: true }]);
  const stopped = transition(t.state, { type: 'exited', generation: 1, code: null, signal: 'SIGTERM' }, T0 + 30_100, notifying());
  assert.deepEqual(states(stopped), ['STOPPING>STOPPED', 'STOPPED>FATAL']);
  assert.equal(stopped.state.reason, 'did not say it was ready within 30s (startTimeoutSeconds)');
  assert.equal(stopped.state.afterStop, undefined);
});

cell('STARTING', 'exited', 'a notify program that exits before READY has failed to start, even after startSeconds', () => {
  const t = transition(at('STARTING'), { type: 'exited', generation: 1, code: 0, signal: null }, T0 + 10_000, notifying({ autorestart: false }));
  assert.deepEqual(states(t), ['STARTING>BACKOFF']);
  assert.equal(t.state.reason, 'exited before it said it was ready');
});

cell('STARTING', 'probe', 'a passing check does not make a notify program RUNNING: only its READY does', () => {
  const t = transition(at('STARTING'), { type: 'probe', generation: 1, ok: true }, T0, notifying());
  assert.equal(t.state.state, 'STARTING');
  assert.equal(t.state.healthy, true);
  assert.deepEqual(noticeKinds(t), ['health']);
  assert.deepEqual(transition(t.state, { type: 'probe', generation: 1, ok: true }, T0, notifying()).effects, []);
});

cell('RUNNING', 'notify', 'WATCHDOG=1 re-arms the watchdog; WATCHDOG=trigger restarts; READY again does nothing', () => {
  assert.deepEqual(transition(at('RUNNING'), { type: 'notify', generation: 1, watchdog: 'ping' }, T0, notifying()).effects, [
    { type: 'setTimer', timer: 'watchdog', ms: 5000, generation: 1 },
  ]);
  const trigger = transition(at('RUNNING'), { type: 'notify', generation: 1, watchdog: 'trigger' }, T0, notifying());
  assert.deepEqual(states(trigger), ['RUNNING>STOPPING']);
  assert.equal(trigger.state.pendingRestart, 'watchdog');
  assert.deepEqual(transition(at('RUNNING'), { type: 'notify', generation: 1, ready: true }, T0, notifying()).effects, []);
  assert.deepEqual(transition(at('RUNNING'), { type: 'notify', generation: 1, watchdog: 'ping' }, T0, notifying({ notify: { startTimeoutSeconds: 1 } })).effects, []);
});

cell('RUNNING', 'timer', 'a missed watchdog stops it with a pending restart, counted against the budget', () => {
  const t = transition(at('RUNNING'), { type: 'timer', generation: 1, timer: 'watchdog' }, T0, notifying());
  assert.deepEqual(states(t), ['RUNNING>STOPPING']);
  assert.equal(t.state.pendingRestart, 'watchdog');
  assert.deepEqual(effectsOf(t, 'cancelTimer'), [{ type: 'cancelTimer', timer: 'watchdog' }]);
  const again = transition(t.state, { type: 'exited', generation: 1, code: null, signal: 'SIGTERM' }, T0 + 10, notifying());
  assert.deepEqual(states(again), ['STOPPING>STOPPED', 'STOPPED>STARTING']);
  assert.deepEqual(again.state.restartTimes, [T0 + 10]);
  const notice = again.effects.filter((fx) => fx.type === 'emit').at(-1);
  assert.ok(notice?.type === 'emit' && notice.notice.kind === 'state' && notice.notice.reason === 'restart after a missed watchdog');
  assert.deepEqual(transition(at('RUNNING', { shuttingDown: true }), { type: 'timer', generation: 1, timer: 'watchdog' }, T0, notifying()).effects, []);
  assert.deepEqual(transition(at('RUNNING'), { type: 'timer', generation: 1, timer: 'start' }, T0, notifying()).effects, []);
});

cell('STOPPING', 'notify', 'EXTEND_TIMEOUT_USEC while stopping moves the SIGKILL timer', () => {
  const t = transition(at('STOPPING'), { type: 'notify', generation: 1, extendMs: 20_000 }, T0, notifying());
  assert.deepEqual(t.effects, [{ type: 'setTimer', timer: 'kill', ms: 20_000, generation: 1 }]);
  assert.deepEqual(transition(at('STOPPING'), { type: 'notify', generation: 1, ready: true }, T0, notifying()).effects, []);
});

test('notify on a fake clock: READY after 2 s, pings every 4 s keep it, then silence restarts it 5 s after the last ping', () => {
  const d = new Driver(notifying({ startSeconds: 1 }));
  d.send({ type: 'start' });
  d.clock += 2000;
  d.send({ type: 'notify', generation: 1, ready: true });
  assert.equal(d.state.state, 'RUNNING');
  for (let i = 0; i < 3; i++) {
    d.clock += 4000;
    d.send({ type: 'notify', generation: 1, watchdog: 'ping' });
  }
  const { timer, waited } = d.fireNext();
  assert.deepEqual([timer, waited], ['watchdog', 5000]);
  assert.equal(d.state.state, 'STOPPING');
  d.send({ type: 'exited', generation: 1, code: null, signal: 'SIGTERM' });
  assert.equal(d.state.state, 'STARTING');
  assert.equal(d.state.generation, 2);
});

// ---------------- lifecycle hooks ----------------

const hooked = (over: Partial<MachineConfig> = {}) => config({ hooks: { postStart: true, preStop: true, startTimeoutSeconds: 20 }, ...over });

cell('STARTING', 'spawned', 'with a postStart hook: the hook runs, bounded by startTimeoutSeconds, and holds RUNNING back', () => {
  const t = transition(at('STARTING', { pid: undefined }), { type: 'spawned', generation: 1, pid: 77 }, T0, hooked({ startSeconds: 0 }));
  assert.equal(t.state.state, 'STARTING');
  assert.equal(t.state.hook, 'postStart');
  assert.equal(t.state.heldRunning, 'started (startSeconds is 0)');
  assert.deepEqual(t.effects, [{ type: 'runHook', hook: 'postStart', generation: 1, timeoutMs: 20_000 }]);
  const timer = transition(at('STARTING', { hook: 'postStart' }), { type: 'timer', generation: 1, timer: 'start' }, T0 + 1000, hooked());
  assert.equal(timer.state.state, 'STARTING', 'startSeconds passed, but the hook still runs');
  assert.equal(timer.state.heldRunning, 'stayed up for more than startSeconds');
});

cell('STARTING', 'hookDone', 'postStart succeeded: RUNNING if it was held back, else it waits for startSeconds as usual', () => {
  const held = transition(
    at('STARTING', { hook: 'postStart', heldRunning: 'stayed up for more than startSeconds' }),
    { type: 'hookDone', generation: 1, hook: 'postStart', ok: true },
    T0,
    hooked(),
  );
  assert.deepEqual(states(held), ['STARTING>RUNNING']);
  assert.equal(held.state.hook, undefined);
  const early = transition(at('STARTING', { hook: 'postStart' }), { type: 'hookDone', generation: 1, hook: 'postStart', ok: true }, T0, hooked());
  assert.equal(early.state.state, 'STARTING');
  assert.equal(early.state.hook, undefined);
  assert.deepEqual(early.effects, []);
});

cell('STARTING', 'hookDone', 'postStart failed: the program is stopped (no preStop) and the start counts as failed', () => {
  const t = transition(at('STARTING', { hook: 'postStart' }), { type: 'hookDone', generation: 1, hook: 'postStart', ok: false, message: 'exit 3' }, T0, hooked());
  assert.deepEqual(states(t), ['STARTING>STOPPING']);
  assert.deepEqual(effectsOf(t, 'signal'), [{ type: 'signal', pid: PID, signal: 'TERM', group: true }]);
  assert.equal(effectsOf(t, 'runHook').length, 0);
  const after = transition(t.state, { type: 'exited', generation: 1, code: null, signal: 'SIGTERM' }, T0 + 10, hooked());
  assert.deepEqual(states(after), ['STOPPING>STOPPED', 'STOPPED>BACKOFF']);
  assert.equal(after.state.backoff, 1);
  assert.equal(after.state.reason, 'postStart hook failed: exit 3');
  assert.deepEqual(effectsOf(after, 'setTimer'), [{ type: 'setTimer', timer: 'backoff', ms: 1000, generation: 1 }]);
});

cell('RUNNING', 'stop', 'with a preStop hook: the hook runs first, the SIGKILL timer already counts', () => {
  const t = transition(at('RUNNING'), { type: 'stop' }, T0, hooked({ stopWaitSeconds: 8 }));
  assert.deepEqual(states(t), ['RUNNING>STOPPING']);
  assert.equal(t.state.hook, 'preStop');
  assert.deepEqual(
    t.effects.filter((fx) => fx.type !== 'emit'),
    [
      { type: 'runHook', hook: 'preStop', generation: 1, timeoutMs: 10_000 },
      { type: 'setTimer', timer: 'kill', ms: 8000, generation: 1 },
    ],
  );
  const forced = transition(at('RUNNING'), { type: 'forceKill' }, T0, hooked());
  assert.equal(effectsOf(forced, 'runHook').length, 0, 'the deadline skips preStop');
});

cell('STOPPING', 'hookDone', 'preStop done (or failed): the stop signal goes now', () => {
  for (const ok of [true, false]) {
    const t = transition(at('STOPPING', { hook: 'preStop' }), { type: 'hookDone', generation: 1, hook: 'preStop', ok }, T0, hooked());
    assert.deepEqual(t.effects, [{ type: 'signal', pid: PID, signal: 'TERM', group: true }]);
    assert.equal(t.state.hook, undefined);
  }
  assert.deepEqual(transition(at('STOPPING'), { type: 'hookDone', generation: 1, hook: 'preStop', ok: true }, T0, hooked()).effects, []);
});

cell('STOPPING', 'timer', 'a preStop that used up stopWaitSeconds: the stop signal, then SIGKILL 2 s later', () => {
  const t = transition(at('STOPPING', { hook: 'preStop' }), { type: 'timer', generation: 1, timer: 'kill' }, T0, hooked());
  assert.deepEqual(t.effects, [
    { type: 'signal', pid: PID, signal: 'TERM', group: true },
    { type: 'setTimer', timer: 'kill', ms: 2000, generation: 1 },
  ]);
  assert.equal(t.state.hook, undefined);
});

// ---------------- RUNNING ----------------

cell('RUNNING', 'start', 'answers ALREADY_STARTED', () => {
  assert.equal(transition(at('RUNNING'), { type: 'start' }, T0, config()).error, 'ALREADY_STARTED');
});

cell('RUNNING', 'exited', 'autorestart "unexpected": an expected code stays EXITED', () => {
  const t = transition(at('RUNNING'), { type: 'exited', generation: 1, code: 2, signal: null }, T0 + 5000, config({ autorestart: 'unexpected', exitCodes: [0, 2] }));
  assert.deepEqual(states(t), ['RUNNING>EXITED']);
  const notice = t.effects.find((fx) => fx.type === 'emit' && fx.notice.kind === 'state');
  assert.ok(notice?.type === 'emit' && notice.notice.kind === 'state' && notice.notice.expected === true);
  assert.deepEqual(effectsOf(t, 'signal'), [{ type: 'signal', pid: PID, signal: 'KILL', group: true }]);
});

cell('RUNNING', 'exited', 'autorestart "unexpected": a code not in exitCodes restarts', () => {
  const t = transition(at('RUNNING'), { type: 'exited', generation: 1, code: 1, signal: null }, T0 + 5000, config({ autorestart: 'unexpected', exitCodes: [0, 2] }));
  assert.deepEqual(states(t), ['RUNNING>EXITED', 'EXITED>STARTING']);
  assert.deepEqual(effectsOf(t, 'spawn'), [{ type: 'spawn', generation: 2 }]);
  assert.equal(restartsOf(t.state), 1);
});

cell('RUNNING', 'exited', 'autorestart "unexpected": death by a signal is never expected', () => {
  const t = transition(at('RUNNING'), { type: 'exited', generation: 1, code: null, signal: 'SIGKILL' }, T0 + 5000, config({ autorestart: 'unexpected' }));
  assert.deepEqual(states(t), ['RUNNING>EXITED', 'EXITED>STARTING']);
});

cell('RUNNING', 'exited', 'autorestart false never restarts', () => {
  const t = transition(at('RUNNING'), { type: 'exited', generation: 1, code: 1, signal: null }, T0 + 5000, config({ autorestart: false }));
  assert.deepEqual(states(t), ['RUNNING>EXITED']);
});

cell('RUNNING', 'exited', 'autorestart true restarts even an expected exit', () => {
  const t = transition(at('RUNNING'), { type: 'exited', generation: 1, code: 0, signal: null }, T0 + 5000, config({ autorestart: true }));
  assert.deepEqual(states(t), ['RUNNING>EXITED', 'EXITED>STARTING']);
});

cell('RUNNING', 'exited', 'while shutting down it stays EXITED', () => {
  const t = transition(at('RUNNING', { shuttingDown: true }), { type: 'exited', generation: 1, code: 1, signal: null }, T0 + 5000, config());
  assert.deepEqual(states(t), ['RUNNING>EXITED']);
});

cell('RUNNING', 'exited', 'the restart budget: maxRestarts in the window, then FATAL', () => {
  const c = config({ restartBudget: { maxRestarts: 2, windowSeconds: 60 } });
  const now = T0 + 100_000;
  const full = transition(at('RUNNING', { restartTimes: [now - 30_000, now - 10_000] }), { type: 'exited', generation: 1, code: 1, signal: null }, now, c);
  assert.deepEqual(states(full), ['RUNNING>EXITED', 'EXITED>FATAL']);
  assert.match(full.state.reason ?? '', /restart budget exhausted: 2 restarts in 60s/);
  // A restart older than the window no longer counts.
  const slid = transition(at('RUNNING', { restartTimes: [now - 61_000, now - 10_000] }), { type: 'exited', generation: 1, code: 1, signal: null }, now, c);
  assert.deepEqual(states(slid), ['RUNNING>EXITED', 'EXITED>STARTING']);
  assert.deepEqual(slid.state.restartTimes, [now - 10_000, now]);
});

cell('RUNNING', 'exited', 'a code in restartPreventExitCodes is never restarted, even with autorestart true; a signal is not a code', () => {
  const c = config({ autorestart: true, restartPreventExitCodes: [3] });
  const t = transition(at('RUNNING'), { type: 'exited', generation: 1, code: 3, signal: null }, T0 + 5000, c);
  assert.deepEqual(states(t), ['RUNNING>EXITED']);
  assert.equal(effectsOf(t, 'spawn').length, 0);
  assert.equal(t.state.reason, 'exited with 3: not restarted (restartPreventExitCodes)');
  const other = transition(at('RUNNING'), { type: 'exited', generation: 1, code: 4, signal: null }, T0 + 5000, c);
  assert.deepEqual(states(other), ['RUNNING>EXITED', 'EXITED>STARTING']);
  const killed = transition(at('RUNNING'), { type: 'exited', generation: 1, code: null, signal: 'SIGTERM' }, T0 + 5000, c);
  assert.deepEqual(states(killed), ['RUNNING>EXITED', 'EXITED>STARTING']);
});

cell('RUNNING', 'exited', 'exitContainerOnExit: EXITED, no restart, the container exits with its status; not while shutting down', () => {
  const c = config({ autorestart: true, exitContainerOnExit: true });
  const t = transition(at('RUNNING'), { type: 'exited', generation: 1, code: null, signal: 'SIGSEGV' }, T0 + 5000, c);
  assert.deepEqual(states(t), ['RUNNING>EXITED']);
  assert.deepEqual(effectsOf(t, 'exitContainer'), [{ type: 'exitContainer', code: null, signal: 'SIGSEGV' }]);
  assert.equal(effectsOf(t, 'spawn').length, 0);
  const closing = transition(at('RUNNING', { shuttingDown: true }), { type: 'exited', generation: 1, code: 0, signal: null }, T0 + 5000, c);
  assert.deepEqual(states(closing), ['RUNNING>EXITED']);
  assert.equal(effectsOf(closing, 'exitContainer').length, 0);
});

cell('RUNNING', 'exited', 'resetAfterSeconds: a short run is restarted after the next backoff delay, a long one at once', () => {
  const c = config({ backoff: { policy: 'exponential', initialSeconds: 1, resetAfterSeconds: 30 } });
  const short = transition(at('RUNNING', { crashes: 2 }), { type: 'exited', generation: 1, code: 1, signal: null }, T0 + 5000, c);
  assert.deepEqual(states(short), ['RUNNING>EXITED', 'EXITED>BACKOFF']);
  assert.equal(short.state.crashes, 3);
  assert.equal(short.state.backoff, 0, 'short runs are not failed starts: startRetries does not bound them');
  assert.deepEqual(short.state.restartTimes, [T0 + 5000], 'counted against the restart budget');
  assert.deepEqual(effectsOf(short, 'setTimer'), [{ type: 'setTimer', timer: 'backoff', ms: 4000, generation: 1 }]);
  assert.equal(short.state.reason, 'autorestart in 4s (backoff)');
  const long = transition(at('RUNNING', { crashes: 2 }), { type: 'exited', generation: 1, code: 1, signal: null }, T0 + 30_000, c);
  assert.deepEqual(states(long), ['RUNNING>EXITED', 'EXITED>STARTING']);
  assert.equal(long.state.crashes, 0);
  const spent = transition(at('RUNNING', { restartTimes: [T0, T0, T0, T0, T0] }), { type: 'exited', generation: 1, code: 1, signal: null }, T0 + 5000, c);
  assert.deepEqual(states(spent), ['RUNNING>EXITED', 'EXITED>FATAL']);
});

cell('RUNNING', 'stop', 'signals the group and arms SIGKILL', () => {
  const t = transition(at('RUNNING'), { type: 'stop' }, T0, config({ stopSignal: 'QUIT', stopWaitSeconds: 3 }));
  assert.deepEqual(states(t), ['RUNNING>STOPPING']);
  assert.deepEqual(
    t.effects.filter((fx) => fx.type !== 'emit'),
    [
      { type: 'signal', pid: PID, signal: 'QUIT', group: true },
      { type: 'setTimer', timer: 'kill', ms: 3000, generation: 1 },
    ],
  );
  assert.equal(t.state.pendingRestart, undefined);
});

cell('RUNNING', 'stop', 'a stop with a reason (a failed dependency) says so', () => {
  const t = transition(at('RUNNING'), { type: 'stop', reason: 'dependency db failed' }, T0, config());
  const notice = t.effects.find((fx) => fx.type === 'emit');
  assert.ok(notice?.type === 'emit' && notice.notice.kind === 'state' && notice.notice.reason === 'dependency db failed');
  assert.equal(t.state.state, 'STOPPING');
});

cell('RUNNING', 'restart', 'admin, health and memory restarts stop with a pending restart', () => {
  for (const reason of ['admin', 'health', 'memory'] as const) {
    const t = transition(at('RUNNING'), { type: 'restart', reason }, T0, config());
    assert.deepEqual(states(t), ['RUNNING>STOPPING']);
    assert.equal(t.state.pendingRestart, reason);
  }
});

cell('RUNNING', 'shutdown', 'marks the shutdown and keeps running until its turn', () => {
  const t = transition(at('RUNNING'), { type: 'shutdown' }, T0, config());
  assert.equal(t.state.state, 'RUNNING');
  assert.equal(t.state.shuttingDown, true);
  assert.deepEqual(t.effects, []);
});

cell('RUNNING', 'forceKill', 'SIGKILLs the group', () => {
  const t = transition(at('RUNNING'), { type: 'forceKill' }, T0, config());
  assert.deepEqual(states(t), ['RUNNING>STOPPING']);
  assert.deepEqual(effectsOf(t, 'signal'), [{ type: 'signal', pid: PID, signal: 'KILL', group: true }]);
});

cell('RUNNING', 'signal', 'is sent to the process', () => {
  const t = transition(at('RUNNING'), { type: 'signal', signal: 'HUP' }, T0, config());
  assert.deepEqual(t.effects, [{ type: 'signal', pid: PID, signal: 'HUP', group: false }]);
});

cell('RUNNING', 'probe', 'the first pass reports healthy; later passes are silent', () => {
  const first = transition(at('RUNNING'), { type: 'probe', generation: 1, ok: true }, T0, config());
  assert.equal(first.state.healthy, true);
  assert.deepEqual(noticeKinds(first), ['health']);
  const again = transition(first.state, { type: 'probe', generation: 1, ok: true }, T0, config());
  assert.deepEqual(again.effects, []);
});

cell('RUNNING', 'probe', 'failures below failureThreshold are counted, a pass resets them', () => {
  const one = transition(at('RUNNING', { healthy: true }), { type: 'probe', generation: 1, ok: false }, T0, config());
  assert.equal(one.state.healthFailures, 1);
  assert.equal(one.state.healthy, true);
  assert.deepEqual(one.effects, []);
  const reset = transition(one.state, { type: 'probe', generation: 1, ok: true }, T0, config());
  assert.equal(reset.state.healthFailures, 0);
  assert.deepEqual(reset.effects, []);
});

cell('RUNNING', 'probe', 'failureThreshold failures: unhealthy and a restart', () => {
  const t = transition(at('RUNNING', { healthy: true, healthFailures: 2 }), { type: 'probe', generation: 1, ok: false, message: 'HTTP 500' }, T0, config());
  assert.equal(t.state.healthy, false);
  assert.deepEqual(noticeKinds(t), ['health', 'state']);
  assert.equal(t.state.state, 'STOPPING');
  assert.equal(t.state.pendingRestart, 'health');
});

cell('RUNNING', 'probe', 'while shutting down a failing check does not restart', () => {
  const t = transition(at('RUNNING', { healthy: true, healthFailures: 2, shuttingDown: true }), { type: 'probe', generation: 1, ok: false }, T0, config());
  assert.equal(t.state.state, 'RUNNING');
  assert.deepEqual(noticeKinds(t), ['health']);
});

cell('RUNNING', 'memory', 'crossing the limit alerts once, falling back below reports recovery', () => {
  const over = transition(at('RUNNING'), { type: 'memory', generation: 1, bytes: 5000 }, T0, config());
  assert.deepEqual(noticeKinds(over), ['memory']);
  const still = transition(over.state, { type: 'memory', generation: 1, bytes: 6000 }, T0, config());
  assert.deepEqual(still.effects, []);
  const back = transition(still.state, { type: 'memory', generation: 1, bytes: 10 }, T0, config());
  assert.equal(back.state.memoryOver, false);
  assert.deepEqual(back.effects, [{ type: 'emit', notice: { kind: 'memory', over: false, bytes: 10, limitBytes: 1000, action: 'alert' } }]);
});

cell('RUNNING', 'memory', 'without a memory limit samples are ignored', () => {
  const t = transition(at('RUNNING'), { type: 'memory', generation: 1, bytes: 1e12 }, T0, config({ memory: undefined }));
  assert.deepEqual(t.effects, []);
  assert.equal(t.state.memoryOver, false);
});

cell('RUNNING', 'memory', 'action restart stops it with a pending restart', () => {
  const t = transition(at('RUNNING'), { type: 'memory', generation: 1, bytes: 5000 }, T0, config({ memory: { limitBytes: 1000, action: 'restart' } }));
  assert.equal(t.state.state, 'STOPPING');
  assert.equal(t.state.pendingRestart, 'memory');
});

// ---------------- BACKOFF ----------------

cell('BACKOFF', 'start', 'answers ALREADY_STARTED (supervisord counts BACKOFF as running)', () => {
  assert.equal(transition(at('BACKOFF', { backoff: 1 }), { type: 'start' }, T0, config()).error, 'ALREADY_STARTED');
});

cell('BACKOFF', 'timer', 'the backoff timer retries, keeping the backoff count', () => {
  const t = transition(at('BACKOFF', { backoff: 2 }), { type: 'timer', generation: 1, timer: 'backoff' }, T0 + 2000, config());
  assert.deepEqual(states(t), ['BACKOFF>STARTING']);
  assert.equal(t.state.backoff, 2);
  assert.equal(t.state.generation, 2);
  assert.deepEqual(t.state.restartTimes, [], 'retries are bounded by startRetries, not by the budget');
});

cell('BACKOFF', 'timer', 'after a short run the backoff timer restarts it, keeping the run count', () => {
  const t = transition(at('BACKOFF', { crashes: 2 }), { type: 'timer', generation: 1, timer: 'backoff' }, T0 + 2000, config());
  assert.deepEqual(states(t), ['BACKOFF>STARTING']);
  assert.equal(t.state.crashes, 2);
  const notice = t.effects.find((fx) => fx.type === 'emit');
  assert.ok(notice?.type === 'emit' && notice.notice.kind === 'state' && notice.notice.reason === 'autorestart after backoff');
});

cell('BACKOFF', 'timer', 'other timers are ignored', () => {
  const t = transition(at('BACKOFF', { backoff: 2 }), { type: 'timer', generation: 1, timer: 'start' }, T0, config());
  assert.equal(t.state.state, 'BACKOFF');
  assert.deepEqual(t.effects, []);
});

cell('BACKOFF', 'stop', 'goes to STOPPED at once (no waiting for retries)', () => {
  const t = transition(at('BACKOFF', { backoff: 1 }), { type: 'stop' }, T0, config());
  assert.deepEqual(states(t), ['BACKOFF>STOPPED']);
  assert.deepEqual(effectsOf(t, 'cancelTimer'), [{ type: 'cancelTimer', timer: 'backoff' }]);
});

cell('BACKOFF', 'restart', 'an admin restart spawns now with a fresh backoff; others are ignored', () => {
  const t = transition(at('BACKOFF', { backoff: 2 }), { type: 'restart', reason: 'admin' }, T0, config());
  assert.deepEqual(states(t), ['BACKOFF>STARTING']);
  assert.equal(t.state.backoff, 0);
  const health = transition(at('BACKOFF', { backoff: 2 }), { type: 'restart', reason: 'health' }, T0, config());
  assert.deepEqual(health.effects, []);
  const closing = transition(at('BACKOFF', { shuttingDown: true }), { type: 'restart', reason: 'admin' }, T0, config());
  assert.equal(closing.error, 'SHUTTING_DOWN');
});

cell('BACKOFF', 'shutdown', 'goes to STOPPED and cancels the retry', () => {
  const t = transition(at('BACKOFF', { backoff: 1 }), { type: 'shutdown' }, T0, config());
  assert.deepEqual(states(t), ['BACKOFF>STOPPED']);
  assert.equal(t.state.shuttingDown, true);
  assert.deepEqual(effectsOf(t, 'cancelTimer'), [{ type: 'cancelTimer', timer: 'backoff' }]);
});

cell('BACKOFF', 'signal', 'answers NOT_RUNNING', () => {
  assert.equal(transition(at('BACKOFF'), { type: 'signal', signal: 'HUP' }, T0, config()).error, 'NOT_RUNNING');
});

// ---------------- STOPPING ----------------

cell('STOPPING', 'start', 'answers STOPPING', () => {
  assert.equal(transition(at('STOPPING'), { type: 'start' }, T0, config()).error, 'STOPPING');
});

cell('STOPPING', 'exited', 'goes to STOPPED whatever the code, kill timer cancelled', () => {
  const t = transition(at('STOPPING'), { type: 'exited', generation: 1, code: 143, signal: null }, T0, config());
  assert.deepEqual(states(t), ['STOPPING>STOPPED']);
  assert.deepEqual(
    t.effects.filter((fx) => fx.type !== 'emit'),
    [
      { type: 'cancelTimer', timer: 'kill' },
      { type: 'signal', pid: PID, signal: 'KILL', group: true },
    ],
  );
  assert.equal(t.state.lastExit?.code, 143);
});

cell('STOPPING', 'exited', 'a pending admin restart starts again with a fresh backoff and budget', () => {
  const t = transition(at('STOPPING', { pendingRestart: 'admin', backoff: 2, restartTimes: [T0] }), { type: 'exited', generation: 1, code: 0, signal: null }, T0, config());
  assert.deepEqual(states(t), ['STOPPING>STOPPED', 'STOPPED>STARTING']);
  assert.equal(t.state.backoff, 0);
  assert.deepEqual(t.state.restartTimes, []);
  assert.equal(t.state.pendingRestart, undefined);
});

cell('STOPPING', 'exited', 'a pending health restart is counted against the budget', () => {
  const c = config({ restartBudget: { maxRestarts: 1, windowSeconds: 60 } });
  const ok = transition(at('STOPPING', { pendingRestart: 'health' }), { type: 'exited', generation: 1, code: 0, signal: null }, T0, c);
  assert.deepEqual(states(ok), ['STOPPING>STOPPED', 'STOPPED>STARTING']);
  assert.deepEqual(ok.state.restartTimes, [T0]);
  const spent = transition(at('STOPPING', { pendingRestart: 'memory', restartTimes: [T0 - 1000] }), { type: 'exited', generation: 1, code: 0, signal: null }, T0, c);
  assert.deepEqual(states(spent), ['STOPPING>STOPPED', 'STOPPED>FATAL']);
});

cell('STOPPING', 'exited', 'while shutting down a pending restart is dropped', () => {
  const t = transition(at('STOPPING', { pendingRestart: 'health', shuttingDown: true }), { type: 'exited', generation: 1, code: 0, signal: null }, T0, config());
  assert.deepEqual(states(t), ['STOPPING>STOPPED']);
  assert.equal(t.state.pendingRestart, undefined);
});

cell('STOPPING', 'timer', 'the kill timer sends SIGKILL to the group and re-arms (supervisord repeats it)', () => {
  const t = transition(at('STOPPING'), { type: 'timer', generation: 1, timer: 'kill' }, T0, config({ stopWaitSeconds: 0 }));
  assert.equal(t.state.state, 'STOPPING');
  assert.deepEqual(effectsOf(t, 'signal'), [{ type: 'signal', pid: PID, signal: 'KILL', group: true }]);
  assert.deepEqual(noticeKinds(t), ['sigkill']);
  assert.deepEqual(effectsOf(t, 'setTimer'), [{ type: 'setTimer', timer: 'kill', ms: 1000, generation: 1 }]);
});

cell('STOPPING', 'timer', 'other timers are ignored', () => {
  const t = transition(at('STOPPING'), { type: 'timer', generation: 1, timer: 'start' }, T0, config());
  assert.deepEqual(t.effects, []);
});

cell('STOPPING', 'stop', 'answers NOT_RUNNING, or cancels a pending restart', () => {
  assert.equal(transition(at('STOPPING'), { type: 'stop' }, T0, config()).error, 'NOT_RUNNING');
  const t = transition(at('STOPPING', { pendingRestart: 'admin' }), { type: 'stop' }, T0, config());
  assert.equal(t.error, undefined);
  assert.equal(t.state.pendingRestart, undefined);
});

cell('STOPPING', 'restart', 'an admin restart is remembered; others are ignored', () => {
  assert.equal(transition(at('STOPPING'), { type: 'restart', reason: 'admin' }, T0, config()).state.pendingRestart, 'admin');
  assert.equal(transition(at('STOPPING'), { type: 'restart', reason: 'health' }, T0, config()).state.pendingRestart, undefined);
});

cell('STOPPING', 'shutdown', 'marks the shutdown and drops a pending restart', () => {
  const t = transition(at('STOPPING', { pendingRestart: 'admin' }), { type: 'shutdown' }, T0, config());
  assert.equal(t.state.shuttingDown, true);
  assert.equal(t.state.pendingRestart, undefined);
  assert.deepEqual(t.effects, []);
});

cell('STOPPING', 'forceKill', 'SIGKILLs the group now', () => {
  const t = transition(at('STOPPING'), { type: 'forceKill' }, T0, config());
  assert.deepEqual(t.effects, [{ type: 'signal', pid: PID, signal: 'KILL', group: true }]);
  const unspawned = transition(at('STOPPING', { pid: undefined }), { type: 'forceKill' }, T0, config());
  assert.deepEqual(unspawned.effects, []);
});

cell('STOPPING', 'signal', 'is still delivered', () => {
  const t = transition(at('STOPPING'), { type: 'signal', signal: 'USR2' }, T0, config());
  assert.deepEqual(t.effects, [{ type: 'signal', pid: PID, signal: 'USR2', group: false }]);
});

cell('STOPPING', 'spawned', 'a spawn confirmed after the stop gets the stop signal at once', () => {
  const t = transition(at('STOPPING', { pid: undefined }), { type: 'spawned', generation: 1, pid: 99 }, T0, config({ stopSignal: 'INT', stopWaitSeconds: 2 }));
  assert.equal(t.state.pid, 99);
  assert.deepEqual(t.effects, [
    { type: 'signal', pid: 99, signal: 'INT', group: true },
    { type: 'setTimer', timer: 'kill', ms: 2000, generation: 1 },
  ]);
});

cell('STOPPING', 'spawnFailed', 'a failed spawn after the stop is STOPPED', () => {
  const t = transition(at('STOPPING', { pid: undefined }), { type: 'spawnFailed', generation: 1, error: 'EACCES' }, T0, config());
  assert.deepEqual(states(t), ['STOPPING>STOPPED']);
});

// ---------------- EXITED and FATAL ----------------

for (const state of ['EXITED', 'FATAL'] as const) {
  cell(state, 'start', 'starts with a fresh backoff and budget', () => {
    const t = transition(at(state, { backoff: 3, crashes: 4, restartTimes: [T0, T0 + 1] }), { type: 'start' }, T0 + 5, config());
    assert.deepEqual(states(t), [`${state}>STARTING`]);
    assert.equal(t.state.backoff, 0);
    assert.equal(t.state.crashes, 0);
    assert.deepEqual(t.state.restartTimes, []);
    assert.equal(t.state.generation, 2);
  });
  cell(state, 'stop', 'answers NOT_RUNNING', () => {
    assert.equal(transition(at(state), { type: 'stop' }, T0, config()).error, 'NOT_RUNNING');
  });
  cell(state, 'restart', 'an admin restart starts it; others are ignored', () => {
    assert.deepEqual(states(transition(at(state), { type: 'restart', reason: 'admin' }, T0, config())), [`${state}>STARTING`]);
    assert.deepEqual(transition(at(state), { type: 'restart', reason: 'memory' }, T0, config()).effects, []);
  });
  cell(state, 'shutdown', 'only marks the shutdown', () => {
    const t = transition(at(state), { type: 'shutdown' }, T0, config());
    assert.equal(t.state.state, state);
    assert.equal(t.state.shuttingDown, true);
  });
  cell(state, 'signal', 'answers NOT_RUNNING', () => {
    assert.equal(transition(at(state), { type: 'signal', signal: 'HUP' }, T0, config()).error, 'NOT_RUNNING');
  });
}

// ---------------- whole-table properties ----------------

const ALL_STATES = Object.keys(TABLE) as ProcessStateName[];

test('every cell left out of the table ignores its event: same state, no effects', () => {
  let checked = 0;
  for (const state of ALL_STATES) {
    for (const type of EVENT_TYPES) {
      if (TABLE[state][type]) continue;
      const before = at(state, { backoff: 1 });
      const t = transition(before, sample(type), T0, config());
      assert.equal(t.state, before, `${state} × ${type}`);
      assert.deepEqual(t.effects, [], `${state} × ${type}`);
      assert.equal(t.error, isCommand(type) ? 'NOT_RUNNING' : undefined, `${state} × ${type}`);
      checked += 1;
    }
  }
  assert.ok(checked > 20);
});

test('events of an older run (stale generation) are ignored in every state', () => {
  for (const state of ALL_STATES) {
    for (const type of ['spawned', 'spawnFailed', 'exited', 'timer', 'probe', 'memory'] as const) {
      const before = at(state, { generation: 5 });
      const t = transition(before, sample(type, 4), T0, config());
      assert.equal(t.state, before, `${state} × ${type}`);
      assert.deepEqual(t.effects, []);
    }
  }
});

test('every cell of the table has a test above', () => {
  const missing: string[] = [];
  for (const state of ALL_STATES) for (const type of EVENT_TYPES) if (TABLE[state][type] && !covered.has(`${state}/${type}`)) missing.push(`${state}/${type}`);
  assert.deepEqual(missing, []);
});

// ---------------- supervisord scenarios on a fake clock ----------------

/** Drives a program with a fake clock: applies events, records the states it went through. */
class Driver {
  state = initialState(T0);
  clock = T0;
  trail: string[] = [];
  timers = new Map<string, { at: number; generation: number }>();
  constructor(readonly c: MachineConfig) {}
  send(event: MachineEvent): Transition {
    const t = transition(this.state, event, this.clock, this.c);
    this.state = t.state;
    for (const fx of t.effects) {
      if (fx.type === 'emit' && fx.notice.kind === 'state') this.trail.push(fx.notice.to);
      if (fx.type === 'setTimer') this.timers.set(fx.timer, { at: this.clock + fx.ms, generation: fx.generation });
      if (fx.type === 'cancelTimer') this.timers.delete(fx.timer);
      if (fx.type === 'spawn') this.send({ type: 'spawned', generation: fx.generation, pid: 1000 + fx.generation });
    }
    return t;
  }
  /** Advances the fake clock to the next timer and fires it. */
  fireNext(): { timer: string; waited: number } {
    const [name, due] = [...this.timers.entries()].sort((a, b) => a[1].at - b[1].at)[0]!;
    const waited = due.at - this.clock;
    this.clock = due.at;
    this.timers.delete(name);
    this.send({ type: 'timer', timer: name as 'start', generation: due.generation });
    return { timer: name, waited };
  }
  crash(after: number, code = 1): void {
    this.clock += after;
    this.send({ type: 'exited', generation: this.state.generation, code, signal: null });
  }
}

test('supervisord: startRetries 3 gives 4 attempts with linear backoff 1 s, 2 s, 3 s, then FATAL', () => {
  const d = new Driver(config({ startRetries: 3, startSeconds: 1 }));
  d.send({ type: 'start' });
  const waits: number[] = [];
  for (let i = 0; i < 3; i++) {
    d.crash(100);
    const { timer, waited } = d.fireNext();
    assert.equal(timer, 'backoff');
    waits.push(waited);
  }
  d.crash(100);
  assert.deepEqual(waits, [1000, 2000, 3000]);
  assert.equal(d.state.state, 'FATAL');
  assert.equal(d.state.spawns, 4);
  assert.deepEqual(d.trail, ['STARTING', 'BACKOFF', 'STARTING', 'BACKOFF', 'STARTING', 'BACKOFF', 'STARTING', 'BACKOFF', 'FATAL']);
});

test('supervisord: reaching RUNNING resets the backoff, so later early exits start again at 1 s', () => {
  const d = new Driver(config({ startRetries: 3, startSeconds: 1 }));
  d.send({ type: 'start' });
  d.crash(100);
  d.fireNext(); // retry 1
  d.crash(100);
  d.fireNext(); // retry 2
  assert.equal(d.fireNext().timer, 'start');
  assert.equal(d.state.state, 'RUNNING');
  assert.equal(d.state.backoff, 0);
  d.crash(10_000); // RUNNING → EXITED → STARTING
  d.crash(100); // exits too quickly
  assert.equal(d.state.state, 'BACKOFF');
  assert.equal(d.fireNext().waited, 1000);
});

test('supervisord: startSeconds 0 never goes FATAL, but the restart budget stops the loop', () => {
  const d = new Driver(config({ startSeconds: 0, restartBudget: { maxRestarts: 5, windowSeconds: 60 } }));
  d.send({ type: 'start' });
  for (let i = 0; i < 5; i++) d.crash(10);
  assert.equal(d.state.state, 'RUNNING');
  d.crash(10);
  assert.equal(d.state.state, 'FATAL');
  assert.equal(restartsOf(d.state), 5);
});

test('stop after stopWaitSeconds escalates to SIGKILL, and the exit ends in STOPPED', () => {
  const d = new Driver(config({ stopWaitSeconds: 2 }));
  d.send({ type: 'start' });
  d.fireNext();
  const stop = d.send({ type: 'stop' });
  assert.deepEqual(effectsOf(stop, 'signal'), [{ type: 'signal', pid: 1001, signal: 'TERM', group: true }]);
  const { timer, waited } = d.fireNext();
  assert.equal(timer, 'kill');
  assert.equal(waited, 2000);
  d.send({ type: 'exited', generation: 1, code: null, signal: 'SIGKILL' });
  assert.equal(d.state.state, 'STOPPED');
  assert.equal(d.timers.size, 0);
});

test('backoffDelayMs: linear n × initial, exponential initial × 2^(n-1), both capped at maxSeconds', () => {
  const cases: [Parameters<typeof backoffDelayMs>[1], number[]][] = [
    [{ policy: 'linear', initialSeconds: 1, resetAfterSeconds: 0 }, [1000, 2000, 3000, 4000, 5000]],
    [{ policy: 'linear', initialSeconds: 2, maxSeconds: 5, resetAfterSeconds: 0 }, [2000, 4000, 5000, 5000, 5000]],
    [{ policy: 'exponential', initialSeconds: 1, resetAfterSeconds: 0 }, [1000, 2000, 4000, 8000, 16_000]],
    [{ policy: 'exponential', initialSeconds: 3, maxSeconds: 20, resetAfterSeconds: 0 }, [3000, 6000, 12_000, 20_000, 20_000]],
  ];
  for (const [b, delays] of cases)
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => backoffDelayMs(n, b)),
      delays,
      JSON.stringify(b),
    );
  assert.equal(backoffDelayMs(1000, { policy: 'exponential', initialSeconds: 1, maxSeconds: 60, resetAfterSeconds: 0 }), 60_000);
});

test('exponential backoff over a crash loop: the restarts wait 1, 2, 4, 8, 8 s, and a long run resets it', () => {
  const d = new Driver(
    config({
      startSeconds: 1,
      backoff: { policy: 'exponential', initialSeconds: 1, maxSeconds: 8, resetAfterSeconds: 60 },
      restartBudget: { maxRestarts: 100, windowSeconds: 60 },
    }),
  );
  d.send({ type: 'start' });
  const waits: number[] = [];
  for (let i = 0; i < 5; i++) {
    assert.equal(d.fireNext().timer, 'start');
    d.crash(4000); // up 5 s in all: RUNNING, but shorter than resetAfterSeconds
    assert.equal(d.state.state, 'BACKOFF');
    const { timer, waited } = d.fireNext();
    assert.equal(timer, 'backoff');
    waits.push(waited);
  }
  assert.deepEqual(waits, [1000, 2000, 4000, 8000, 8000]);
  assert.equal(d.fireNext().timer, 'start');
  d.crash(60_000);
  assert.equal(d.state.state, 'STARTING', 'a run of resetAfterSeconds restarts at once');
  assert.equal(d.state.crashes, 0);
});
