// `node dist/bench/pod-bench.js [--starts 5] [--pods 10]`: DreamScape (examples/dreamscape) on the
// local cluster, side by side in one run (issue 11, item 6):
//   - `kubectl apply` → READY 3/3, CorePod with the runtime as an image volume and as a copy, vs a
//     floor: a plain Deployment of the same pod whose shell script starts the three programs, with a
//     kubelet readiness probe on nginx, the programs' own Secrets included (and without them: the
//     bare floor; supervisord in the same pod, for reference);
//   - with PODS pods of each on the node: PID 1's PSS and private memory (the sidecar-init vs
//     supervisord), the whole container's PSS, and the node disk each pod adds (kubelet pod dir +
//     containerd snapshots).
// Prints markdown tables and writes bench/results/<time>-pods.{json,md}. Not a test.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { DEFAULT_SIDECAR, type RuntimeDelivery } from '../contract/sidecar-contract.js';
import type { CorePodObject } from '../crds/corepod-object.js';
import { validateCorePod } from '../crds/corepod-schema.js';
import type { HttpKubeApi } from '../kube/http-kube-api.js';
import type { KubeObject } from '../kube/kube-api.js';
import { RESOURCES } from '../kube/resources.js';
import { descendants, memoryBreakdown, namespacePid, processTable } from '../lib/procfs.js';
import { waitFor } from '../lib/wait-for.js';
import { desiredState } from '../operator/desired/desired-state.js';
import { buildAndLoadImage, stateDir } from '../e2e/cluster/cluster.js';
import { clusterApi, createNamespace, installCrd, kubectl, repoRoot, run, startOperator, type OperatorProcess } from '../e2e/support/cluster-env.js';
import { dreamscapeSecrets, IMAGES } from '../e2e/support/corepod-stage.js';
import { formatMachine, machineFacts } from './lib/machine.js';
import { formatResult, type BenchResult, type Row } from './lib/report.js';
import { median } from './lib/stats.js';
import { sleep } from './lib/scope.js';
import { variantObjects, type Variant } from './lib/pod-variants.js';

