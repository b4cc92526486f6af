// The supervisor: runs the effects of the per-program state machines (spawn, signals, timers), one
// event at a time, gates starts on dependencies, stops in order under one deadline, and publishes
// every change to its subscribers; health-monitor.ts probes, memory-watch.ts samples memory. All world access goes through narrow interfaces
// (ProcessRunner, Probe, MemoryReader, Clock) chosen by the caller.
import type { CorePodSpec, HealthCheckSpec, ProcessStateName, ProcessStatus, ProgramSpec } from '../crds/corepod-schema.js';
import { systemClock, wallTime, type Clock, type TimerHandle } from '../lib/clock.js';
import { dependencyVerdict, startable, stopWaves, type Dependency, type DependencyVerdict } from './dependency-order.js';
import { expandCommand, expandReferences, lookupIn, programEnvironment } from './expand-references.js';
import { ownVariables, sharedEnv } from '../contract/program-env.js';
import { INSTANCE_ENV, expandInstances, type InstanceSource, type SupervisedProgram } from '../contract/instances.js';
import { EventHub, type SubscribeOptions, type Subscription, type Sink, type SupervisorEvent } from './event-hub.js';
import { HealthMonitor } from './health-monitor.js';
import { networkProbe, type Probe, type ProbeResult } from './health-probe.js';
import { silentLogger, type Logger } from './logger.js';
import { JobQueue } from './job-queue.js';
import { ProgramLog, type LogMirror } from './logs/program-log.js';
import type { MemoryReader } from './memory-reader.js';
import { MemoryWatch, type ContainerMemoryFigures } from './memory-watch.js';
import { parseNotify } from './notify-protocol.js';
import { decideRun } from './schedule-policy.js';
import { nextRun, parseCron, type CronSchedule } from '../lib/cron.js';
import type { NotifyChannel } from './notify-socket.js';
import {
  initialState,
  restartsOf,
  transition,
  type CommandError,
  type Effect,
  type MachineConfig,
  type MachineEvent,
  type Notice,
  type ProgramState,
  type SignalName,
  type HookName,
  type TimerName,
  type Transition,
} from './process-state-machine.js';
import { signalNumber, type ProcessRunner, type SpawnRequest } from './process-runner.js';
import { detailOf, healthReport, statusOf, type HealthReport, type ProgramDetail } from './supervisor-views.js';
import type { SwitchPlan } from './user-switch.js';
import { SIDECAR_ENV } from '../contract/sidecar-contract.js';
import type { SpecDiff } from '../contract/spec-diff.js';

export type Action = 'start' | 'stop' | 'restart';

export interface CommandResult {
  name: string;
  ok: boolean;
  state: ProcessStateName;
  error?: CommandError | 'ABNORMAL_TERMINATION' | 'TIMEOUT' | 'NO_SUCH_PROGRAM';
  message?: string;
}

export interface SupervisorOptions {
  spec: CorePodSpec;
  runner: ProcessRunner;
  memory: MemoryReader;
  probe?: Probe;
  clock?: Clock;
  logger?: Logger;
  /** The stdout JSON mirror shared by all programs that have logs.mirror on. */
  mirror?: LogMirror;
  /** Environment the programs inherit (before their own env). */
  baseEnv?: NodeJS.ProcessEnv;
  /** How each program (by name) switches user; absent = no switch. */
  userPlans?: Map<string, SwitchPlan>;
  userEnvs?: Map<string, Record<string, string>>;
  memoryIntervalMs?: number;
  /** The NOTIFY_SOCKET of each program with notify: true (by name), opened by the caller. */
  notify?: Map<string, NotifyChannel>;
  /** Told of each finished health probe (the metrics' probe durations). */
  onProbe?: (program: string, result: ProbeResult) => void;
}

const EMPTY_CHANGES = { added: [], removed: [], restarted: [], reloaded: [], updated: [] };

const UP: ReadonlySet<ProcessStateName> = new Set(['STARTING', 'RUNNING', 'STOPPING']);
const DOWN: ReadonlySet<ProcessStateName> = new Set(['STOPPED', 'EXITED', 'FATAL']);

/** A Kubernetes quantity the config loader has already turned into bytes. */
export function toBytes(value: number | string): number {
  if (typeof value === 'number') return value;
  if (/^\d+$/.test(value)) return Number(value);
  throw new Error(`quantity "${value}" was not resolved to bytes by the config loader`);
}

/** A shell's view of how a process ended: its exit code, or 128 + the number of the signal that killed it. */
export function exitStatus(code: number | null, signal: string | null): number {
  if (code !== null) return code;
  const number = signal ? signalNumber(signal) : undefined;
  return number === undefined ? 1 : 128 + number;
}

export function machineConfig(program: ProgramSpec): MachineConfig {
  return {
    startSeconds: program.startSeconds,
    startRetries: program.startRetries,
    autorestart: program.autorestart,
    exitCodes: program.exitCodes,
    stopSignal: program.stopSignal,
    stopWaitSeconds: program.stopWaitSeconds,
    restartBudget: program.restartBudget,
    backoff: program.backoff,
    restartPreventExitCodes: program.restartPreventExitCodes,
    exitContainerOnExit: program.exitContainerOnExit,
    ...(program.healthCheck ? { health: { failureThreshold: program.healthCheck.failureThreshold } } : {}),
    ...(program.memory ? { memory: { limitBytes: toBytes(program.memory.limit), action: program.memory.action } } : {}),
    ...(program.notify || program.notifyFd !== undefined
      ? { notify: { startTimeoutSeconds: program.startTimeoutSeconds, ...(program.watchdogSeconds !== undefined ? { watchdogSeconds: program.watchdogSeconds } : {}) } }
      : {}),
    ...(program.lifecycle?.postStart || program.lifecycle?.preStop
      ? { hooks: { postStart: program.lifecycle.postStart !== undefined, preStop: program.lifecycle.preStop !== undefined, startTimeoutSeconds: program.startTimeoutSeconds } }
      : {}),
  };
}

/** What a program needs from outside the spec: its user switch and its NOTIFY_SOCKET (by program name). */
export interface ProgramExtras {
  userPlans?: Map<string, SwitchPlan>;
  userEnvs?: Map<string, Record<string, string>>;
  notify?: Map<string, NotifyChannel>;
}

