// The sidecar-init in images that have nothing it could use: a musl/busybox rootfs without glibc
// or node, and an image holding one static binary (not even a shell). Started by the operator on
// the real node; status, health, the in-pod CLI, and no zombie after an orphan storm.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildImages, IMAGES, processNamed, Stage, waitFor } from '../support/corepod-stage.js';

let stage: Stage;

before(async () => {
  await buildImages(['sidecar', 'musl-busybox', 'static']);
  stage = await Stage.open('cp-any-image');
});
after(async () => stage?.close());

test('musl/busybox image: programs RUNNING and healthy, READY 3/3, no zombie after an orphan storm', async () => {
  await stage.apply('musl', {
    image: IMAGES.muslBusybox,
    imagePullPolicy: 'Never',
    programs: [
      {
        name: 'web',
        command: ['/usr/local/bin/tiny-http', '8080', 'web'],
        priority: 10,
        ports: [{ name: 'web', containerPort: 8080 }],
        healthCheck: { httpGet: { path: '/health', port: 8080 }, periodSeconds: 2 },
      },
      { name: 'ticker', command: ['/bin/sh', '-c', 'while true; do echo tick; sleep 5; done'], priority: 20 },
      {
        // 300 orphaned grandchildren: each subshell exits at once, its sleep is reparented to tini.
        name: 'storm',
        priority: 30,
        startSeconds: 0,
        command: ['/bin/sh', '-c', 'i=0; while [ $i -lt 300 ]; do (sleep 0.2 &); i=$((i+1)); done; exec sleep 100000'],
      },
    ],
  });
  const cp = await stage.waitForCorePod('musl', 'READY 3/3 and Running', (c) => (c.status?.readyProcesses === '3/3' && c.status.phase === 'Running' ? c : undefined));
  const processes = cp.status!.pods![0]!.processes;
  assert.deepEqual(
    processes.map((p) => [p.name, p.state]),
    [
      ['web', 'RUNNING'],
      ['ticker', 'RUNNING'],
      ['storm', 'RUNNING'],
    ],
  );
  assert.equal(processNamed(processes, 'web')!.healthy, true);
  for (const p of processes) assert.ok(p.pid! > 1 && p.restarts === 0, JSON.stringify(p));

  const pod = (await stage.readyPod('musl')).metadata.name as string;
  // Nothing of glibc or node in the image: the runtime brought its own.
  for (const path of ['/lib/x86_64-linux-gnu', '/lib64', '/usr/bin/node', '/usr/local/bin/node']) {
    assert.notEqual((await stage.exec(pod, ['test', '-e', path], { allowFailure: true })).code, 0, `${path} is not in the image`);
  }
  assert.equal((await stage.exec(pod, ['test', '-e', '/lib/ld-musl-x86_64.so.1'])).code, 0);
  // The supervisor is not PID 1: tini is, and reaps the orphans.
  const { stdout: ps } = await stage.exec(pod, ['ps', '-o', 'pid,stat,args']);
  assert.match(ps, /^\s*1\s+\S+\s+\/corepod\/tini-static -- \/corepod\/node \/corepod\/app\/bin\/corepod\.js run/m);
  const table = await waitFor(
    'the storm to end',
    async () => {
      const out = (await stage.exec(pod, ['ps', '-o', 'pid,stat,args'])).stdout;
      return /sleep 0\.2/.test(out) ? undefined : out;
    },
    60_000,
    500,
  );
  const zombies = table.split('\n').filter((line) => /^\s*\d+\s+Z/.test(line));
  assert.deepEqual(zombies, [], `no zombie left:\n${table}`);

  // The CLI of the runtime, inside the pod.
  const { stdout } = await stage.exec(pod, ['/corepod/bin/corepod', 'status', '--json']);
  const cli = JSON.parse(stdout) as { name: string; state: string }[] | { programs: { name: string; state: string }[] };
  const list = Array.isArray(cli) ? cli : cli.programs;
  assert.deepEqual(
    list.map((p) => p.state),
    ['RUNNING', 'RUNNING', 'RUNNING'],
  );
});

test('single static binary image (no shell, no libc): the program runs supervised, READY 1/1', async () => {
  await stage.apply('lonely', {
    image: IMAGES.static,
    imagePullPolicy: 'Never',
    programs: [
      { name: 'server', command: ['/tiny-http', '8080', 'lonely'], ports: [{ name: 'http', containerPort: 8080 }], healthCheck: { httpGet: { path: '/health', port: 8080 } } },
    ],
  });
  await stage.waitForCorePod('lonely', 'READY 1/1 and Running', (c) => (c.status?.readyProcesses === '1/1' && c.status.phase === 'Running' ? c : undefined));
  const pod = (await stage.readyPod('lonely')).metadata.name as string;
  assert.notEqual((await stage.exec(pod, ['/bin/sh', '-c', 'true'], { allowFailure: true })).code, 0, 'the image has no shell');
  const { stdout } = await stage.exec(pod, ['/corepod/bin/corepod', 'status']);
  assert.match(stdout, /^server\s+RUNNING\s+pid \d+/m);
  const health = await stage.exec(pod, ['/corepod/bin/corepod', 'health']);
  assert.equal(health.code, 0);
});
