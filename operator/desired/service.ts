// The Service for the ports the programs declare (none when no program declares one, or spec.service.enabled is false).
import type { V1Service } from '@kubernetes/client-node';
import type { CorePodObject } from '../../crds/corepod-object.js';
import type { PlannedPort } from './port-plan.js';
import { names, objectLabels, ownerReference, selectorLabels } from './names.js';

export function buildService(corePod: CorePodObject, ports: PlannedPort[]): V1Service | undefined {
  const settings = corePod.spec.service ?? {};
  if (ports.length === 0 || settings.enabled === false) return undefined;
  const name = corePod.metadata.name;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: names.service(name),
      namespace: corePod.metadata.namespace,
      labels: objectLabels(name, 'network'),
      ...(settings.annotations ? { annotations: settings.annotations } : {}),
      ownerReferences: [ownerReference(corePod)],
    },
    spec: {
      type: settings.type ?? 'ClusterIP',
      ...(settings.externalTrafficPolicy ? { externalTrafficPolicy: settings.externalTrafficPolicy } : {}),
      ...(settings.loadBalancerClass ? { loadBalancerClass: settings.loadBalancerClass } : {}),
      selector: selectorLabels(name),
      ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.name, protocol: p.protocol })),
    },
  };
}
