// Live reconfiguration on the real cluster: an edit confined to spec.programs is applied in place
// by each running sidecar-init (the same pod; only what changed restarts, or gets its
// reloadSignal), a pod-level change rolls the Deployment, every pod says which generation it
// runs, a spec the sidecar-init cannot apply is refused with a condition and an Event, and an
// edit made while the pod cannot reach the API server is applied once it can again.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodStatus } from '../../crds/corepod-schema.js';
import { buildImages, IMAGES, kubectl, Stage, waitFor, type CorePodView } from '../support/corepod-stage.js';
import { installCrd } from '../support/cluster-env.js';

let stage: Stage;

before(async () => {
  await buildImages(['sidecar', 'musl-busybox']);
  stage = await Stage.open('cp-live');
});
// The cluster is shared: another checkout's tests install their own version of the CRD, which may
// lack this one's fields (reloadSignal, status.pods[].generation): while these tests run, the
// CRD of this checkout is put back whenever it lacks them.
let keeper: NodeJS.Timeout | undefined;
let keeping: Promise<void> = Promise.resolve();
const keepCrd = () => {
  keeping = keeping.then(async () => {
    const { stdout } = await kubectl(['get', 'crd', 'corepods.dreamscape.io', '-o', 'json'], { allowFailure: true });
    if (!stdout.includes('reloadSignal')) await installCrd();
  });
};
before(() => {
  keeper = setInterval(keepCrd, 2000);
});
after(async () => {
  clearInterval(keeper);
  await keeping.catch(() => undefined);
  await stage?.close();
});
beforeEach(installCrd);

type Json = Record<string, any>;

const loop = (name: string, body = '') => ({
  name,
  startSeconds: 1,
  stopWaitSeconds: 5,
  command: ['/bin/sh', '-c', `trap 'exit 0' TERM; ${body} while true; do sleep 0.2; done`],
});

function spec(programs: Json[], extra: Json = {}): Json {
  return { image: IMAGES.muslBusybox, imagePullPolicy: 'Never', terminationGracePeriodSeconds: 10, programs, ...extra };
}

const pidsOf = (pod: PodStatus) => Object.fromEntries(pod.processes.map((p) => [p.name, p.pid]));

/** Every pod reports `generation` with all its programs RUNNING: the pods' entries. */
async function converged(name: string, what: string, check: (pods: PodStatus[], cp: CorePodView) => boolean = () => true): Promise<{ cp: CorePodView; pods: PodStatus[] }> {
  return waitFor(
    `${name}: ${what}`,
    async () => {
      const cp = await stage.corePod(name);
      if (!cp) return undefined;
      const live = new Set((await stage.pods(name)).map((p) => p.metadata.name as string));
      const pods = (cp.status?.pods ?? []).filter((p) => live.has(p.name));
      const generation = cp.metadata.generation;
      const ok =
        pods.length === live.size &&
        pods.length === (cp.spec.replicas ?? 1) &&
        pods.every((p) => p.generation === generation && p.processes.length === cp.spec.programs.length && p.processes.every((x) => x.state === 'RUNNING')) &&
        check(pods, cp);
      return ok ? { cp, pods } : undefined;
    },
    180_000,
  );
}

const readyCondition = (cp: CorePodView) => cp.status?.conditions?.find((c) => c.type === 'Ready');

async function templateHash(name: string): Promise<string> {
  const { stdout } = await stage.kubectl(['get', 'deployment', name, '-o', "jsonpath={.spec.template.metadata.annotations['dreamscape\\.io/config-hash']}"]);
  return stdout;
}

async function environOf(pod: string, pid: number | undefined): Promise<string[]> {
  const { stdout } = await stage.exec(pod, ['/bin/cat', `/proc/${pid}/environ`]);
  return stdout.split('\0');
}

const base = (): Json[] => [loop('api'), { ...loop('worker'), env: [{ name: 'VERSION', value: '1' }] }, loop('side')];