/** What a reconfiguration did, by program name. */
export interface ReconfigureResult {
  ok: boolean;
  message?: string;
  added: string[];
  removed: string[];
  restarted: string[];
  reloaded: string[];
  updated: string[];
  kept: string[];
}

class Slot {
  state: ProgramState;
  readonly timers = new Map<TimerName, TimerHandle>();
  /** Waits to be started once its dependencies are ready. */
  waiting = false;
  /** While waiting: why, for the status (reason WaitingForDependencies or DependencyFailed). */
  wait: { reason: string; message: string } | undefined;
  /** The failed dependencies already reported, as name@generation. */
  readonly reportedFailures = new Set<string>();
  memoryBytes: number | undefined;
  /** What the program last said over NOTIFY_SOCKET: STATUS=, MAINPID=. */
  notifyStatus: string | undefined;
  mainPid: number | undefined;
  /** Aborts the lifecycle hook in flight (its process group is killed). */
  hookAbort: AbortController | undefined;
  /** A scheduled program's runs (wall-clock times in ms). */
  schedule: ScheduleState | undefined;
  health: HealthMonitor;

  constructor(
    readonly index: number,
    public spec: SupervisedProgram,
    public machine: MachineConfig,
    readonly log: ProgramLog,
    public request: Omit<SpawnRequest, 'command'>,
    now: number,
    health: (slot: Slot) => HealthMonitor,
  ) {
    this.state = initialState(now);
    this.health = health(this);
  }

  get name(): string {
    return this.spec.name;
  }

  get source(): InstanceSource {
    return this.spec.source;
  }
}

interface ScheduleState {
  readonly cron: CronSchedule;
  next: number | undefined;
  timer: TimerHandle | undefined;
  lastScheduleTime: number | undefined;
  lastSuccessfulTime: number | undefined;
  lastRunResult: 'Running' | 'Succeeded' | 'Failed' | 'Skipped' | undefined;
  /** The current run was started by the schedule (a manual start is not a run). */
  running: boolean;
  /** A run waits for the previous one to end (Allow) or to be stopped (Replace). */
  waiting: boolean;
}

/** Long timers are re-armed in steps: Node's setTimeout holds at most 2^31-1 ms (24.8 days). */
const SCHEDULE_STEP_MS = 6 * 3_600_000;

type Waiter = { check: () => boolean; resolve: (ok: boolean) => void; timer: TimerHandle | undefined };

export class Supervisor {
  private readonly slots: Slot[];
  /** The spec in force: the one given, then each one reconfigure applied. */
  private spec: CorePodSpec;
  private readonly extras: Required<ProgramExtras>;
  /** The container's environment, and the part of it every program gets (computed once). */
  private readonly containerEnv: NodeJS.ProcessEnv;
  private readonly sharedEnv: Record<string, string>;
  private reconfiguring: Promise<unknown> = Promise.resolve();
  private readonly routed = new Set<NotifyChannel>();
  private readonly byName = new Map<string, Slot>();
  private readonly hub = new EventHub();
  private readonly clock: Clock;
  private readonly probe: Probe;
  private readonly logger: Logger;
  private readonly waiters = new Set<Waiter>();
  private readonly jobs = new JobQueue();
  private releasing = false;
  private releaseAgain = false;
  private readonly memory: MemoryWatch<Slot>;
  private stopping: Promise<number> | undefined;
  private exitCode = 0;
  private criticalFatal: string | undefined;
  readonly startedAt: number;

  constructor(private readonly options: SupervisorOptions) {
    this.clock = options.clock ?? systemClock;
    const probe = options.probe ?? networkProbe;
    this.probe = probe;
    this.logger = options.logger ?? silentLogger;
    this.startedAt = this.clock.now();
    this.spec = options.spec;
    this.extras = { userPlans: new Map(options.userPlans), userEnvs: new Map(options.userEnvs), notify: new Map(options.notify) };
    this.containerEnv = options.baseEnv ?? process.env;
    this.sharedEnv = sharedEnv(this.containerEnv);
    this.slots = expandInstances(options.spec.programs).map((program, index) => this.makeSlot(program, index));
    for (const slot of this.slots) this.byName.set(slot.name, slot);
    this.memory = new MemoryWatch({
      reader: options.memory,
      settings: options.spec.memory,
      programs: this.slots,
      clock: this.clock,
      logger: this.logger,
      intervalMs: options.memoryIntervalMs ?? 1000,
      raise: (slot, event) => this.raise(slot, event),
      publish: (event) => this.publish(event),
      stopping: () => this.stopping !== undefined,
    });
  }

  /** The slot of one program: its environment, spawn request, log and health monitor. */
  private makeSlot(program: SupervisedProgram, index: number): Slot {
    const request = this.spawnRequest(program);
    const slot = new Slot(index, program, machineConfig(program), this.programLog(program, request.env), request, this.clock.now(), (s) => this.healthMonitor(s));
    if (program.schedule) {
      const parsed = parseCron(program.schedule.cron);
      if (!parsed.ok) throw new Error(`program ${program.name}: schedule.cron: ${parsed.error}`);
      slot.schedule = {
        cron: parsed.schedule,
        next: undefined,
        timer: undefined,
        lastScheduleTime: undefined,
        lastSuccessfulTime: undefined,
        lastRunResult: undefined,
        running: false,
        waiting: false,
      };
    }
    const channel = program.notify ? this.extras.notify.get(program.name) : undefined;
    if (channel && !this.routed.has(channel)) {
      // A channel outlives a slot that reconfigure replaces: it speaks to the program's current one.
      this.routed.add(channel);
      channel.onMessage((datagram) => {
        const current = this.byName.get(program.name);
        if (current) this.onNotify(current, datagram);
      });
    }
    return slot;
  }

