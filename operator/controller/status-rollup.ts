// The CorePod status the operator writes: READY x/y, PHASE, RESTARTS and the conditions, rolled up
// from what each pod's sidecar-init reported in status.pods[], the Deployment, and the problems
// the reconcile found. Pure: everything it needs is passed in.
import { expandInstances } from '../../contract/instances.js';
import { processReadiness } from '../../contract/readiness.js';
import type { Condition, CorePodStatus, PodStatus } from '../../crds/corepod-schema.js';
import type { CorePodObject } from '../../crds/corepod-object.js';
import type { SpecProblem } from '../desired/port-plan.js';
import { CONDITION, setCondition, type ConditionInput } from './conditions.js';
import { selectorString } from '../desired/names.js';
import { SPEC_APPLIED_CONDITION } from '../../contract/spec-diff.js';

export interface DeploymentView {
  generation?: number;
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
}

export interface RollupInput {
  corePod: CorePodObject;
  /** Problems that need a spec change: the workload is not applied. */
  problems: SpecProblem[];
  /** Problems that resolve without a spec change (a missing Secret): retried. */
  waiting: SpecProblem[];
  /** What is likely unintended but is rolled out anyway (a volume no program mounts). */
  warnings?: SpecProblem[];
  /** Transient or permanent failure to apply the owned objects. */
  applyError?: string;
  /** Owned objects found changed or deleted by hand and restored in this reconcile. */
  repaired: string[];
  deployment?: DeploymentView;
  /** Names of the pods of this CorePod that exist now; undefined when unknown (no pod cache). */
  livePods?: ReadonlySet<string>;
  now: string;
}

/** The fields of status the operator owns (status.pods[] belongs to the pods). */
export type OwnedStatus = Required<Pick<CorePodStatus, 'observedGeneration' | 'phase' | 'readyProcesses' | 'restarts' | 'conditions' | 'replicas' | 'selector'>>;

export interface Rollup {
  status: OwnedStatus;
  /** status.pods[] entries of pods that no longer exist. */
  prune: string[];
}

