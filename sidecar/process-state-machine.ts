// The life of one supervised program as a pure transition table, after supervisord 4.2
// (supervisor/process.py) with CorePod's additions: a restart budget over a sliding window,
// restarts on failed health checks and on memory over the limit, early RUNNING on a passing
// health check, linear or exponential backoff (also between short runs), exit codes that prevent
// a restart, and programs whose exit ends the container. Rows are states, columns are events, each cell a tiny function returning the next
// state and the effects (spawn, signal, timers, notices) that the runner carries out.
import type { ProcessStateName, StopSignal } from '../crds/corepod-schema.js';

export type SignalName = StopSignal | 'KILL' | 'CONT' | 'STOP' | 'WINCH' | 'ALRM' | 'PIPE' | 'TSTP' | 'TTIN' | 'TTOU';
export type TimerName = 'start' | 'backoff' | 'kill' | 'watchdog';
export type RestartReason = 'admin' | 'health' | 'memory' | 'watchdog';

export interface BackoffConfig {
  policy: 'linear' | 'exponential';
  initialSeconds: number;
  maxSeconds?: number | undefined;
  /** 0: the count resets on RUNNING and exits from RUNNING restart at once (supervisord). */
  resetAfterSeconds: number;
}

export interface MachineConfig {
  startSeconds: number;
  startRetries: number;
  autorestart: boolean | 'unexpected';
  exitCodes: readonly number[];
  backoff: BackoffConfig;
  restartPreventExitCodes: readonly number[];
  exitContainerOnExit: boolean;
  /**
   * The program says when it is ready (sd_notify READY=1 or a newline on its notifyFd): RUNNING only
   * then, a failed start (stopped, then FATAL) if not within startTimeoutSeconds; with
   * watchdogSeconds, restarted when WATCHDOG=1 pings stop.
   */
  notify?: { startTimeoutSeconds: number; watchdogSeconds?: number | undefined } | undefined;
  /**
   * lifecycle hooks: postStart runs after the spawn (at most startTimeoutSeconds) and holds RUNNING
   * back until it succeeded; preStop runs before the stop signal, within stopWaitSeconds.
   */
  hooks?: { postStart: boolean; preStop: boolean; startTimeoutSeconds: number } | undefined;
  stopSignal: StopSignal;
  stopWaitSeconds: number;
  restartBudget: { maxRestarts: number; windowSeconds: number };
  health?: { failureThreshold: number };
  memory?: { limitBytes: number; action: 'alert' | 'restart' };
}

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  at: number;
}

export interface ProgramState {
  readonly state: ProcessStateName;
  /** When the state last changed (ms). */
  readonly since: number;
  /** Incremented at every spawn; events of older runs are ignored. */
  readonly generation: number;
  readonly pid: number | undefined;
  readonly startedAt: number | undefined;
  /** supervisord's backoff counter: failed starts in a row. */
  readonly backoff: number;
  /** Exits from RUNNING in a row sooner than backoff.resetAfterSeconds after their start. */
  readonly crashes: number;
  readonly spawns: number;
  /** Times of automatic restarts inside the budget window. */
  readonly restartTimes: readonly number[];
  readonly pendingRestart: RestartReason | undefined;
  readonly shuttingDown: boolean;
  readonly lastExit: ExitInfo | undefined;
  readonly healthy: boolean | undefined;
  readonly healthFailures: number;
  readonly memoryOver: boolean;
  /** Why the program is FATAL, or why the last spawn failed. */
  readonly reason: string | undefined;
  /** Set when a stop was begun because the start failed (no READY in time, a failed postStart): where it goes once stopped. */
  readonly afterStop: { to: 'FATAL' | 'BACKOFF'; reason: string } | undefined;
  /** The lifecycle hook running now, if any. */
  readonly hook: HookName | undefined;
  /** Why it would have become RUNNING while its postStart hook still ran: it does once the hook succeeded. */
  readonly heldRunning: string | undefined;
}

export type HookName = 'postStart' | 'preStop';

