// Read-only views of the supervised programs: the CorePod ProcessStatus, the `status --json`
// detail, and the health report behind /livez and /readyz.
import { processReadiness } from '../contract/readiness.js';
import type { DependencySpec, ProcessStateName, ProcessStatus, ProgramSpec } from '../crds/corepod-schema.js';
import { wallTime, type Clock } from '../lib/clock.js';
import type { ProgramLogStats } from './logs/program-log.js';
import type { ContainerMemoryFigures } from './memory-watch.js';
import { restartsOf, type MachineConfig, type ProgramState } from './process-state-machine.js';

/** status --json: the CorePod ProcessStatus fields plus what an operator at the terminal wants. */
export interface ProgramDetail extends ProcessStatus {
  priority: number;
  critical: boolean;
  autostart: boolean;
  dependsOn: DependencySpec[];
  /** Dependencies not ready yet, while the program waits to start. */
  waitingFor?: string[];
  /** Why it is FATAL, or why the last start failed. */
  reason?: string;
  uptimeSeconds?: number;
  /** RFC 3339: when the current process was started, while it has one. */
  startTime?: string;
  /** MAINPID= from a notify program. */
  mainPid?: number;
  hasHealthCheck: boolean;
  healthRequired?: boolean;
  healthMessage?: string;
  memoryLimitBytes?: number;
  logs: { stdoutBytes: number; stderrBytes: number; mirrorDropped: number; rotations: number };
}

export interface HealthReport {
  live: boolean;
  ready: boolean;
  programs: { name: string; state: ProcessStateName; ready: boolean; healthy?: boolean; required: boolean; reason?: string; probeLatencyMs?: number }[];
  container?: ContainerMemoryFigures;
}

/** What the views read of a supervised program. */
export interface ViewedProgram {
  readonly name: string;
  readonly spec: ProgramSpec;
  readonly machine: MachineConfig;
  readonly state: ProgramState;
  /** Waits to be started once its dependencies are ready. */
  readonly waiting: boolean;
  /** While waiting: why (reason WaitingForDependencies or DependencyFailed). */
  readonly wait: { readonly reason: string; readonly message: string } | undefined;
  readonly memoryBytes: number | undefined;
  readonly notifyStatus: string | undefined;
  readonly schedule:
    | {
        readonly next: number | undefined;
        readonly lastScheduleTime: number | undefined;
        readonly lastSuccessfulTime: number | undefined;
        readonly lastRunResult: ProcessStatus['lastRunResult'];
      }
    | undefined;
  readonly mainPid: number | undefined;
  readonly health: { readonly latencyMs: number | undefined; readonly message: string | undefined };
  readonly log: { stats(): ProgramLogStats };
}

export function statusOf(program: ViewedProgram, clock: Clock): ProcessStatus {
  const s = program.state;
  return {
    name: program.name,
    state: s.state,
    ...(s.pid !== undefined ? { pid: s.pid } : {}),
    restarts: restartsOf(s),
    ...(s.lastExit?.code !== undefined && s.lastExit.code !== null ? { lastExitCode: s.lastExit.code } : {}),
    ...(s.lastExit?.signal ? { lastSignal: s.lastExit.signal } : {}),
    since: wallTime(clock, s.since),
    ...(s.healthy !== undefined ? { healthy: s.healthy } : {}),
    ...(program.memoryBytes !== undefined && s.pid !== undefined ? { memoryBytes: program.memoryBytes } : {}),
    ...(program.health.latencyMs !== undefined ? { probeLatencyMs: program.health.latencyMs } : {}),
    ...(program.notifyStatus !== undefined ? { notifyStatus: program.notifyStatus } : {}),
    ...(program.wait ? { reason: program.wait.reason, message: program.wait.message } : {}),
    ...scheduleStatus(program.schedule),
  };
}

const isoOf = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

function scheduleStatus(schedule: ViewedProgram['schedule']): Partial<ProcessStatus> {
  if (!schedule) return {};
  const fields = {
    lastScheduleTime: isoOf(schedule.lastScheduleTime),
    lastSuccessfulTime: isoOf(schedule.lastSuccessfulTime),
    lastRunResult: schedule.lastRunResult,
    nextScheduleTime: isoOf(schedule.next),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/** `waitingFor`: the dependencies it waits for, if it is waiting. */
export function detailOf(program: ViewedProgram, clock: Clock, waitingFor: string[]): ProgramDetail {
  const s = program.state;
  const stats = program.log.stats();
  return {
    ...statusOf(program, clock),
    priority: program.spec.priority,
    critical: program.spec.critical,
    autostart: program.spec.autostart,
    dependsOn: program.spec.dependsOn,
    ...(waitingFor.length > 0 ? { waitingFor } : {}),
    ...(s.reason ? { reason: s.reason } : {}),
    ...(s.state === 'RUNNING' && s.startedAt !== undefined ? { uptimeSeconds: Math.floor((clock.now() - s.startedAt) / 1000) } : {}),
    ...(s.pid !== undefined && s.startedAt !== undefined ? { startTime: wallTime(clock, s.startedAt) } : {}),
    ...(program.mainPid !== undefined ? { mainPid: program.mainPid } : {}),
    hasHealthCheck: program.spec.healthCheck !== undefined,
    ...(program.spec.healthCheck ? { healthRequired: program.spec.healthCheck.required } : {}),
    ...(program.health.message ? { healthMessage: program.health.message } : {}),
    ...(program.machine.memory ? { memoryLimitBytes: program.machine.memory.limitBytes } : {}),
    logs: { stdoutBytes: stats.bytes.stdout, stderrBytes: stats.bytes.stderr, mirrorDropped: stats.mirrorDropped, rotations: stats.rotations },
  };
}

export interface SupervisorFacts {
  /** No critical program is FATAL. */
  live: boolean;
  stopping: boolean;
  container: ContainerMemoryFigures | undefined;
}

export function healthReport(programs: readonly ViewedProgram[], clock: Clock, facts: SupervisorFacts): HealthReport {
  const reports = programs.map((program) => {
    const s = program.state;
    const required = program.spec.healthCheck?.required ?? false;
    const verdict = processReadiness(statusOf(program, clock), program.spec, program.waiting);
    const reason = verdict.ready ? undefined : verdict.cause === 'health' ? (program.health.message ?? 'health check not passed yet') : (s.reason ?? s.state);
    return {
      name: program.name,
      state: s.state,
      ready: verdict.ready,
      required,
      ...(s.healthy !== undefined ? { healthy: s.healthy } : {}),
      ...(reason ? { reason } : {}),
      ...(program.health.latencyMs !== undefined ? { probeLatencyMs: program.health.latencyMs } : {}),
    };
  });
  return {
    live: facts.live,
    ready: !facts.stopping && reports.every((p) => p.ready),
    programs: reports,
    ...(facts.container ? { container: facts.container } : {}),
  };
}