  /** A process's spawn request: a program with instances has one per instance (name:00, name:01, …). */
  private spawnRequest(program: SupervisedProgram): Omit<SpawnRequest, 'command'> {
    const { source } = program;
    const plan = this.extras.userPlans.get(source.program) ?? { kind: 'none' };
    const env = programEnvironment(
      {
        ...this.sharedEnv,
        ...(this.extras.userEnvs.get(source.program) ?? {}),
        [SIDECAR_ENV.program]: source.program,
        ...(source.instance !== undefined ? { [INSTANCE_ENV]: String(source.instance) } : {}),
      },
      ownVariables(program, source.index, this.containerEnv),
    );
    const channel = this.extras.notify.get(program.name);
    if (program.notify) {
      if (!channel) throw new Error(`program ${program.name} has notify: true but no NOTIFY_SOCKET was opened for it`);
      env.NOTIFY_SOCKET = channel.path;
      if (program.watchdogSeconds !== undefined) env.WATCHDOG_USEC = String(program.watchdogSeconds * 1_000_000);
    }
    return {
      env,
      ...(program.notifyFd !== undefined ? { notifyFd: program.notifyFd } : {}),
      ...(program.workingDir ? { workingDir: expandReferences(program.workingDir, lookupIn(env)) } : {}),
      ...(program.umask !== undefined ? { umask: Number.parseInt(program.umask, 8) } : {}),
      ...(plan.kind === 'setpriv' ? { prefix: plan.prefix } : {}),
      ...(plan.kind === 'spawn' ? { uid: plan.uid, gid: plan.gid } : {}),
    };
  }

  private programLog(program: SupervisedProgram, env: Record<string, string>): ProgramLog {
    const lookup = lookupIn(env);
    return new ProgramLog({
      program: program.name,
      ...(program.logs.mirror && this.options.mirror ? { mirror: this.options.mirror } : {}),
      ...(program.logs.stdoutFile ? { stdoutFile: expandReferences(program.logs.stdoutFile, lookup) } : {}),
      ...(program.logs.stderrFile ? { stderrFile: expandReferences(program.logs.stderrFile, lookup) } : {}),
      maxBytes: toBytes(program.logs.maxBytes),
      backups: program.logs.backups,
      onFileError: (error, file) => this.logger.warn('log file error', { program: program.name, file, error }),
    });
  }

  private healthMonitor(slot: Slot): HealthMonitor {
    return new HealthMonitor({
      check: slot.spec.healthCheck,
      exec: slot.request,
      probe: this.probe,
      clock: this.clock,
      state: () => slot.state,
      report: (event) => this.raise(slot, event),
      ...(this.options.onProbe ? { observe: (result: ProbeResult) => this.options.onProbe!(slot.name, result) } : {}),
    });
  }

  // ---------------- public API ----------------

  /** Starts the autostart programs (as their dependencies allow) and the memory sampling. */
  start(): void {
    this.publish({ type: 'supervisor', time: this.iso(), state: 'running' });
    for (const slot of this.slots) slot.waiting = slot.spec.autostart && !slot.schedule;
    for (const slot of this.slots) if (slot.schedule) this.armSchedule(slot);
    this.releaseWaiting();
    this.updateWaits();
    for (const slot of this.slots) {
      if (slot.waiting) this.logger.info('waiting for dependencies', { program: slot.name, waitingFor: this.unready(slot) });
    }
    this.memory.start();
  }

  /** Subscribes a sink to every event; a slow sink never slows supervision (see EventHub). */
  subscribe(sink: Sink, options?: SubscribeOptions): Subscription {
    return this.hub.subscribe(sink, {
      onError: (error) => this.logger.warn('event sink failed', { error: error instanceof Error ? error : String(error) }),
      ...options,
    });
  }

  /** Every program in the shape of CorePod status.pods[].processes[]. */
  snapshot(): ProcessStatus[] {
    return this.slots.map((slot) => statusOf(slot, this.clock));
  }

  /** What /readyz answers. */
  ready(): boolean {
    return this.health().ready;
  }

