// The supervisor config: the CorePod spec (defaults applied) that the sidecar-init reads from a file.
import { createHash } from 'node:crypto';
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { CorePodObject } from '../../crds/corepod-object.js';
import { CONFIG_FILE_KEY } from '../../contract/sidecar-contract.js';
import { names, objectLabels, ownerReference } from './names.js';

/**
 * The document in the ConfigMap: a CorePod without status, so `corepod run -f` accepts it too.
 * What only concerns other objects than the pods is left out (replicas, the Service, the
 * ServiceAccount, the disruption budget): changing it must not change the hash and so roll every pod.
 */
export function supervisorConfig(corePod: CorePodObject): string {
  const { replicas: _replicas, service: _service, serviceAccount: _serviceAccount, podDisruptionBudget: _budget, ...spec } = corePod.spec;
  const document = {
    apiVersion: corePod.apiVersion,
    kind: corePod.kind,
    metadata: { name: corePod.metadata.name, namespace: corePod.metadata.namespace },
    spec,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** A short content hash; a change rolls the pods because it is a pod-template annotation. */
export function configHash(config: string): string {
  return createHash('sha256').update(config).digest('hex').slice(0, 16);
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
