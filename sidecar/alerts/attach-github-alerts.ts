// Wiring for `corepod run` when spec.alerts.github is set: the token comes from the environment
// (contract/sidecar-contract.ts, set by the operator from tokenSecretRef; by hand when
// standalone), the CorePod identity from the pod environment or, standalone, the config.
import { ENV, SIDECAR_ENV } from '../../contract/sidecar-contract.js';
import type { CorePodSpec } from '../../crds/corepod-schema.js';
import { systemClock } from '../../lib/clock.js';
import type { Sink, SubscribeOptions, Subscription } from '../event-hub.js';
import type { Logger } from '../logger.js';
import { GithubAlertSink } from './github-alert-sink.js';
import { waitAtMost } from '../../lib/wait-at-most.js';

/** Overrides the least time between two messages about one alert (default 15 minutes). */
export const COMMENT_INTERVAL_ENV = SIDECAR_ENV.alertCommentIntervalSeconds;
const DEFAULT_COMMENT_INTERVAL_MS = 15 * 60_000;

export interface GithubAlerts {
  sink: GithubAlertSink;
  /** Sends what is queued (bounded wait), then stops. */
  finish(timeoutMs: number): Promise<void>;
}

type GithubSpec = NonNullable<NonNullable<CorePodSpec['alerts']>['github']>;

export async function attachGithubAlerts(
  supervisor: { subscribe(sink: Sink, options?: SubscribeOptions): Subscription },
  github: GithubSpec,
  configName: string | undefined,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<GithubAlerts | undefined> {
  const token = env[ENV.githubToken];
  if (!token) {
    logger.warn('spec.alerts.github is set but no token: GitHub alerts are off', { env: ENV.githubToken });
    return undefined;
  }
  const seconds = env[COMMENT_INTERVAL_ENV] ? Number(env[COMMENT_INTERVAL_ENV]) : undefined;
  const commentIntervalMs = seconds !== undefined && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : DEFAULT_COMMENT_INTERVAL_MS;
  const target = {
    namespace: env[ENV.podNamespace] || 'standalone',
    corePod: env[ENV.corePodName] || configName || 'corepod',
    pod: env[ENV.podName] || env.HOSTNAME || 'standalone',
  };
  const { createOctokitIssueApi } = await import('./issue-api.js');
  const api = createOctokitIssueApi(github, token, `corepod-sidecar/${target.pod}`);
  const sink = new GithubAlertSink({ api, target, labels: github.labels, clock: systemClock, logger, commentIntervalMs });
  const subscription = supervisor.subscribe(sink, { maxQueue: 256, onError: (error) => logger.warn('GitHub alert sink failed', { error: String(error) }) });
  logger.info('GitHub alerts on', { repo: `${github.owner}/${github.repo}`, corePod: `${target.namespace}/${target.corePod}`, commentIntervalSeconds: commentIntervalMs / 1000 });
  return {
    sink,
    finish: async (timeoutMs) => {
      await waitAtMost(sink.flush(), timeoutMs);
      subscription.unsubscribe();
      sink.stop();
    },
  };
}
