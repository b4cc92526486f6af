// The READY column (the operator's roll-up) and the pod's Ready condition (the kubelet probing the
// sidecar-init's /readyz) follow the one readiness rule, so they agree: while a required health
// check has never passed, and through a health flap that restarts the program.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildImages, IMAGES, processNamed, Stage, waitFor } from '../support/corepod-stage.js';

let stage: Stage;

before(async () => {
  await buildImages(['sidecar', 'musl-busybox']);
  stage = await Stage.open('cp-readiness');
});
after(async () => stage?.close());

type Json = Record<string, any>;
const podReady = (pod: Json | undefined) => pod?.status?.conditions?.find((c: Json) => c.type === 'Ready')?.status === 'True';
const sleeper = (setup = '') => ['/bin/sh', '-c', `${setup}trap 'exit 0' TERM; while true; do sleep 0.2; done`];

async function sample(name: string): Promise<{ ready: string | undefined; podReady: boolean; pod: string | undefined }> {
  const [cp, pods] = await Promise.all([stage.corePod(name), stage.pods(name)]);
  return { ready: cp?.status?.readyProcesses, podReady: pods.length === 1 && podReady(pods[0]), pod: pods[0]?.metadata?.name };
}

test('a required check that has not passed yet keeps both READY and the pod unready; passing makes both ready; a flap takes both down and back', async () => {
  await stage.apply('gated', {
    image: IMAGES.muslBusybox,
    imagePullPolicy: 'Never',
    programs: [
      { name: 'plain', priority: 10, command: sleeper() },
      // Never passes until the test creates /tmp/gate-open; 100 failures (one per period before a first pass) keep it RUNNING meanwhile.
      {
        name: 'gate',
        priority: 20,
        startSeconds: 1,
        command: sleeper(),
        healthCheck: { exec: { command: ['test', '-f', '/tmp/gate-open'] }, periodSeconds: 1, failureThreshold: 100 },
      },
      // Creates its marker at start; removing it fails the check twice and restarts it (a flap),
      // unready for initialDelaySeconds after each start: longer than the kubelet's 5 s probe period.
      {
        name: 'flappy',
        priority: 30,
        startSeconds: 1,
        command: sleeper('touch /tmp/flappy-ok; '),
        healthCheck: { exec: { command: ['test', '-f', '/tmp/flappy-ok'] }, initialDelaySeconds: 12, periodSeconds: 1, failureThreshold: 2 },
      },
    ],
  });
  const pod = await waitFor(
    'gate RUNNING with its check not yet passed',
    async () => {
      const cp = await stage.corePod('gated');
      const entry = cp?.status?.pods?.[0];
      const gate = processNamed(entry?.processes, 'gate');
      const flappy = processNamed(entry?.processes, 'flappy');
      return gate?.state === 'RUNNING' && gate.healthy === undefined && flappy?.healthy === true ? entry!.name : undefined;
    },
    180_000,
  );

  // Both say "not ready" and keep saying it (the operator's old rule counted gate as ready: 3/3).
  await waitFor('READY 2/3', async () => (await sample('gated')).ready === '2/3');
  for (let i = 0; i < 12; i++) {
    const s = await sample('gated');
    assert.equal(s.ready, '2/3', `sample ${i}: READY`);
    assert.equal(s.podReady, false, `sample ${i}: pod Ready`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  await stage.exec(pod, ['touch', '/tmp/gate-open']);
  await waitFor(
    'READY 3/3 and the pod Ready',
    async () => {
      const s = await sample('gated');
      return s.ready === '3/3' && s.podReady ? s : undefined;
    },
    60_000,
  );

  // The flap: both go down, then both come back, and they end agreeing.
  const before = processNamed((await stage.processes('gated', pod))!, 'flappy')!;
  await stage.exec(pod, ['rm', '-f', '/tmp/flappy-ok']);
  const seen = { readyDipped: false, podDipped: false };
  await waitFor(
    'flappy restarted, READY 3/3 and the pod Ready again',
    async () => {
      const s = await sample('gated');
      if (s.ready !== '3/3') seen.readyDipped = true;
      if (!s.podReady) seen.podDipped = true;
      const flappy = processNamed(await stage.processes('gated', pod), 'flappy');
      return seen.readyDipped && seen.podDipped && s.ready === '3/3' && s.podReady && flappy && flappy.pid !== before.pid && flappy.healthy === true ? s : undefined;
    },
    90_000,
    200,
  );
  assert.deepEqual(seen, { readyDipped: true, podDipped: true });
});