test('an edited program restarts in the same pod, the others keep their pids; add and remove in place; generation and Ready follow', async () => {
  await stage.apply('live', spec(base()));
  const first = await converged('live', 'generation 1 running');
  const pod = first.pods[0]!.name;
  const before = pidsOf(first.pods[0]!);
  const hash = await templateHash('live');
  await stage.waitForCorePod('live', 'Ready', (cp) => readyCondition(cp)?.status === 'True');

  const edited = base();
  edited[1]!.env = [{ name: 'VERSION', value: '2' }];
  await stage.apply('live', spec(edited));
  const second = await converged('live', 'the edit applied in place', (pods) => pidsOf(pods[0]!).worker !== before.worker);
  assert.equal(second.pods[0]!.name, pod, 'the same pod');
  const after = pidsOf(second.pods[0]!);
  assert.deepEqual([after.api, after.side], [before.api, before.side], 'unchanged programs keep their pid');
  assert.ok((await environOf(pod, after.worker)).includes('VERSION=2'), 'the worker runs its new spec');
  assert.equal(await templateHash('live'), hash, 'no rollout');
  assert.equal((await stage.pods('live')).length, 1);
  const applied = second.pods[0]!.conditions?.find((c) => c.type === 'SpecApplied');
  assert.deepEqual([applied?.status, applied?.reason, applied?.observedGeneration], ['True', 'Applied', second.cp.metadata.generation]);
  const ready = await stage.waitForCorePod('live', 'Ready for this generation', (cp) => {
    const c = readyCondition(cp);
    return c?.status === 'True' && c.observedGeneration === cp.metadata.generation ? c : undefined;
  });
  assert.equal(ready.reason, 'AllProcessesReady');
  const event = await waitFor('a SpecApplied Event', async () => (await stage.events('live')).find((e) => e.reason === 'SpecApplied' && /restarted worker/.test(e.note)));
  assert.equal(event.related?.name, pod);

  const changed = [edited[0]!, edited[1]!, loop('extra')];
  await stage.apply('live', spec(changed));
  const third = await converged('live', 'side removed, extra added', (pods) => pods[0]!.processes.some((p) => p.name === 'extra'));
  assert.equal(third.pods[0]!.name, pod);
  assert.deepEqual(
    third.pods[0]!.processes.map((p) => p.name),
    ['api', 'worker', 'extra'],
  );
  const now = pidsOf(third.pods[0]!);
  assert.deepEqual([now.api, now.worker], [after.api, after.worker]);
  const { stdout } = await stage.exec(pod, ['/bin/ps', '-o', 'pid']);
  assert.ok(!stdout.split(/\s+/).includes(String(after.side)), 'the removed program is gone');
  assert.equal(await templateHash('live'), hash);
});

test('reloadSignal: an edit sends the signal instead of a restart', async () => {
  const nginxLike = (mode: string) => ({
    ...loop('web', `trap 'echo reloaded >> /tmp/reloads' HUP;`),
    reloadSignal: 'HUP',
    env: [{ name: 'MODE', value: mode }],
  });
  await stage.apply('reload', spec([loop('api'), nginxLike('a')]));
  const first = await converged('reload', 'running');
  const pod = first.pods[0]!.name;
  await stage.apply('reload', spec([loop('api'), nginxLike('b')]));
  const second = await converged('reload', 'generation 2 applied', (pods) => pods[0]!.conditions?.some((c) => c.type === 'SpecApplied' && c.status === 'True') === true);
  assert.deepEqual(pidsOf(second.pods[0]!), pidsOf(first.pods[0]!), 'nothing restarted');
  await waitFor('web got SIGHUP', async () => (await stage.exec(pod, ['/bin/cat', '/tmp/reloads'], { allowFailure: true })).stdout === 'reloaded\n');
  assert.ok(second.pods[0]!.conditions!.find((c) => c.type === 'SpecApplied')!.message.includes('reloaded: web (env)'));
});

test('a dependency cycle is refused by the running pod (condition and Event), its programs left as they were', async () => {
  await stage.apply('cycle', spec([loop('a'), loop('b')]));
  const first = await converged('cycle', 'running');
  const pod = first.pods[0]!.name;
  await stage.apply(
    'cycle',
    spec([
      { ...loop('a'), dependsOn: ['b'] },
      { ...loop('b'), dependsOn: ['a'] },
    ]),
  );
  const refused = await stage.waitForCorePod('cycle', 'the pod refused generation 2', (cp) => {
    const entry = cp.status?.pods?.find((p) => p.name === pod);
    const c = entry?.conditions?.find((x) => x.type === 'SpecApplied');
    return c?.status === 'False' && c.observedGeneration === cp.metadata.generation ? { cp, entry: entry!, c } : undefined;
  });
  assert.equal(refused.c.reason, 'SpecRefused');
  assert.match(refused.c.message, /dependency cycle/);
  assert.equal(refused.entry.generation, first.cp.metadata.generation, 'it still runs the previous generation');
  assert.deepEqual(pidsOf(refused.entry), pidsOf(first.pods[0]!));
  const event = await waitFor('a SpecRefused Event', async () => (await stage.events('cycle')).find((e) => e.reason === 'SpecRefused'));
  assert.equal(event.type, 'Warning');
  assert.match(event.note, /dependency cycle/);
  assert.equal(readyCondition(refused.cp)?.status, 'False');
});

