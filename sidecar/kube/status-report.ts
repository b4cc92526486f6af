// What the status reporter writes, and when a new snapshot is worth a patch. Pure.
import type { Condition, ProcessStatus } from '../../crds/corepod-schema.js';
import type { KubeObject } from '../../kube/kube-api.js';
import { API_VERSION, KIND } from '../../crds/corepod-names.js';
import type { PodIdentity } from './pod-identity.js';

/** What a pod reports besides its processes: the CorePod generation it runs, and its SpecApplied condition. */
export interface PodFacts {
  generation?: number;
  conditions?: Condition[];
}

/** The server-side apply body: this pod's entry of status.pods (a list-map keyed by pod name). */
export function statusApplyBody(identity: PodIdentity, processes: readonly ProcessStatus[], updated: string, facts: PodFacts = {}): KubeObject & { status: unknown } {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: identity.corePodName, namespace: identity.namespace },
    status: { pods: [{ name: identity.podName, updated, ...facts, processes: processes.map((p) => ({ ...p })) }] },
  };
}

export type Difference = 'none' | 'volatile' | 'state';

export interface DifferenceOptions {
  /** A memory change counts when it is at least this many bytes ... */
  memoryMinBytes: number;
  /** ... and at least this fraction of the last reported figure. */
  memoryMinFraction: number;
}

export const DEFAULT_DIFFERENCE: DifferenceOptions = { memoryMinBytes: 1024 * 1024, memoryMinFraction: 0.05 };

const STATE_FIELDS = ['state', 'pid', 'restarts', 'lastExitCode', 'lastSignal', 'since', 'healthy', 'reason', 'lastRunResult', 'nextScheduleTime'] as const;

/**
 * 'state' when anything a reader acts on changed (a state, pid, restarts, exit, health, the
 * program list); 'volatile' when only memory moved noticeably; 'none' for jitter in memory and
 * probe latency, which ride along with the next patch instead of causing one.
 */
export function difference(previous: readonly ProcessStatus[] | undefined, current: readonly ProcessStatus[], options: DifferenceOptions = DEFAULT_DIFFERENCE): Difference {
  if (!previous || previous.length !== current.length) return 'state';
  let volatile = false;
  for (let i = 0; i < current.length; i++) {
    const before = previous[i]!;
    const now = current[i]!;
    if (before.name !== now.name) return 'state';
    for (const field of STATE_FIELDS) if (before[field] !== now[field]) return 'state';
    if (memoryMoved(before.memoryBytes, now.memoryBytes, options)) volatile = true;
  }
  return volatile ? 'volatile' : 'none';
}

function memoryMoved(before: number | undefined, now: number | undefined, options: DifferenceOptions): boolean {
  if (before === undefined || now === undefined) return before !== now;
  const delta = Math.abs(now - before);
  return delta >= options.memoryMinBytes && delta >= before * options.memoryMinFraction;
}