export type MachineEvent =
  | { type: 'start' }
  | { type: 'spawned'; generation: number; pid: number }
  | { type: 'spawnFailed'; generation: number; error: string }
  | { type: 'exited'; generation: number; code: number | null; signal: string | null }
  | { type: 'timer'; generation: number; timer: TimerName }
  /** reason: why, when not an administrator's request (a dependency failed). */
  | { type: 'stop'; reason?: string }
  | { type: 'restart'; reason: RestartReason }
  | { type: 'shutdown' }
  | { type: 'forceKill' }
  | { type: 'signal'; signal: SignalName }
  | { type: 'probe'; generation: number; ok: boolean; message?: string }
  | { type: 'memory'; generation: number; bytes: number }
  /** What a notify program said: READY=1, WATCHDOG=1 (ping) or WATCHDOG=trigger, EXTEND_TIMEOUT_USEC (as ms). */
  | { type: 'notify'; generation: number; ready?: boolean; watchdog?: 'ping' | 'trigger'; extendMs?: number }
  | { type: 'hookDone'; generation: number; hook: HookName; ok: boolean; message?: string };

export type MachineEventType = MachineEvent['type'];

export const EVENT_TYPES: readonly MachineEventType[] = [
  'start',
  'spawned',
  'spawnFailed',
  'exited',
  'timer',
  'stop',
  'restart',
  'shutdown',
  'forceKill',
  'signal',
  'probe',
  'memory',
  'notify',
  'hookDone',
];

export type Notice =
  | {
      kind: 'state';
      from: ProcessStateName;
      to: ProcessStateName;
      reason?: string;
      pid?: number;
      exitCode?: number | null;
      signal?: string | null;
      expected?: boolean;
    }
  | { kind: 'health'; healthy: boolean; failures: number; message?: string }
  | { kind: 'memory'; over: boolean; bytes: number; limitBytes: number; action: 'alert' | 'restart' }
  | { kind: 'sigkill'; pid: number; reason: string };

export type Effect =
  | { type: 'spawn'; generation: number }
  /** Send a signal to the process (group: to its whole process group, whose id is the pid). */
  | { type: 'signal'; pid: number; signal: SignalName; group: boolean }
  | { type: 'setTimer'; timer: TimerName; ms: number; generation: number }
  | { type: 'cancelTimer'; timer: TimerName }
  | { type: 'emit'; notice: Notice }
  /** The program ended by itself and has exitContainerOnExit: stop everything, exit with its status. */
  | { type: 'exitContainer'; code: number | null; signal: string | null }
  /** Run the program's lifecycle hook; its result comes back as hookDone. */
  | { type: 'runHook'; hook: HookName; generation: number; timeoutMs: number };

/** Why an administrative command was refused. */
export type CommandError = 'ALREADY_STARTED' | 'NOT_RUNNING' | 'STOPPING' | 'SHUTTING_DOWN';

export interface Transition {
  state: ProgramState;
  effects: Effect[];
  error?: CommandError;
}

export function initialState(now: number): ProgramState {
  return {
    state: 'STOPPED',
    since: now,
    generation: 0,
    pid: undefined,
    startedAt: undefined,
    backoff: 0,
    crashes: 0,
    spawns: 0,
    restartTimes: [],
    pendingRestart: undefined,
    shuttingDown: false,
    lastExit: undefined,
    healthy: undefined,
    healthFailures: 0,
    memoryOver: false,
    reason: undefined,
    afterStop: undefined,
    hook: undefined,
    heldRunning: undefined,
  };
}

/** Restarts so far: every spawn after the first. */
export function restartsOf(state: ProgramState): number {
  return Math.max(0, state.spawns - 1);
}

/** The delay before retry `n` (1, 2, ...): linear n × initial or exponential initial × 2^(n-1), capped at maxSeconds. */
export function backoffDelayMs(n: number, b: BackoffConfig): number {
  const seconds = b.policy === 'linear' ? n * b.initialSeconds : b.initialSeconds * 2 ** Math.min(Math.max(n - 1, 0), 30);
  return Math.min(seconds, b.maxSeconds ?? Number.POSITIVE_INFINITY) * 1000;
}

type Cell<E extends MachineEvent = MachineEvent> = (s: ProgramState, e: E, now: number, c: MachineConfig) => Transition;
type Row = { [K in MachineEventType]?: Cell<Extract<MachineEvent, { type: K }>> };

// ---- small builders ----

const unchanged = (s: ProgramState, error?: CommandError): Transition => (error ? { state: s, effects: [], error } : { state: s, effects: [] });

