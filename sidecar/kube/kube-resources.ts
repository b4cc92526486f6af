// The two resource types the sidecar-init writes. Spelled out here rather than imported from
// crds/corepod-schema.ts or operator/kube/resources.ts: those load zod, which the long-lived
// supervisor process avoids (~13 MB resident). kube-resources.test.ts checks they agree.
import type { ResourceType } from '../../operator/kube/kube-api.js';

export const COREPOD_API_VERSION = 'dreamscape.io/v1alpha1';
export const COREPOD_KIND = 'CorePod';

export const CORE_POD: ResourceType = { group: 'dreamscape.io', version: 'v1alpha1', plural: 'corepods', kind: COREPOD_KIND, namespaced: true };
export const EVENT: ResourceType = { group: 'events.k8s.io', version: 'v1', plural: 'events', kind: 'Event', namespaced: true };
