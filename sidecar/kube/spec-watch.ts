// The sidecar-init's watch of its own CorePod (list and watch with metadata.name=<own>, which the
// pod's Role grants by resourceNames): each new generation is handed on as a CorePod document for
// live reconfiguration. The informer re-lists after an outage, so an edit made while the API
// server was unreachable arrives once it answers again.
import type { KubeApi } from '../../kube/kube-api.js';
import { Informer } from '../../kube/informer.js';
import { RESOURCES } from '../../kube/resources.js';
import type { Logger } from '../logger.js';
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

export interface SpecWatch {
  stop(): Promise<void>;
}

/** The document `corepod validate` takes: the CorePod without status and server-set metadata. */
export function documentOf(object: WatchedCorePod, identity: PodIdentity): CorePodDocument {
  const generation = object.metadata?.generation;
  return {
    apiVersion: object.apiVersion ?? 'dreamscape.io/v1alpha1',
    kind: object.kind ?? 'CorePod',
    metadata: { name: identity.corePodName, namespace: identity.namespace, ...(generation !== undefined ? { generation } : {}) },
    spec: object.spec,
  };
}

export function watchOwnCorePod(api: KubeApi, identity: PodIdentity, logger: Logger, onSpec: (document: CorePodDocument) => void): SpecWatch {
  let failing = false;
  const informer = new Informer<WatchedCorePod>(api, RESOURCES.corePod, {
    namespace: identity.namespace,
    fieldSelector: `metadata.name=${identity.corePodName}`,
    // Short watches: a connection that went silent is noticed within timeout + 30 s.
    watchTimeoutSeconds: 60,
    backoffMs: { initial: 500, max: 10_000 },
    // Only the spec and the generation are used; the status (every pod's reports) is dropped.
    transform: (object) => ({ apiVersion: object.apiVersion, kind: object.kind, metadata: object.metadata, spec: object.spec }) as WatchedCorePod,
    onError: (error, during) => {
      if (!failing) logger.warn('cannot watch the CorePod: live reconfiguration waits (the mounted ConfigMap is read meanwhile)', { during, error: error.message });
      failing = true;
    },
  });
  const seen = (object: WatchedCorePod) => {
    if (failing) logger.info('watching the CorePod again');
    failing = false;
    if (object.metadata?.deletionTimestamp) return;
    onSpec(documentOf(object, identity));
  };
  informer.addHandlers({ onAdd: seen, onUpdate: (previous, object) => previous.metadata?.generation !== object.metadata?.generation && seen(object) });
  void informer.start();
  return { stop: () => informer.stop() };
}