/** Moves to `to`, emitting the state notice. */
function enter(t: Transition, to: ProcessStateName, now: number, extra: Omit<Extract<Notice, { kind: 'state' }>, 'kind' | 'from' | 'to'> = {}): Transition {
  const notice: Notice = { kind: 'state', from: t.state.state, to, ...extra };
  return { ...t, state: { ...t.state, state: to, since: now }, effects: [...t.effects, { type: 'emit', notice }] };
}

const withEffects = (t: Transition, ...effects: Effect[]): Transition => ({ ...t, effects: [...t.effects, ...effects] });
const patch = (t: Transition, fields: Partial<ProgramState>): Transition => ({ ...t, state: { ...t.state, ...fields } });

function spawn(t: Transition, now: number, reason: string, reset: boolean): Transition {
  const s = t.state;
  const generation = s.generation + 1;
  const next = patch(t, {
    generation,
    pid: undefined,
    startedAt: now,
    spawns: s.spawns + 1,
    pendingRestart: undefined,
    healthy: undefined,
    healthFailures: 0,
    memoryOver: false,
    reason: undefined,
    afterStop: undefined,
    hook: undefined,
    heldRunning: undefined,
    ...(reset ? { backoff: 0, crashes: 0, restartTimes: [] } : {}),
  });
  return withEffects(enter(next, 'STARTING', now, { reason }), { type: 'spawn', generation });
}

/**
 * An automatic restart, unless the restart budget of the window is used up (then FATAL); after
 * `delayMs` in BACKOFF when given, else at once.
 */
function budgetedRestart(t: Transition, now: number, c: MachineConfig, reason: string, delayMs?: number): Transition {
  const windowMs = c.restartBudget.windowSeconds * 1000;
  const recent = t.state.restartTimes.filter((at) => at > now - windowMs);
  if (recent.length >= c.restartBudget.maxRestarts) {
    const why = `restart budget exhausted: ${recent.length} restarts in ${c.restartBudget.windowSeconds}s`;
    return enter(patch(t, { restartTimes: recent, reason: why, backoff: 0 }), 'FATAL', now, { reason: why });
  }
  const counted = patch(t, { restartTimes: [...recent, now] });
  if (delayMs === undefined) return spawn(counted, now, reason, false);
  const why = `${reason} in ${delayMs / 1000}s (backoff)`;
  return withEffects(enter(patch(counted, { reason: why }), 'BACKOFF', now, { reason: why }), {
    type: 'setTimer',
    timer: 'backoff',
    ms: delayMs,
    generation: t.state.generation,
  });
}

/** STARTING → BACKOFF, then FATAL when the retries are used up (supervisord: backoff > startretries). */
function enterBackoff(t: Transition, now: number, c: MachineConfig, reason: string): Transition {
  const backoff = t.state.backoff + 1;
  const next = enter(patch(t, { backoff, pid: undefined, reason }), 'BACKOFF', now, { reason });
  if (t.state.shuttingDown) return enter(patch(next, { backoff: 0 }), 'STOPPED', now, { reason: 'shutting down' });
  if (backoff > c.startRetries) {
    const why = 'too many start retries too quickly';
    return enter(patch(next, { backoff: 0, reason: why }), 'FATAL', now, { reason: why });
  }
  return withEffects(next, { type: 'setTimer', timer: 'backoff', ms: backoffDelayMs(backoff, c.backoff), generation: t.state.generation });
}

function becomeRunning(t: Transition, now: number, reason: string, c?: MachineConfig): Transition {
  if (t.state.hook === 'postStart') return patch(t, { heldRunning: reason });
  const ran = enter(patch(t, { backoff: 0 }), 'RUNNING', now, { reason, ...(t.state.pid !== undefined ? { pid: t.state.pid } : {}) });
  return c?.notify?.watchdogSeconds ? armWatchdog(ran, c.notify.watchdogSeconds) : ran;
}

function armWatchdog(t: Transition, seconds: number): Transition {
  return withEffects(t, { type: 'setTimer', timer: 'watchdog', ms: seconds * 1000, generation: t.state.generation });
}

/**
 * Sends the stop signal to the group and arms the SIGKILL timer; with a preStop hook (unless
 * skipped), runs the hook first and sends the signal when it is done, the SIGKILL timer counting
 * from now.
 */