const { values } = parseArgs({ options: { starts: { type: 'string', default: '5' }, pods: { type: 'string', default: '10' } } });
const STARTS = Number(values.starts);
const PODS = Number(values.pods);
const MiB = 1024 * 1024;
const log = (message: string) => process.stderr.write(`[pod-bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

type Subject = { kind: 'corepod'; delivery: RuntimeDelivery } | { kind: Variant };
const SUBJECTS: Subject[] = [
  { kind: 'corepod', delivery: 'image-volume' },
  { kind: 'corepod', delivery: 'copy' },
  { kind: 'floor' },
  { kind: 'floor-ordered' },
  { kind: 'floor-bare' },
  { kind: 'supervisord' },
];
/** Only start times for the ordered and the bare floor: their pods are the floor's. */
const FOOTPRINT_SUBJECTS = SUBJECTS.filter((subject) => subject.kind !== 'floor-ordered' && subject.kind !== 'floor-bare');
const label = (s: Subject) => (s.kind === 'corepod' ? `corepod-${s.delivery === 'copy' ? 'copy' : 'iv'}` : s.kind);

interface Setup {
  api: HttpKubeApi;
  /** examples/dreamscape/corepod.yaml as written, and validated. */
  document: { spec: Record<string, unknown> } & Record<string, unknown>;
  example: CorePodObject;
  supervisordImage: string;
  namespaces: Map<string, { name: string; remove: () => Promise<void> }>;
  operators: OperatorProcess[];
}

const until = (what: string, timeoutMs: number, check: () => Promise<boolean>) => waitFor(what, check, timeoutMs, 50);

function readExample(): Pick<Setup, 'document' | 'example'> {
  const document = parse(fs.readFileSync(path.join(repoRoot, 'examples/dreamscape/corepod.yaml'), 'utf8')) as Setup['document'];
  const validated = validateCorePod(document);
  if (!validated.ok) throw new Error(`examples/dreamscape/corepod.yaml: ${JSON.stringify(validated.errors)}`);
  return { document, example: validated.value as unknown as CorePodObject };
}

/** The DreamScape image plus Debian's supervisor package. */
async function buildSupervisordImage(dreamscapeTag: string): Promise<string> {
  const { stdout } = await run(`${repoRoot}e2e/images/build-images`, ['--no-load', 'dreamscape'], { timeoutMs: 30 * 60_000 });
  const archive = stdout
    .trim()
    .split('\n')
    .find((line) => line.startsWith('dreamscape '))!
    .split(' ')[2]!;
  const context = fs.mkdtempSync('/tmp/corepod-pod-bench-');
  try {
    fs.writeFileSync(
      `${context}/Recipe`,
      `FROM ${archive}\nRUN apt-get update -qq && apt-get install -y -qq --no-install-recommends supervisor >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*\n`,
    );
    const tag = `${dreamscapeTag.replace(/:.*$/, '')}-supervisord:${dreamscapeTag.replace(/^.*:/, '')}`;
    await buildAndLoadImage({ recipe: `${context}/Recipe`, tag });
    return tag;
  } finally {
    fs.rmSync(context, { recursive: true, force: true });
  }
}

async function setUp(): Promise<Setup> {
  log('building and loading the images (cached)');
  const { document, example } = readExample();
  await run(`${repoRoot}e2e/images/build-images`, ['sidecar', 'dreamscape'], { timeoutMs: 30 * 60_000 });
  const supervisordImage = await buildSupervisordImage(example.spec.image);
  await installCrd();
  const api = await clusterApi();
  const setup: Setup = { api, document, example, supervisordImage, namespaces: new Map(), operators: [] };
  for (const subject of SUBJECTS) {
    const namespace = await createNamespace(`pod-bench-${label(subject)}`);
    setup.namespaces.set(label(subject), namespace);
    // The Secrets the example reads (token-signing key, nginx's certificate), as `make demo` makes
    // them: the CorePod's programs and the variants' alike (pod-variants.ts).
    if (subject.kind !== 'floor-bare') await kubectl(['apply', '-n', namespace.name, '-f', '-'], { input: await dreamscapeSecrets() });
    if (subject.kind === 'corepod') {
      setup.operators.push(await startOperator(['--namespace', namespace.name, '--sidecar-image', IMAGES.sidecar, '--runtime-delivery', subject.delivery]));
    }
  }
  return setup;
}

async function tearDown(setup: Setup): Promise<void> {
  for (const operator of setup.operators) await operator.stop();
  for (const namespace of setup.namespaces.values()) await namespace.remove();
}

/** The objects for SUBJECT with `replicas` pods, named `name`. */
function manifests(setup: Setup, subject: Subject, name: string, replicas: number): object[] {
  const corePod = { ...setup.example, metadata: { ...setup.example.metadata, name, namespace: setup.namespaces.get(label(subject))!.name, uid: 'bench' } };
  corePod.spec = { ...corePod.spec, replicas, imagePullPolicy: 'Never' };
  if (subject.kind === 'corepod') return [{ ...setup.document, metadata: { name }, spec: { ...setup.document.spec, replicas, imagePullPolicy: 'Never' } }];
  const deployment = desiredState(corePod, { ...DEFAULT_SIDECAR, image: IMAGES.sidecar }).objects.find((o) => o.kind === 'Deployment') as V1Deployment;
  const { configMap, deployment: variant } = variantObjects(subject.kind, name, corePod, deployment, replicas);
  if (subject.kind === 'supervisord') variant.spec!.template.spec!.containers[0]!.image = setup.supervisordImage;
  variant.spec!.template.spec!.containers[0]!.imagePullPolicy = 'Never';
  return configMap ? [configMap, variant] : [variant];
}

async function podsOf(setup: Setup, subject: Subject, name: string): Promise<V1Pod[]> {
  const namespace = setup.namespaces.get(label(subject))!.name;
  const list = await setup.api.list<V1Pod & KubeObject>(RESOURCES.pod, { namespace, labelSelector: `app.kubernetes.io/instance=${name}` });
  return list.items.filter((p) => !p.metadata?.deletionTimestamp);
}

const podReady = (pod: V1Pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

interface Observation {
  /** The object's pods, terminating ones left out. */
  pods: V1Pod[];
  /** The CorePod, for a CorePod subject. */
  corePod?: CorePodObject | undefined;
}

/** One look at the object: its pods and, for a CorePod, the CorePod (two requests at most). */
async function observe(setup: Setup, subject: Subject, name: string): Promise<Observation> {
  const pods = await podsOf(setup, subject, name);
  if (subject.kind !== 'corepod') return { pods };
  const corePod = await setup.api.get<CorePodObject & KubeObject>(RESOURCES.corePod, setup.namespaces.get(label(subject))!.name, name);
  return { pods, corePod };
}

/** READY n/n: the CorePod's column for a CorePod (every program of every pod), every pod Ready for the others. */
function allReady(setup: Setup, subject: Subject, seen: Observation, replicas: number): boolean {
  if (subject.kind === 'corepod') {
    const total = setup.example.spec.programs.length * replicas;
    return seen.corePod?.status?.readyProcesses === `${total}/${total}` && (seen.corePod.status.pods ?? []).length === replicas;
  }
  return seen.pods.length === replicas && seen.pods.every(podReady);
}

async function apply(setup: Setup, subject: Subject, objects: object[]): Promise<void> {
  const namespace = setup.namespaces.get(label(subject))!.name;
  await kubectl(['apply', '-n', namespace, '-f', '-'], { input: objects.map((o) => JSON.stringify(o)).join('\n') });
}

async function remove(setup: Setup, subject: Subject, name: string): Promise<void> {
  const namespace = setup.namespaces.get(label(subject))!.name;
  const kind = subject.kind === 'corepod' ? 'corepod' : 'deployment';
  await kubectl(['delete', '-n', namespace, kind, name, '--wait=true']);
  if (subject.kind === 'supervisord') await kubectl(['delete', '-n', namespace, 'configmap', name, '--ignore-not-found']);
  // Terminating pods included: until the kubelet has removed them (the namespace holds this object's pods only).
  await until(`${namespace} to hold no pod`, 180_000, async () => (await setup.api.list<V1Pod & KubeObject>(RESOURCES.pod, { namespace })).items.length === 0);
}

/** Milestones of one start, in seconds after `kubectl apply` began (first seen by polling every 50 ms). */
export interface StartTimeline {
  podCreated?: number;
  containerRunning?: number;
  /** CorePod only: every program RUNNING in the CorePod status. */
  programsRunning?: number;
  /** Others: every program answers its health check, polled every 10 ms inside the pod's network namespace. */
  programsAnswering?: number;
  podReady?: number;
  ready: number;
}

const MILESTONES = ['podCreated', 'containerRunning', 'programsRunning', 'programsAnswering', 'podReady'] as const;

/**
 * When every program of the pod whose container runs `pid` answers its httpGet check: one poller
 * in the pod's network namespace (nsenter; this node, the host's files), every 10 ms, told by the
 * first line it prints. What the kubelet's readiness probe, at most once a second, only samples.
 */
function answering(pid: number, checks: readonly { port: number; path: string }[]): { when: Promise<number | undefined>; stop(): void } {
  const script = `const http = require('node:http');
const checks = ${JSON.stringify(checks)};
const ok = new Set();
const poll = () => {
  for (const check of checks) {
    if (ok.has(check.port)) continue;
    const request = http.get({ host: '127.0.0.1', port: check.port, path: check.path, timeout: 500 }, (response) => {
      response.resume();
      if (response.statusCode < 400) ok.add(check.port);
      if (ok.size === checks.length) { process.stdout.write('answering\\n'); process.exit(0); }
    });
    request.on('error', () => {});
    request.on('timeout', () => request.destroy());
  }
  setTimeout(poll, 10);
};
poll();`;
  const child = spawn('nsenter', ['-t', String(pid), '-n', '--', process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  const when = new Promise<number | undefined>((resolve) => {
    child.stdout.once('data', () => resolve(performance.now()));
    child.once('exit', () => resolve(undefined));
  });
  return { when, stop: () => child.kill('SIGKILL') };
}

/** One fresh object per start: `kubectl apply` → READY, then deleted. */
async function measureStart(setup: Setup, subject: Subject, index: number): Promise<StartTimeline> {
  const name = `start-${index}`;
  const objects = manifests(setup, subject, name, 1);
  const started = performance.now();
  const seen: Partial<Record<(typeof MILESTONES)[number], number>> = {};
  const mark = (milestone: (typeof MILESTONES)[number], reached: boolean) => {
    if (reached && seen[milestone] === undefined) seen[milestone] = (performance.now() - started) / 1000;
  };
  const checks = setup.example.spec.programs.flatMap((p) =>
    p.healthCheck?.httpGet ? [{ port: Number(p.healthCheck.httpGet.port), path: p.healthCheck.httpGet.path ?? '/' }] : [],
  );
  let poller: ReturnType<typeof answering> | undefined;
  await apply(setup, subject, objects);
  await until(`${label(subject)} ${name} READY`, 300_000, async () => {
    const seenNow = await observe(setup, subject, name);
    const [pod] = seenNow.pods;
    mark('podCreated', pod !== undefined);
    const app = pod?.status?.containerStatuses?.find((c) => c.name === 'app' && c.state?.running);
    mark('containerRunning', app !== undefined);
    if (subject.kind !== 'corepod' && app?.containerID && !poller) {
      const [pid] = containerPids(app.containerID.replace(/^containerd:\/\//, ''));
      if (pid !== undefined) poller = answering(pid, checks);
    }
    mark('podReady', pod !== undefined && podReady(pod));
    if (seenNow.corePod) {
      const processes = seenNow.corePod.status?.pods?.[0]?.processes ?? [];
      mark('programsRunning', processes.length === setup.example.spec.programs.length && processes.every((p) => p.state === 'RUNNING'));
    }
    return allReady(setup, subject, seenNow, 1);
  });
  const ready = (performance.now() - started) / 1000;
  if (poller) {
    const at = await Promise.race([poller.when, sleep(30_000).then(() => undefined)]);
    poller.stop();
    if (at === undefined) throw new Error(`${label(subject)} ${name}: its programs never all answered their health checks`);
    seen.programsAnswering = (at - started) / 1000;
  }
  const timeline: StartTimeline = { ...seen, ready };
  await remove(setup, subject, name);
  return timeline;
}

interface Footprint {
  /** Per pod: the supervisor's processes (the sidecar-init: tini + node; supervisord; sh for the floor). */
  supervisorPss: number[];
  supervisorPrivate: number[];
  supervisorRss: number[];
  /** Per pod: every process of the app container. */
  containerPss: number[];
  /** Node disk a pod adds: its kubelet directory and its container's writable layer (image layers are shared by all). */
  diskPerPod: number;
  /** Of which the kubelet's pod directories (emptyDirs, the copy of the runtime). */
  podDirPerPod: number;
}

function duBytes(dir: string): number {
  return Number(execFileSync('du', ['-sxb', dir], { encoding: 'utf8' }).split('\t')[0]);
}

/** The writable layers (overlay upperdirs) mounted in the process's mount namespace: its rootfs and any other snapshot it writes. */
function upperDirs(pid: number): string[] {
  const mountinfo = fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
  return [...new Set([...mountinfo.matchAll(/upperdir=([^,\s]+)/g)].map((m) => m[1]!))];
}

/** Host pids of the processes in the cgroup of container `containerId`. */
function containerPids(containerId: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cgroup`, 'utf8').includes(containerId)) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

