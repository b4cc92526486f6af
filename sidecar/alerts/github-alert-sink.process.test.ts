// A real `corepod run` (bin/corepod.js, a supervisor child process) with spec.alerts.github
// pointing at a local HTTP server that plays the three GitHub REST endpoints the sink uses.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { ENV } from '../../contract/sidecar-contract.js';
import { startCli, tempDir, waitFor } from '../test-helpers.js';
import { markerOf } from './alert-policy.js';
import { COMMENT_INTERVAL_ENV } from './attach-github-alerts.js';

const TOKEN = 'ghp_test-token-for-the-local-server';
const LABELS = ['corepod-alert', 'team/payments'];

interface Issue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  state: 'open' | 'closed';
  comments: string[];
  pull_request?: object;
}

interface FakeGithub {
  url: string;
  issues: Issue[];
  problems: string[];
}

async function fakeGithub(t: TestContext, seed: Issue[] = []): Promise<FakeGithub> {
  const github: FakeGithub = { url: '', issues: [...seed], problems: [] };
  const reply = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      if (req.headers.authorization !== `token ${TOKEN}`) {
        github.problems.push(`${req.method} ${req.url}: authorization ${req.headers.authorization}`);
        return reply(res, 401, { message: 'Bad credentials' });
      }
      const url = new URL(req.url ?? '/', 'http://x');
      const view = (i: Issue) => ({
        number: i.number,
        title: i.title,
        body: i.body,
        state: i.state,
        labels: i.labels.map((name) => ({ name })),
        ...(i.pull_request ? { pull_request: i.pull_request } : {}),
      });
      if (req.method === 'GET' && url.pathname === '/repos/acme/shop/issues') {
        const labels = (url.searchParams.get('labels') ?? '').split(',').filter(Boolean);
        const state = url.searchParams.get('state') ?? 'open';
        return reply(res, 200, github.issues.filter((i) => i.state === state && labels.every((l) => i.labels.includes(l))).map(view));
      }
      const body = text ? (JSON.parse(text) as { title?: string; body?: string; labels?: string[] }) : {};
      if (req.method === 'POST' && url.pathname === '/repos/acme/shop/issues') {
        const issue: Issue = { number: github.issues.length + 100, title: body.title ?? '', body: body.body ?? '', labels: body.labels ?? [], state: 'open', comments: [] };
        github.issues.push(issue);
        return reply(res, 201, view(issue));
      }
      const comment = /^\/repos\/acme\/shop\/issues\/(\d+)\/comments$/.exec(url.pathname);
      const issue = comment && github.issues.find((i) => i.number === Number(comment[1]));
      if (req.method === 'POST' && issue) {
        issue.comments.push(body.body ?? '');
        return reply(res, 201, { id: issue.comments.length, body: body.body });
      }
      github.problems.push(`unexpected ${req.method} ${req.url}`);
      reply(res, 404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  github.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`;
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return github;
}

function writeConfig(dir: string, name: string, apiUrl: string, program: string): string {
  const file = path.join(dir, 'corepod.yaml');
  fs.writeFileSync(
    file,
    `${[
      'apiVersion: dreamscape.io/v1alpha1',
      'kind: CorePod',
      `metadata: { name: ${name} }`,
      'spec:',
      '  image: example/app:1',
      '  alerts:',
      '    github:',
      '      owner: acme',
      '      repo: shop',
      `      labels: ${JSON.stringify(LABELS)}`,
      '      tokenSecretRef: { name: github, key: token }',
      `      apiUrl: ${JSON.stringify(apiUrl)}`,
      '  programs:',
      program,
    ].join('\n')}\n`,
  );
  return file;
}

function run(t: TestContext, file: string, dir: string, extraEnv: NodeJS.ProcessEnv = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, [ENV.githubToken]: TOKEN, COREPOD_RUN_DIR: path.join(dir, 'run'), ...extraEnv };
  for (const name of [ENV.podName, ENV.podNamespace, ENV.corePodName]) delete env[name];
  return startCli(t, ['run', '-f', file, '--health-port', '0'], env);
}

async function stop(cli: ReturnType<typeof run>): Promise<void> {
  cli.child.kill('SIGTERM');
  await cli.exited;
}

test('a program that exits at once goes FATAL: exactly one labelled issue with the figures', async (t) => {
  const github = await fakeGithub(t);
  const dir = tempDir(t, 'corepod-alerts-');
  const file = writeConfig(
    dir,
    'dreamscape',
    github.url,
    ['    - name: auth-service', '      command: [sh, -c, "exit 3"]', '      startSeconds: 1', '      startRetries: 0'].join('\n'),
  );
  const cli = run(t, file, dir);
  const issue = await waitFor('the FATAL issue', () => github.issues[0], 30_000);
  // The FATAL stays; nothing more may come (the supervisor keeps running until stopped).
  await waitFor('the supervisor to log the issue', () => cli.output().includes('GitHub alert issue opened'), 30_000);
  await stop(cli);
  assert.deepEqual(github.problems, []);
  assert.equal(github.issues.length, 1, JSON.stringify(github.issues.map((i) => i.title)));
  assert.equal(issue.title, '[corepod] standalone/dreamscape: auth-service is FATAL');
  assert.deepEqual(issue.labels, LABELS);
  assert.match(issue.body, /\*\*exit code\*\*: 3/);
  assert.match(issue.body, /\*\*restarts\*\*: \d+/);
  assert.match(issue.body, /\*\*pod\*\*: /);
  assert.match(issue.body, /\*\*time\*\*: \d{4}-\d\d-\d\dT/);
  assert.ok(issue.body.includes(markerOf({ namespace: 'standalone', corePod: 'dreamscape', pod: '' }, { kind: 'fatal', program: 'auth-service' })));
  assert.deepEqual(issue.comments, []);
});

test('a crash loop is one issue and comments that aggregate the repeats', async (t) => {
  const github = await fakeGithub(t);
  const dir = tempDir(t, 'corepod-alerts-');
  const file = writeConfig(
    dir,
    'looper',
    github.url,
    [
      '    - name: user-service',
      '      command: [sh, -c, "sleep 0.2; exit 1"]',
      '      startSeconds: 0',
      '      autorestart: true',
      '      restartBudget: { maxRestarts: 10000, windowSeconds: 60 }',
    ].join('\n'),
  );
  const cli = run(t, file, dir, { [COMMENT_INTERVAL_ENV]: '2' });
  const crashIssues = () => github.issues.filter((i) => i.title.endsWith('user-service crashed'));
  const counted = (comment: string) => Number(/again, (\d+) more times/.exec(comment)?.[1] ?? (comment.includes('once more') ? 1 : 0));
  await waitFor('a comment standing for several crashes', () => crashIssues()[0]?.comments.some((c) => counted(c) >= 2), 60_000);
  await stop(cli);
  assert.deepEqual(github.problems, []);
  assert.equal(github.issues.length, 1, JSON.stringify(github.issues.map((i) => i.title)));
  const [issue] = crashIssues();
  assert.deepEqual(issue!.labels, LABELS);
  assert.match(issue!.body, /\*\*exit code\*\*: 1/);
  const crashes = 1 + issue!.comments.reduce((sum, c) => sum + counted(c), 0);
  assert.ok(
    issue!.comments.every((c) => counted(c) >= 1),
    issue!.comments.join('\n---\n'),
  );
  assert.ok(issue!.comments.length < crashes - 1, `${issue!.comments.length} comments for ${crashes} crashes`);
});

test('an open issue with the marker from an earlier pod gets a comment, not a second issue', async (t) => {
  const marker = markerOf({ namespace: 'standalone', corePod: 'dreamscape', pod: '' }, { kind: 'fatal', program: 'auth-service' });
  const github = await fakeGithub(t, [
    { number: 7, title: 'unrelated', body: 'no marker here', labels: LABELS, state: 'open', comments: [] },
    { number: 8, title: 'a pull request', body: marker, labels: LABELS, state: 'open', comments: [], pull_request: {} },
    { number: 9, title: 'closed earlier', body: marker, labels: LABELS, state: 'closed', comments: [] },
    { number: 10, title: '[corepod] standalone/dreamscape: auth-service is FATAL', body: `earlier\n${marker}`, labels: LABELS, state: 'open', comments: [] },
  ]);
  const dir = tempDir(t, 'corepod-alerts-');
  const file = writeConfig(
    dir,
    'dreamscape',
    github.url,
    ['    - name: auth-service', '      command: [sh, -c, "exit 3"]', '      startSeconds: 1', '      startRetries: 0'].join('\n'),
  );
  const cli = run(t, file, dir);
  await waitFor('a comment on the open issue', () => github.issues.find((i) => i.number === 10)!.comments[0], 30_000);
  await waitFor('the supervisor to log the comment', () => cli.output().includes('GitHub alert comment added'), 30_000);
  await stop(cli);
  assert.deepEqual(github.problems, []);
  assert.equal(github.issues.length, 4);
  assert.deepEqual(
    github.issues.map((i) => i.comments.length),
    [0, 0, 0, 1],
  );
  assert.match(github.issues[3]!.comments[0]!, /auth-service is FATAL again[\s\S]*\*\*exit code\*\*: 3/);
});

test('without the token variable the supervisor runs and says GitHub alerts are off', async (t) => {
  const github = await fakeGithub(t);
  const dir = tempDir(t, 'corepod-alerts-');
  const file = writeConfig(dir, 'dreamscape', github.url, ['    - name: auth-service', '      command: [sh, -c, "exit 3"]', '      startRetries: 0'].join('\n'));
  const cli = run(t, file, dir, { [ENV.githubToken]: '' });
  await waitFor('the warning', () => cli.output().includes('GitHub alerts are off'), 30_000);
  await waitFor('the FATAL', () => cli.output().includes('FATAL'), 30_000);
  await stop(cli);
  assert.deepEqual(github.issues, []);
  assert.deepEqual(github.problems, []);
});