function beginStop(t: Transition, now: number, c: MachineConfig, pendingRestart: RestartReason | undefined, reason: string, skipPreStop = false): Transition {
  const s = t.state;
  let next = patch(t, { pendingRestart, hook: undefined, heldRunning: undefined });
  if (s.state === 'STARTING') next = withEffects(next, { type: 'cancelTimer', timer: 'start' });
  if (c.notify?.watchdogSeconds) next = withEffects(next, { type: 'cancelTimer', timer: 'watchdog' });
  next = enter(next, 'STOPPING', now, { reason });
  if (s.pid === undefined) return next; // not yet spawned: the exit (or spawn failure) will follow
  if (c.hooks?.preStop && !skipPreStop && c.stopSignal !== 'KILL') {
    return withEffects(
      patch(next, { hook: 'preStop' }),
      // The hook outlives the deadline a little, so that an overrun always ends by the kill timer (stop signal, then the grace).
      { type: 'runHook', hook: 'preStop', generation: s.generation, timeoutMs: c.stopWaitSeconds * 1000 + PRESTOP_OVERRUN_MS },
      { type: 'setTimer', timer: 'kill', ms: c.stopWaitSeconds * 1000, generation: s.generation },
    );
  }
  return withEffects(
    next,
    { type: 'signal', pid: s.pid, signal: c.stopSignal, group: true },
    { type: 'setTimer', timer: 'kill', ms: c.stopWaitSeconds * 1000, generation: s.generation },
  );
}

function exitFacts(e: { code: number | null; signal: string | null }, pid: number | undefined) {
  return { exitCode: e.code, signal: e.signal, ...(pid !== undefined ? { pid } : {}) };
}

/** What is left of the exited process's group is killed: no stragglers hold ports or pipes. */
function killStragglers(t: Transition, pid: number | undefined): Transition {
  return pid === undefined ? t : withEffects(t, { type: 'signal', pid, signal: 'KILL', group: true });
}

type ExitEvent = Extract<MachineEvent, { type: 'exited' }>;

const isExpected = (e: ExitEvent, c: MachineConfig) => e.signal === null && e.code !== null && c.exitCodes.includes(e.code);
const preventsRestart = (e: ExitEvent, c: MachineConfig) => e.signal === null && e.code !== null && c.restartPreventExitCodes.includes(e.code);

/**
 * An exit after which the program is not started again, whatever autorestart says: with
 * exitContainerOnExit (the container exits with its status) or an exit code in
 * restartPreventExitCodes. Undefined for any other exit.
 */
function finalExit(t: Transition, e: ExitEvent, now: number, c: MachineConfig, pid: number | undefined): Transition | undefined {
  if (t.state.shuttingDown) return undefined;
  const expected = isExpected(e, c);
  if (c.exitContainerOnExit) {
    const reason = 'exited: the container exits with its status (exitContainerOnExit)';
    const next = enter(patch(t, { pid: undefined, reason }), 'EXITED', now, { ...exitFacts(e, pid), expected, reason });
    return withEffects(next, { type: 'exitContainer', code: e.code, signal: e.signal });
  }
  if (preventsRestart(e, c)) {
    const reason = `exited with ${e.code}: not restarted (restartPreventExitCodes)`;
    return enter(patch(t, { pid: undefined, reason }), 'EXITED', now, { ...exitFacts(e, pid), expected, reason });
  }
  return undefined;
}

/**
 * A program that is not restarted after an expected exit (autorestart false or "unexpected") and
 * exits with an expected code before startSeconds has completed, like a oneshot task: EXITED, not
 * a failed start to retry (supervisord would retry it).
 */
function completedEarly(t: Transition, e: ExitEvent, now: number, c: MachineConfig, pid: number | undefined): Transition | undefined {
  if (t.state.shuttingDown || c.autorestart === true || !isExpected(e, c)) return undefined;
  const reason = 'completed (an expected exit code, before startSeconds)';
  return enter(patch(t, { pid: undefined, backoff: 0, reason }), 'EXITED', now, { ...exitFacts(e, pid), expected: true, reason });
}

