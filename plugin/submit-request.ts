// Adds a program control request to the CorePod's annotation (contract/control-request.ts) with
// optimistic concurrency (the resourceVersion read goes into the merge patch: 409 when someone
// wrote meanwhile, then read again), and waits for each targeted pod to report what it did.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { REQUESTS_ANNOTATION, addRequest, formatRequests, outcomes, parseRequests, settled, type ControlRequest, type PodOutcome } from '../contract/control-request.js';
import { isConflict } from '../kube/kube-api.js';
import { RESOURCES } from '../kube/resources.js';
import { apiFailure, type Cluster } from './cluster-client.js';
import { readCorePod, type CorePodRead } from './corepod-read.js';

const ATTEMPTS = 8;
const POLL_MS = 250;

/** A new request id: time-ordered, unique enough among one object's few requests. */
export function requestId(now = Date.now()): string {
  return `${now.toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Writes the request built from the CorePod as read; returns it and the object it was added to. */
export async function submitRequest(cluster: Cluster, name: string, build: (corePod: CorePodRead) => ControlRequest): Promise<{ request: ControlRequest; corePod: CorePodRead }> {
  for (let attempt = 1; ; attempt++) {
    const corePod = await readCorePod(cluster, name);
    const request = build(corePod);
    const existing = parseRequests(corePod.metadata.annotations?.[REQUESTS_ANNOTATION]).requests;
    const value = formatRequests(addRequest(existing, request, Date.now()));
    try {
      await cluster.api.patch(RESOURCES.corePod, cluster.namespace, name, 'merge', {
        metadata: { resourceVersion: corePod.metadata.resourceVersion, annotations: { [REQUESTS_ANNOTATION]: value } },
      });
      return { request, corePod };
    } catch (error) {
      if (isConflict(error) && attempt < ATTEMPTS) continue;
      throw apiFailure(error, cluster.server);
    }
  }
}

/** Polls the CorePod until every targeted pod has acted (or is gone), or `timeoutMs` passed. */
export async function awaitOutcomes(cluster: Cluster, name: string, request: ControlRequest, timeoutMs: number): Promise<{ outcomes: PodOutcome[]; corePod: CorePodRead }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const corePod = await readCorePod(cluster, name);
    const found = outcomes(request, corePod.status?.pods ?? []);
    if (settled(found) || Date.now() >= deadline) return { outcomes: found, corePod };
    await sleep(POLL_MS);
  }
}
