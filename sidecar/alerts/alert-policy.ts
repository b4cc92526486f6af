// Which supervisor events are worth a GitHub issue, what the issue says, and when a repeat may
// become a comment: one issue per (CorePod, program, kind), repeats aggregated into at most one
// comment per interval. Pure; time comes from a Clock.
import type { Clock } from '../../lib/clock.js';
import type { SupervisorEvent } from '../event-hub.js';
import { formatBytes } from '../kube/event-intents.js';

export type AlertKind = 'fatal' | 'crash' | 'memory' | 'container-memory';

export interface Alert {
  kind: AlertKind;
  /** Absent for the container as a whole. */
  program?: string;
  time: string;
  /** Ends the issue title, e.g. "auth-service is FATAL". */
  summary: string;
  /** The figures, one "name: value" line each. */
  facts: [string, string][];
}

export interface AlertTarget {
  namespace: string;
  corePod: string;
  pod: string;
}

const signalName = (signal: string | null | undefined) => (signal ? (signal.startsWith('SIG') ? signal : `SIG${signal}`) : undefined);

function exitFacts(code: number | null | undefined, signal: string | null | undefined): [string, string][] {
  const facts: [string, string][] = [];
  if (code !== undefined && code !== null) facts.push(['exit code', String(code)]);
  const sig = signalName(signal);
  if (sig) facts.push(['signal', sig]);
  return facts;
}

/** The alert an event raises, if any. */
export function alertOf(event: SupervisorEvent): Alert | undefined {
  switch (event.type) {
    case 'process-state': {
      const name = event.program;
      if (event.to === 'FATAL') {
        return {
          kind: 'fatal',
          program: name,
          time: event.time,
          summary: `${name} is FATAL`,
          facts: [['reason', event.reason ?? 'gave up'], ...exitFacts(event.status.lastExitCode, event.status.lastSignal), ['restarts', String(event.restarts)]],
        };
      }
      if (event.to === 'EXITED' && event.expected === false) {
        return {
          kind: 'crash',
          program: name,
          time: event.time,
          summary: `${name} crashed`,
          facts: [...exitFacts(event.exitCode, event.signal), ['restarts', String(event.restarts)]],
        };
      }
      return undefined;
    }
    case 'program-memory':
      if (!event.over) return undefined;
      return {
        kind: 'memory',
        program: event.program,
        time: event.time,
        summary: `${event.program} is over its memory limit`,
        facts: [
          ['memory (process tree RSS)', formatBytes(event.bytes)],
          ['limit', formatBytes(event.limitBytes)],
          ['action', event.action],
        ],
      };
    case 'container-memory':
      if (event.level !== 'critical' || event.previous === 'critical') return undefined;
      return {
        kind: 'container-memory',
        time: event.time,
        summary: 'container memory is critical',
        facts: [
          ['working set', formatBytes(event.workingSetBytes)],
          ['limit', formatBytes(event.limitBytes)],
          ['percent of limit', `${event.percent.toFixed(0)}% (critical at ${event.criticalPercent}%)`],
          ['action', event.action],
          ...(event.restarted ? ([['restarted', event.restarted]] as [string, string][]) : []),
        ],
      };
    default:
      return undefined;
  }
}

export function alertKey(alert: Pick<Alert, 'kind' | 'program'>): string {
  return `${alert.program ?? '(container)'}/${alert.kind}`;
}

/** The stable marker in an issue body that finds the issue again (also after a pod restart). */
export function markerOf(target: AlertTarget, alert: Pick<Alert, 'kind' | 'program'>): string {
  return `<!-- corepod-alert: ${target.namespace}/${target.corePod}/${alertKey(alert)} -->`;
}

export function issueTitle(target: AlertTarget, alert: Alert): string {
  return `[corepod] ${target.namespace}/${target.corePod}: ${alert.summary}`;
}

function factLines(target: AlertTarget, alert: Alert): string[] {
  return [...alert.facts, ['pod', target.pod] as [string, string], ['time', alert.time] as [string, string]].map(([k, v]) => `- **${k}**: ${v}`);
}

export function issueBody(target: AlertTarget, alert: Alert): string {
  return [
    `CorePod \`${target.namespace}/${target.corePod}\`: ${alert.summary}.`,
    '',
    ...factLines(target, alert),
    '',
    'Repeats are added as comments while this issue is open; close it once dealt with.',
    '',
    markerOf(target, alert),
  ].join('\n');
}

export function commentBody(target: AlertTarget, send: Send): string {
  if (send.first) return [`${send.alert.summary} again (the supervisor restarted since this issue was opened):`, '', ...factLines(target, send.alert)].join('\n');
  const times = send.count === 1 ? 'once more' : `${send.count} more times`;
  return [`${send.alert.summary} again, ${times} since the last update (first at ${send.firstTime}). Latest:`, '', ...factLines(target, send.alert)].join('\n');
}

/** One message to GitHub: the latest alert of a key and how many occurrences it stands for. */
export interface Send {
  key: string;
  alert: Alert;
  count: number;
  firstTime: string;
  /** The first occurrence since this supervisor started (the issue may still exist from before). */
  first: boolean;
}

interface KeyState {
  lastSentAt: number;
  pending?: { alert: Alert; count: number; firstTime: string };
}

/**
 * The first occurrence of a key is sent at once; later ones wait until `intervalMs` has passed
 * since the key's last send and then go out as one Send counting them all.
 */
export class AlertBook {
  private readonly keys = new Map<string, KeyState>();

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
  ) {}

  note(alert: Alert): Send | undefined {
    const key = alertKey(alert);
    const now = this.clock.now();
    const state = this.keys.get(key);
    if (!state) {
      this.keys.set(key, { lastSentAt: now });
      return { key, alert, count: 1, firstTime: alert.time, first: true };
    }
    const pending = state.pending ?? { alert, count: 0, firstTime: alert.time };
    state.pending = { alert, count: pending.count + 1, firstTime: pending.firstTime };
    return this.take(key, state, now);
  }

  /** Sends whose interval has passed. */
  due(): Send[] {
    const now = this.clock.now();
    const sends: Send[] = [];
    for (const [key, state] of this.keys) {
      const send = this.take(key, state, now);
      if (send) sends.push(send);
    }
    return sends;
  }

  /** When the next held repeat becomes due (clock.now() scale), if any. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const state of this.keys.values()) {
      if (state.pending) next = Math.min(next ?? Infinity, state.lastSentAt + this.intervalMs);
    }
    return next;
  }

  private take(key: string, state: KeyState, now: number): Send | undefined {
    if (!state.pending || now < state.lastSentAt + this.intervalMs) return undefined;
    const { alert, count, firstTime } = state.pending;
    state.pending = undefined;
    state.lastSentAt = now;
    return { key, alert, count, firstTime, first: false };
  }
}
