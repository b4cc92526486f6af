// What to do when a scheduled program's run is due (CronJob semantics inside the pod). Pure.

export type ConcurrencyPolicy = 'Forbid' | 'Allow' | 'Replace';

export interface DueRun {
  policy: ConcurrencyPolicy;
  /** The previous run (or a manual start) is still up: STARTING, RUNNING, BACKOFF or STOPPING. */
  up: boolean;
  /** A run already waits for the previous one to end. */
  waiting: boolean;
  /** How late the run is, in ms (timers fire late under load, or the machine slept). */
  lateMs: number;
  startingDeadlineSeconds?: number | undefined;
  /** The dependencies that have not reached their condition. */
  unready: readonly string[];
}

export type RunDecision =
  | { action: 'start' }
  | { action: 'skip'; reason: string }
  /** Stop the previous run, start this one once it is down. */
  | { action: 'replace' }
  /** Start it once the previous run has ended. */
  | { action: 'wait' };

export function decideRun(due: DueRun): RunDecision {
  if (due.startingDeadlineSeconds !== undefined && due.lateMs > due.startingDeadlineSeconds * 1000) {
    return { action: 'skip', reason: `missed its startingDeadlineSeconds (${due.startingDeadlineSeconds}s) by ${Math.round(due.lateMs / 1000 - due.startingDeadlineSeconds)}s` };
  }
  if (due.unready.length > 0) return { action: 'skip', reason: `dependencies not ready: ${due.unready.join(', ')}` };
  if (!due.up) return { action: 'start' };
  switch (due.policy) {
    case 'Forbid':
      return { action: 'skip', reason: 'the previous run is still up (concurrencyPolicy Forbid)' };
    case 'Replace':
      return { action: 'replace' };
    case 'Allow':
      return due.waiting ? { action: 'skip', reason: 'a run already waits for the previous one (concurrencyPolicy Allow)' } : { action: 'wait' };
  }
}
