// Failures and endings on the real node (musl/busybox image): kill -9 → restarted with Events, a
// program over its memory limit → MemoryPressure and the restart, container memory past the
// warning threshold, a program that exits at once → FATAL → Degraded, a crash loop costs a
// handful of Event objects, and deleting the pod stops the programs in reverse priority with
// exit code 0.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildImages, IMAGES, processNamed, Stage, waitFor } from '../support/corepod-stage.js';

let stage: Stage;

before(async () => {
  await buildImages(['sidecar', 'musl-busybox']);
  stage = await Stage.open('cp-lifecycle');
});
after(async () => stage?.close());

const web = (name: string, port: number, priority: number) => ({
  name,
  priority,
  command: ['/usr/local/bin/tiny-http', String(port), name],
  ports: [{ name, containerPort: port }],
  healthCheck: { httpGet: { path: '/health', port }, periodSeconds: 2 },
});
// Stops on TERM after saying so; busybox sh runs the trap once the current sleep returns.
const polite = (name: string, priority: number) => ({
  name,
  priority,
  stopWaitSeconds: 10,
  command: ['/bin/sh', '-c', `trap 'echo ${name} got TERM; exit 0' TERM; while true; do sleep 0.2; done`],
});

test('kill -9 of a program: restarted, restarts=1, ProcessExited and ProcessRestarted on the CorePod', async () => {
  await stage.apply('victim', { image: IMAGES.muslBusybox, imagePullPolicy: 'Never', programs: [web('api', 8080, 10), polite('worker', 20)] });
  const cp = await stage.waitForCorePod('victim', 'READY 2/2', (c) => (c.status?.readyProcesses === '2/2' ? c : undefined));
  const before = processNamed(cp.status!.pods![0]!.processes, 'api')!;
  const pod = (await stage.readyPod('victim')).metadata.name as string;
  await stage.exec(pod, ['kill', '-9', String(before.pid)]);
  const after = await stage.waitForCorePod('victim', 'api restarted and RUNNING', (c) => {
    const p = processNamed(c.status?.pods?.[0]?.processes, 'api');
    return p && p.restarts === 1 && p.state === 'RUNNING' && p.pid !== before.pid ? p : undefined;
  });
  assert.equal(after.lastSignal, 'SIGKILL');
  await stage.waitForCorePod('victim', 'RESTARTS 1 in the roll-up', (c) => c.status?.restarts === 1);
  const events = await waitFor('the two Events', async () => {
    const list = await stage.events('victim');
    const exited = list.find((e) => e.reason === 'ProcessExited');
    const restarted = list.find((e) => e.reason === 'ProcessRestarted');
    return exited && restarted ? { exited, restarted } : undefined;
  });
  assert.equal(events.exited.type, 'Warning');
  assert.equal(events.exited.note, 'api was killed by signal SIGKILL');
  assert.equal(events.exited.related.name, pod);
  assert.equal(events.restarted.type, 'Normal');
  assert.match(events.restarted.note, /^api restarted/);
  const { stdout } = await stage.kubectl(['get', 'events']);
  assert.match(stdout, /ProcessExited\s+corepod\/victim\s+api was killed by signal SIGKILL/);
});

test('deleting the pod stops the programs in reverse priority and the container exits 0', async () => {
  await stage.apply('ordered', {
    image: IMAGES.muslBusybox,
    imagePullPolicy: 'Never',
    terminationGracePeriodSeconds: 30,
    programs: [polite('first', 10), polite('second', 20), polite('third', 30)],
  });
  await stage.waitForCorePod('ordered', 'READY 3/3', (c) => c.status?.readyProcesses === '3/3');
  const pod = (await stage.readyPod('ordered')).metadata.name as string;
  const { lines, exitCode } = await stage.deleteAndFollow(pod);
  const stopping = lines.filter((l) => l.to === 'STOPPING').map((l) => l.program);
  assert.deepEqual(stopping, ['third', 'second', 'first']);
  const stopped = lines.filter((l) => l.to === 'STOPPED').map((l) => [l.program, l.exitCode]);
  assert.deepEqual(
    stopped,
    [
      ['third', 0],
      ['second', 0],
      ['first', 0],
    ],
    'each stopped on TERM within stopWaitSeconds, no SIGKILL',
  );
  assert.equal(lines.find((l) => l.msg === 'supervisor exiting')!.exitCode, 0);
  assert.equal(exitCode, 0, 'the container exit code');
  const stoppedEvents = await waitFor('ProcessStopped Events', async () => {
    const list = (await stage.events('ordered')).filter((e) => e.reason === 'ProcessStopped' && e.related?.name === pod);
    return list.length === 3 ? list : undefined;
  });
  assert.deepEqual(stoppedEvents.map((e) => e.note).sort(), ['first stopped: exited with code 0', 'second stopped: exited with code 0', 'third stopped: exited with code 0']);
});

