// Which Kubernetes Events the supervisor's events become: reason, type, action and a note that
// names the program. Pure. `key` groups repeats into one Event series, so it holds everything the
// note says (an Event's note cannot change once created); the figures of a MemoryPressure note are
// those of the first occurrence in its series.
import type { EventIntent, EventType } from '../../kube/events/event-object.js';
import type { SupervisorEvent } from '../event-hub.js';

export type { EventIntent };

export const REASON = {
  exited: 'ProcessExited',
  restarted: 'ProcessRestarted',
  fatal: 'ProcessFatal',
  startFailed: 'ProcessStartFailed',
  stopped: 'ProcessStopped',
  killed: 'ProcessKilled',
  healthFailed: 'HealthCheckFailed',
  healthRecovered: 'HealthCheckRecovered',
  memoryPressure: 'MemoryPressure',
  dependencyFailed: 'DependencyFailed',
  postStartHookFailed: 'FailedPostStartHook',
  preStopHookFailed: 'FailedPreStopHook',
  scheduledRunFailed: 'ScheduledRunFailed',
  specApplied: 'SpecApplied',
  specRefused: 'SpecRefused',
} as const;

export function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  if (mib >= 1024) return `${(mib / 1024).toFixed(2)} GiB`;
  return `${mib >= 100 ? mib.toFixed(0) : mib.toFixed(1)} MiB`;
}

function howItEnded(code: number | null | undefined, signal: string | null | undefined): string {
  if (signal) return `was killed by signal ${signal.startsWith('SIG') ? signal : `SIG${signal}`}`;
  if (code !== undefined && code !== null) return `exited with code ${code}`;
  return 'ended';
}

/** supervisord's "retry 2" etc. become one reason, so retries share a series. */
function restartCause(reason: string | undefined): string {
  if (!reason) return 'restart';
  if (/^retry \d+$/.test(reason)) return 'retry after a failed start';
  return reason;
}

const intent = (program: string | undefined, type: EventType, reason: string, action: string, note: string): EventIntent => ({
  key: `${type}|${reason}|${program ?? ''}|${note}`,
  type,
  reason,
  action,
  note,
  ...(program !== undefined ? { program } : {}),
});

const LEVEL_RANK = { ok: 0, warning: 1, critical: 2 } as const;

/** Translates supervisor events, remembering which programs last failed their health check. */
export class EventTranslator {
  private readonly unhealthy = new Set<string>();

