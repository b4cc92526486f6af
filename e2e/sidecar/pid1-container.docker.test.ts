// The sidecar image as PID 1 in a plain container (testcontainers on the harness dockerd): the
// runtime copied by the sidecar image's own command into a volume, then a busybox/musl container
// started with /corepod/bin/corepod-init and nothing else. Signals, zombies, exit codes.
// Needs DOCKER_HOST and TESTCONTAINERS_RYUK_DISABLED=true, and the images loaded into that dockerd:
// docker-suite.cluster.test.ts runs this file that way inside the cluster network namespace.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { IMAGES, waitFor } from '../support/corepod-stage.js';

const exec = promisify(execFile);
let runtimeDir: string;

const docker = async (...args: string[]) => (await exec('docker', ['-H', process.env.DOCKER_HOST!, ...args])).stdout.trim();

before(async () => {
  assert.ok(process.env.DOCKER_HOST, 'DOCKER_HOST is set (run through docker-suite.cluster.test.ts)');
  runtimeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'corepod-runtime-'));
  fs.chmodSync(runtimeDir, 0o755);
  // The init container's job, done by the sidecar image itself.
  const installer = await new GenericContainer(IMAGES.sidecar)
    .withBindMounts([{ source: runtimeDir, target: '/corepod' }])
    .withWaitStrategy(Wait.forOneShotStartup())
    .withStartupTimeout(120_000)
    .start();
  const log = await readLogs(installer);
  await installer.stop({ remove: true });
  assert.match(log, /corepod-install: \d+ files/);
});
after(() => fs.rmSync(runtimeDir, { recursive: true, force: true }));

async function readLogs(container: StartedTestContainer): Promise<string> {
  const stream = await container.logs();
  let text = '';
  await new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer | string) => (text += chunk.toString()));
    stream.on('end', resolve);
    setTimeout(resolve, 2000);
  });
  return text;
}

const corePod = (programs: string) => `apiVersion: dreamscape.io/v1alpha1
kind: CorePod
metadata: { name: docker }
spec:
  image: any
  terminationGracePeriodSeconds: 20
  programs:
${programs}`;

const polite = (name: string, priority: number) =>
  `    - { name: ${name}, priority: ${priority}, stopWaitSeconds: 5, command: ["/bin/sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"] }\n`;

/** A plain container of the busybox/musl image whose command is the runtime's corepod-init. */
async function app(config: string): Promise<StartedTestContainer> {
  return new GenericContainer(IMAGES.muslBusybox)
    .withBindMounts([{ source: runtimeDir, target: '/corepod', mode: 'ro' }])
    .withCopyContentToContainer([{ content: config, target: '/etc/corepod/corepod.yaml' }])
    .withEntrypoint(['/corepod/bin/corepod-init'])
    .withCommand(['-f', '/etc/corepod/corepod.yaml'])
    .withWaitStrategy(Wait.forLogMessage(/"msg":"supervisor started"/))
    .withStartupTimeout(120_000)
    .start();
}

async function exitOf(container: StartedTestContainer, timeoutMs = 60_000): Promise<number> {
  await waitFor('the container to exit', async () => (await docker('inspect', '-f', '{{.State.Status}}', container.getId())) === 'exited', timeoutMs, 200);
  return Number(await docker('inspect', '-f', '{{.State.ExitCode}}', container.getId()));
}

async function dispose(container: StartedTestContainer): Promise<void> {
  await docker('rm', '-f', container.getId()).catch(() => undefined);
}

test('PID 1 is tini-static with the supervisor as its child; docker stop (SIGTERM) stops in reverse priority and exits 0', async (t) => {
  const c = await app(corePod(polite('low', 10) + polite('mid', 20) + polite('high', 30)));
  t.after(() => dispose(c));
  const ps = (await c.exec(['ps', '-o', 'pid,ppid,args'])).output;
  assert.match(ps, /^\s*1\s+0\s+\/corepod\/tini-static -- \/corepod\/node \/corepod\/app\/bin\/corepod\.js run -f \/etc\/corepod\/corepod\.yaml/m);
  assert.match(ps, /^\s*\d+\s+1\s+\/corepod\/node \/corepod\/app\/bin\/corepod\.js run/m);
  await docker('stop', '-t', '20', c.getId());
  assert.equal(await exitOf(c), 0);
  const lines = (await docker('logs', c.getId()))
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    lines.filter((l) => l.to === 'STOPPING').map((l) => l.program),
    ['high', 'mid', 'low'],
  );
  assert.equal(lines.find((l) => l.msg === 'supervisor started')!.reaper, 'tini (PID 1)');
});

test('SIGINT stops cleanly with 0; SIGHUP is forwarded and re-reads the config (supervisorctl reread + update), stopping nothing', async (t) => {
  const c = await app(corePod(polite('only', 10)));
  t.after(() => dispose(c));
  await docker('kill', '--signal', 'HUP', c.getId());
  await waitFor(
    'the supervisor to get the SIGHUP through tini and read its config again',
    async () => (await docker('logs', c.getId())).includes('SIGHUP: reading the config again'),
    10_000,
    100,
  );
  assert.equal(await docker('inspect', '-f', '{{.State.Status}}', c.getId()), 'running');
  await docker('kill', '--signal', 'INT', c.getId());
  assert.equal(await exitOf(c), 0);
});

test('an orphan storm leaves no zombie behind', async (t) => {
  const c = await app(
    corePod(`    - { name: storm, startSeconds: 0, command: ["/bin/sh", "-c", "i=0; while [ $i -lt 500 ]; do (sleep 0.1 &); i=$((i+1)); done; exec sleep 100000"] }\n`),
  );
  t.after(() => dispose(c));
  const table = await waitFor(
    'the storm to be over (no sleep 0.1 left)',
    async () => {
      const output = (await c.exec(['ps', '-o', 'pid,stat,args'])).output;
      return /sleep 0\.1/.test(output) ? undefined : output;
    },
    60_000,
    300,
  );
  assert.deepEqual(
    table.split('\n').filter((l) => /^\s*\d+\s+Z/.test(l)),
    [],
    table,
  );
});

test('exit codes: a critical program going FATAL exits 1; a program ignoring TERM is killed at stopWaitSeconds and the stop still exits 0', async (t) => {
  const fatal = await app(corePod(`    - { name: broken, critical: true, startRetries: 1, command: ["/bin/sh", "-c", "exit 4"] }\n`));
  t.after(() => dispose(fatal));
  assert.equal(await exitOf(fatal), 1);

  const stubborn = await app(corePod(`    - { name: stubborn, stopWaitSeconds: 1, command: ["/bin/sh", "-c", "trap '' TERM; while true; do sleep 0.2; done"] }\n`));
  t.after(() => dispose(stubborn));
  await docker('stop', '-t', '20', stubborn.getId());
  assert.equal(await exitOf(stubborn), 0);
  const logs = await docker('logs', stubborn.getId());
  assert.match(logs, /"program":"stubborn".*"msg":"killing with SIGKILL"/);
});
