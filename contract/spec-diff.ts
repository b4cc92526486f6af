// What changed between two CorePod specs, and how each change can be applied: by the running
// sidecar-init in place (a program's supervision settings, its process restarted or sent its
// reloadSignal) or only by a new pod (what the pod template holds). The operator hashes
// podTemplateInputs into the pod template, so exactly the changes that need a new pod roll the
// Deployment; the sidecar-init applies the rest. Pure.
import { isDeepStrictEqual } from 'node:util';
import type { CorePodSpec, ProgramSpec } from '../crds/corepod-schema.js';
import { unprivilegedPortStart } from './listened-ports.js';

/** update: the supervisor takes the new settings, the process keeps running; restart: a new process; pod: a new pod. */
export type ChangeNeeds = 'update' | 'restart' | 'pod';

export interface FieldChange {
  /** The field's path, e.g. spec.programs[1].env or spec.image. */
  path: string;
  needs: ChangeNeeds;
  reason: string;
}

/** update, restart or pod as the most a field needs; reload: a restart replaced by the program's reloadSignal. */
export type ProgramAction = ChangeNeeds | 'reload';

export interface ProgramChange {
  name: string;
  action: ProgramAction;
  fields: FieldChange[];
}

export interface SpecDiff {
  added: string[];
  /** In the order of the old spec. */
  removed: string[];
  changed: ProgramChange[];
  kept: string[];
  /** Changes outside spec.programs that the pod template (or the sidecar-init's start) holds. */
  podChanges: FieldChange[];
  /** Whether only a new pod can run the new spec. */
  needsNewPod: boolean;
}

/** The condition each pod's sidecar-init sets in its status.pods[] entry: whether it runs the latest spec, or why not. */
export const SPEC_APPLIED_CONDITION = 'SpecApplied';

/** Fields outside spec.programs that concern other objects than the pods (the operator applies them). */
export const NOT_POD_FIELDS = ['replicas', 'service', 'serviceAccount', 'podDisruptionBudget'] as const;

const PROCESS = 'the running process was started with it';
const POD = 'the pod template holds it';

/** Why each program field needs what it needs; a field not listed restarts the program. */
const PROGRAM_FIELDS: Record<string, { needs: ChangeNeeds; reason: string }> = {
  command: { needs: 'restart', reason: PROCESS },
  workingDir: { needs: 'restart', reason: PROCESS },
  user: { needs: 'restart', reason: PROCESS },
  env: { needs: 'restart', reason: PROCESS },
  notify: { needs: 'restart', reason: 'NOTIFY_SOCKET is given to the process at its start' },
  notifyFd: { needs: 'restart', reason: 'the readiness pipe is given to the process at its start' },
  watchdogSeconds: { needs: 'restart', reason: 'WATCHDOG_USEC is given to the process at its start' },
  logs: { needs: 'restart', reason: "the process's output pipes are attached to its log files at its start" },
  schedule: { needs: 'restart', reason: 'a schedule is set up with the program' },
  ports: { needs: 'pod', reason: `${POD} (container ports)` },
  volumeMounts: { needs: 'pod', reason: `${POD} (container volume mounts)` },
  envFrom: { needs: 'pod', reason: `${POD} (the container's envFrom, resolved by the kubelet)` },
  autostart: { needs: 'update', reason: 'read when the supervisor starts programs' },
  autorestart: { needs: 'update', reason: 'read at the next exit' },
  exitCodes: { needs: 'update', reason: 'read at the next exit' },
  priority: { needs: 'update', reason: 'read when ordering starts and stops' },
  startSeconds: { needs: 'update', reason: 'read at the next start' },
  startRetries: { needs: 'update', reason: 'read at the next failed start' },
  stopSignal: { needs: 'update', reason: 'read at the next stop' },
  stopWaitSeconds: { needs: 'update', reason: 'read at the next stop' },
  critical: { needs: 'update', reason: 'read when the program goes FATAL' },
  backoff: { needs: 'update', reason: 'read at the next retry' },
  restartPreventExitCodes: { needs: 'update', reason: 'read at the next exit' },
  exitContainerOnExit: { needs: 'update', reason: 'read at the next exit' },
  dependsOn: { needs: 'update', reason: 'read when the program is started' },
  onDependencyFailure: { needs: 'update', reason: 'read when a dependency fails' },
  startTimeoutSeconds: { needs: 'update', reason: 'read at the next start' },
  lifecycle: { needs: 'update', reason: 'read at the next start and stop' },
  healthCheck: { needs: 'update', reason: 'the probe loop starts over with the new check' },
  memory: { needs: 'update', reason: 'read at the next memory sample' },
  restartBudget: { needs: 'update', reason: 'read at the next restart' },
  reloadSignal: { needs: 'update', reason: 'read at the next edit' },
  instances: { needs: 'update', reason: 'only the instances added or removed are started or stopped; the others keep running' },
};

