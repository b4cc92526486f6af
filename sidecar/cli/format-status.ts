// supervisorctl-style lines: NAME (as wide as the longest name + 3, at least 33), STATE (10), description.
import type { ProcessStatus } from '../../crds/corepod-schema.js';
import type { ProgramDetail } from '../supervisor-views.js';

/** What a line shows: a CorePod ProcessStatus (kubectl corepod) or the control socket's detail. */
export type StatusLineFields = ProcessStatus & Partial<Pick<ProgramDetail, 'uptimeSeconds' | 'healthMessage' | 'waitingFor'>>;

export function formatUptime(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const clock = `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  return days > 0 ? `${days} day${days === 1 ? '' : 's'}, ${clock}` : clock;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1 << 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 1 << 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${Math.round(bytes / 1024)} KiB`;
}

export function describe(p: StatusLineFields): string {
  const parts: string[] = [];
  switch (p.state) {
    case 'RUNNING':
      parts.push(`pid ${p.pid}, uptime ${formatUptime(p.uptimeSeconds ?? 0)}`);
      if (p.healthy === true) parts.push('healthy');
      if (p.healthy === false) parts.push(`unhealthy${p.healthMessage ? ` (${p.healthMessage})` : ''}`);
      break;
    case 'STARTING':
    case 'STOPPING':
      if (p.pid !== undefined) parts.push(`pid ${p.pid}`);
      break;
    case 'BACKOFF':
    case 'FATAL':
      parts.push(p.reason ?? '');
      break;
    case 'EXITED':
      parts.push(p.lastSignal ? `killed by ${p.lastSignal}` : `exit status ${p.lastExitCode ?? '?'}`, `at ${p.since}`);
      break;
    case 'STOPPED':
      parts.push(
        p.reason === 'DependencyFailed' && p.message
          ? `waiting: ${p.message}`
          : p.waitingFor
            ? `waiting for ${p.waitingFor.join(', ')}`
            : p.restarts === 0 && p.lastExitCode === undefined && p.lastSignal === undefined
              ? 'Not started'
              : `stopped at ${p.since}`,
      );
      break;
  }
  if (p.notifyStatus) parts.push(`status "${p.notifyStatus}"`);
  if (p.lastRunResult) parts.push(`last run ${p.lastRunResult}${p.lastScheduleTime ? ` (${p.lastScheduleTime})` : ''}`);
  if (p.nextScheduleTime) parts.push(`next run ${p.nextScheduleTime}`);
  if (p.restarts > 0) parts.push(`restarts ${p.restarts}`);
  if (p.memoryBytes !== undefined && (p.state === 'RUNNING' || p.state === 'STARTING')) parts.push(formatBytes(p.memoryBytes));
  return parts.filter(Boolean).join(', ');
}

/** supervisorctl 4.2: max(30, longest name) + 3. */
export function nameWidth(programs: readonly { name: string }[]): number {
  return Math.max(30, ...programs.map((p) => p.name.length)) + 3;
}

export function statusLine(p: StatusLineFields, width = 33): string {
  return `${p.name.padEnd(width)}${p.state.padEnd(10)}${describe(p)}`.trimEnd();
}
