// The pod's identity: a ServiceAccount whose Role lets the sidecar-init read and watch its own CorePod, patch
// only that CorePod's status, and create/patch Events (series) in its namespace.
import type { V1Role, V1RoleBinding, V1ServiceAccount } from '@kubernetes/client-node';
import { GROUP, PLURAL } from '../../crds/corepod-schema.js';
import type { CorePodObject } from '../../crds/corepod-object.js';
import { names, objectLabels, ownerReference } from './names.js';

function meta(corePod: CorePodObject, name: string) {
  return { name, namespace: corePod.metadata.namespace, labels: objectLabels(corePod.metadata.name, 'rbac'), ownerReferences: [ownerReference(corePod)] };
}

export function buildServiceAccount(corePod: CorePodObject): V1ServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {
      ...meta(corePod, names.serviceAccount(corePod.metadata.name)),
      ...(corePod.spec.serviceAccount?.annotations ? { annotations: corePod.spec.serviceAccount.annotations } : {}),
    },
    // The pod mounts its token through its own projected volume with mode 0400.
    automountServiceAccountToken: false,
  };
}

export function buildRole(corePod: CorePodObject): V1Role {
  const own = [corePod.metadata.name];
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: meta(corePod, names.role(corePod.metadata.name)),
    rules: [
      { apiGroups: [GROUP], resources: [`${PLURAL}/status`], resourceNames: own, verbs: ['get', 'patch'] },
      // list and watch with the field selector metadata.name=<own> (live reconfiguration, program control requests) are authorized by resourceNames.
      { apiGroups: [GROUP], resources: [PLURAL], resourceNames: own, verbs: ['get', 'list', 'watch'] },
      // create cannot be limited by resourceNames; patch updates an Event series.
      { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    ],
  };
}

export function buildRoleBinding(corePod: CorePodObject): V1RoleBinding {
  const name = corePod.metadata.name;
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta(corePod, names.roleBinding(name)),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: names.role(name) },
    subjects: [{ kind: 'ServiceAccount', name: names.serviceAccount(name), namespace: corePod.metadata.namespace }],
  };
}