export function rollup(input: RollupInput): Rollup {
  const { corePod, now } = input;
  const spec = corePod.spec;
  const generation = corePod.metadata.generation ?? 0;
  const reported = corePod.status?.pods ?? [];
  const live = reported.filter((p) => input.livePods === undefined || input.livePods.has(p.name));
  const prune = input.livePods === undefined ? [] : reported.filter((p) => !input.livePods!.has(p.name)).map((p) => p.name);
  // Reported per process: a program with instances as name:00, name:01, …
  const processes = expandInstances(spec.programs);
  const programs = new Map(processes.map((p) => [p.name, p]));
  const expected = processes.filter((p) => p.autostart).length * spec.replicas;

  // READY counts at most spec.replicas pods, those on the newest generation first: during a
  // rollout (or one stuck on a pod that never becomes ready) the old and the new pod are both
  // live, and adding them up would count one replica twice.
  const readyIn = (pod: PodStatus) =>
    pod.processes.filter((process) => {
      const program = programs.get(process.name);
      return program?.autostart === true && processReadiness(process, program).ready;
    }).length;
  let ready = live
    .map((pod) => ({ generation: pod.generation ?? -1, ready: readyIn(pod) }))
    .sort((a, b) => b.generation - a.generation || b.ready - a.ready)
    .slice(0, spec.replicas)
    .reduce((sum, pod) => sum + pod.ready, 0);
  let restarts = 0;
  const fatal: string[] = [];
  const blocked: string[] = [];
  for (const pod of live) {
    for (const process of pod.processes) {
      restarts += process.restarts;
      const program = programs.get(process.name);
      if (!program) continue;
      if (process.state === 'FATAL') fatal.push(`${process.name} in pod ${pod.name}`);
      if (process.reason === 'DependencyFailed') blocked.push(`${process.name} in pod ${pod.name} (${process.message ?? 'a dependency failed'})`);
    }
  }
  ready = Math.min(ready, expected);

  // Which pods do not run this generation yet: each pod reports the generation it runs (live
  // reconfiguration), and why not when it refused it. A pod that reports none is not counted.
  // observedGeneration is the oldest generation a live pod runs: "every pod runs this spec".
  const behind: string[] = [];
  const refused: string[] = [];
  let observedGeneration = generation;
  for (const pod of live) {
    if (pod.generation === undefined || pod.generation >= generation) continue;
    observedGeneration = Math.min(observedGeneration, pod.generation);
    const applied = pod.conditions?.find((c) => c.type === SPEC_APPLIED_CONDITION);
    const refusedThis = applied?.status === 'False' && applied.observedGeneration === generation;
    behind.push(`pod ${pod.name} runs generation ${pod.generation}${refusedThis ? ` (${applied.reason}: ${applied.message})` : ''}`);
    if (refusedThis && applied.reason === 'SpecRefused') refused.push(`pod ${pod.name}: ${applied.message}`);
  }

  const d = input.deployment;
  const rolledOut =
    d !== undefined &&
    (d.observedGeneration ?? 0) >= (d.generation ?? 0) &&
    (d.updatedReplicas ?? 0) >= spec.replicas &&
    (d.availableReplicas ?? 0) >= spec.replicas &&
    (d.replicas ?? 0) <= spec.replicas;

  const first = input.problems[0];
  const waiting = input.waiting[0];
  let phase: OwnedStatus['phase'];
  let readyCondition: ConditionInput;
  if (first) {
    phase = 'Failed';
    readyCondition = { type: CONDITION.ready, status: 'False', reason: first.reason, message: problemText(input.problems) };
  } else if (spec.replicas === 0) {
    phase = 'Running';
    readyCondition = { type: CONDITION.ready, status: 'True', reason: 'ScaledToZero', message: 'spec.replicas is 0' };
  } else if (fatal.length > 0) {
    phase = 'Degraded';
    readyCondition = { type: CONDITION.ready, status: 'False', reason: 'ProcessFatal', message: `FATAL: ${fatal.join(', ')}` };
  } else if (ready === expected && expected > 0 && live.length > 0) {
    phase = 'Running';
    readyCondition = { type: CONDITION.ready, status: 'True', reason: 'AllProcessesReady', message: `${ready}/${expected} processes ready` };
  } else if (live.length === 0) {
    phase = 'Pending';
    readyCondition = {
      type: CONDITION.ready,
      status: 'False',
      reason: waiting ? waiting.reason : 'WaitingForPods',
      message: waiting ? problemText(input.waiting) : 'no pod has reported its processes yet',
    };
  } else {
    phase = 'Starting';
    readyCondition = { type: CONDITION.ready, status: 'False', reason: 'ProcessesNotReady', message: `${ready}/${expected} processes ready` };
  }

  if (readyCondition.status === 'True' && spec.replicas > 0 && behind.length > 0) {
    readyCondition = { type: CONDITION.ready, status: 'False', reason: 'SpecNotApplied', message: `not every pod runs generation ${generation}: ${behind.join('; ')}` };
  }

  let progressing: ConditionInput;
  if (first) progressing = { type: CONDITION.progressing, status: 'False', reason: first.reason, message: 'the spec must be fixed before the operator can roll it out' };
  else if (input.repaired.length > 0) {
    progressing = { type: CONDITION.progressing, status: 'True', reason: 'DriftRepaired', message: `restored after a change by hand: ${input.repaired.join(', ')}` };
  } else if (input.applyError) progressing = { type: CONDITION.progressing, status: 'True', reason: 'ApplyFailed', message: input.applyError };
  else if (!rolledOut) {
    progressing = {
      type: CONDITION.progressing,
      status: 'True',
      reason: 'RollingOut',
      message: d ? `${d.updatedReplicas ?? 0} updated, ${d.availableReplicas ?? 0} available of ${spec.replicas}` : 'creating the Deployment',
    };
  } else progressing = { type: CONDITION.progressing, status: 'False', reason: 'RolloutComplete', message: `${spec.replicas} replicas up to date` };

  const troubles = [...input.problems, ...input.waiting];
  let degraded: ConditionInput;
  if (troubles.length > 0) degraded = { type: CONDITION.degraded, status: 'True', reason: troubles[0]!.reason, message: problemText(troubles) };
  else if (input.applyError) degraded = { type: CONDITION.degraded, status: 'True', reason: 'ApplyFailed', message: input.applyError };
  else if (refused.length > 0)
    degraded = { type: CONDITION.degraded, status: 'True', reason: 'SpecRefused', message: `the spec of generation ${generation} was refused: ${refused.join('; ')}` };
  else if (fatal.length > 0) degraded = { type: CONDITION.degraded, status: 'True', reason: 'ProcessFatal', message: `FATAL: ${fatal.join(', ')}` };
  else if (blocked.length > 0)
    degraded = { type: CONDITION.degraded, status: 'True', reason: 'DependencyFailed', message: `waiting for a failed dependency: ${blocked.join(', ')}` };
  else degraded = { type: CONDITION.degraded, status: 'False', reason: 'AsExpected', message: '' };

  // Present only while there is something to warn about.
  const warnings = input.warnings ?? [];
  const specWarning: ConditionInput[] = warnings.length > 0 ? [{ type: CONDITION.specWarning, status: 'True', reason: warnings[0]!.reason, message: problemText(warnings) }] : [];

  let conditions: Condition[] = (corePod.status?.conditions ?? []).filter((c) => warnings.length > 0 || c.type !== CONDITION.specWarning);
  for (const c of [readyCondition, progressing, degraded, ...specWarning]) conditions = setCondition(conditions, c, generation, now);

  return {
    status: {
      observedGeneration,
      phase,
      readyProcesses: `${ready}/${expected}`,
      restarts,
      conditions,
      replicas: d?.replicas ?? 0,
      selector: selectorString(corePod.metadata.name),
    },
    prune,
  };
}

export function problemText(problems: SpecProblem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('; ');
}

/** Whether writing `next` would change the status (ignoring condition order). */
export function statusDiffers(current: CorePodStatus | undefined, next: OwnedStatus): boolean {
  if (!current) return true;
  if (current.observedGeneration !== next.observedGeneration || current.phase !== next.phase) return true;
  if (current.readyProcesses !== next.readyProcesses || current.restarts !== next.restarts) return true;
  if (current.replicas !== next.replicas || current.selector !== next.selector) return true;
  const have = current.conditions ?? [];
  if (have.length !== next.conditions.length) return true;
  return next.conditions.some((c) => {
    const h = have.find((x) => x.type === c.type);
    return (
      !h ||
      h.status !== c.status ||
      h.reason !== c.reason ||
      h.message !== c.message ||
      h.observedGeneration !== c.observedGeneration ||
      h.lastTransitionTime !== c.lastTransitionTime
    );
  });
}
