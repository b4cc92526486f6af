// The chaos soak: several CorePods on the local cluster, two operator replicas with leader
// election, a seeded schedule of faults, the invariants checked as it goes, a table at the end.
//   node dist/e2e/soak/soak.js --duration 30m --seed 7 [--report FILE]     (make soak DURATION=30m SEED=7)
// Exit code 0 when no invariant was violated, 1 otherwise, 2 for bad arguments.
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { KubeObject } from '../../kube/kube-api.js';
import { RESOURCES } from '../../kube/resources.js';
import { stateDir } from '../cluster/cluster.js';
import { clusterApi, createNamespace, installCrd, kubectl } from '../support/cluster-env.js';
import { buildImages, dreamscapeSecrets, IMAGES } from '../support/corepod-stage.js';
import { LOGGER, manifest, soakCorePods, type SoakCorePod } from './corepods.js';
import { inject, type FaultContext } from './faults.js';
import { ContainerLogs, emptyDirPath, podProcesses, readRotated } from './host.js';
import {
  convergence,
  convergenceViolations,
  crashInLine,
  duplicateOwned,
  eventRate,
  logContinuity,
  matches,
  memoryBound,
  quantile,
  recoveries,
  StatusEntryCheck,
  violationsByInvariant,
  ZombieCheck,
  type Convergence,
  type CorePodSample,
  type EventSample,
  type InvariantName,
  type Violation,
} from './invariants.js';
import { OperatorReplicas, type OperatorExit } from './operators.js';
import { parseArgs } from './soak-args.js';
import { buildSchedule, countByKind, type Fault, type FaultKind } from './schedule.js';
import { OWNED } from '../../operator/controller/corepod-controller.js';

export interface SoakOptions {
  durationMs: number;
  seed: number;
  meanGapMs?: number;
  minGapMs?: number;
  /** Every CorePod must have settled this long after the last fault's end. */
  convergenceBoundMs?: number;
  sampleMs?: number;
  eventsPerMinute?: number;
  operatorRssMaxBytes?: number;
  /** A status entry may outlive its pod this long (the operator prunes on its next reconcile). */
  statusGraceMs?: number;
  zombieMinAgeMs?: number;
  log?: (line: string) => void;
}

export interface InjectedFault extends Fault {
  startedAt: number;
  endedAt: number;
  hit: boolean;
  detail: string;
  error?: string;
}

export interface SoakReport {
  seed: number;
  durationMs: number;
  kubernetes: string;
  faults: InjectedFault[];
  faultsByKind: Record<FaultKind, number>;
  violations: Violation[];
  violationsByInvariant: Record<InvariantName, number>;
  convergence: Convergence[];
  recovery: { p50?: number; p99?: number; samples: number; censored: number };
  eventsWorstPerMinute: number;
  operatorPeakRssBytes: number;
  operatorExits: OperatorExit[];
  observations: number;
  apiUnavailable: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms).unref())]);
}

