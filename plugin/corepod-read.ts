// The CorePod as the plugin reads it: what its spec names and what each pod reported.
import type { HandledRequest } from '../contract/control-request.js';
import type { CorePodStatus, ProcessStatus } from '../crds/corepod-schema.js';
import type { KubeObject } from '../kube/kube-api.js';
import { RESOURCES } from '../kube/resources.js';
import type { Cluster } from './cluster-client.js';
import { apiFailure } from './cluster-client.js';
import { Failed, UsageError } from './plugin-args.js';

export interface PodEntry {
  name: string;
  updated: string;
  processes: ProcessStatus[];
  handledRequests?: HandledRequest[];
}

export interface CorePodRead extends KubeObject {
  metadata: { name: string; namespace: string; resourceVersion: string; annotations?: Record<string, string>; generation?: number };
  spec: { programs: { name: string }[] };
  status?: Omit<CorePodStatus, 'pods'> & { pods?: PodEntry[] };
}

export async function readCorePod(cluster: Cluster, name: string): Promise<CorePodRead> {
  let found: CorePodRead | undefined;
  try {
    found = await cluster.api.get<CorePodRead>(RESOURCES.corePod, cluster.namespace, name);
  } catch (error) {
    throw apiFailure(error, cluster.server);
  }
  if (!found) throw new Failed(`Error from server (NotFound): corepods.dreamscape.io "${name}" not found in namespace "${cluster.namespace}"`);
  return found;
}

/** The pods that reported, or the one --pod names (a usage error naming --pod when it did not report). */
export function podsOf(corePod: CorePodRead, pod: string | undefined): PodEntry[] {
  const pods = corePod.status?.pods ?? [];
  if (pod === undefined) return pods;
  const entry = pods.find((p) => p.name === pod);
  if (!entry) throw new UsageError(`--pod: no pod "${pod}" of corepod ${corePod.metadata.name} has reported (${pods.map((p) => p.name).join(', ') || 'none has'})`);
  return [entry];
}

/** Checks PROGRAM arguments against spec.programs ("all" allowed when `all`); a usage error names the first unknown one. */
export function checkPrograms(corePod: CorePodRead, programs: readonly string[], all: boolean): void {
  const known = corePod.spec.programs.map((p) => p.name);
  for (const program of programs) {
    if (all && program === 'all') {
      if (programs.length > 1) throw new UsageError('PROGRAM: "all" stands alone');
      continue;
    }
    if (!known.includes(program)) throw new UsageError(`PROGRAM "${program}": no such program in corepod ${corePod.metadata.name} (${known.join(', ')})`);
  }
}
