// Wiring for `corepod run` inside a CorePod pod: when the operator's pod template has set the pod
// identity (contract/sidecar-contract.ts), the status reporter and the Event recorder
// subscribe to the supervisor, talking to the API server with the pod's ServiceAccount token.
import fs from 'node:fs';
import type { Sink, SubscribeOptions, Subscription } from '../event-hub.js';
import type { Logger } from '../logger.js';
import { ProcessEventSink } from './process-event-sink.js';
import { HttpKubeApi } from '../../kube/http-kube-api.js';
import { inClusterSettings, tokenConnection, type TokenConnectionOptions } from '../../kube/token-connection.js';
import { podIdentityFrom } from './pod-identity.js';
import { StatusReporter, type PodFactsSource, type StatusSource } from './status-reporter.js';
import type { PodIdentity } from './pod-identity.js';
import { SIDECAR_ENV } from '../../contract/sidecar-contract.js';
import { waitAtMost } from '../../lib/wait-at-most.js';

/**
 * The sidecar-init's API client, authenticated by the pod's ServiceAccount token. A few sockets
 * suffice for one status patch and a few Events at a time; an unanswered request is given up after 15 s.
 */
export function sidecarKubeApi(settings: TokenConnectionOptions, options: { podName?: string; requestTimeoutMs?: number } = {}): HttpKubeApi {
  return new HttpKubeApi(tokenConnection(settings), {
    maxSockets: 4,
    requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
    userAgent: `corepod-sidecar/${options.podName ?? 'unknown'}`,
  });
}

export interface SupervisorLike extends StatusSource {
  subscribe(sink: Sink, options?: SubscribeOptions): Subscription;
}

export interface ClusterSinks {
  /** The client and identity the sinks use (the CorePod watch shares them). */
  api: HttpKubeApi;
  identity: PodIdentity;
  reporter: StatusReporter;
  recorder: ProcessEventSink;
  /** Sends the last status and pending Events (bounded wait), then stops. Call before exiting. */
  finish(timeoutMs: number): Promise<void>;
  close(): void;
}

/** Subscribes the Kubernetes sinks when running in a CorePod pod; undefined (and says why) otherwise. */
export function attachClusterSinks(supervisor: SupervisorLike, logger: Logger, env: NodeJS.ProcessEnv = process.env, facts?: PodFactsSource): ClusterSinks | undefined {
  const who = podIdentityFrom(env);
  if (who.kind === 'standalone') return undefined;
  if (who.kind === 'incomplete') {
    logger.warn('not reporting to Kubernetes: pod identity incomplete', { missing: who.missing });
    return undefined;
  }
  const options = inClusterSettings(env, env[SIDECAR_ENV.serviceAccountDir]);
  if ('error' in options) {
    logger.warn('not reporting to Kubernetes', { error: options.error });
    return undefined;
  }
  const { identity } = who;
  let api: HttpKubeApi;
  try {
    // Supervision never depends on this: an unreadable token or CA only turns reporting off.
    for (const file of [options.tokenFile, options.caFile]) if (file) fs.accessSync(file, fs.constants.R_OK);
    api = sidecarKubeApi(options, { podName: identity.podName });
  } catch (error) {
    logger.warn('not reporting to Kubernetes: cannot read the ServiceAccount credentials', {
      error: error instanceof Error ? error.message : String(error),
      uid: process.getuid?.(),
      hint: "the projected token is readable only by the pod's runAsUser (docs/kubernetes.md)",
    });
    return undefined;
  }
  const reporter = new StatusReporter({ api, identity, source: supervisor, logger, ...(facts ? { facts } : {}) });
  const recorder = new ProcessEventSink({ api, identity, logger });
  const subscriptions = [supervisor.subscribe(reporter, { maxQueue: 64 }), supervisor.subscribe(recorder)];
  reporter.start();
  logger.info('reporting to Kubernetes', { corePod: `${identity.namespace}/${identity.corePodName}`, pod: identity.podName, server: options.server });
  const close = () => {
    for (const subscription of subscriptions) subscription.unsubscribe();
    reporter.stop();
    recorder.stop();
    api.close();
  };
  return {
    api,
    identity,
    reporter,
    recorder,
    close,
    finish: async (timeoutMs) => {
      await waitAtMost(Promise.all([reporter.flush(), recorder.flush()]), timeoutMs);
      close();
    },
  };
}