/** Restart fields a reloadSignal stands in for; the others (log files, NOTIFY_SOCKET, a schedule) restart the program anyway. */
const RELOADABLE: ReadonlySet<string> = new Set(['command', 'workingDir', 'user', 'env']);

const RANK: Record<ChangeNeeds, number> = { update: 0, restart: 1, pod: 2 };

/** The env entries the kubelet resolves (valueFrom): the container carries them under names made from the program's index. */
function resolvedEnv(program: ProgramSpec): unknown[] {
  return program.env.filter((variable) => variable.valueFrom !== undefined);
}

/** A program's part of the pod template: its ports and mounts, and the kubelet-resolved variables by its index. */
function podPartOf(program: ProgramSpec, index: number): unknown {
  const env = resolvedEnv(program);
  const byIndex = env.length > 0 || (program.envFrom ?? []).length > 0;
  if (!byIndex && program.ports.length === 0 && (program.volumeMounts ?? []).length === 0) return undefined;
  return {
    name: program.name,
    ports: program.ports,
    volumeMounts: program.volumeMounts ?? [],
    ...(byIndex ? { index, env, envFrom: program.envFrom ?? [] } : {}),
  };
}

/**
 * What of a spec only a new pod can take: every field but the programs and those of other
 * objects, and of each program what the pod template holds. Its hash is the pod template's.
 */
export function podTemplateInputs(spec: CorePodSpec): Record<string, unknown> {
  const rest: Record<string, unknown> = { ...spec };
  for (const field of [...NOT_POD_FIELDS, 'programs']) delete rest[field];
  return { ...rest, programs: spec.programs.map(podPartOf).filter((part) => part !== undefined), ...privilegedPort(spec) };
}

/** A non-root pod's sysctl net.ipv4.ip_unprivileged_port_start follows the lowest port below 1024 it listens on, health-checked ones included. */
function privilegedPort(spec: CorePodSpec): { lowestPrivilegedPort?: number } {
  const lowest = spec.securityContext ? unprivilegedPortStart(spec) : undefined;
  return lowest !== undefined ? { lowestPrivilegedPort: lowest } : {};
}

function programChange(before: ProgramSpec, beforeIndex: number, after: ProgramSpec, afterIndex: number): ProgramChange | undefined {
  const fields: FieldChange[] = [];
  const path = (field: string) => `spec.programs[${afterIndex}].${field}`;
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) {
    if (key === 'name') continue;
    const a = (before as Record<string, unknown>)[key];
    const b = (after as Record<string, unknown>)[key];
    if (isDeepStrictEqual(a, b)) continue;
    if (key === 'env' && !isDeepStrictEqual(resolvedEnv(before), resolvedEnv(after))) {
      fields.push({ path: path(key), needs: 'pod', reason: `${POD} (env valueFrom, resolved by the kubelet)` });
      continue;
    }
    const known = PROGRAM_FIELDS[key] ?? { needs: 'restart', reason: PROCESS };
    fields.push({ path: path(key), ...known });
  }
  const byIndex = resolvedEnv(after).length > 0 || (after.envFrom ?? []).length > 0;
  if (beforeIndex !== afterIndex && byIndex) {
    fields.push({ path: `spec.programs[${afterIndex}]`, needs: 'pod', reason: `moved from index ${beforeIndex}: ${POD} (its env valueFrom and envFrom by index)` });
  }
  if (fields.length === 0) return undefined;
  const most = fields.reduce<ChangeNeeds>((m, f) => (RANK[f.needs] > RANK[m] ? f.needs : m), 'update');
  const reloadable = fields.every((f) => f.needs !== 'restart' || RELOADABLE.has(f.path.slice(f.path.lastIndexOf('.') + 1)));
  const action: ProgramAction = most === 'restart' && after.reloadSignal !== undefined && reloadable ? 'reload' : most;
  return { name: after.name, action, fields };
}

