// The control plane against hostile clients, with real processes: the control socket refuses a
// peer of another uid (root included, which passes any file mode) and a request over its size
// limits; the health endpoint refuses bodies and big heads and never runs a probe for a client.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import type { StatusDocument } from './control-server.js';
import { CONTROL_LIMITS } from './control-server.js';
import { HEALTH_LIMITS } from './health-server.js';
import { CLI, runCli, startCli, tempDir, waitFor } from './test-helpers.js';

const NOBODY = 65534;

/** One raw request; what came back until the server closed (or 5 s). */
function exchange(connect: () => net.Socket, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect();
    let answer = '';
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.setEncoding('latin1').on('data', (chunk: string) => (answer += chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.on('connect', () => socket.end(bytes));
  });
}

const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);

// Runs as root (as the unit suite does here and in CI), to start the supervisor as another uid.
test('the control socket refuses a peer of another uid, even root, and serves its own uid', async (t) => {
  const dir = tempDir(t);
  fs.chmodSync(dir, 0o755);
  const runDir = path.join(dir, 'run');
  fs.mkdirSync(runDir, { mode: 0o700 });
  fs.chownSync(runDir, NOBODY, NOBODY);
  const file = path.join(dir, 'corepod.yaml');
  fs.writeFileSync(file, 'image: test\nprograms:\n  - { name: app, command: [sleep, "1000"], startSeconds: 0 }\n');
  const env = { ...process.env, COREPOD_RUN_DIR: runDir, HOME: dir };
  const asNobody = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];
  const run = startCli(t, ['run', '-f', file, '--health-port', '0'], env, asNobody);
  // The CLI as nobody: the same uid as the supervisor.
  const ownUid = await waitFor('corepod status as nobody', async () => {
    const result = spawnSync(asNobody[0]!, [...asNobody.slice(1), process.execPath, CLI, 'status', '--json'], { env, encoding: 'utf8' });
    return result.status === 0 ? (JSON.parse(result.stdout) as StatusDocument) : undefined;
  });
  assert.equal(ownUid.programs[0]!.state, 'RUNNING');

  // Root passes the 0700 modes, but not the peer check.
  const socket = path.join(runDir, 'corepod.sock');
  const answer = await exchange(() => net.connect(socket), 'GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal(statusOf(answer), 403, answer);
  assert.match(answer, /"uid 0 may not use this supervisor's control socket \(only uid 65534\)"/);
  const cli = await runCli(['status'], env);
  assert.equal(cli.code, 3, cli.stderr);
  assert.match(cli.stderr, /refused: uid 0 may not use this supervisor's control socket/);
  assert.doesNotMatch(cli.stderr, /\n\s+at /);
  await waitFor('the refusal logged', () => run.output().includes('control connection refused') && run.output().includes('uid 0 (pid '));
});

test('the control socket refuses heads and bodies over its limits, and keeps serving', async (t) => {
  const dir = tempDir(t);
  const env = { ...process.env, COREPOD_RUN_DIR: path.join(dir, 'run') };
  const file = path.join(dir, 'corepod.yaml');
  fs.writeFileSync(file, 'image: test\nprograms:\n  - { name: app, command: [sleep, "1000"], startSeconds: 0 }\n');
  startCli(t, ['run', '-f', file, '--health-port', '0'], env);
  await waitFor('supervisor up', async () => (await runCli(['status'], env)).code === 0);
  const socket = path.join(env.COREPOD_RUN_DIR, 'corepod.sock');
  const connect = () => net.connect(socket);
  const bigHead = `GET /v1/status HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(CONTROL_LIMITS.maxHeaderBytes)}\r\n\r\n`;
  assert.equal(statusOf(await exchange(connect, bigHead)), 431);
  const bigPath = `GET /v1/programs/${'a'.repeat(CONTROL_LIMITS.maxHeaderBytes)}/log HTTP/1.1\r\nHost: x\r\n\r\n`;
  assert.equal(statusOf(await exchange(connect, bigPath)), 431);
  const body = `POST /v1/programs/app/stop HTTP/1.1\r\nHost: x\r\nContent-Length: ${CONTROL_LIMITS.maxBodyBytes + 1}\r\n\r\n${'b'.repeat(CONTROL_LIMITS.maxBodyBytes + 1)}`;
  const refused = await exchange(connect, body);
  assert.equal(statusOf(refused), 413, refused);
  const chunked = 'POST /v1/programs/app/stop HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n';
  assert.equal(statusOf(await exchange(connect, chunked)), 413);
  // None of them reached the program, and the socket still serves.
  const after = await runCli(['status', '--json'], env);
  const document = JSON.parse(after.stdout) as StatusDocument;
  assert.deepEqual([document.programs[0]!.state, document.programs[0]!.restarts], ['RUNNING', 0]);
});

test('the health endpoint answers from cached state (a flood runs no probe) and refuses bodies and big heads', async (t) => {
  const dir = tempDir(t);
  const env = { ...process.env, COREPOD_RUN_DIR: path.join(dir, 'run') };
  const probes = path.join(dir, 'probes');
  const file = path.join(dir, 'corepod.yaml');
  fs.writeFileSync(
    file,
    `image: test
programs:
  - name: app
    command: [sleep, "1000"]
    healthCheck: { exec: { command: [sh, -c, "echo probe >> ${probes}"] }, periodSeconds: 300 }
`,
  );
  startCli(t, ['run', '-f', file, '--health-port', '0'], env);
  const up = await waitFor('app RUNNING and healthy', async () => {
    const result = await runCli(['status', '--json'], env);
    const document = result.code === 0 ? (JSON.parse(result.stdout) as StatusDocument) : undefined;
    return document?.programs[0]?.healthy ? document : undefined;
  });
  const port = up.supervisor.healthPort!;
  const connect = () => net.connect(port, '127.0.0.1');
  const before = fs.readFileSync(probes, 'utf8');
  const paths = ['/health', '/readyz', '/livez', '/ready', '/live'];
  for (let round = 0; round < 20; round++) {
    const answers = await Promise.all(paths.map((p) => exchange(connect, `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`)));
    for (const answer of answers) assert.equal(statusOf(answer), 200, answer);
  }
  assert.equal(fs.readFileSync(probes, 'utf8'), before, 'a request ran a probe');
  assert.equal(statusOf(await exchange(connect, `GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(HEALTH_LIMITS.maxHeaderBytes)}\r\n\r\n`)), 431);
  const withBody = `GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: ${HEALTH_LIMITS.maxBodyBytes + 1}\r\n\r\n${'b'.repeat(HEALTH_LIMITS.maxBodyBytes + 1)}`;
  assert.equal(statusOf(await exchange(connect, withBody)), 413);
  // Past maxConnections idle connections, a new one is closed at once, and served again once they go.
  const idle = await Promise.all(
    Array.from(
      { length: HEALTH_LIMITS.maxConnections },
      () =>
        new Promise<net.Socket>((resolve) => {
          const socket = connect();
          socket.on('error', () => {});
          socket.once('connect', () => resolve(socket));
        }),
    ),
  );
  await waitFor('the idle connections accepted', async () => (await exchange(connect, 'GET /livez HTTP/1.1\r\nHost: x\r\n\r\n')) === '');
  for (const socket of idle) socket.destroy();
  await waitFor('served again', async () => statusOf(await exchange(connect, 'GET /livez HTTP/1.1\r\nHost: x\r\n\r\n')) === 200);
});
