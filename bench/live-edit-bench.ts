// `node dist/bench/live-edit-bench.js [--edits 5]`: the cost of a one-program edit on the local
// cluster, side by side in one run (issue 13, item 8): the edit applied in place by the running
// sidecar-init vs a pod rollout of the same change (the same edit plus a pod-template annotation,
// which is what every program edit cost before live reconfiguration). Both are timed from the
// edit (one merge patch of the spec through the API) to the edited program RUNNING its new spec: the `STARTING -> RUNNING` line of its new
// process in the sidecar-init's log (the pod runs on this node: one clock), read once the CorePod's
// status shows it RUNNING and healthy with a new pid; for the rollout also to the old pod gone.
// Prints a markdown table and writes bench/results/<time>-live-edit.{json,md}. Not a test.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CorePodStatus } from '../crds/corepod-schema.js';
import type { HttpKubeApi } from '../kube/http-kube-api.js';
import type { KubeObject } from '../kube/kube-api.js';
import { RESOURCES } from '../kube/resources.js';
import { clusterApi, createNamespace, installCrd, kubectl, repoRoot, startOperator } from '../e2e/support/cluster-env.js';
import { buildImages, IMAGES } from '../e2e/support/corepod-stage.js';
import { formatMachine, machineFacts } from './lib/machine.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({ options: { edits: { type: 'string', default: '5' } } });
const EDITS = Number(values.edits);
const log = (message: string) => process.stderr.write(`[live-edit-bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

type CorePod = KubeObject & { metadata: { generation: number }; spec: Record<string, unknown>; status?: CorePodStatus };

const web = (name: string, port: number, version: string) => ({
  name,
  command: ['/usr/local/bin/tiny-http', String(port), name],
  env: [{ name: 'VERSION', value: version }],
  startSeconds: 5,
  stopWaitSeconds: 5,
  ports: [{ name, containerPort: port }],
  healthCheck: { httpGet: { path: '/health', port }, periodSeconds: 5 },
});

function spec(version: string, rollout?: string) {
  return {
    image: IMAGES.muslBusybox,
    imagePullPolicy: 'Never',
    terminationGracePeriodSeconds: 10,
    ...(rollout ? { podMetadata: { annotations: { 'bench.corepod/rollout': rollout } } } : {}),
    programs: [web('auth', 3001, '1'), web('user', 3002, version), web('front', 8080, '1')],
  };
}

async function apply(namespace: string, body: Record<string, unknown>): Promise<void> {
  await kubectl(['-n', namespace, 'apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'dreamscape.io/v1alpha1', kind: 'CorePod', metadata: { name: 'bench' }, ...body }) });
}

/** The edit itself: one merge patch of the spec through the API (no kubectl process to start). */
async function edit(api: HttpKubeApi, namespace: string, next: Record<string, unknown>): Promise<void> {
  await api.patch(RESOURCES.corePod, namespace, 'bench', 'merge', { spec: next });
}

/** Polls until `check` holds; returns the ms since `start`. */
async function until(api: HttpKubeApi, namespace: string, start: number, what: string, check: (cp: CorePod) => boolean): Promise<number> {
  const deadline = start + 180_000;
  while (performance.now() < deadline) {
    const cp = await api.get<CorePod>(RESOURCES.corePod, namespace, 'bench');
    if (cp && check(cp)) return performance.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out: ${what}`);
}

async function livePods(api: HttpKubeApi, namespace: string): Promise<Set<string>> {
  const pods = await api.list<KubeObject>(RESOURCES.pod, { namespace, labelSelector: 'app.kubernetes.io/instance=bench' });
  return new Set(pods.items.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata!.name!));
}

/** The pod (one of the pods) whose `user` is RUNNING, healthy, with another pid than before. */
const editedRunning = (cp: CorePod, pod: (name: string) => boolean, oldPid: number | undefined): string | undefined => {
  for (const p of cp.status?.pods ?? []) {
    if (!pod(p.name)) continue;
    const user = p.processes.find((x) => x.name === 'user');
    if (user?.state === 'RUNNING' && user.healthy === true && user.pid !== oldPid) return p.name;
  }
  return undefined;
};

/** When (epoch ms) the pod's sidecar-init logged `user` going RUNNING after `since`. */
async function runningAt(namespace: string, pod: string, since: number): Promise<number> {
  const { stdout } = await kubectl(['-n', namespace, 'logs', pod, '-c', 'app']);
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const record = JSON.parse(line) as { time: number; program?: string; msg?: string };
    if (record.program === 'user' && record.msg === 'STARTING -> RUNNING' && record.time >= since) return record.time;
  }
  throw new Error(`pod ${pod}: no STARTING -> RUNNING of user after ${new Date(since).toISOString()}`);
}