  details(): ProgramDetail[] {
    return this.slots.map((slot) => detailOf(slot, this.clock, slot.waiting ? this.unready(slot) : []));
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  programNames(): string[] {
    return this.slots.map((slot) => slot.name);
  }

  log(name: string): ProgramLog | undefined {
    return this.byName.get(name)?.log;
  }

  isStopping(): boolean {
    return this.stopping !== undefined;
  }

  containerMemory(): ContainerMemoryFigures | undefined {
    return this.memory.container();
  }

  health(): HealthReport {
    return healthReport(this.slots, this.clock, { live: this.criticalFatal === undefined, stopping: this.stopping !== undefined, container: this.memory.container() });
  }

  /**
   * start|stop|restart one process, every instance of a program (its name), or "all"; resolves
   * when done (or failed, or timed out).
   */
  async command(action: Action, target: string, timeoutMs = 60_000): Promise<CommandResult[]> {
    const targets = this.targets(target);
    if (targets.length === 0) return [{ name: target, ok: false, state: 'STOPPED', error: 'NO_SUCH_PROGRAM', message: `no program named "${target}"` }];
    if (this.stopping) return targets.map((slot) => this.result(slot, 'SHUTTING_DOWN'));
    if (target === 'all') {
      if (action === 'stop') return this.stopAll(timeoutMs);
      if (action === 'start') return this.startAll(timeoutMs);
      const stopped = await this.stopAll(timeoutMs);
      const failed = stopped.filter((r) => !r.ok && r.error !== 'NOT_RUNNING');
      return failed.length > 0 ? failed : this.startAll(timeoutMs);
    }
    return Promise.all(targets.map((slot) => this.commandOne(action, slot, timeoutMs)));
  }

  private async commandOne(action: Action, slot: Slot, timeoutMs: number): Promise<CommandResult> {
    if (action === 'stop') return this.stopOne(slot, timeoutMs);
    const before = slot.state.generation;
    slot.waiting = false;
    const t = this.dispatch(slot, action === 'start' ? { type: 'start' } : { type: 'restart', reason: 'admin' });
    if (t.error) return this.result(slot, t.error);
    return this.untilStarted(slot, before, timeoutMs);
  }

  /** Sends a signal to the main process of one program or of all. */
  signal(target: string, signal: SignalName): CommandResult[] {
    const targets = this.targets(target);
    if (targets.length === 0) return [{ name: target, ok: false, state: 'STOPPED', error: 'NO_SUCH_PROGRAM', message: `no program named "${target}"` }];
    return targets.map((slot) => {
      const t = this.dispatch(slot, { type: 'signal', signal });
      return t.error ? this.result(slot, t.error) : { name: slot.name, ok: true, state: slot.state.state };
    });
  }

  /** The spec in force. */
  currentSpec(): CorePodSpec {
    return this.spec;
  }

  /**
   * Applies a new spec in place, as supervisorctl's update does (`diff` is diffSpecs(currentSpec(),
   * next)): removed programs and those whose process must change are stopped, dependents first;
   * then the added and restarted ones start as their dependencies allow, a program with a
   * reloadSignal gets it instead of a restart, and supervision settings are taken over while the
   * process keeps running. Unchanged programs are not touched. Changes that need a new pod are
   * the caller's to refuse; here they restart the program (standalone, there is no pod).
   * One reconfiguration at a time; refused while stopping.
   */
  reconfigure(next: CorePodSpec, diff: SpecDiff, extras: ProgramExtras = {}): Promise<ReconfigureResult> {
    const run = this.reconfiguring.then(() => this.applySpec(next, diff, extras));
    this.reconfiguring = run.catch(() => undefined);
    return run;
  }

  /** Publishes that a new spec was refused (by whoever found it cannot be applied). */
  refuseSpec(message: string, generation?: number): void {
    this.logger.warn('new spec refused: the programs keep running as they were', { reason: message, ...(generation !== undefined ? { generation } : {}) });
    this.publish({ type: 'reconfigured', time: this.iso(), ok: false, message, ...(generation !== undefined ? { generation } : {}), ...EMPTY_CHANGES });
  }

  private async applySpec(next: CorePodSpec, diff: SpecDiff, extras: ProgramExtras): Promise<ReconfigureResult> {
    const names = (actions: string[]) => diff.changed.filter((c) => actions.includes(c.action)).map((c) => c.name);
    const restarted = names(['restart', 'pod']);
    const reloaded = names(['reload']);
    const updated = names(['update']);
    const result: ReconfigureResult = { ok: true, added: diff.added, removed: diff.removed, restarted, reloaded, updated, kept: diff.kept };
    if (this.stopping) return { ...result, ok: false, message: 'the supervisor is stopping' };
    for (const [key, map] of Object.entries(extras) as [keyof ProgramExtras, Map<string, never>][]) for (const [name, value] of map) this.extras[key].set(name, value);

    // The diff names programs; supervision is per process: a program with instances has one slot
    // per instance, and a change of their number adds or removes only the difference.
    const action = new Map(diff.changed.map((change) => [change.name, change.action]));
    const entries = expandInstances(next.programs);
    const nextNames = new Set(entries.map((entry) => entry.name));
    const programOf = (slot: Slot) => slot.spec.source.program;
    const restartedSlots = new Set(this.slots.filter((slot) => restarted.includes(programOf(slot)) && nextNames.has(slot.name)).map((slot) => slot.name));

    // Whether each restarted process should run again: it ran, waited to, or should have.
    const wanted = new Map<string, boolean>();
    for (const name of restartedSlots) {
      const slot = this.byName.get(name)!;
      const s = slot.state.state;
      wanted.set(name, UP.has(s) || s === 'BACKOFF' || slot.waiting || (slot.spec.autostart && s !== 'STOPPED'));
    }
    const going = this.slots.filter((slot) => !nextNames.has(slot.name) || restartedSlots.has(slot.name));
    await this.stopInWaves(going, (slot) => slot.spec.stopWaitSeconds * 1000 + 5000);
    if (this.stopping) return { ...result, ok: false, message: 'the supervisor began stopping during the change' };

    for (const slot of going) this.dispose(slot);
    const fresh = new Set<Slot>();
    const slots = entries.map((program, index) => {
      const old = this.byName.get(program.name);
      if (old && !restartedSlots.has(program.name)) {
        const act = action.get(program.source.program);
        if (act === 'update' || act === 'reload') this.takeOver(old, program);
        return old;
      }
      const slot = this.makeSlot(program, index);
      slot.waiting = !program.schedule && (wanted.get(program.name) ?? program.autostart);
      fresh.add(slot);
      return slot;
    });
    this.slots.splice(0, this.slots.length, ...slots);
    this.byName.clear();
    for (const slot of slots) this.byName.set(slot.name, slot);
    this.spec = next;
    for (const slot of fresh) if (slot.schedule && slot.schedule.timer === undefined) this.armSchedule(slot);

    for (const slot of slots) {
      if (!reloaded.includes(programOf(slot)) || fresh.has(slot)) continue;
      if (slot.state.state === 'STARTING' || slot.state.state === 'RUNNING') {
        this.logger.info('spec changed: sending the reload signal', { program: slot.name, signal: slot.spec.reloadSignal });
        this.dispatch(slot, { type: 'signal', signal: slot.spec.reloadSignal! });
      }
    }
    this.jobs.run(() => {
      this.releaseWaiting();
      this.updateWaits();
    });
    this.logger.info('new spec applied', { added: diff.added, removed: diff.removed, restarted, reloaded, updated, kept: diff.kept.length });
    this.publish({ type: 'reconfigured', time: this.iso(), ok: true, added: diff.added, removed: diff.removed, restarted, reloaded, updated });
    return result;
  }

  /** A program whose process keeps running takes the new spec: settings, environment for its next start, health check. */
  private takeOver(slot: Slot, program: SupervisedProgram): void {
    const checkChanged = JSON.stringify(slot.spec.healthCheck) !== JSON.stringify(program.healthCheck);
    slot.spec = program;
    slot.machine = machineConfig(program);
    slot.request = this.spawnRequest(program);
    if (checkChanged) {
      slot.health.stop();
      slot.health = this.healthMonitor(slot);
      slot.health.restart();
    }
  }

  /** Lets go of a program that is down for good (removed, or replaced by a new slot). */
  private dispose(slot: Slot): void {
    slot.waiting = false;
    void this.release(slot, 'the program was removed from the spec');
  }

  /** Ends everything a program's slot holds besides its process: schedule, health checks, hooks, timers, log files. */
  private release(slot: Slot, why: string): Promise<void> {
    slot.schedule?.timer?.cancel();
    slot.health.stop();
    slot.hookAbort?.abort(why);
    for (const timer of slot.timers.values()) timer.cancel();
    slot.timers.clear();
    return slot.log.close();
  }

  /**
   * The orderly stop: no more restarts; dependents before dependencies, priority descending, each
   * program with its stopSignal and stopWaitSeconds; everything left is SIGKILLed at the deadline.
   * Resolves with the exit code: 0 after a clean stop, 1 after a critical FATAL or a missed deadline.
   */
  shutdown(reason: string, exitCode = 0, deadlineMs = this.options.spec.terminationGracePeriodSeconds * 1000): Promise<number> {
    this.exitCode = Math.max(this.exitCode, exitCode);
    if (this.stopping) return this.stopping;
    // Begins once the events raised so far are handled, so that it reads settled states.
    this.stopping = new Promise((resolve) => this.jobs.run(() => resolve(this.runShutdown(reason, deadlineMs))));
    return this.stopping;
  }

  // ---------------- the effect runner ----------------

  /** For commands from outside: runs `event` and every event its effects raise; returns its transition. */
  private dispatch(slot: Slot, event: MachineEvent): Transition {
    if (this.jobs.isBusy()) throw new Error(`${event.type} for ${slot.name} was dispatched from inside a transition: raise it`);
    let result: Transition | undefined;
    this.jobs.run(() => (result = this.handle(slot, event)));
    return result!;
  }

  /** An event from the world (an exit, a timer, a probe) or from an effect: handled once the current one is. */
  private raise(slot: Slot, event: MachineEvent): void {
    this.jobs.run(() => void this.handle(slot, event));
  }

  private handle(slot: Slot, event: MachineEvent): Transition {
    const before = slot.state;
    const t = transition(before, event, this.clock.now(), slot.machine);
    slot.state = t.state;
    for (const effect of t.effects) this.apply(slot, effect);
    if (slot.state !== before) this.changed(slot, before);
    return t;
  }

  private apply(slot: Slot, effect: Effect): void {
    switch (effect.type) {
      case 'spawn':
        this.spawn(slot, effect.generation);
        break;
      case 'signal':
        try {
          this.options.runner.signal(effect.pid, effect.signal, effect.group);
        } catch (error) {
          this.logger.error('cannot signal', { program: slot.name, pid: effect.pid, signal: effect.signal, error: error as Error });
        }
        break;
      case 'setTimer': {
        slot.timers.get(effect.timer)?.cancel();
        const { timer, generation } = effect;
        slot.timers.set(
          timer,
          this.clock.setTimeout(() => {
            slot.timers.delete(timer);
            this.raise(slot, { type: 'timer', timer, generation });
          }, effect.ms),
        );
        break;
      }
      case 'cancelTimer':
        slot.timers.get(effect.timer)?.cancel();
        slot.timers.delete(effect.timer);
        break;
      case 'emit':
        this.notice(slot, effect.notice);
        break;
      case 'runHook':
        this.runHook(slot, effect.hook, effect.generation, effect.timeoutMs);
        break;
      case 'exitContainer': {
        const code = exitStatus(effect.code, effect.signal);
        this.logger.info('program exited: stopping everything (exitContainerOnExit)', { program: slot.name, exitCode: code });
        void this.shutdown(`program ${slot.name} exited with ${code} (exitContainerOnExit)`, code);
        break;
      }
    }
  }

  private spawn(slot: Slot, generation: number): void {
    const command = expandCommand(slot.spec.command, slot.request.env);
    const result = this.options.runner.spawn({ ...slot.request, command }, (code, signal) => this.raise(slot, { type: 'exited', generation, code, signal }));
    if (!result.ok) {
      this.logger.warn('spawn failed', { program: slot.name, error: result.error });
      this.raise(slot, { type: 'spawnFailed', generation, error: result.error });
      return;
    }
    slot.log.attach('stdout', result.child.stdout);
    slot.log.attach('stderr', result.child.stderr);
    const readiness = result.child.notify;
    if (readiness) {
      // s6: one newline on the notification fd means ready; nothing after it is read.
      readiness.on('error', () => {});
      readiness.on('data', (chunk: Buffer) => {
        if (!chunk.includes(0x0a)) return;
        readiness.destroy();
        this.raise(slot, { type: 'notify', generation, ready: true });
      });
    }
    this.logger.info('spawned', { program: slot.name, pid: result.child.pid });
    this.raise(slot, { type: 'spawned', generation, pid: result.child.pid });
  }

  private runHook(slot: Slot, hook: HookName, generation: number, timeoutMs: number): void {
    const handler = slot.spec.lifecycle?.[hook];
    if (!handler) return;
    const began = this.clock.now();
    // The probe runner settles within timeoutSeconds, so a hook is bounded the same way.
    const check = { ...handler, timeoutSeconds: timeoutMs / 1000 } as unknown as HealthCheckSpec;
    const abort = new AbortController();
    slot.hookAbort = abort;
    void this.probe.run(check, slot.request, abort.signal).then((result) => {
      if (slot.hookAbort === abort) slot.hookAbort = undefined;
      const message = abort.signal.aborted ? `aborted: ${String(abort.signal.reason)}` : result.message;
      const facts = { program: slot.name, hook, ok: result.ok, ms: this.clock.now() - began, ...(message ? { message } : {}) };
      this.logger[result.ok ? 'info' : 'warn'](result.ok ? `${hook} hook done` : `${hook} hook failed`, facts);
      this.publish({ type: 'hook', time: this.iso(), status: statusOf(slot, this.clock), ...facts });
      this.raise(slot, { type: 'hookDone', generation, hook, ok: result.ok, ...(result.message ? { message: result.message } : {}) });
    });
  }

  private wallNow(): number {
    return this.clock.wallNow?.() ?? this.clock.now();
  }

  /** Arms the timer of the next run (in steps of at most SCHEDULE_STEP_MS). */
  private armSchedule(slot: Slot): void {
    const schedule = slot.schedule!;
    const timeZone = slot.spec.schedule!.timeZone;
    const now = this.wallNow();
    if (schedule.next === undefined || schedule.next <= now - 60_000) schedule.next = nextRun(schedule.cron, now, timeZone);
    if (schedule.next === undefined) {
      this.logger.warn('schedule never runs again', { program: slot.name });
      return;
    }
    schedule.timer = this.clock.setTimeout(() => this.raiseScheduled(slot), Math.min(Math.max(0, schedule.next - now), SCHEDULE_STEP_MS));
  }

  private raiseScheduled(slot: Slot): void {
    this.jobs.run(() => this.scheduleDue(slot));
  }

  /** A schedule timer fired: the run is due (or the timer was one step of a long wait). */
  private scheduleDue(slot: Slot): void {
    const schedule = slot.schedule!;
    const spec = slot.spec.schedule!;
    schedule.timer = undefined;
    if (this.stopping || schedule.next === undefined) return;
    const now = this.wallNow();
    if (now < schedule.next) {
      this.armSchedule(slot);
      return;
    }
    const due = schedule.next;
    schedule.lastScheduleTime = due;
    schedule.next = nextRun(schedule.cron, Math.max(due, now), spec.timeZone);
    const decision = decideRun({
      policy: spec.concurrencyPolicy,
      up: !DOWN.has(slot.state.state),
      waiting: schedule.waiting,
      lateMs: now - due,
      startingDeadlineSeconds: spec.startingDeadlineSeconds,
      unready: this.unready(slot),
    });
    const at = new Date(due).toISOString();
    switch (decision.action) {
      case 'start':
        this.logger.info('scheduled run', { program: slot.name, due: at });
        this.startRun(slot);
        break;
      case 'skip':
        this.logger.warn('scheduled run skipped', { program: slot.name, due: at, reason: decision.reason });
        schedule.lastRunResult = 'Skipped';
        this.publish({ type: 'scheduled-run', time: this.iso(), program: slot.name, status: statusOf(slot, this.clock), result: 'Skipped', due: at, reason: decision.reason });
        break;
      case 'replace':
        this.logger.info('scheduled run replaces the previous one', { program: slot.name, due: at });
        schedule.waiting = true;
        schedule.running = false;
        this.handle(slot, { type: 'stop', reason: `replaced by the run due at ${at} (concurrencyPolicy Replace)` });
        break;
      case 'wait':
        this.logger.info('scheduled run waits for the previous one', { program: slot.name, due: at });
        schedule.waiting = true;
        break;
    }
    this.armSchedule(slot);
  }

  private startRun(slot: Slot): void {
    const schedule = slot.schedule!;
    schedule.running = true;
    schedule.waiting = false;
    schedule.lastRunResult = 'Running';
    this.handle(slot, { type: 'start' });
  }

  /** A scheduled program went down: the run's result, then a waiting run. */
  private runEnded(slot: Slot): void {
    const schedule = slot.schedule!;
    const s = slot.state;
    if (schedule.running && (s.state === 'EXITED' || s.state === 'FATAL')) {
      const exit = s.lastExit;
      const succeeded = s.state === 'EXITED' && exit !== undefined && exit.signal === null && exit.code !== null && slot.spec.exitCodes.includes(exit.code);
      schedule.lastRunResult = succeeded ? 'Succeeded' : 'Failed';
      if (succeeded) schedule.lastSuccessfulTime = this.wallNow();
      else {
        const reason = s.state === 'FATAL' ? `FATAL: ${s.reason ?? 'gave up'}` : exit?.signal ? `killed by ${exit.signal}` : `exited with ${exit?.code}`;
        this.publish({
          type: 'scheduled-run',
          time: this.iso(),
          program: slot.name,
          status: statusOf(slot, this.clock),
          result: 'Failed',
          due: new Date(schedule.lastScheduleTime ?? this.wallNow()).toISOString(),
          reason,
        });
      }
    }
    schedule.running = false;
    if (schedule.waiting && !this.stopping) {
      // Runs after this transition: the start is an event of its own.
      this.jobs.run(() => {
        if (slot.schedule?.waiting && DOWN.has(slot.state.state)) this.startRun(slot);
      });
    }
  }

  /** A datagram on the program's NOTIFY_SOCKET. */
  private onNotify(slot: Slot, datagram: string): void {
    const message = parseNotify(datagram);
    if (message.status !== undefined) slot.notifyStatus = message.status.slice(0, 1024);
    if (message.mainPid !== undefined) slot.mainPid = message.mainPid;
    if (message.stopping) this.logger.info('program says it is stopping (STOPPING=1)', { program: slot.name });
    if (message.ready || message.watchdog || message.extendTimeoutMs !== undefined) {
      this.raise(slot, {
        type: 'notify',
        generation: slot.state.generation,
        ...(message.ready ? { ready: true } : {}),
        ...(message.watchdog ? { watchdog: message.watchdog } : {}),
        ...(message.extendTimeoutMs !== undefined ? { extendMs: message.extendTimeoutMs } : {}),
      });
    }
  }

  private changed(slot: Slot, before: ProgramState): void {
    const s = slot.state;
    if (s.generation !== before.generation) slot.health.restart();
    if (before.hook !== undefined && s.hook === undefined) slot.hookAbort?.abort(s.pid === undefined ? 'the program exited' : 'stopWaitSeconds passed');
    if (s.state === 'FATAL' && before.state !== 'FATAL' && slot.spec.critical && !this.criticalFatal) {
      this.criticalFatal = slot.name;
      this.logger.fatal('critical program is FATAL: stopping everything', { program: slot.name, reason: s.reason });
      void this.shutdown(`critical program ${slot.name} is FATAL`, 1);
    } else if (s.state === 'FATAL' && before.state !== 'FATAL' && slot.spec.exitContainerOnExit) {
      void this.shutdown(`program ${slot.name} is FATAL (exitContainerOnExit)`, 1);
    }
    if (slot.schedule && DOWN.has(s.state) && !DOWN.has(before.state)) this.runEnded(slot);
    if (s.state !== before.state || s.healthy !== before.healthy) {
      this.releaseWaiting();
      this.updateWaits();
    }
    for (const waiter of [...this.waiters]) {
      if (waiter.check()) this.settle(waiter, true);
    }
  }

  private notice(slot: Slot, notice: Notice): void {
    const time = this.iso();
    const status = statusOf(slot, this.clock);
    switch (notice.kind) {
      case 'state': {
        const { kind: _kind, ...facts } = notice;
        const level = notice.to === 'FATAL' || (notice.to === 'EXITED' && notice.expected === false) || notice.to === 'BACKOFF' ? 'warn' : 'info';
        this.logger[level](`${notice.from} -> ${notice.to}`, { program: slot.name, ...facts });
        this.publish({
          type: 'process-state',
          time,
          program: slot.name,
          status,
          restarts: restartsOf(slot.state),
          ...facts,
          ...(slot.schedule ? { scheduled: true as const } : {}),
        });
        if (notice.to === 'EXITED' || notice.to === 'BACKOFF' || notice.to === 'FATAL') this.cascade(slot, notice.to === 'FATAL' ? 'is FATAL' : 'exited');
        break;
      }
      case 'health': {
        const { kind: _kind, ...facts } = notice;
        this.logger[notice.healthy ? 'info' : 'warn'](notice.healthy ? 'health check passed' : 'health check failed', { program: slot.name, ...facts });
        this.publish({ type: 'health', time, program: slot.name, status, ...facts });
        if (!notice.healthy) this.cascade(slot, 'failed its health check');
        break;
      }
      case 'memory': {
        const { kind: _kind, ...facts } = notice;
        this.logger[notice.over ? 'warn' : 'info'](notice.over ? 'memory over limit' : 'memory back under limit', { program: slot.name, ...facts });
        this.publish({ type: 'program-memory', time, program: slot.name, status, ...facts });
        break;
      }
      case 'sigkill':
        this.logger.warn('killing with SIGKILL', { program: slot.name, pid: notice.pid, reason: notice.reason });
        this.publish({ type: 'sigkill', time, program: slot.name, status, pid: notice.pid, reason: notice.reason });
        break;
    }
  }

  private publish(event: SupervisorEvent): void {
    this.hub.publish(event);
  }

  // ---------------- dependencies ----------------

  private verdict(dependency: Dependency): DependencyVerdict {
    const slot = this.byName.get(dependency.name);
    if (!slot) return { verdict: 'waiting' };
    const s = slot.state;
    return dependencyVerdict(dependency.condition, {
      state: s.state,
      pid: s.pid,
      healthy: s.healthy,
      hasHealthCheck: slot.spec.healthCheck !== undefined,
      lastExit: s.lastExit,
      exitCodes: slot.spec.exitCodes,
    });
  }

  private unready(slot: Slot): string[] {
    return slot.spec.dependsOn.filter((dependency) => this.verdict(dependency).verdict !== 'satisfied').map((dependency) => dependency.name);
  }

  /**
   * Refreshes why each waiting program waits; a dependency that failed (it will not reach its
   * condition by itself) is reported once per run of it.
   */
  private updateWaits(): void {
    for (const slot of this.slots) {
      if (!slot.waiting || !DOWN.has(slot.state.state)) {
        slot.wait = undefined;
        continue;
      }
      const failed: string[] = [];
      const pending: string[] = [];
      for (const dependency of slot.spec.dependsOn) {
        const verdict = this.verdict(dependency);
        if (verdict.verdict === 'satisfied') continue;
        if (verdict.verdict === 'waiting') {
          pending.push(`${dependency.name} (${dependency.condition})`);
          continue;
        }
        const message = `${dependency.name} cannot become ${dependency.condition}: ${verdict.reason}`;
        failed.push(message);
        const key = `${dependency.name}@${this.byName.get(dependency.name)!.state.generation}`;
        if (slot.reportedFailures.has(key)) continue;
        slot.reportedFailures.add(key);
        this.logger.warn('dependency failed: still waiting', { program: slot.name, dependency: dependency.name, condition: dependency.condition, reason: verdict.reason });
        this.publish({
          type: 'dependency-failed',
          time: this.iso(),
          program: slot.name,
          status: statusOf(slot, this.clock),
          dependency: dependency.name,
          condition: dependency.condition,
          reason: verdict.reason,
        });
      }
      slot.wait =
        failed.length > 0
          ? { reason: 'DependencyFailed', message: failed.join('; ') }
          : pending.length > 0
            ? { reason: 'WaitingForDependencies', message: `waiting for ${pending.join(', ')}` }
            : undefined;
    }
  }

  /** onDependencyFailure: a started dependent of `failed` (a Started or Ready dependency that went away) is stopped or restarted. */
  private cascade(failed: Slot, why: string): void {
    if (this.stopping) return;
    for (const dependent of this.slots) {
      const policy = dependent.spec.onDependencyFailure;
      if (!policy || (dependent.state.state !== 'STARTING' && dependent.state.state !== 'RUNNING')) continue;
      if (!dependent.spec.dependsOn.some((d) => d.name === failed.name && (d.condition === 'Started' || d.condition === 'Ready'))) continue;
      const reason = `dependency ${failed.name} ${why} (onDependencyFailure: ${policy})`;
      this.logger.warn('dependency failed: stopping its dependent', { program: dependent.name, dependency: failed.name, onDependencyFailure: policy });
      if (policy === 'restart') dependent.waiting = true;
      this.raise(dependent, { type: 'stop', reason });
    }
  }

  /** Starts the waiting programs whose dependencies are ready, by priority. */
  private releaseWaiting(): void {
    if (this.stopping) return;
    if (this.releasing) {
      this.releaseAgain = true;
      return;
    }
    this.releasing = true;
    try {
      do {
        this.releaseAgain = false;
        const waiting = this.slots.filter((slot) => slot.waiting && DOWN.has(slot.state.state));
        const ready = startable(
          waiting.map((slot) => ({ name: slot.name, priority: slot.spec.priority, dependsOn: slot.spec.dependsOn, slot })),
          (dependency) => this.verdict(dependency).verdict === 'satisfied',
        );
        for (const { slot } of ready) {
          if (!slot.waiting) continue;
          slot.waiting = false;
          this.raise(slot, { type: 'start' });
        }
      } while (this.releaseAgain);
    } finally {
      this.releasing = false;
    }
  }

  // ---------------- commands and shutdown ----------------

  /** "all", one process by its name, or every instance of a program by the program's name. */
  private targets(target: string): Slot[] {
    if (target === 'all') return this.slots;
    const slot = this.byName.get(target);
    return slot ? [slot] : this.slots.filter((s) => s.source.program === target && s.source.instance !== undefined);
  }

  private result(slot: Slot, error?: CommandResult['error'], message?: string): CommandResult {
    return {
      name: slot.name,
      ok: error === undefined,
      state: slot.state.state,
      ...(error ? { error } : {}),
      ...(message ? { message } : error && slot.state.reason ? { message: slot.state.reason } : {}),
    };
  }

  private async untilStarted(slot: Slot, generationBefore: number, timeoutMs: number): Promise<CommandResult> {
    const done = () => !slot.waiting && slot.state.generation > generationBefore && slot.state.state !== 'STARTING' && slot.state.state !== 'STOPPING';
    const finished = await this.waitUntil(done, timeoutMs);
    if (!finished) return this.result(slot, 'TIMEOUT', `still ${slot.state.state}`);
    return slot.state.state === 'RUNNING' ? this.result(slot) : this.result(slot, 'ABNORMAL_TERMINATION', slot.state.reason ?? `went ${slot.state.state}`);
  }

  private async startAll(timeoutMs: number): Promise<CommandResult[]> {
    const starting = this.slots.filter((slot) => DOWN.has(slot.state.state));
    const generations = new Map(starting.map((slot) => [slot, slot.state.generation]));
    for (const slot of starting) slot.waiting = true;
    this.releaseWaiting();
    const results = await Promise.all(
      this.slots.map((slot) =>
        generations.has(slot) ? this.untilStarted(slot, generations.get(slot)!, timeoutMs) : Promise.resolve(this.result(slot, undefined, 'already started')),
      ),
    );
    for (const slot of starting) slot.waiting = false;
    return results;
  }

  private async stopOne(slot: Slot, timeoutMs: number): Promise<CommandResult> {
    slot.waiting = false;
    const t = this.dispatch(slot, { type: 'stop' });
    if (t.error) return this.result(slot, t.error);
    const stopped = await this.waitUntil(() => !UP.has(slot.state.state), timeoutMs);
    return stopped ? this.result(slot) : this.result(slot, 'TIMEOUT', `still ${slot.state.state}`);
  }

  private async stopAll(timeoutMs: number): Promise<CommandResult[]> {
    for (const slot of this.slots) slot.waiting = false;
    const results = await this.stopInWaves(this.slots, () => timeoutMs, 'not running');
    return this.slots.map((slot) => results.get(slot)!);
  }

  /** Stops the given programs dependents first (stopWaves), each wave at once; what is down already is left. */
  private async stopInWaves(slots: readonly Slot[], timeoutOf: (slot: Slot) => number, downMessage?: string): Promise<Map<Slot, CommandResult>> {
    const results = new Map<Slot, CommandResult>();
    for (const wave of stopWaves(slots.map((slot) => ({ name: slot.name, priority: slot.spec.priority, dependsOn: slot.spec.dependsOn, slot })))) {
      const stops = await Promise.all(
        wave.map(({ slot }) =>
          slot.state.state === 'BACKOFF' || UP.has(slot.state.state) ? this.stopOne(slot, timeoutOf(slot)) : Promise.resolve(this.result(slot, undefined, downMessage)),
        ),
      );
      wave.forEach(({ slot }, i) => results.set(slot, stops[i]!));
    }
    return results;
  }

  private async runShutdown(reason: string, deadlineMs: number): Promise<number> {
    this.logger.info('stopping all programs', { reason, deadlineSeconds: deadlineMs / 1000 });
    this.publish({ type: 'supervisor', time: this.iso(), state: 'stopping', reason });
    for (const slot of this.slots) {
      slot.waiting = false;
      this.raise(slot, { type: 'shutdown' });
    }
    let deadlineHit = false;
    const everyoneDown = () => this.slots.every((slot) => !UP.has(slot.state.state));
    const deadline = this.clock.setTimeout(() => {
      deadlineHit = !everyoneDown();
      if (!deadlineHit) return;
      this.logger.error('stop deadline reached: killing what is left', { programs: this.slots.filter((s) => UP.has(s.state.state)).map((s) => s.name) });
      for (const slot of this.slots) this.raise(slot, { type: 'forceKill' });
    }, deadlineMs);
    for (const wave of stopWaves(this.slots.map((slot) => ({ name: slot.name, priority: slot.spec.priority, dependsOn: slot.spec.dependsOn, slot })))) {
      if (deadlineHit) break;
      for (const { slot } of wave) if (slot.state.state === 'STARTING' || slot.state.state === 'RUNNING') this.raise(slot, { type: 'stop' });
      await this.waitUntil(() => deadlineHit || wave.every(({ slot }) => !UP.has(slot.state.state)), deadlineMs + 5000);
    }
    // After the deadline's SIGKILL the exits follow at once; a process stuck in the kernel is not waited for long.
    await this.waitUntil(everyoneDown, deadlineHit ? 2000 : deadlineMs + 5000);
    deadline.cancel();
    this.memory.stop();
    await Promise.all(this.slots.map((slot) => this.release(slot, 'the supervisor stopped')));
    if (deadlineHit) this.exitCode = Math.max(this.exitCode, 1);
    this.logger.info('all programs stopped', { exitCode: this.exitCode, deadlineHit });
    this.publish({ type: 'supervisor', time: this.iso(), state: 'stopped', reason, exitCode: this.exitCode });
    await this.hub.drain(2000);
    return this.exitCode;
  }

  private waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = { check, resolve, timer: undefined };
      waiter.timer = this.clock.setTimeout(() => this.settle(waiter, false), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  private settle(waiter: Waiter, ok: boolean): void {
    if (!this.waiters.delete(waiter)) return;
    waiter.timer?.cancel();
    waiter.resolve(ok);
  }

  private iso(): string {
    return wallTime(this.clock, this.clock.now());
  }
}
