// The resource types CorePod touches (the operator and the sidecar-init alike).
import { GROUP, KIND, PLURAL, VERSION } from '../crds/corepod-names.js';
import { apiVersionOf, type ResourceType } from './kube-api.js';

const t = (group: string, version: string, plural: string, kind: string, namespaced = true): ResourceType => ({ group, version, plural, kind, namespaced });

export const RESOURCES = {
  corePod: t(GROUP, VERSION, PLURAL, KIND),
  deployment: t('apps', 'v1', 'deployments', 'Deployment'),
  replicaSet: t('apps', 'v1', 'replicasets', 'ReplicaSet'),
  configMap: t('', 'v1', 'configmaps', 'ConfigMap'),
  service: t('', 'v1', 'services', 'Service'),
  serviceAccount: t('', 'v1', 'serviceaccounts', 'ServiceAccount'),
  secret: t('', 'v1', 'secrets', 'Secret'),
  pod: t('', 'v1', 'pods', 'Pod'),
  namespace: t('', 'v1', 'namespaces', 'Namespace', false),
  role: t('rbac.authorization.k8s.io', 'v1', 'roles', 'Role'),
  roleBinding: t('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding'),
  podDisruptionBudget: t('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget'),
  lease: t('coordination.k8s.io', 'v1', 'leases', 'Lease'),
  event: t('events.k8s.io', 'v1', 'events', 'Event'),
  crd: t('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false),
} as const;

/** The resource type of an object by its apiVersion and kind (among the known ones). */
export function resourceFor(apiVersion: string, kind: string): ResourceType {
  const found = Object.values(RESOURCES).find((r) => r.kind === kind && apiVersionOf(r) === apiVersion);
  if (!found) throw new Error(`unknown resource ${apiVersion} ${kind}`);
  return found;
}
