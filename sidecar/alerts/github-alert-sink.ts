// Subscribes to the supervisor's events and turns alerts into GitHub issues: one open issue per
// (CorePod, program, kind), found again by the marker in its body, repeats as rate-limited
// comments (alert-policy.ts decides). Sends go one at a time through a bounded queue, retried with
// backoff; the event hub already keeps this sink from slowing supervision.
import type { Clock, TimerHandle } from '../../lib/clock.js';
import type { Sink, SupervisorEvent } from '../event-hub.js';
import type { Logger } from '../logger.js';
import { Backoff, type BackoffOptions } from '../../lib/backoff.js';
import { AlertBook, alertOf, commentBody, issueBody, issueTitle, markerOf, type AlertTarget, type Send } from './alert-policy.js';
import type { IssueApi } from './issue-api.js';

export interface GithubAlertSinkOptions {
  api: IssueApi;
  target: AlertTarget;
  labels: string[];
  clock: Clock;
  logger: Logger;
  /** Least time between two messages about the same (program, kind). */
  commentIntervalMs: number;
  retry?: BackoffOptions;
  maxQueue?: number;
}

/** HTTP statuses worth retrying; other 4xx (bad token, no such repo) would fail the same way again. */
function retryable(error: unknown): boolean {
  const status = typeof error === 'object' && error !== null && 'status' in error ? Number((error as { status: unknown }).status) : undefined;
  return status === undefined || Number.isNaN(status) || status >= 500 || status === 403 || status === 408 || status === 429;
}

export class GithubAlertSink implements Sink {
  private readonly book: AlertBook;
  private readonly queue: Send[] = [];
  private readonly backoff: Backoff;
  private dueTimer: { handle: TimerHandle; at: number } | undefined;
  private retryTimer: TimerHandle | undefined;
  private working = false;
  private stopped = false;
  private idle: (() => void)[] = [];
  dropped = 0;

  constructor(private readonly options: GithubAlertSinkOptions) {
    this.book = new AlertBook(options.clock, options.commentIntervalMs);
    this.backoff = new Backoff(options.retry ?? { initialMs: 1_000, maxMs: 5 * 60_000 });
  }

  deliver(event: SupervisorEvent): void {
    if (this.stopped) return;
    const alert = alertOf(event);
    if (!alert) return;
    const send = this.book.note(alert);
    if (send) this.enqueue(send);
    this.armDue();
  }

  /** Resolves once nothing is queued or being sent. */
  flush(): Promise<void> {
    if (!this.working && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    this.dueTimer?.handle.cancel();
    this.retryTimer?.cancel();
    this.queue.length = 0;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  private armDue(): void {
    const at = this.book.nextDue();
    if (at === undefined || this.stopped) return;
    if (this.dueTimer && this.dueTimer.at <= at) return;
    this.dueTimer?.handle.cancel();
    const handle = this.options.clock.setTimeout(() => {
      this.dueTimer = undefined;
      for (const send of this.book.due()) this.enqueue(send);
      this.armDue();
    }, at - this.options.clock.now());
    this.dueTimer = { handle, at };
  }

  private enqueue(send: Send): void {
    if (this.queue.length >= (this.options.maxQueue ?? 50)) {
      this.queue.shift();
      this.dropped += 1;
    }
    this.queue.push(send);
    if (!this.working && !this.retryTimer) void this.work();
  }

  private async work(): Promise<void> {
    this.working = true;
    while (!this.stopped && this.queue.length > 0) {
      const send = this.queue[0]!;
      try {
        await this.post(send);
        this.queue.shift();
        this.backoff.reset();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (!retryable(error)) {
          this.queue.shift();
          this.options.logger.error('GitHub alert not sent', { alert: send.key, error: message });
          continue;
        }
        const delay = this.backoff.next();
        this.options.logger.warn('GitHub alert not sent yet, retrying', { alert: send.key, error: message, retryInMs: delay });
        this.working = false;
        this.retryTimer = this.options.clock.setTimeout(() => {
          this.retryTimer = undefined;
          void this.work();
        }, delay);
        return;
      }
    }
    this.working = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  /** Comments on the open issue with this alert's marker, or opens one. */
  private async post(send: Send): Promise<void> {
    const { api, target, labels, logger } = this.options;
    const marker = markerOf(target, send.alert);
    const open = (await api.listOpen(labels)).find((issue) => issue.body.includes(marker));
    if (open) {
      await api.comment(open.number, commentBody(target, send));
      logger.info('GitHub alert comment added', { alert: send.key, issue: open.number, occurrences: send.count });
      return;
    }
    const number = await api.create(issueTitle(target, send.alert), issueBody(target, send.alert), labels);
    logger.info('GitHub alert issue opened', { alert: send.key, issue: number });
  }
}
