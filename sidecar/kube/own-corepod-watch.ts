// This pod's own CorePod, watched through the API (list + watch by metadata.name, which the pod's
// Role allows for its own object only): every version goes to each subscriber. One watch for all
// that reads the CorePod in the pod (program control requests; live reconfiguration can subscribe too).
import { Informer } from '../../kube/informer.js';
import type { KubeApi, KubeObject } from '../../kube/kube-api.js';
import { RESOURCES } from '../../kube/resources.js';
import type { Logger } from '../logger.js';
import type { PodIdentity } from './pod-identity.js';

export type CorePodListener = (corePod: KubeObject & Record<string, unknown>) => void;

export interface OwnCorePodWatch {
  subscribe(listener: CorePodListener): void;
  stop(): Promise<void>;
}

export function watchOwnCorePod(api: KubeApi, identity: PodIdentity, logger: Logger): OwnCorePodWatch {
  const listeners: CorePodListener[] = [];
  let failing = false;
  const informer = new Informer<KubeObject & Record<string, unknown>>(api, RESOURCES.corePod, {
    namespace: identity.namespace,
    fieldSelector: `metadata.name=${identity.corePodName}`,
    // Short watches: a connection that went silent is noticed within timeout + 30 s.
    watchTimeoutSeconds: 60,
    backoffMs: { initial: 500, max: 10_000 },
    transform: (object) => {
      const { managedFields: _, ...metadata } = object.metadata as KubeObject['metadata'] & { managedFields?: unknown };
      return { ...object, metadata };
    },
    onError: (error, during) => {
      if (!failing)
        logger.warn('cannot watch the CorePod (live reconfiguration reads the mounted ConfigMap meanwhile; control requests wait); retrying', { during, error: error.message });
      failing = true;
    },
  });
  const deliver = (object: KubeObject & Record<string, unknown>) => {
    if (failing) logger.info('watching the CorePod again');
    failing = false;
    for (const listener of listeners) {
      try {
        listener(object);
      } catch (error) {
        logger.error('a CorePod listener failed', { error: error as Error });
      }
    }
  };
  informer.addHandlers({ onAdd: deliver, onUpdate: (_previous, object) => deliver(object) });
  void informer.start();
  return {
    subscribe: (listener) => {
      listeners.push(listener);
      for (const object of informer.list()) listener(object);
    },
    stop: () => informer.stop(),
  };
}