function exitFromRunning(t: Transition, e: ExitEvent, now: number, c: MachineConfig): Transition {
  const s = t.state;
  const expected = isExpected(e, c);
  const lastExit = { code: e.code, signal: e.signal, at: now };
  const final = finalExit(patch(t, { lastExit, backoff: 0 }), e, now, c, s.pid);
  if (final) return final;
  const next = enter(patch(t, { pid: undefined, lastExit, backoff: 0 }), 'EXITED', now, {
    ...exitFacts(e, s.pid),
    expected,
    reason: expected ? 'exited (expected)' : 'exited (not expected)',
  });
  if (s.shuttingDown) return next;
  const again = c.autorestart === true || (c.autorestart === 'unexpected' && !expected);
  if (!again) return next;
  const resetMs = c.backoff.resetAfterSeconds * 1000;
  if (resetMs === 0 || s.startedAt === undefined || now - s.startedAt >= resetMs) return budgetedRestart(patch(next, { crashes: 0 }), now, c, 'autorestart');
  const crashes = s.crashes + 1;
  return budgetedRestart(patch(next, { crashes }), now, c, 'autorestart', backoffDelayMs(crashes, c.backoff));
}

function afterStopped(t: Transition, now: number, c: MachineConfig): Transition {
  const after = t.state.afterStop;
  if (after?.to === 'FATAL') return enter(patch(t, { afterStop: undefined, pendingRestart: undefined, reason: after.reason, backoff: 0 }), 'FATAL', now, { reason: after.reason });
  if (after?.to === 'BACKOFF') return enterBackoff(patch(t, { afterStop: undefined, pendingRestart: undefined }), now, c, after.reason);
  const reason = t.state.pendingRestart;
  if (reason === undefined || t.state.shuttingDown) return patch(t, { pendingRestart: undefined });
  if (reason === 'admin') return spawn(t, now, 'restart requested', true);
  const why = reason === 'health' ? 'restart after failed health checks' : reason === 'memory' ? 'restart after memory over limit' : 'restart after a missed watchdog';
  return budgetedRestart(t, now, c, why);
}

// ---- the table ----

const startCell: Cell<{ type: 'start' }> = (s, _e, now) =>
  s.shuttingDown ? unchanged(s, 'SHUTTING_DOWN') : spawn({ state: s, effects: [] }, now, 'start', s.state === 'FATAL' || s.state === 'STOPPED' || s.state === 'EXITED');

const alreadyStarted: Cell<{ type: 'start' }> = (s) => unchanged(s, 'ALREADY_STARTED');
const notRunning = (s: ProgramState): Transition => unchanged(s, 'NOT_RUNNING');

const adminRestartWhenDown: Cell<{ type: 'restart'; reason: RestartReason }> = (s, e, now, c) => (e.reason !== 'admin' ? unchanged(s) : startCell(s, { type: 'start' }, now, c));

const restartWhileUp: Cell<{ type: 'restart'; reason: RestartReason }> = (s, e, now, c) => {
  if (s.shuttingDown) return unchanged(s, 'SHUTTING_DOWN');
  if (e.reason === 'health' && s.state !== 'RUNNING') return unchanged(s);
  const why = { admin: 'restart requested', health: 'health check failed', memory: 'memory over limit', watchdog: 'watchdog triggered' }[e.reason];
  return beginStop({ state: s, effects: [] }, now, c, e.reason, why);
};

const stopWhileUp: Cell<{ type: 'stop'; reason?: string }> = (s, e, now, c) =>
  beginStop({ state: s, effects: [] }, now, c, undefined, s.shuttingDown ? 'shutting down' : (e.reason ?? 'stop requested'));

const signalWhileUp: Cell<{ type: 'signal'; signal: SignalName }> = (s, e) =>
  s.pid === undefined ? notRunning(s) : { state: s, effects: [{ type: 'signal', pid: s.pid, signal: e.signal, group: false }] };

const forceKillWhileUp: Cell<{ type: 'forceKill' }> = (s, _e, now, c) =>
  beginStop({ state: s, effects: [] }, now, { ...c, stopSignal: 'KILL' }, undefined, 'stop deadline reached', true);

/** After a preStop hook that took all of stopWaitSeconds: the time between the stop signal and SIGKILL. */
export const PRESTOP_OVERRUN_MS = 2000;

const markShutdown: Cell<{ type: 'shutdown' }> = (s) => ({ state: { ...s, shuttingDown: true, pendingRestart: undefined }, effects: [] });