  translate(event: SupervisorEvent): EventIntent[] {
    switch (event.type) {
      case 'process-state':
        return this.state(event);
      case 'health': {
        const name = event.program;
        if (!event.healthy) {
          this.unhealthy.add(name);
          const why = event.message ? `: ${event.message.slice(0, 300)}` : '';
          return [
            intent(name, 'Warning', REASON.healthFailed, 'HealthCheck', `${name} failed its health check ${event.failures} time${event.failures === 1 ? '' : 's'} in a row${why}`),
          ];
        }
        if (!this.unhealthy.delete(name)) return [];
        return [intent(name, 'Normal', REASON.healthRecovered, 'HealthCheck', `${name} passes its health check again`)];
      }
      case 'program-memory': {
        if (!event.over) return [];
        const name = event.program;
        const action = event.action === 'restart' ? 'action: restart' : 'action: alert only';
        const e = intent(
          name,
          'Warning',
          REASON.memoryPressure,
          event.action === 'restart' ? 'Restart' : 'Alert',
          `${name} uses ${formatBytes(event.bytes)} (process tree RSS), over its limit of ${formatBytes(event.limitBytes)}; ${action}`,
        );
        return [{ ...e, key: `Warning|${REASON.memoryPressure}|${name}|program|${event.action}` }];
      }
      case 'container-memory': {
        if (LEVEL_RANK[event.level] <= LEVEL_RANK[event.previous]) return [];
        const restarted = event.restarted ? `; restarted ${event.restarted}, the program using the most memory` : '';
        const action = event.level === 'critical' && event.action === 'restart' ? `action: restart${restarted}` : 'action: alert only';
        const note =
          `container memory ${event.level}: ${event.percent.toFixed(0)}% of its limit ` +
          `(${formatBytes(event.workingSetBytes)} of ${formatBytes(event.limitBytes)}; warning at ${event.warningPercent}%, critical at ${event.criticalPercent}%); ${action}`;
        const e = intent(undefined, 'Warning', REASON.memoryPressure, event.restarted ? 'Restart' : 'Alert', note);
        return [{ ...e, key: `Warning|${REASON.memoryPressure}|container|${event.level}|${event.restarted ?? ''}` }];
      }
      case 'sigkill':
        return [intent(event.program, 'Warning', REASON.killed, 'Kill', `${event.program} did not stop (${event.reason}); sent SIGKILL to its process group`)];
      case 'dependency-failed':
        return [
          intent(
            event.program,
            'Warning',
            REASON.dependencyFailed,
            'Wait',
            `${event.program} keeps waiting: ${event.dependency} cannot become ${event.condition} (${event.reason.slice(0, 300)})`,
          ),
        ];
      case 'hook':
        if (event.ok) return [];
        return [
          intent(
            event.program,
            'Warning',
            event.hook === 'postStart' ? REASON.postStartHookFailed : REASON.preStopHookFailed,
            'Hook',
            `${event.program}: ${event.hook} hook failed${event.message ? `: ${event.message.slice(0, 300)}` : ''}`,
          ),
        ];
      case 'scheduled-run':
        if (event.result !== 'Failed') return [];
        return [intent(event.program, 'Warning', REASON.scheduledRunFailed, 'Run', `${event.program}: the run due at ${event.due} failed: ${event.reason.slice(0, 300)}`)];
      case 'supervisor':
        return [];
      case 'reconfigured': {
        const at = event.generation !== undefined ? ` (generation ${event.generation})` : '';
        if (!event.ok)
          return [
            intent(
              undefined,
              'Warning',
              REASON.specRefused,
              'Reconfigure',
              `new spec${at} refused, the programs keep running as they were: ${(event.message ?? '').slice(0, 600)}`,
            ),
          ];
        const parts = (
          [
            ['added', event.added],
            ['removed', event.removed],
            ['restarted', event.restarted],
            ['reloaded', event.reloaded],
            ['updated in place', event.updated],
          ] as const
        )
          .filter(([, names]) => names.length > 0)
          .map(([word, names]) => `${word} ${names.join(', ')}`);
        return [intent(undefined, 'Normal', REASON.specApplied, 'Reconfigure', `new spec${at} applied in place: ${parts.length > 0 ? parts.join('; ') : 'no program changed'}`)];
      }
    }
  }

  private state(event: Extract<SupervisorEvent, { type: 'process-state' }>): EventIntent[] {
    // A scheduled program's runs make an Event only when one fails (scheduled-run).
    if (event.scheduled) return [];
    const name = event.program;
    const { from, to } = event;
    if (to === 'EXITED') {
      const expected = event.expected === true;
      const how = howItEnded(event.exitCode, event.signal);
      return [intent(name, expected ? 'Normal' : 'Warning', REASON.exited, 'Exit', `${name} ${how}${expected ? ' (expected)' : ''}`)];
    }
    if (to === 'BACKOFF') {
      // After a short run (backoff.resetAfterSeconds): the EXITED just before reported the exit.
      if (from === 'EXITED') return [];
      if (event.reason?.startsWith('spawn failed')) {
        return [intent(name, 'Warning', REASON.startFailed, 'Start', `${name} could not be started: ${event.reason.slice(0, 400)}`)];
      }
      const how = howItEnded(event.status.lastExitCode, event.status.lastSignal);
      return [intent(name, 'Warning', REASON.exited, 'Exit', `${name} ${how} before startSeconds passed`)];
    }
    if (to === 'STARTING' && event.reason !== 'start') {
      return [intent(name, 'Normal', REASON.restarted, 'Restart', `${name} restarted (${restartCause(event.reason)})`)];
    }
    if (to === 'FATAL') {
      return [intent(name, 'Warning', REASON.fatal, 'GiveUp', `${name} is FATAL: ${event.reason ?? 'gave up'}; it stays down until started by hand`)];
    }
    // A stop that is not the first half of a restart (then the program is already STARTING again).
    if (to === 'STOPPED' && from !== 'STOPPED' && event.status.state === 'STOPPED') {
      const how = from === 'STOPPING' ? `: ${howItEnded(event.exitCode, event.signal)}` : ` while ${from}`;
      return [intent(name, 'Normal', REASON.stopped, 'Stop', `${name} stopped${how}`)];
    }
    return [];
  }
}