test('a program over its memory limit: MemoryPressure with the figures, then the configured restart', async () => {
  // busybox sh holds ~64 MB in a variable (a loop, not a last command that sh would exec over it):
  // over the 16Mi limit of its process tree.
  await stage.apply('hungry', {
    image: IMAGES.muslBusybox,
    imagePullPolicy: 'Never',
    programs: [
      {
        name: 'hog',
        startSeconds: 1,
        restartBudget: { maxRestarts: 100, windowSeconds: 60 },
        memory: { limit: '16Mi', action: 'restart' },
        command: ['/bin/sh', '-c', 'sleep 2; a=$(head -c 67108864 /dev/zero | tr "\\0" x); while true; do sleep 1; done'],
      },
    ],
  });
  const pressure = await waitFor('MemoryPressure', async () => (await stage.events('hungry')).find((e) => e.reason === 'MemoryPressure'), 120_000);
  assert.equal(pressure.type, 'Warning');
  assert.match(pressure.note, /^hog uses [\d.]+ MiB \(process tree RSS\), over its limit of 16\.0 MiB; action: restart$/);
  const restarted = await waitFor('ProcessRestarted after memory', async () => (await stage.events('hungry')).find((e) => e.reason === 'ProcessRestarted'), 60_000);
  assert.equal(restarted.note, 'hog restarted (restart after memory over limit)');
  await stage.waitForCorePod('hungry', 'restarts >= 1', (c) => (processNamed(c.status?.pods?.[0]?.processes, 'hog')?.restarts ?? 0) >= 1);
});

test('container memory past the warning threshold: MemoryPressure for the container with percent and thresholds', async () => {
  await stage.apply('tight', {
    image: IMAGES.muslBusybox,
    imagePullPolicy: 'Never',
    resources: { limits: { memory: '256Mi' } },
    memory: { warningPercent: 20, criticalPercent: 95, action: 'alert' },
    programs: [{ name: 'filler', command: ['/bin/sh', '-c', 'a=$(head -c 83886080 /dev/zero | tr "\\0" x); while true; do sleep 1; done'] }],
  });
  const pressure = await waitFor('container MemoryPressure', async () => (await stage.events('tight')).find((e) => e.reason === 'MemoryPressure'), 120_000);
  assert.equal(pressure.type, 'Warning');
  assert.match(pressure.note, /^container memory warning: \d+% of its limit \([\d.]+ MiB of 256 MiB; warning at 20%, critical at 95%\); action: alert only$/);
});

test('a program that exits at once: FATAL after startRetries, condition Degraded, PHASE Degraded, ProcessFatal', async () => {
  await stage.apply('doomed', {
    image: IMAGES.muslBusybox,
    imagePullPolicy: 'Never',
    programs: [web('ok', 8080, 10), { name: 'broken', priority: 20, command: ['/bin/sh', '-c', 'echo cannot start >&2; exit 1'], startRetries: 2 }],
  });
  const cp = await stage.waitForCorePod('doomed', 'PHASE Degraded', (c) => (c.status?.phase === 'Degraded' ? c : undefined));
  assert.equal(processNamed(cp.status!.pods![0]!.processes, 'broken')!.state, 'FATAL');
  assert.equal(processNamed(cp.status!.pods![0]!.processes, 'ok')!.state, 'RUNNING');
  const degraded = cp.status!.conditions!.find((c) => c.type === 'Degraded')!;
  assert.equal(degraded.status, 'True');
  assert.match(degraded.message, /broken/);
  const fatal = await waitFor('ProcessFatal', async () => (await stage.events('doomed')).find((e) => e.reason === 'ProcessFatal'));
  assert.equal(fatal.type, 'Warning');
  assert.match(fatal.note, /^broken is FATAL: too many start retries too quickly/);
  // 1 start + 2 retries: three early exits, one Event object whose series (patched at most every
  // 10 s) reaches 3.
  const exits = await waitFor(
    'the exit series at 3',
    async () => {
      const list = (await stage.events('doomed')).filter((e) => e.reason === 'ProcessExited');
      return list.length === 1 && list[0]!.series?.count === 3 ? list : undefined;
    },
    60_000,
  );
  assert.equal(exits[0]!.note, 'broken exited with code 1 before startSeconds passed');
});

test('a crash loop costs a handful of Event objects, each with a series count', async () => {
  await stage.apply('looping', {
    image: IMAGES.muslBusybox,
    imagePullPolicy: 'Never',
    programs: [{ name: 'flappy', command: ['/bin/sh', '-c', 'sleep 1; exit 7'], startSeconds: 0, restartBudget: { maxRestarts: 1000, windowSeconds: 60 } }],
  });
  const events = await waitFor(
    'ten crashes counted',
    async () => {
      const list = (await stage.events('looping')).filter((e) => e.reportingController === 'dreamscape.io/corepod-sidecar');
      const exited = list.find((e) => e.reason === 'ProcessExited');
      return (exited?.series?.count ?? 0) >= 10 ? list : undefined;
    },
    120_000,
  );
  assert.ok(events.length <= 3, `Event objects: ${events.map((e) => `${e.reason}x${e.series?.count ?? 1}`).join(', ')}`);
  assert.deepEqual(events.map((e) => e.reason).sort(), ['ProcessExited', 'ProcessRestarted']);
  assert.equal(events.find((e) => e.reason === 'ProcessExited')!.note, 'flappy exited with code 7');
});
