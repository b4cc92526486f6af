// The supervisor config: the CorePod spec (defaults applied) that the sidecar-init reads from a file.
import { createHash } from 'node:crypto';
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { CorePodObject } from '../../crds/corepod-object.js';
import { CONFIG_FILE_KEY } from '../../contract/sidecar-contract.js';
import { NOT_POD_FIELDS, podTemplateInputs } from '../../contract/spec-diff.js';
import { names, objectLabels, ownerReference } from './names.js';

/**
 * The document in the ConfigMap: a CorePod without status, so `corepod run -f` accepts it too,
 * with the generation it was made from (the one the sidecar-init reports it runs). What only
 * concerns other objects than the pods is left out (replicas, the Service, the ServiceAccount, the
 * disruption budget).
 */
export function supervisorConfig(corePod: CorePodObject): string {
  const spec: Record<string, unknown> = { ...corePod.spec };
  for (const field of NOT_POD_FIELDS) delete spec[field];
  const { generation } = corePod.metadata;
  const document = {
    apiVersion: corePod.apiVersion,
    kind: corePod.kind,
    metadata: { name: corePod.metadata.name, namespace: corePod.metadata.namespace, ...(generation !== undefined ? { generation } : {}) },
    spec,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/**
 * A short hash of what only a new pod can take (contract/spec-diff.ts podTemplateInputs): a change
 * rolls the pods because it is a pod-template annotation. The rest of a program edit reaches the
 * running pods through their watch of the CorePod (and this ConfigMap) and is applied in place.
 */
export function configHash(spec: CorePodObject['spec']): string {
  return createHash('sha256')
    .update(JSON.stringify(podTemplateInputs(spec)))
    .digest('hex')
    .slice(0, 16);
}

export function buildConfigMap(corePod: CorePodObject, config: string): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: names.configMap(corePod.metadata.name),
      namespace: corePod.metadata.namespace,
      labels: objectLabels(corePod.metadata.name, 'config'),
      ownerReferences: [ownerReference(corePod)],
    },
    data: { [CONFIG_FILE_KEY]: config },
  };
}