async function main(): Promise<void> {
  await buildImages(['sidecar', 'musl-busybox']);
  await installCrd();
  const api = await clusterApi();
  const ns = await createNamespace('bench-live');
  const operator = await startOperator(['--namespace', ns.name, '--sidecar-image', IMAGES.sidecar]);
  const samples = { live: [] as number[], rolloutRunning: [] as number[], rolloutDone: [] as number[] };
  const startedAt = new Date().toISOString();
  const machineBefore = await machineFacts();
  try {
    await apply(ns.name, { spec: spec('0') });
    await until(api, ns.name, performance.now(), 'first start', (cp) => cp.status?.readyProcesses === '3/3');
    for (let i = 1; i <= EDITS; i++) {
      // In place: the same pod, only `user` restarts.
      let cp = (await api.get<CorePod>(RESOURCES.corePod, ns.name, 'bench'))!;
      let entry = cp.status!.pods![0]!;
      let oldPid = entry.processes.find((p) => p.name === 'user')!.pid;
      let start = performance.now();
      let epoch = Date.now();
      const annotation = cp.spec.podMetadata ? (cp.spec.podMetadata as { annotations: Record<string, string> }).annotations['bench.corepod/rollout'] : undefined;
      await edit(api, ns.name, spec(`live-${i}`, annotation));
      const pod = entry.name;
      await until(api, ns.name, start, `live edit ${i}`, (c) => editedRunning(c, (name) => name === pod, oldPid) !== undefined);
      samples.live.push((await runningAt(ns.name, pod, epoch)) - epoch);
      if ((await livePods(api, ns.name)).size !== 1) throw new Error('the live edit made another pod');
      log(`live edit ${i}: ${samples.live.at(-1)!.toFixed(0)} ms`);

      // The same change as a rollout: the edit plus a pod-template annotation.
      cp = (await api.get<CorePod>(RESOURCES.corePod, ns.name, 'bench'))!;
      entry = cp.status!.pods![0]!;
      oldPid = entry.processes.find((p) => p.name === 'user')!.pid;
      const oldPod = entry.name;
      start = performance.now();
      epoch = Date.now();
      await edit(api, ns.name, spec(`rollout-${i}`, `r${i}`));
      let newPod: string | undefined;
      await until(api, ns.name, start, `rollout ${i}`, (c) => (newPod = editedRunning(c, (name) => name !== oldPod, oldPid)) !== undefined);
      const running = (await runningAt(ns.name, newPod!, epoch)) - epoch;
      samples.rolloutRunning.push(running);
      while ((await livePods(api, ns.name)).has(oldPod)) await new Promise((resolve) => setTimeout(resolve, 50));
      samples.rolloutDone.push(performance.now() - start);
      log(`rollout ${i}: edited program running after ${running.toFixed(0)} ms, old pod gone after ${samples.rolloutDone.at(-1)!.toFixed(0)} ms`);
      await until(api, ns.name, performance.now(), 'settled', (c) => c.status?.readyProcesses === '3/3' && (c.status?.pods ?? []).length === 1);
    }
  } finally {
    await operator.stop();
    await ns.remove();
  }
  const live = median(samples.live);
  const rollout = median(samples.rolloutRunning);
  const ratio = live / rollout;
  const ok = live <= 2000 && ratio <= 0.3;
  const machine = { before: machineBefore, after: await machineFacts() };
  const table = [
    '| metric | live edit (in place) | pod rollout of the same change | ratio | target | ok |',
    '|---|---|---|---|---|---|',
    `| edit → edited program RUNNING its new spec, median (ms) | ${live.toFixed(0)} | ${rollout.toFixed(0)} | ${ratio.toFixed(2)}× | ≤ 2000 ms, ≤ 0.3× | ${ok ? 'yes' : 'no'} |`,
    `| same, max (ms) | ${Math.max(...samples.live).toFixed(0)} | ${Math.max(...samples.rolloutRunning).toFixed(0)} | — | — | |`,
    `| edit → rollout complete (old pod gone), median (ms) | — (same pod) | ${median(samples.rolloutDone).toFixed(0)} | — | — | |`,
  ].join('\n');
  const text = `${formatMachine(machine.before, machine.after)}\nCommand: \`node dist/bench/live-edit-bench.js --edits ${EDITS}\`\n\n${table}\n\n- ${EDITS} edits of each kind, alternating; raw samples in the JSON.\n`;
  process.stdout.write(`${text}\n`);
  const dir = path.join(repoRoot, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const stamp = startedAt.replace(/[:.]/g, '-');
  fs.writeFileSync(path.join(dir, `${stamp}-live-edit.json`), `${JSON.stringify({ startedAt, edits: EDITS, samples, machine }, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, `${stamp}-live-edit.md`), text);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