type Json = Record<string, any>;

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const o = {
    meanGapMs: 20_000,
    minGapMs: 6_000,
    convergenceBoundMs: 300_000,
    sampleMs: 3_000,
    eventsPerMinute: 30,
    operatorRssMaxBytes: 256 * 2 ** 20,
    statusGraceMs: 60_000,
    zombieMinAgeMs: 10_000,
    log: (line: string) => console.log(line),
    ...options,
  };
  const schedule = buildSchedule({ seed: o.seed, durationMs: o.durationMs, meanGapMs: o.meanGapMs, minGapMs: o.minGapMs, warmupMs: 5_000 });
  let t0 = Date.now();
  const now = () => Date.now() - t0;
  const stamp = () => `[+${(now() / 1000).toFixed(1).padStart(7)} s]`;
  const log = (msg: string) => o.log(`${stamp()} ${msg}`);
  const violations: Violation[] = [];
  const violate = (v: Violation) => {
    violations.push(v);
    log(`VIOLATION ${v.invariant}: ${v.detail}`);
  };

  log(`soak: seed ${o.seed}, ${o.durationMs / 1000} s, ${schedule.length} faults scheduled, K8S_VERSION=${process.env.K8S_VERSION ?? '1.37'}`);
  await buildImages(['sidecar', 'dreamscape']);
  await installCrd();
  const { name: namespace, remove } = await createNamespace('soak');
  const api = await clusterApi();
  const corePods = soakCorePods();
  const expected = Object.fromEntries(corePods.map((cp) => [cp.name, cp.expected]));
  const state = stateDir();
  const containerLogs = new ContainerLogs(state, namespace);
  const operators = new OperatorReplicas(
    ['--namespace', namespace, '--sidecar-image', IMAGES.sidecar, '--leader-elect', '--leader-election-namespace', namespace, '--leader-election-id', 'corepod-soak'],
    now,
    (identity, why) => violate({ at: now(), invariant: 'log-crash', detail: `operator ${identity}: ${why}` }),
    log,
  );
  const samples: CorePodSample[] = [];
  const events = new Map<string, EventSample>();
  const statusCheck = new StatusEntryCheck(o.statusGraceMs);
  const zombieCheck = new ZombieCheck(o.zombieMinAgeMs);
  const seenProblems = new Set<string>();
  let pods: Json[] = [];
  let observations = 0;
  let apiUnavailable = 0;
  const faults: InjectedFault[] = [];

  const observe = async () => {
    observations++;
    const at = now();
    operators.sample();
    // The node: zombies in every pod of the namespace, the logger's rotated files, crash lines.
    const podName = new Map(pods.map((p) => [p.metadata.uid as string, p.metadata.name as string]));
    for (const [uid, processes] of podProcesses()) {
      const name = podName.get(uid);
      if (name) for (const v of zombieCheck.observe(at, name, processes)) violate(v);
    }
    for (const pod of pods.filter((p) => p.metadata.labels?.['app.kubernetes.io/instance'] === LOGGER.name)) {
      const lines = readRotated(emptyDirPath(state, pod.metadata.uid, LOGGER.volume), LOGGER.file, LOGGER.backups);
      for (const problem of lines ? logContinuity(lines) : []) {
        const key = `${pod.metadata.uid} ${problem.detail}`;
        if (seenProblems.has(key)) continue;
        seenProblems.add(key);
        violate({ at, invariant: 'rotated-log-continuity', detail: `${pod.metadata.name}: ${problem.kind}: ${problem.detail}` });
      }
    }
    for (const [file, line] of containerLogs.read()) {
      const why = crashInLine(line);
      if (why) violate({ at, invariant: 'log-crash', detail: `${file}: ${why}` });
    }
    // The apiserver: CorePods, pods, owned objects, Events.
    try {
      const selector = { namespace, labelSelector: 'app.kubernetes.io/managed-by=corepod-operator' };
      const [cps, podList, eventList, ...owned] = await withTimeout(
        Promise.all([
          api.list<KubeObject & Json>(RESOURCES.corePod, { namespace }),
          api.list<KubeObject & Json>(RESOURCES.pod, { namespace }),
          api.list<KubeObject & Json>(RESOURCES.event, { namespace }),
          ...OWNED.map((kind) => api.list<KubeObject>(RESOURCES[kind], selector)),
        ]),
        10_000,
        'list',
      );
      const listedAt = now();
      pods = podList.items;
      for (const cp of corePods) {
        const live = cps.items.find((c) => c.metadata?.name === cp.name);
        samples.push({
          at: listedAt,
          name: cp.name,
          ready: live?.status?.readyProcesses,
          phase: live?.status?.phase,
          observed: live !== undefined && live.status?.observedGeneration === live.metadata?.generation,
        });
        const mine = pods.filter((p) => p.metadata.labels?.['app.kubernetes.io/instance'] === cp.name).map((p) => p.metadata.name as string);
        const entries = ((live?.status?.pods ?? []) as { name: string }[]).map((p) => p.name);
        for (const v of statusCheck.observe({ at: listedAt, corePod: cp.name, entries, pods: mine })) violate(v);
      }
      const kinds = OWNED.map((k) => RESOURCES[k].kind);
      const objects = owned.flatMap((list, i) =>
        list.items.map((item) => ({ kind: kinds[i]!, name: item.metadata!.name!, ownerUids: (item.metadata?.ownerReferences ?? []).map((r) => r.uid) })),
      );
      const livePods = cps.items.map((c) => ({ name: c.metadata!.name!, uid: c.metadata!.uid! }));
      for (const v of duplicateOwned(listedAt, livePods, objects)) {
        if (seenProblems.has(v.detail)) continue;
        seenProblems.add(v.detail);
        violate(v);
      }
      for (const e of eventList.items) {
        if (e.regarding?.kind !== 'CorePod' || !e.metadata?.uid) continue;
        events.set(e.metadata.uid, { uid: e.metadata.uid, createdAt: Date.parse(String(e.metadata.creationTimestamp)) - t0, regarding: e.regarding.name, reason: e.reason });
      }
    } catch {
      apiUnavailable++;
    }
  };

  const settled = () =>
    corePods.every((cp) => {
      const last = samples.filter((s) => s.name === cp.name).at(-1);
      return last !== undefined && matches(last, cp.expected);
    });

  try {
    await kubectl(['-n', namespace, 'apply', '-f', '-'], { input: await dreamscapeSecrets() });
    await operators.start(2);
    await kubectl(['-n', namespace, 'apply', '-f', '-'], { input: corePods.map((cp: SoakCorePod) => stringify(manifest(namespace, cp))).join('---\n') });
    log(`namespace ${namespace}: ${corePods.length} CorePods applied, 2 operator replicas; waiting until every one shows what it should`);
    const setupDeadline = Date.now() + 600_000;
    for (let streak = 0; streak < 3; ) {
      if (Date.now() > setupDeadline) {
        const last = corePods.map((cp) => samples.filter((s) => s.name === cp.name).at(-1));
        throw new Error(`soak setup: the CorePods did not settle within 10 min: ${JSON.stringify(last)}`);
      }
      await sleep(o.sampleMs);
      await observe();
      streak = settled() ? streak + 1 : 0;
    }
    // The clock starts now: faults and samples are timed from here.
    const shift = Date.now() - t0;
    t0 += shift;
    for (const s of samples) s.at -= shift;
    for (const v of violations) v.at -= shift;
    for (const e of events.values()) e.createdAt -= shift;
    log('settled; faults begin');

    let observing = true;
    const observer = (async () => {
      while (observing) {
        const started = Date.now();
        await observe();
        await sleep(Math.max(200, o.sampleMs - (Date.now() - started)));
      }
    })();

    const server = (await kubectl(['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}'])).stdout.trim();
    const apiserverPort = Number(new URL(server).port || 443);
    const ctx: FaultContext = {
      namespace,
      api,
      corePods,
      operators,
      podsOf: (name) =>
        pods
          .filter((p) => p.metadata.labels?.['app.kubernetes.io/instance'] === name && !p.metadata.deletionTimestamp)
          .map((p) => ({ name: p.metadata.name, uid: p.metadata.uid })),
      apiserverPort,
    };
    for (const fault of schedule) {
      const wait = fault.atMs - now();
      if (wait > 0) await sleep(wait);
      const startedAt = now();
      try {
        const r = await inject(ctx, fault);
        faults.push({ ...fault, startedAt, endedAt: now(), ...r });
        log(`fault ${fault.kind}${r.hit ? '' : ' (missed)'}: ${r.detail}`);
      } catch (error) {
        const message = (error as Error).message.slice(0, 300);
        faults.push({ ...fault, startedAt, endedAt: now(), hit: false, detail: 'failed', error: message });
        log(`fault ${fault.kind} failed: ${message}`);
      }
    }
    if (now() < o.durationMs) await sleep(o.durationMs - now());
    const lastEnd = Math.max(0, ...faults.map((f) => f.endedAt));
    log(`faults over (the last ended at +${(lastEnd / 1000).toFixed(1)} s); waiting up to ${o.convergenceBoundMs / 1000} s for every CorePod to settle`);
    const deadline = t0 + lastEnd + o.convergenceBoundMs + 2 * o.sampleMs;
    for (let streak = 0; streak < 5 && Date.now() < deadline; ) {
      await sleep(o.sampleMs);
      streak = settled() ? streak + 1 : 0;
    }
    observing = false;
    await observer;
    await observe();

    const results = convergence(samples, expected, lastEnd);
    for (const v of convergenceViolations(results, expected, o.convergenceBoundMs, now())) violate(v);
    const rate = eventRate([...events.values()], o.eventsPerMinute);
    for (const v of rate.violations) violate(v);
    await operators.stop();
    const memory = memoryBound(operators.rss, o.operatorRssMaxBytes);
    for (const v of memory.violations) violate(v);
    const rec = recoveries(
      samples,
      expected,
      faults.filter((f) => f.hit).map((f) => ({ start: f.startedAt, end: f.endedAt })),
    );
    return {
      seed: o.seed,
      durationMs: o.durationMs,
      kubernetes: process.env.K8S_VERSION ?? '1.37',
      faults,
      faultsByKind: countByKind(faults.filter((f) => f.hit)),
      violations,
      violationsByInvariant: violationsByInvariant(violations),
      convergence: results,
      recovery: { p50: quantile(rec.ms, 0.5), p99: quantile(rec.ms, 0.99), samples: rec.ms.length, censored: rec.censored },
      eventsWorstPerMinute: rate.worst,
      operatorPeakRssBytes: memory.peak,
      operatorExits: operators.exits,
      observations,
      apiUnavailable,
    };
  } finally {
    await operators.stop();
    api.close();
    await remove();
  }
}

