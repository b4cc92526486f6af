import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProcessStatus } from '../../crds/corepod-schema.js';
import { FakeClock } from '../../lib/fake-clock.js';
import type { SupervisorEvent } from '../event-hub.js';
import { silentLogger } from '../logger.js';
import { GithubAlertSink } from './github-alert-sink.js';
import type { IssueApi, OpenIssue } from './issue-api.js';

const time = '2026-01-01T00:00:00.000Z';
const target = { namespace: 'shop', corePod: 'dreamscape', pod: 'p-1' };
const status: ProcessStatus = { name: 'auth-service', state: 'STARTING', restarts: 0, since: time };
const crash = (restarts: number): SupervisorEvent => ({
  type: 'process-state',
  time,
  program: 'auth-service',
  from: 'RUNNING',
  to: 'EXITED',
  expected: false,
  exitCode: 1,
  restarts,
  status,
});

/** GitHub's issues in memory; `failing` calls throw a network error. */
class MemoryIssues implements IssueApi {
  issues: (OpenIssue & { title: string; labels: string[]; comments: string[] })[] = [];
  failing = 0;
  calls = 0;
  private check() {
    this.calls += 1;
    if (this.failing > 0) {
      this.failing -= 1;
      throw new Error('ECONNREFUSED');
    }
  }
  async listOpen(labels: string[]) {
    this.check();
    return this.issues.filter((i) => labels.every((l) => i.labels.includes(l)));
  }
  async create(title: string, body: string, labels: string[]) {
    this.check();
    this.issues.push({ number: this.issues.length + 1, title, body, labels, comments: [] });
    return this.issues.length;
  }
  async comment(issue: number, body: string) {
    this.check();
    this.issues[issue - 1]!.comments.push(body);
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

test('network failures are retried with backoff until the issue is opened, once', async () => {
  const clock = new FakeClock(0);
  const api = new MemoryIssues();
  api.failing = 3;
  const sink = new GithubAlertSink({ api, target, labels: ['corepod-alert'], clock, logger: silentLogger, commentIntervalMs: 60_000, retry: { initialMs: 1_000, maxMs: 8_000 } });
  sink.deliver(crash(0));
  await settle();
  assert.equal(api.issues.length, 0);
  for (const ms of [1_000, 2_000, 4_000]) {
    clock.advance(ms);
    await settle();
  }
  await sink.flush();
  assert.equal(api.issues.length, 1);
  assert.deepEqual(api.issues[0]!.labels, ['corepod-alert']);
  // Repeats within the interval wait, then become one comment on that issue.
  sink.deliver(crash(1));
  sink.deliver(crash(2));
  await settle();
  assert.equal(api.issues[0]!.comments.length, 0);
  clock.advance(60_000);
  await settle();
  await sink.flush();
  assert.equal(api.issues.length, 1);
  assert.equal(api.issues[0]!.comments.length, 1);
  assert.match(api.issues[0]!.comments[0]!, /2 more times/);
  sink.stop();
});

test('while GitHub is away the queue stays bounded, dropping the oldest sends', async () => {
  const clock = new FakeClock(0);
  const api = new MemoryIssues();
  api.failing = Infinity;
  const sink = new GithubAlertSink({ api, target, labels: ['a'], clock, logger: silentLogger, commentIntervalMs: 0, maxQueue: 5, retry: { initialMs: 1_000, maxMs: 1_000 } });
  for (let i = 0; i < 20; i += 1) sink.deliver(crash(i));
  await settle();
  assert.equal(sink.dropped, 15);
  sink.stop();
  const calls = api.calls;
  clock.advance(10_000);
  await settle();
  assert.equal(api.calls, calls, 'no attempts after stop');
});
