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
import { ControlRequestHandler, type ProgramControl } from './control-requests.js';
import { HandledRequestsWriter } from './handled-requests-writer.js';
import { watchOwnCorePod, type OwnCorePodWatch } from './own-corepod-watch.js';
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

export interface SupervisorLike extends StatusSource, ProgramControl {
  subscribe(sink: Sink, options?: SubscribeOptions): Subscription;
}

export interface ClusterSinks {
  /** The client and identity the sinks use (the CorePod watch shares them). */
  api: HttpKubeApi;
  identity: PodIdentity;
  reporter: StatusReporter;
  recorder: ProcessEventSink;
  /** The watch of the own CorePod (program control requests act on what it delivers). */
  corePod: OwnCorePodWatch;
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
  // kubectl corepod restart|stop|start|signal: requests on the CorePod, acted on once per pod.
  const writer = new HandledRequestsWriter(api, identity, logger);
  const requests = new ControlRequestHandler({ podName: identity.podName, control: supervisor, report: (handled) => writer.write(handled), logger });
  const corePod = watchOwnCorePod(api, identity, logger);
  corePod.subscribe((object) => requests.observe(object));
  logger.info('reporting to Kubernetes', { corePod: `${identity.namespace}/${identity.corePodName}`, pod: identity.podName, server: options.server });
  const close = () => {
    for (const subscription of subscriptions) subscription.unsubscribe();
    reporter.stop();
    recorder.stop();
    writer.stop();
    void corePod.stop();
    api.close();
  };
  return {
    api,
    identity,
    reporter,
    recorder,
    corePod,
    close,
    finish: async (timeoutMs) => {
      await waitAtMost(Promise.all([reporter.flush(), recorder.flush(), writer.flush()]), timeoutMs);
      close();
    },
  };
}