const seconds = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);

/** The end-of-run table (Markdown). */
export function renderTable(r: SoakReport): string {
  const missed = r.faults.filter((f) => !f.hit).length;
  const lines = [
    `Soak: seed ${r.seed}, ${r.durationMs / 60_000} min of faults, Kubernetes ${r.kubernetes}; ${r.observations} observations (${r.apiUnavailable} with the apiserver unavailable)`,
    '',
    '| fault | injected |',
    '|---|---:|',
    ...Object.entries(r.faultsByKind).map(([k, n]) => `| ${k} | ${n} |`),
    `| **total** | **${r.faults.length - missed}** (${missed} found no target or failed) |`,
    '',
    '| invariant | violations |',
    '|---|---:|',
    ...Object.entries(r.violationsByInvariant).map(([k, n]) => `| ${k} | ${n} |`),
    `| **total** | **${r.violations.length}** |`,
    '',
    '| CorePod | settled after the last fault |',
    '|---|---:|',
    ...r.convergence.map((c) => `| ${c.name} | ${c.ms === undefined ? 'never' : seconds(c.ms)} |`),
    `| **p50 / p99** | **${seconds(
      quantile(
        r.convergence.flatMap((c) => (c.ms === undefined ? [] : [c.ms])),
        0.5,
      ),
    )} / ${seconds(
      quantile(
        r.convergence.flatMap((c) => (c.ms === undefined ? [] : [c.ms])),
        0.99,
      ),
    )}** |`,
    '',
    `Recovery after each fault (CorePods knocked off, back to READY/PHASE): p50 ${seconds(r.recovery.p50)}, p99 ${seconds(r.recovery.p99)} over ${r.recovery.samples} recoveries (${r.recovery.censored} still off when the next fault came).`,
    `Event objects per CorePod per minute: at most ${r.eventsWorstPerMinute}. Operator RSS peak: ${(r.operatorPeakRssBytes / 2 ** 20).toFixed(1)} MiB. Operator exits: ${r.operatorExits.filter((e) => e.injected).length} killed by the soak, ${r.operatorExits.filter((e) => e.leaseLost && !e.injected).length} after losing the lease, ${r.operatorExits.filter((e) => !e.injected && !e.leaseLost).length} other.`,
  ];
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`soak: ${(error as Error).message}`);
    process.exit(2);
  }
  const report = await runSoak(args);
  const table = renderTable(report);
  console.log(`\n${table}`);
  if (args.report) writeFileSync(args.report, `${JSON.stringify({ ...report, table }, null, 2)}\n`);
  process.exit(report.violations.length === 0 ? 0 : 1);
}