export function diffSpecs(before: CorePodSpec, after: CorePodSpec): SpecDiff {
  const oldIndex = new Map(before.programs.map((program, index) => [program.name, index]));
  const newNames = new Set(after.programs.map((program) => program.name));
  const added: string[] = [];
  const changed: ProgramChange[] = [];
  const kept: string[] = [];
  after.programs.forEach((program, index) => {
    const i = oldIndex.get(program.name);
    if (i === undefined) {
      added.push(program.name);
      return;
    }
    const change = programChange(before.programs[i]!, i, program, index);
    if (change) changed.push(change);
    else kept.push(program.name);
  });
  const removed = before.programs.map((program) => program.name).filter((name) => !newNames.has(name));

  const podChanges: FieldChange[] = [];
  const a = podTemplateInputs(before);
  const b = podTemplateInputs(after);
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (key === 'programs' || isDeepStrictEqual(a[key], b[key])) continue;
    if (key === 'lowestPrivilegedPort') {
      podChanges.push({
        path: 'spec.programs',
        needs: 'pod',
        reason: 'the lowest port below 1024 the pod listens on changed: a non-root pod sets net.ipv4.ip_unprivileged_port_start to it',
      });
      continue;
    }
    podChanges.push({ path: `spec.${key}`, needs: 'pod', reason: 'the pod template, or the sidecar-init at its start, holds it' });
  }
  // An added or removed program with ports, mounts or kubelet-resolved variables changes the template too.
  for (const name of [...added, ...removed]) {
    const inAfter = after.programs.findIndex((p) => p.name === name);
    const program = inAfter >= 0 ? after.programs[inAfter]! : before.programs[oldIndex.get(name)!]!;
    const index = inAfter >= 0 ? inAfter : oldIndex.get(name)!;
    if (podPartOf(program, index) !== undefined) {
      podChanges.push({
        path: `spec.programs[${index}]`,
        needs: 'pod',
        reason: `${inAfter >= 0 ? 'added' : 'removed'} program ${name}: ${POD} (its ports, mounts or env valueFrom)`,
      });
    }
  }
  // Index shifts of programs that were not edited otherwise but carry variables by index.
  const needsNewPod = podChanges.length > 0 || changed.some((c) => c.action === 'pod') || !isDeepStrictEqual(a.programs, b.programs);
  return { added, removed, changed, kept, podChanges, needsNewPod };
}

/** One line per kind of change, as `corepod reload` and the Events say it. */
export function describeDiff(diff: SpecDiff): string[] {
  const lines: string[] = [];
  const of = (action: ProgramAction) => diff.changed.filter((c) => c.action === action);
  const fieldsOf = (c: ProgramChange) => c.fields.map((f) => f.path.replace(/^spec\.programs\[\d+\]\.?/, '') || 'position').join(', ');
  if (diff.added.length > 0) lines.push(`added: ${diff.added.join(', ')}`);
  if (diff.removed.length > 0) lines.push(`removed: ${diff.removed.join(', ')}`);
  for (const [action, word] of [
    ['restart', 'restarted'],
    ['reload', 'reloaded'],
    ['update', 'updated in place'],
    ['pod', 'needs a new pod'],
  ] as const) {
    const list = of(action);
    if (list.length > 0) lines.push(`${word}: ${list.map((c) => `${c.name} (${fieldsOf(c)})`).join(', ')}`);
  }
  if (diff.podChanges.length > 0) lines.push(`needs a new pod: ${diff.podChanges.map((c) => c.path).join(', ')}`);
  if (diff.kept.length > 0) lines.push(`kept: ${diff.kept.join(', ')}`);
  return lines;
}
