// Live reconfiguration's view of the pod's one watch of its own CorePod (own-corepod-watch.ts):
// each new generation is handed on as a CorePod document. The watch re-lists after an outage, so
// an edit made while the API server was unreachable arrives once it answers again.
import { API_VERSION, KIND } from '../../crds/corepod-names.js';
import type { OwnCorePodWatch } from './own-corepod-watch.js';
import type { PodIdentity } from './pod-identity.js';

export interface CorePodDocument {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; generation?: number };
  spec: unknown;
}

interface WatchedCorePod {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; generation?: number; deletionTimestamp?: string | Date };
  spec?: unknown;
}

/** The document `corepod validate` takes: the CorePod without status and server-set metadata. */
export function documentOf(object: WatchedCorePod, identity: PodIdentity): CorePodDocument {
  const generation = object.metadata?.generation;
  return {
    apiVersion: object.apiVersion ?? API_VERSION,
    kind: object.kind ?? KIND,
    metadata: { name: identity.corePodName, namespace: identity.namespace, ...(generation !== undefined ? { generation } : {}) },
    spec: object.spec,
  };
}

/** Hands on each new generation of the own CorePod that the pod's one watch delivers. */
export function followSpecs(watch: OwnCorePodWatch, identity: PodIdentity, onSpec: (document: CorePodDocument) => void): void {
  let last: number | undefined;
  let first = true;
  watch.subscribe((object) => {
    const seen = object as WatchedCorePod;
    if (seen.metadata?.deletionTimestamp) return;
    const generation = seen.metadata?.generation;
    if (!first && generation === last) return;
    first = false;
    last = generation;
    onSpec(documentOf(seen, identity));
  });
}
