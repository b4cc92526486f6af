// Who this sidecar-init is in the cluster, from the environment the operator's pod template sets
// (contract/sidecar-contract.ts). Absent variables mean "not in a CorePod pod".
import { ENV } from '../../contract/sidecar-contract.js';

export interface PodIdentity {
  podName: string;
  namespace: string;
  corePodName: string;
  podUid?: string;
  nodeName?: string;
}

export type IdentityResult = { kind: 'pod'; identity: PodIdentity } | { kind: 'standalone' } | { kind: 'incomplete'; missing: string[] };

/** The pod identity, 'standalone' when none of the variables is set, or which ones are missing. */
export function podIdentityFrom(env: NodeJS.ProcessEnv): IdentityResult {
  const required = [ENV.podName, ENV.podNamespace, ENV.corePodName] as const;
  const present = required.filter((name) => env[name]);
  if (present.length === 0) return { kind: 'standalone' };
  const missing = required.filter((name) => !env[name]);
  if (missing.length > 0) return { kind: 'incomplete', missing };
  return {
    kind: 'pod',
    identity: {
      podName: env[ENV.podName]!,
      namespace: env[ENV.podNamespace]!,
      corePodName: env[ENV.corePodName]!,
      ...(env[ENV.podUid] ? { podUid: env[ENV.podUid] } : {}),
      ...(env[ENV.nodeName] ? { nodeName: env[ENV.nodeName] } : {}),
    },
  };
}

const MAX_FIELD_MANAGER = 128;

/** The server-side apply field manager of one pod's status entry: `corepod-sidecar/<pod>` (or another prefix). */
export function fieldManagerFor(podName: string, prefix = 'corepod-sidecar/'): string {
  const name = `${prefix}${podName}`;
  if (name.length <= MAX_FIELD_MANAGER) return name;
  // Pod names go up to 253 characters; keep the (unique) tail, which holds the replica hash.
  return `${prefix}${podName.slice(podName.length - (MAX_FIELD_MANAGER - prefix.length))}`;
}