/**
 * The container's processes that are not a program or below one. The programs are the pids the
 * sidecar-init reports in the CorePod status (pids of the container's namespace), else PID 1's children.
 */
function supervisorPids(pids: number[], programNamespacePids: number[] | undefined): number[] {
  const table = processTable();
  const one = pids.find((pid) => namespacePid(pid) === 1);
  if (one === undefined) throw new Error(`no PID 1 among ${pids.join(', ')}`);
  const programs = programNamespacePids
    ? pids.filter((pid) => programNamespacePids.includes(namespacePid(pid) ?? -1))
    : [...table.values()].filter((p) => p.ppid === one).map((p) => p.pid);
  const outside = new Set(programs.flatMap((pid) => [pid, ...descendants(pid, table)]));
  return pids.filter((pid) => !outside.has(pid));
}

const sum = (pids: number[], field: 'pss' | 'rss' | 'private') => pids.reduce((total, pid) => total + (memoryBreakdown(pid)?.[field] ?? 0), 0);

async function measureFootprint(setup: Setup, subject: Subject): Promise<Footprint> {
  const name = 'footprint';
  const state = stateDir();
  await apply(setup, subject, manifests(setup, subject, name, PODS));
  await until(`${PODS} ${label(subject)} pods READY`, 600_000, async () => allReady(setup, subject, await observe(setup, subject, name), PODS));
  // Let start-up garbage settle the way a pod that has served for a while would have.
  await sleep(20_000);
  const { pods, corePod } = await observe(setup, subject, name);
  const footprint: Footprint = { supervisorPss: [], supervisorPrivate: [], supervisorRss: [], containerPss: [], diskPerPod: 0, podDirPerPod: 0 };
  let podDirs = 0;
  let writableLayers = 0;
  for (const pod of pods) {
    const id = pod.status!.containerStatuses!.find((c) => c.name === 'app')!.containerID!.replace(/^containerd:\/\//, '');
    const pids = containerPids(id);
    const programs = corePod?.status?.pods?.find((p) => p.name === pod.metadata!.name)?.processes.flatMap((p) => (p.pid === undefined ? [] : [p.pid]));
    if (corePod && programs?.length !== setup.example.spec.programs.length) throw new Error(`${pod.metadata!.name}: the CorePod status has no pid for every program`);
    const supervisor = supervisorPids(pids, programs);
    footprint.supervisorPss.push(sum(supervisor, 'pss'));
    footprint.supervisorPrivate.push(sum(supervisor, 'private'));
    footprint.supervisorRss.push(sum(supervisor, 'rss'));
    footprint.containerPss.push(sum(pids, 'pss'));
    podDirs += duBytes(`${state}/kubelet/pods/${pod.metadata!.uid}`);
    writableLayers += upperDirs(pids[0]!).reduce((total, dir) => total + duBytes(dir), 0);
  }
  footprint.diskPerPod = (podDirs + writableLayers) / pods.length;
  footprint.podDirPerPod = podDirs / pods.length;
  await remove(setup, subject, name);
  return footprint;
}

async function main(): Promise<number> {
  if (!Number.isInteger(STARTS) || STARTS < 1 || !Number.isInteger(PODS) || PODS < 1) {
    process.stderr.write('--starts and --pods: expected positive integers\n');
    return 2;
  }
  const machineBefore = await machineFacts();
  const setup = await setUp();
  const starts = new Map<string, StartTimeline[]>(SUBJECTS.map((s) => [label(s), []]));
  const footprints = new Map<string, Footprint>();
  const interrupted = () => {
    log('interrupted: removing the namespaces');
    void tearDown(setup).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    // Rounds alternate the subjects, so a slow moment of the machine hits each alike.
    for (let round = 0; round < STARTS; round++) {
      for (const subject of SUBJECTS) {
        const timeline = await measureStart(setup, subject, round);
        starts.get(label(subject))!.push(timeline);
        log(`start ${round + 1}/${STARTS} ${label(subject)}: ${JSON.stringify(timeline)}`);
      }
    }
    for (const subject of FOOTPRINT_SUBJECTS) {
      log(`${PODS} pods of ${label(subject)}`);
      footprints.set(label(subject), await measureFootprint(setup, subject));
    }
  } finally {
    await tearDown(setup);
  }
  const s = (key: string, milestone: keyof StartTimeline = 'ready') => {
    const values = starts.get(key)!.flatMap((t) => (t[milestone] === undefined ? [] : [t[milestone]]));
    return values.length > 0 ? median(values) : undefined;
  };
  const milestoneRows: Row[] = MILESTONES.map((milestone) => ({
    metric: `… of which apply → ${milestone}, median`,
    unit: 's',
    decimals: 2,
    values: { corepod: s('corepod-iv', milestone), supervisord: s('supervisord', milestone), baseline: s('floor', milestone) },
  }));
  const f = (key: string) => footprints.get(key)!;
  const mib = (values: number[]) => median(values) / MiB;
  const rows: Row[] = [
    {
      metric: 'kubectl apply → READY 3/3, runtime as an image volume, median',
      unit: 's',
      decimals: 2,
      values: { corepod: s('corepod-iv'), supervisord: s('supervisord'), baseline: s('floor') },
      checks: [{ kind: 'ratio', against: 'baseline', op: '<=', limit: 1.3 }],
    },
    ...milestoneRows,
    {
      metric:
        "kubectl apply → READY 3/3, image volume, against the floor's programs all answering their health checks (polled every 10 ms inside the pod, not sampled by a 1 s probe, and all three, not nginx alone), median",
      unit: 's',
      decimals: 2,
      values: { corepod: s('corepod-iv'), supervisord: s('supervisord', 'programsAnswering'), baseline: s('floor', 'programsAnswering') },
      checks: [{ kind: 'ratio', against: 'baseline', op: '<=', limit: 1.3 }],
    },
    {
      metric: 'kubectl apply → READY 3/3, image volume, against a floor starting the programs in order (each once the previous one answers on its port), median',
      unit: 's',
      decimals: 2,
      values: { corepod: s('corepod-iv'), baseline: s('floor-ordered') },
      checks: [{ kind: 'ratio', against: 'baseline', op: '<=', limit: 1.3 }],
    },
    {
      metric:
        "kubectl apply → READY 3/3, image volume, against a bare floor without the programs' own Secrets (no env from a Secret, no TLS volume: nginx falls back to the image's certificate), median",
      unit: 's',
      decimals: 2,
      values: { corepod: s('corepod-iv'), baseline: s('floor-bare') },
      checks: [{ kind: 'ratio', against: 'baseline', op: '<=', limit: 1.3 }],
    },
    { metric: 'kubectl apply → READY 3/3, runtime copied by an init container, median', unit: 's', decimals: 2, values: { corepod: s('corepod-copy'), baseline: s('floor') } },
    {
      metric: `supervisor PSS per pod, ${PODS} pods, image volume`,
      unit: 'MiB',
      values: { corepod: mib(f('corepod-iv').supervisorPss), supervisord: mib(f('supervisord').supervisorPss), baseline: mib(f('floor').supervisorPss) },
      checks: [{ kind: 'ratio', against: 'supervisord', op: '<=', limit: 0.6 }],
    },
    {
      metric: `supervisor PSS per pod, ${PODS} pods, copy`,
      unit: 'MiB',
      values: { corepod: mib(f('corepod-copy').supervisorPss), supervisord: mib(f('supervisord').supervisorPss) },
    },
    {
      metric: `supervisor private memory per pod, image volume`,
      unit: 'MiB',
      values: { corepod: mib(f('corepod-iv').supervisorPrivate), supervisord: mib(f('supervisord').supervisorPrivate) },
    },
    {
      metric: `supervisor private memory per pod, copy`,
      unit: 'MiB',
      values: { corepod: mib(f('corepod-copy').supervisorPrivate), supervisord: mib(f('supervisord').supervisorPrivate) },
    },
    {
      metric: `supervisor RSS per pod, image volume`,
      unit: 'MiB',
      values: { corepod: mib(f('corepod-iv').supervisorRss), supervisord: mib(f('supervisord').supervisorRss) },
    },
    {
      metric: 'whole container PSS per pod (the supervisor + the three programs), image volume',
      unit: 'MiB',
      values: { corepod: mib(f('corepod-iv').containerPss), supervisord: mib(f('supervisord').containerPss), baseline: mib(f('floor').containerPss) },
    },
    {
      metric: 'node disk added per pod, image volume',
      unit: 'MiB',
      values: { corepod: f('corepod-iv').diskPerPod / MiB, supervisord: f('supervisord').diskPerPod / MiB, baseline: f('floor').diskPerPod / MiB },
    },
    { metric: 'node disk added per pod, copy', unit: 'MiB', values: { corepod: f('corepod-copy').diskPerPod / MiB, baseline: f('floor').diskPerPod / MiB } },
    { metric: 'of which the kubelet pod directory (emptyDirs), image volume', unit: 'MiB', values: { corepod: f('corepod-iv').podDirPerPod / MiB } },
    { metric: "of which the kubelet pod directory (emptyDirs: the runtime's copy), copy", unit: 'MiB', values: { corepod: f('corepod-copy').podDirPerPod / MiB } },
  ];
  const result: BenchResult = {
    name: 'pods',
    title: `DreamScape on the local cluster: apply → READY, and ${PODS} pods' memory and disk`,
    baseline: 'plain Deployment, shell script, kubelet readiness probe on nginx',
    rows,
    notes: [
      `${STARTS} starts per subject, rounds alternating the subjects; each start is a fresh object (kubectl apply → READY), deleted before the next`,
      "corepod: the CorePod's READY column (status.readyProcesses 3/3, the operator's roll-up of what the sidecar-init reports); others: the pod's Ready condition (readiness probe every 1 s)",
      `memory: /proc/<pid>/smaps_rollup summed over the supervisor's processes (the sidecar-init: tini + node; supervisord; the floor's sh), with ${PODS} pods of that subject on the node, 20 s after READY; median over the pods`,
      "node disk per pod: du of the kubelet's pod directory (emptyDirs, so the runtime's copy) + the app container's writable overlay layer; the image layers and the image volume's read-only view are shared by every pod on the node",
    ],
    details: { starts: Object.fromEntries(starts), footprints: Object.fromEntries(footprints) },
  };
  const machineAfter = await machineFacts();
  const text = `${formatMachine(machineBefore, machineAfter)}\n\n${formatResult(result)}`;
  process.stdout.write(`${text}\n`);
  const out = path.join(repoRoot, 'bench/results');
  fs.mkdirSync(out, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  fs.writeFileSync(path.join(out, `${stamp}-pods.json`), JSON.stringify(result, null, 2));
  fs.writeFileSync(path.join(out, `${stamp}-pods.md`), `${text}\n`);
  return 0;
}

process.exitCode = await main();
