// The PodDisruptionBudget of a CorePod's pods, when spec.podDisruptionBudget asks for one.
import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { CorePodObject } from '../../crds/corepod-object.js';
import { names, objectLabels, ownerReference, selectorLabels } from './names.js';

export function buildPodDisruptionBudget(corePod: CorePodObject): V1PodDisruptionBudget | undefined {
  const budget = corePod.spec.podDisruptionBudget;
  if (!budget) return undefined;
  const name = corePod.metadata.name;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: names.podDisruptionBudget(name), namespace: corePod.metadata.namespace, labels: objectLabels(name, 'workload'), ownerReferences: [ownerReference(corePod)] },
    spec: {
      selector: { matchLabels: selectorLabels(name) },
      ...(budget.minAvailable !== undefined ? { minAvailable: budget.minAvailable } : {}),
      ...(budget.maxUnavailable !== undefined ? { maxUnavailable: budget.maxUnavailable } : {}),
    },
  };
}