test('a pod-level change rolls the Deployment; two replicas both converge on an edit and say which generation they run', async () => {
  await stage.apply('roll', spec(base()));
  const first = await converged('roll', 'running');
  const oldPod = first.pods[0]!.name;
  const hash = await templateHash('roll');
  await stage.apply('roll', spec(base(), { terminationGracePeriodSeconds: 12 }));
  const rolled = await converged('roll', 'a new pod runs the new generation', (pods) => pods[0]!.name !== oldPod);
  assert.notEqual(await templateHash('roll'), hash);
  assert.equal(rolled.pods[0]!.generation, rolled.cp.metadata.generation);

  await stage.apply('roll', spec(base(), { terminationGracePeriodSeconds: 12, replicas: 2 }));
  const two = await converged('roll', 'two replicas');
  const before = new Map(two.pods.map((p) => [p.name, pidsOf(p)]));
  const edited = base();
  edited[1]!.command = [...edited[1]!.command.slice(0, 2), `${edited[1]!.command[2]} # v2`];
  await stage.apply('roll', spec(edited, { terminationGracePeriodSeconds: 12, replicas: 2 }));
  const both = await converged('roll', 'both pods run the edit', (pods) => pods.every((p) => pidsOf(p).worker !== before.get(p.name)?.worker));
  assert.deepEqual(both.pods.map((p) => p.name).sort(), [...before.keys()].sort(), 'the same two pods');
  for (const pod of both.pods) {
    assert.equal(pod.generation, both.cp.metadata.generation);
    assert.equal(pidsOf(pod).api, before.get(pod.name)!.api);
  }
  await stage.waitForCorePod(
    'roll',
    'Ready at this generation',
    (cp) => readyCondition(cp)?.status === 'True' && readyCondition(cp)?.observedGeneration === cp.metadata.generation,
  );
});

test('an edit made while the pod cannot reach the API server is applied once it can', async () => {
  await stage.apply('cutoff', spec(base()));
  const first = await converged('cutoff', 'running');
  const pod = first.pods[0]!.name;
  const before = pidsOf(first.pods[0]!);
  const unblock = await stage.blockApiServer(pod);
  let blocked = true;
  try {
    // Long enough for the status patches to time out (15 s): the pod is really cut off.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const edited = base();
    edited[1]!.env = [{ name: 'VERSION', value: 'offline' }];
    await stage.apply('cutoff', spec(edited));
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    const cut = (await stage.corePod('cutoff'))!;
    const meanwhile = cut.status!.pods!.find((p) => p.name === pod)!;
    assert.equal(meanwhile.generation, first.cp.metadata.generation, 'nothing reported while cut off');
    assert.ok((cut.metadata.generation ?? 0) > (first.cp.metadata.generation ?? 0));
    assert.equal(readyCondition(cut)?.observedGeneration, cut.metadata.generation, 'the operator has seen the edit');
    assert.equal(cut.status!.observedGeneration, first.cp.metadata.generation, 'observedGeneration: the pod does not run the edit yet');
    await unblock();
    blocked = false;
  } finally {
    if (blocked) await unblock();
  }
  const after = await converged('cutoff', 'the edit applied after the outage', (pods) => pidsOf(pods[0]!).worker !== before.worker);
  assert.equal(after.pods[0]!.name, pod);
  await stage.waitForCorePod('cutoff', 'observedGeneration once the pod runs the edit', (cp) => cp.status?.observedGeneration === cp.metadata.generation);
  assert.equal(pidsOf(after.pods[0]!).api, before.api);
  assert.ok((await environOf(pod, pidsOf(after.pods[0]!).worker)).includes('VERSION=offline'));
  const logs = await stage.logs(pod);
  assert.ok(
    logs.some((l) => l.msg === 'new spec: applied' && l.generation === after.cp.metadata.generation),
    'the sidecar-init says it applied the generation',
  );
});
