// A pod whose container the kubelet holds in CreateContainerConfigError (a Secret or ConfigMap that
// an env var or envFrom needs is missing, or lacks the key) turned into the CorePod's waiting
// problems, each naming the field that refers to the missing object. Read from the pod status, so
// the operator needs no access to Secrets.
import type { CorePodSpec } from '../../crds/corepod-schema.js';
import type { SpecProblem } from '../desired/port-plan.js';

export const CONFIG_ERROR_REASON = 'CreateContainerConfigError';

export interface PodConfigError {
  pod: string;
  /** The kubelet's message, e.g. `secret "api-key" not found`. */
  message: string;
}

interface PodLike {
  metadata?: { name?: string };
  status?: { containerStatuses?: { name?: string; state?: { waiting?: { reason?: string; message?: string } } }[] };
}

/** The config errors of one pod's containers (what the operator's pod cache keeps of its status). */
export function podConfigErrors(pod: PodLike): PodConfigError[] {
  return (pod.status?.containerStatuses ?? []).flatMap((container) => {
    const waiting = container.state?.waiting;
    return waiting?.reason === CONFIG_ERROR_REASON ? [{ pod: pod.metadata?.name ?? '', message: waiting.message ?? '' }] : [];
  });
}

/** The Secret or ConfigMap a kubelet config-error message names. */
export function missingObject(message: string): { kind: 'Secret' | 'ConfigMap'; name: string; what: 'NotFound' | 'KeyNotFound' } | undefined {
  const notFound = /\b(secret|configmap) "([^"]+)" not found/i.exec(message);
  const noKey = /\bin (Secret|ConfigMap) [^/\s]+\/(\S+)/.exec(message);
  const match = notFound ?? noKey;
  if (!match) return undefined;
  return { kind: match[1]!.toLowerCase() === 'secret' ? 'Secret' : 'ConfigMap', name: match[2]!, what: notFound ? 'NotFound' : 'KeyNotFound' };
}

/** Paths of the spec fields that refer to a Secret or ConfigMap by name. */
export function referencesTo(spec: Pick<CorePodSpec, 'programs'>, kind: 'Secret' | 'ConfigMap', name: string): string[] {
  const keyRef = kind === 'Secret' ? 'secretKeyRef' : 'configMapKeyRef';
  const ref = kind === 'Secret' ? 'secretRef' : 'configMapRef';
  return spec.programs.flatMap((program, i) => [
    ...(program.envFrom ?? []).flatMap((source, k) => (source[ref]?.name === name ? [`spec.programs[${i}].envFrom[${k}].${ref}`] : [])),
    ...program.env.flatMap((variable, j) => (variable.valueFrom?.[keyRef]?.name === name ? [`spec.programs[${i}].env[${j}].valueFrom.${keyRef}`] : [])),
  ]);
}

/** One waiting problem per distinct kubelet message, naming the pods and the fields concerned. */
export function configErrorProblems(spec: Pick<CorePodSpec, 'programs'>, errors: readonly PodConfigError[]): SpecProblem[] {
  const byMessage = new Map<string, string[]>();
  for (const error of errors) byMessage.set(error.message, [...(byMessage.get(error.message) ?? []), error.pod]);
  return [...byMessage].map(([message, pods]) => {
    const missing = missingObject(message);
    const paths = missing ? referencesTo(spec, missing.kind, missing.name) : [];
    const reason = missing ? `${missing.kind}${missing.what}` : CONFIG_ERROR_REASON;
    const what = missing ? `${missing.kind} "${missing.name}": ` : '';
    return {
      reason,
      path: paths.length > 0 ? paths.join(', ') : 'spec',
      message: `${what}${message} (${pods.length > 1 ? `pods ${pods.sort().join(', ')} wait` : `pod ${pods[0]} waits`} for it)`,
    };
  });
}
