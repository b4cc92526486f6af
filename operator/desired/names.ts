// Names, labels and owner references shared by every object the operator owns.
import type { V1OwnerReference } from '@kubernetes/client-node';
import type { CorePodObject } from '../../crds/corepod-object.js';

export const FIELD_MANAGER = 'corepod-operator';
export const CONFIG_HASH_ANNOTATION = 'dreamscape.io/config-hash';
/** kubectl exec, logs, attach and cp use this container when none is named (the app, not the init container). */
export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

export const LABEL = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  managedBy: 'app.kubernetes.io/managed-by',
  partOf: 'app.kubernetes.io/part-of',
} as const;

export const NAME_LABEL_VALUE = 'corepod';
export const MANAGED_BY = 'corepod-operator';

export type Component = 'workload' | 'config' | 'network' | 'rbac';

/** Labels that select the pods of one CorePod (immutable once the Deployment exists). */
export function selectorLabels(corePodName: string): Record<string, string> {
  return { [LABEL.name]: NAME_LABEL_VALUE, [LABEL.instance]: corePodName };
}

export function objectLabels(corePodName: string, component: Component): Record<string, string> {
  return { ...selectorLabels(corePodName), [LABEL.component]: component, [LABEL.managedBy]: MANAGED_BY, [LABEL.partOf]: NAME_LABEL_VALUE };
}

/** selectorLabels as a label selector string (status.selector, for the scale subresource). */
export function selectorString(corePodName: string): string {
  return Object.entries(selectorLabels(corePodName))
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/** The label selector that finds everything the operator manages. */
export const MANAGED_SELECTOR = `${LABEL.managedBy}=${MANAGED_BY}`;

export function ownerReference(corePod: CorePodObject): V1OwnerReference {
  return {
    apiVersion: corePod.apiVersion,
    kind: corePod.kind,
    name: corePod.metadata.name,
    uid: corePod.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export const names = {
  deployment: (corePod: string) => corePod,
  service: (corePod: string) => corePod,
  podDisruptionBudget: (corePod: string) => corePod,
  configMap: (corePod: string) => `${corePod}-corepod-config`,
  serviceAccount: (corePod: string) => `${corePod}-corepod`,
  role: (corePod: string) => `${corePod}-corepod`,
  roleBinding: (corePod: string) => `${corePod}-corepod`,
};
