// Figures for the lead (not a test): on the local cluster, with the operator as a child process in
// a fresh namespace. Prints a table:
//   apply → READY 3/3 (DreamScape), kill -9 → restarted / visible in status / Event visible,
//   status patches per minute in steady state, Events during a 60 s crash loop, sidecar RSS.
// Usage: node dist/e2e/sidecar/figures.js   (after make build cluster-up)
import type { ProcessStatus } from '../../crds/corepod-schema.js';
import { clusterApi } from '../support/cluster-env.js';
import { RESOURCES } from '../../kube/resources.js';
import { buildImages, IMAGES, processNamed, Stage, waitFor } from '../support/corepod-stage.js';
import { repoRoot } from '../support/cluster-env.js';

type Json = Record<string, any>;
const rows: [string, string][] = [];
const row = (name: string, value: string) => {
  rows.push([name, value]);
  process.stderr.write(`${name}: ${value}\n`);
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

await buildImages(['sidecar', 'dreamscape', 'musl-busybox']);
const stage = await Stage.open('cp-figures');
const api = await clusterApi();
const get = async (name: string) => api.get<Json>(RESOURCES.corePod, stage.namespace, name);
const events = async (name: string) =>
  (await api.list<Json>(RESOURCES.event, { namespace: stage.namespace })).items.filter(
    (e) => e.regarding?.name === name && e.reportingController === 'dreamscape.io/corepod-sidecar',
  );

/** Distinct status.pods[0].updated values seen while polling for `ms`: the sidecar's patches. */
async function countPatches(name: string, ms: number): Promise<number> {
  const seen = new Set<string>();
  const end = Date.now() + ms;
  let _first: string | undefined;
  while (Date.now() < end) {
    const updated = (await get(name))?.status?.pods?.[0]?.updated as string | undefined;
    if (updated) {
      _first ??= updated;
      seen.add(updated);
    }
    await sleep(200);
  }
  return seen.size - 1; // the value present at the start is not a patch of this window
}

try {
  // 1. apply → READY 3/3
  const applied = Date.now();
  await stage.createDreamscapeSecrets();
  await stage.applyFile(`${repoRoot}examples/dreamscape/corepod.yaml`);
  await waitFor('READY 3/3', async () => (await get('dreamscape'))?.status?.readyProcesses === '3/3', 300_000, 50);
  row('DreamScape apply → READY 3/3', `${((Date.now() - applied) / 1000).toFixed(1)} s`);
  const pod = (await stage.readyPod('dreamscape')).metadata.name as string;

  // 2. steady state
  await sleep(15_000);
  row('status patches per minute, steady state (3 programs)', String(await countPatches('dreamscape', 60_000)));

  // 3. RSS in the pod
  const ps = (await stage.exec(pod, ['ps', '-eo', 'pid,rss,args'])).stdout;
  const rss = (re: RegExp) =>
    Number(
      ps
        .split('\n')
        .find((l) => re.test(l))
        ?.trim()
        .split(/\s+/)[1] ?? NaN,
    ) / 1024;
  row('sidecar-init (node supervisor) RSS in the pod', `${rss(/^\s*\d+\s+\d+\s+\/corepod\/node /).toFixed(1)} MiB`);
  row('tini (PID 1) RSS in the pod', `${rss(/^\s*1\s+\d+\s+\/corepod\/tini-static/).toFixed(1)} MiB`);

  // 4. kill -9 auth-service
  const before = processNamed((await get('dreamscape'))!.status.pods[0].processes as ProcessStatus[], 'auth-service')!;
  await stage.exec(pod, ['kill', '-9', String(before.pid)]);
  const [statusAt, eventAt] = await Promise.all([
    waitFor(
      'restarts=1 in status',
      async () => (processNamed((await get('dreamscape'))?.status?.pods?.[0]?.processes, 'auth-service')?.restarts === 1 ? Date.now() : undefined),
      60_000,
      50,
    ),
    waitFor('ProcessExited Event', async () => ((await events('dreamscape')).some((e) => e.reason === 'ProcessExited') ? Date.now() : undefined), 60_000, 50),
  ]);
  const logs = await stage.logs(pod);
  const exited = logs.find((l) => l.program === 'auth-service' && l.to === 'EXITED')!.time as number;
  const starting = logs.find((l) => l.program === 'auth-service' && l.to === 'STARTING' && l.reason === 'autorestart')!.time as number;
  row('kill -9 → respawned (supervisor log)', `${starting - exited} ms`);
  row('kill -9 → restarts=1 visible in CorePod status', `${statusAt - exited} ms`);
  row('kill -9 → ProcessExited Event visible', `${eventAt - exited} ms`);

  // 5. a 60 s crash loop
  await stage.apply('looper', {
    image: IMAGES.muslBusybox,
    imagePullPolicy: 'Never',
    programs: [{ name: 'flappy', command: ['/bin/sh', '-c', 'sleep 0.5; exit 3'], startSeconds: 0, restartBudget: { maxRestarts: 10_000, windowSeconds: 60 } }],
  });
  await waitFor('looper reporting', async () => (await get('looper'))?.status?.pods?.[0], 300_000, 200);
  const loopStart = Date.now();
  const patches = await countPatches('looper', 60_000);
  const crashes = processNamed((await get('looper'))!.status.pods[0].processes as ProcessStatus[], 'flappy')!.restarts;
  await sleep(11_000); // the last series patch
  const list = await events('looper');
  row('crash loop: crashes in 60 s', String(crashes));
  row('crash loop: Event objects created', `${list.length} (${list.map((e) => `${e.reason} x${e.series?.count ?? 1}`).join(', ')})`);
  row('crash loop: status patches in 60 s', String(patches));
  row('crash loop: measured for', `${((Date.now() - loopStart) / 1000).toFixed(0)} s`);
} finally {
  api.close();
  await stage.close();
}

const width = Math.max(...rows.map(([name]) => name.length));
process.stdout.write(`\n${'figure'.padEnd(width)}  value\n${'-'.repeat(width)}  -----\n${rows.map(([n, v]) => `${n.padEnd(width)}  ${v}`).join('\n')}\n`);