const memoryCell: Cell<{ type: 'memory'; generation: number; bytes: number }> = (s, e, now, c) => {
  if (!c.memory) return unchanged(s);
  const over = e.bytes > c.memory.limitBytes;
  if (over === s.memoryOver) return unchanged(s);
  const notice: Notice = { kind: 'memory', over, bytes: e.bytes, limitBytes: c.memory.limitBytes, action: c.memory.action };
  const t: Transition = { state: { ...s, memoryOver: over }, effects: [{ type: 'emit', notice }] };
  if (!over || c.memory.action !== 'restart' || s.shuttingDown) return t;
  return beginStop(t, now, c, 'memory', 'memory over limit');
};

export const TABLE: Record<ProcessStateName, Row> = {
  STOPPED: {
    start: startCell,
    stop: (s) => notRunning(s),
    restart: adminRestartWhenDown,
    shutdown: markShutdown,
    signal: (s) => notRunning(s),
  },
  STARTING: {
    start: alreadyStarted,
    spawned: (s, e, now, c) => {
      let t = patch({ state: s, effects: [] }, { pid: e.pid });
      if (c.hooks?.postStart) {
        t = withEffects(patch(t, { hook: 'postStart' }), { type: 'runHook', hook: 'postStart', generation: s.generation, timeoutMs: c.hooks.startTimeoutSeconds * 1000 });
      }
      if (c.notify) return withEffects(t, { type: 'setTimer', timer: 'start', ms: c.notify.startTimeoutSeconds * 1000, generation: s.generation });
      if (c.startSeconds === 0) return becomeRunning(t, now, 'started (startSeconds is 0)');
      return withEffects(t, { type: 'setTimer', timer: 'start', ms: c.startSeconds * 1000, generation: s.generation });
    },
    spawnFailed: (s, e, now, c) => enterBackoff({ state: s, effects: [] }, now, c, `spawn failed: ${e.error}`),
    exited: (s, e, now, c) => {
      const lastExit = { code: e.code, signal: e.signal, at: now };
      let t = killStragglers(withEffects({ state: { ...s, lastExit, hook: undefined, heldRunning: undefined }, effects: [] }, { type: 'cancelTimer', timer: 'start' }), s.pid);
      if (c.notify) return finalExit(t, e, now, c, s.pid) ?? enterBackoff(t, now, c, 'exited before it said it was ready');
      const tooQuickly = s.startedAt !== undefined && now - s.startedAt < c.startSeconds * 1000;
      if (tooQuickly) return finalExit(t, e, now, c, s.pid) ?? completedEarly(t, e, now, c, s.pid) ?? enterBackoff(t, now, c, 'exited too quickly');
      // The start timer has not fired yet although startSeconds passed: it was RUNNING.
      t = becomeRunning(t, now, `stayed up for ${c.startSeconds}s (startSeconds)`);
      return exitFromRunning(t, e, now, c);
    },
    timer: (s, e, now, c) => {
      if (e.timer !== 'start') return unchanged(s);
      if (!c.notify) return becomeRunning({ state: s, effects: [] }, now, `stayed up for more than startSeconds`, c);
      const why = `did not say it was ready within ${c.notify.startTimeoutSeconds}s (startTimeoutSeconds)`;
      return beginStop(patch({ state: s, effects: [] }, { afterStop: { to: 'FATAL', reason: why } }), now, c, undefined, why);
    },
    stop: stopWhileUp,
    restart: restartWhileUp,
    shutdown: markShutdown,
    forceKill: forceKillWhileUp,
    signal: signalWhileUp,
    probe: (s, e, now, c) => {
      if (!e.ok) return unchanged(s);
      const health: Effect = { type: 'emit', notice: { kind: 'health', healthy: true, failures: 0, ...(e.message ? { message: e.message } : {}) } };
      if (c.notify) return s.healthy === true ? unchanged(s) : { state: { ...s, healthy: true, healthFailures: 0 }, effects: [health] };
      const t = withEffects({ state: { ...s, healthy: true, healthFailures: 0 }, effects: [] }, { type: 'cancelTimer', timer: 'start' });
      const ran = becomeRunning(t, now, 'health check passed');
      return withEffects(ran, { type: 'emit', notice: { kind: 'health', healthy: true, failures: 0, ...(e.message ? { message: e.message } : {}) } });
    },
    memory: memoryCell,
    hookDone: (s, e, now, c) => {
      if (e.hook !== 'postStart' || s.hook !== 'postStart') return unchanged(s);
      const t: Transition = { state: { ...s, hook: undefined, heldRunning: undefined }, effects: [] };
      if (e.ok) return s.heldRunning !== undefined ? becomeRunning(t, now, s.heldRunning, c) : t;
      const why = `postStart hook failed: ${e.message ?? 'failed'}`;
      return beginStop(patch(t, { afterStop: { to: 'BACKOFF', reason: why } }), now, c, undefined, why, true);
    },
    notify: (s, e, now, c) => {
      if (e.ready) return becomeRunning(withEffects({ state: s, effects: [] }, { type: 'cancelTimer', timer: 'start' }), now, 'said it is ready', c);
      if (e.extendMs !== undefined) return { state: s, effects: [{ type: 'setTimer', timer: 'start', ms: e.extendMs, generation: s.generation }] };
      return unchanged(s);
    },
  },
  RUNNING: {
    start: alreadyStarted,
    exited: (s, e, now, c) => exitFromRunning(killStragglers({ state: s, effects: [] }, s.pid), e, now, c),
    stop: stopWhileUp,
    restart: restartWhileUp,
    shutdown: markShutdown,
    forceKill: forceKillWhileUp,
    signal: signalWhileUp,
    probe: (s, e, now, c) => {
      const message = e.message ? { message: e.message } : {};
      if (e.ok) {
        if (s.healthy === true) return s.healthFailures === 0 ? unchanged(s) : { state: { ...s, healthFailures: 0 }, effects: [] };
        return { state: { ...s, healthy: true, healthFailures: 0 }, effects: [{ type: 'emit', notice: { kind: 'health', healthy: true, failures: 0, ...message } }] };
      }
      const failures = s.healthFailures + 1;
      const threshold = c.health?.failureThreshold ?? 1;
      if (failures < threshold) return { state: { ...s, healthFailures: failures }, effects: [] };
      const t: Transition = {
        state: { ...s, healthy: false, healthFailures: failures },
        effects: [{ type: 'emit', notice: { kind: 'health', healthy: false, failures, ...message } }],
      };
      return s.shuttingDown ? t : beginStop(t, now, c, 'health', `health check failed ${failures} times`);
    },
    memory: memoryCell,
    timer: (s, e, now, c) =>
      e.timer === 'watchdog' && c.notify?.watchdogSeconds && !s.shuttingDown
        ? beginStop({ state: s, effects: [] }, now, c, 'watchdog', `no WATCHDOG=1 within ${c.notify.watchdogSeconds}s (watchdogSeconds)`)
        : unchanged(s),
    notify: (s, e, now, c) => {
      const seconds = c.notify?.watchdogSeconds;
      if (e.watchdog === 'trigger' && !s.shuttingDown) return beginStop({ state: s, effects: [] }, now, c, 'watchdog', 'WATCHDOG=trigger');
      if (e.watchdog === 'ping' && seconds) return armWatchdog({ state: s, effects: [] }, seconds);
      return unchanged(s);
    },
  },
  BACKOFF: {
    start: alreadyStarted,
    timer: (s, e, now) =>
      e.timer === 'backoff' && !s.shuttingDown ? spawn({ state: s, effects: [] }, now, s.backoff > 0 ? `retry ${s.backoff}` : 'autorestart after backoff', false) : unchanged(s),
    stop: (s, _e, now) => enter({ state: s, effects: [{ type: 'cancelTimer', timer: 'backoff' }] }, 'STOPPED', now, { reason: 'stop requested' }),
    restart: (s, e, now) => {
      if (e.reason !== 'admin') return unchanged(s);
      if (s.shuttingDown) return unchanged(s, 'SHUTTING_DOWN');
      return spawn({ state: s, effects: [{ type: 'cancelTimer', timer: 'backoff' }] }, now, 'restart requested', true);
    },
    shutdown: (s, _e, now) =>
      enter({ state: { ...s, shuttingDown: true, backoff: 0 }, effects: [{ type: 'cancelTimer', timer: 'backoff' }] }, 'STOPPED', now, { reason: 'shutting down' }),
    signal: (s) => notRunning(s),
  },
  STOPPING: {
    start: (s) => unchanged(s, 'STOPPING'),
    exited: (s, e, now, c) => {
      const lastExit = { code: e.code, signal: e.signal, at: now };
      const t = killStragglers({ state: { ...s, pid: undefined, lastExit, hook: undefined }, effects: [{ type: 'cancelTimer', timer: 'kill' }] }, s.pid);
      return afterStopped(enter(t, 'STOPPED', now, { ...exitFacts(e, s.pid), reason: 'stopped' }), now, c);
    },
    // Stopped before the spawn was confirmed: the new process gets the stop signal at once.
    spawned: (s, e, _now, c) => ({
      state: { ...s, pid: e.pid },
      effects: [
        { type: 'signal', pid: e.pid, signal: c.stopSignal, group: true },
        { type: 'setTimer', timer: 'kill', ms: c.stopWaitSeconds * 1000, generation: s.generation },
      ],
    }),
    spawnFailed: (s, e, now, c) => afterStopped(enter({ state: { ...s, reason: `spawn failed: ${e.error}` }, effects: [] }, 'STOPPED', now, { reason: 'spawn failed' }), now, c),
    hookDone: (s, e, _now, c) => {
      if (e.hook !== 'preStop' || s.hook !== 'preStop' || s.pid === undefined) return unchanged(s);
      return { state: { ...s, hook: undefined }, effects: [{ type: 'signal', pid: s.pid, signal: c.stopSignal, group: true }] };
    },
    timer: (s, e, _now, c) => {
      if (e.timer !== 'kill' || s.pid === undefined) return unchanged(s);
      // preStop used up stopWaitSeconds: the stop signal now, SIGKILL 2 s later (the kubelet's grace).
      if (s.hook === 'preStop') {
        return {
          state: { ...s, hook: undefined },
          effects: [
            { type: 'signal', pid: s.pid, signal: c.stopSignal, group: true },
            { type: 'setTimer', timer: 'kill', ms: PRESTOP_OVERRUN_MS, generation: s.generation },
          ],
        };
      }
      // supervisord repeats SIGKILL every stopwaitsecs; a process that survives it stays STOPPING.
      return {
        state: s,
        effects: [
          { type: 'signal', pid: s.pid, signal: 'KILL', group: true },
          { type: 'emit', notice: { kind: 'sigkill', pid: s.pid, reason: `still running ${c.stopWaitSeconds}s after ${c.stopSignal}` } },
          { type: 'setTimer', timer: 'kill', ms: Math.max(1, c.stopWaitSeconds) * 1000, generation: s.generation },
        ],
      };
    },
    // A stop while stopping cancels a pending restart.
    stop: (s) => (s.pendingRestart ? { state: { ...s, pendingRestart: undefined }, effects: [] } : notRunning(s)),
    restart: (s, e) => (e.reason === 'admin' && !s.shuttingDown ? { state: { ...s, pendingRestart: 'admin' }, effects: [] } : unchanged(s)),
    shutdown: markShutdown,
    forceKill: (s) => (s.pid === undefined ? unchanged(s) : { state: s, effects: [{ type: 'signal', pid: s.pid, signal: 'KILL', group: true }] }),
    signal: signalWhileUp,
    notify: (s, e) =>
      e.extendMs !== undefined && s.pid !== undefined ? { state: s, effects: [{ type: 'setTimer', timer: 'kill', ms: e.extendMs, generation: s.generation }] } : unchanged(s),
  },
  EXITED: {
    start: startCell,
    stop: (s) => notRunning(s),
    restart: adminRestartWhenDown,
    shutdown: markShutdown,
    signal: (s) => notRunning(s),
  },
  FATAL: {
    start: startCell,
    stop: (s) => notRunning(s),
    restart: adminRestartWhenDown,
    shutdown: markShutdown,
    signal: (s) => notRunning(s),
  },
};

const GENERATION_BOUND: ReadonlySet<MachineEventType> = new Set(['spawned', 'spawnFailed', 'exited', 'timer', 'probe', 'memory', 'notify', 'hookDone']);

/** The next state and the effects to carry out. Events of an older run (generation) are ignored. */
export function transition(state: ProgramState, event: MachineEvent, now: number, config: MachineConfig): Transition {
  if (GENERATION_BOUND.has(event.type) && 'generation' in event && event.generation !== state.generation) return unchanged(state);
  const cell = TABLE[state.state][event.type] as Cell | undefined;
  if (!cell) return unchanged(state, isCommand(event.type) ? 'NOT_RUNNING' : undefined);
  return cell(state, event, now, config);
}

/** Events that come from an administrator (and answer with an error when refused). */
export function isCommand(type: MachineEventType): boolean {
  return type === 'start' || type === 'stop' || type === 'restart' || type === 'signal';
}
