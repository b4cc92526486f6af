// When a program counts as ready: the one rule behind the sidecar-init's /readyz (the pod's
// Ready condition) and the operator's READY column, so the two can never disagree. Pure.
import type { ProcessStateName } from '../crds/corepod-schema.js';

/** The parts of a program's spec the rule reads. */
export interface ReadinessSpec {
  autostart: boolean;
  autorestart: boolean | 'unexpected';
  exitCodes: readonly number[];
  healthCheck?: { required: boolean } | undefined;
  /** A scheduled program: its runs come and go, so it always counts as ready. */
  schedule?: object | undefined;
}

/** The parts of a process status (CorePod status.pods[].processes[]) the rule reads. */
export interface ReadinessFacts {
  state: ProcessStateName;
  /** The health check's verdict as the state machine keeps it: undefined until a first result counts. */
  healthy?: boolean | undefined;
  lastExitCode?: number | undefined;
  lastSignal?: string | undefined;
}

export type Readiness = { ready: true } | { ready: false; cause: 'health' | 'state' };

/**
 * A scheduled program; or RUNNING and, with a required health check, healthy; or finished as expected and not to be
 * restarted (a oneshot); or not meant to run (autostart false, not waiting to start).
 */
export function processReadiness(process: ReadinessFacts, spec: ReadinessSpec, waitingToStart = false): Readiness {
  if (spec.schedule) return { ready: true };
  switch (process.state) {
    case 'RUNNING':
      if (spec.healthCheck?.required && process.healthy !== true) return { ready: false, cause: 'health' };
      return { ready: true };
    case 'EXITED':
      if (spec.autorestart !== true && process.lastSignal === undefined && process.lastExitCode !== undefined && spec.exitCodes.includes(process.lastExitCode))
        return { ready: true };
      break;
    case 'STOPPED':
      if (!spec.autostart && !waitingToStart) return { ready: true };
      break;
    default:
      break;
  }
  return { ready: false, cause: 'state' };
}
