// 6. PID 1 under an orphan storm: CorePod started as the pod starts it (corepod-init as PID 1 of
// `unshare --pid --fork --mount-proc`, see lib/pod-init.ts; `node bin/corepod.js run` as PID 1
// where corepod-init cannot be built) with a program that keeps making orphans (a subshell starts `sleep 0.02 &` and exits at once, so the
// sleep is reparented to the namespace's reaper and becomes a zombie when it ends); the same
// program under supervisord as PID 1, and under tini alone (the baseline). The namespace's
// processes are sampled from the host by walking /proc/<pid>/task/<tid>/children from its PID 1;
// a zombie's age is bounded below by (now − first seen) and above by (now − the scan before).
// One scan reads the processes one by one over a fraction of a millisecond (tens of ms when the
// sampler is preempted), so zombies seen in one scan need not have existed together: each one found
// is read a second time right after the scan, and those still zombies at that second read did
// coexist (a zombie stays one until it is reaped, and every first read precedes every second read).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Bench, BenchContext } from './lib/bench.js';
import { allIn, startCorepod } from './lib/corepod-runner.js';
import { startPodInit } from './lib/pod-init.js';
import { processName, readProc } from '../lib/procfs.js';
import { bashSleep, shellQuote } from './lib/program.js';
import type { BenchResult } from './lib/report.js';
import { exitOf, nowMs, sleep, withScope } from './lib/scope.js';
import { waitFor } from '../lib/wait-for.js';
import { max, median } from './lib/stats.js';
import { allStates, nsInitOf, startSupervisord } from './lib/supervisord-runner.js';

const SIZES = { tiny: { orphans: 40, pauseSeconds: 0.005 }, full: { orphans: 2000, pauseSeconds: 0.005 } };

/** The processes below root (inclusive), from the kernel's per-thread children lists. */
export function subtree(root: number): number[] {
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    out.push(pid);
    let tasks: string[];
    try {
      tasks = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      try {
        for (const child of fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ')) if (child) queue.push(Number(child));
      } catch {
        // exited meanwhile
      }
    }
  }
  return out;
}

export interface ZombieWatch {
  scans: number;
  scanGapsMs: number[];
  /** Most init-chain zombies (parent: namespace PID 1, tini, the supervisor) seen in one scan. */
  maxZombies: number;
  /** Most init-chain zombies that existed at one instant: still zombies when read again after the scan. */
  maxZombiesConfirmed: number;
  /** Scans that found more than one init-chain zombie that coexisted (confirmed by the second read). */
  scansAboveOneConfirmed: number;
  /** How long each scan took (first read to last read), ms: the window "seen in one scan" spans. */
  scanDurationsMs: number[];
  /** Durations of the scans that saw more than one init-chain zombie. */
  scanDurationsAboveOneMs: number[];
  /** Most zombies at once of any parent (a program's own children waiting for it included). */
  maxZombiesAnyParent: number;
  /** Scans that saw more than one init-chain zombie. */
  scansAboveOne: number;
  /** Greatest (now − first seen) of an init-chain zombie: its age was at least this. */
  maxAgeMinMs: number;
  /** Greatest (now − scan before it was first seen) of an init-chain zombie: its age was at most this. */
  maxAgeMaxMs: number;
  zombiesSeen: number;
  maxProcesses: number;
  /** Zombies seen by the command name of their parent (who was to reap them). */
  byParent: Record<string, number>;
}

export class ZombieSampler {
  private readonly firstSeen = new Map<number, { min: number; max: number }>();
  private previousScan: number | undefined;
  readonly watch: ZombieWatch = {
    scans: 0,
    scanGapsMs: [],
    maxZombies: 0,
    maxZombiesConfirmed: 0,
    scansAboveOneConfirmed: 0,
    scanDurationsMs: [],
    scanDurationsAboveOneMs: [],
    maxZombiesAnyParent: 0,
    scansAboveOne: 0,
    maxAgeMinMs: 0,
    maxAgeMaxMs: 0,
    zombiesSeen: 0,
    maxProcesses: 0,
    byParent: {},
  };

  constructor(
    private readonly root: () => number | undefined,
    private readonly initChain: () => readonly number[],
  ) {}

  scan(): void {
    const root = this.root();
    if (root === undefined) return;
    const now = nowMs();
    const pids = subtree(root);
    const zombies = new Map<number, number>();
    for (const pid of pids) {
      const info = readProc(pid);
      if (info?.state === 'Z') zombies.set(pid, info.ppid);
    }
    const scanned = nowMs();
    const chain = new Set(this.initChain());
    // The second read, at once, of the init-chain zombies only (the others are not judged).
    let confirmed = 0;
    for (const [pid, ppid] of zombies) if (chain.has(ppid) && readProc(pid)?.state === 'Z') confirmed++;
    const w = this.watch;
    w.scans++;
    if (this.previousScan !== undefined) w.scanGapsMs.push(now - this.previousScan);
    w.maxProcesses = Math.max(w.maxProcesses, pids.length);
    w.maxZombiesAnyParent = Math.max(w.maxZombiesAnyParent, zombies.size);
    let ours = 0;
    for (const [pid, ppid] of zombies) {
      let seen = this.firstSeen.get(pid);
      if (!seen) {
        seen = { min: now, max: this.previousScan ?? now };
        this.firstSeen.set(pid, seen);
        w.zombiesSeen++;
        const parent = processName(ppid);
        w.byParent[parent] = (w.byParent[parent] ?? 0) + 1;
      }
      if (!chain.has(ppid)) continue;
      ours++;
      w.maxAgeMinMs = Math.max(w.maxAgeMinMs, now - seen.min);
      w.maxAgeMaxMs = Math.max(w.maxAgeMaxMs, now - seen.max);
    }
    w.maxZombies = Math.max(w.maxZombies, ours);
    w.maxZombiesConfirmed = Math.max(w.maxZombiesConfirmed, confirmed);
    w.scanDurationsMs.push(scanned - now);
    if (ours > 1) {
      w.scansAboveOne++;
      w.scanDurationsAboveOneMs.push(scanned - now);
    }
    if (confirmed > 1) w.scansAboveOneConfirmed++;
    for (const pid of this.firstSeen.keys()) if (!zombies.has(pid)) this.firstSeen.delete(pid);
    this.previousScan = now;
  }
}

type Who = 'corepod' | 'supervisord' | 'baseline';

interface StormRun {
  watch: ZombieWatch;
  stormSeconds: number;
  exitCode: number | undefined;
  /** CorePod started by the pod's command (corepod-init → tini → supervisor). */
  podInit?: boolean;
}

async function storm(who: Who, sizes: { orphans: number; pauseSeconds: number }): Promise<StormRun> {
  return withScope(async (scope) => {
    const dir = scope.tempDir(`orphans-${who}`);
    const fifo = path.join(dir, 'sleep.fifo');
    const started = path.join(dir, 'storm-started');
    const done = path.join(dir, 'storm-done');
    execFileSync('mkfifo', [fifo]);
    const script = [
      // A second's pause first, for the sampler to find the namespace's processes.
      bashSleep(fifo, 1),
      `echo "$EPOCHREALTIME" > ${shellQuote(started)}`,
      `n=0; while [ $n -lt ${sizes.orphans} ]; do ( sleep 0.02 & ); n=$((n+1)); ${bashSleep(fifo, sizes.pauseSeconds)}; done`,
      `echo "$EPOCHREALTIME" > ${shellQuote(done)}`,
      `while :; do ${bashSleep(fifo, 3600)}; done`,
    ].join('; ');
    const program = { name: 'orphan-maker', command: ['bash', '-c', script], startSeconds: 0, autorestart: false, stopWaitSeconds: 2 };
    let chain: number[];
    let stop: () => Promise<number | undefined>;
    const pod = who === 'corepod' ? await startPodInit(scope, [program]) : undefined;
    if (pod) {
      // As the pod starts it: corepod-init execs tini as PID 1, the supervisor runs under it.
      await pod.waitStates(['RUNNING', 'EXITED'], 'the orphan maker started', 60_000);
      chain = await waitFor(
        'the init chain (tini, supervisor)',
        () => {
          const supervisor = pod.supervisorPid();
          return supervisor === undefined ? undefined : [pod.tini, supervisor];
        },
        10_000,
      );
      stop = () => pod.stop(30_000);
    } else if (who === 'corepod') {
      // No cc here: `node corepod.js run` as PID 1 (it execs tini, or on Node < 22.15 stays a node shim running tini -s; then the supervisor).
      const corepod = startCorepod(scope, { pid1: true, programs: [program] });
      await corepod.waitStates(allIn('RUNNING', 'EXITED'), 'the orphan maker started', 60_000);
      chain = await waitFor(
        'the init chain (tini, supervisor)',
        () => {
          const supervisor = corepod.supervisorPid();
          return supervisor === undefined ? undefined : [...corepod.frontPids(), supervisor];
        },
        10_000,
      );
      stop = () => corepod.stop(30_000);
    } else if (who === 'supervisord') {
      const supervisord = startSupervisord(scope, [program], { pid1: true });
      await supervisord.waitStates(allStates('RUNNING', 'EXITED'), 'the orphan maker started', 60_000);
      chain = [supervisord.pid];
      stop = () => supervisord.stop(30_000);
    } else {
      // tini alone as PID 1, running the storm directly: the floor for any tini-based reaping.
      const child = scope.spawn('unshare', ['--pid', '--fork', '--mount-proc', 'tini', '--', ...program.command]);
      const tini = await waitFor('tini in the namespace', () => nsInitOf(child.pid!), 10_000, 10);
      chain = [tini];
      stop = async () => {
        process.kill(tini, 'SIGTERM');
        return exitOf(child, 30_000);
      };
    }
    const sampler = new ZombieSampler(
      () => chain[0],
      () => chain,
    );
    let sampling = true;
    const loop = (async () => {
      while (sampling) {
        sampler.scan();
        // ~1 ms apart: fine enough for a 50 ms bound, without taking a whole core of two.
        await sleep(1);
      }
    })();
    try {
      await waitFor('the storm to end', () => fs.existsSync(done), sizes.orphans * 200 + 60_000, 50);
      await sleep(500);
    } finally {
      sampling = false;
      await loop;
    }
    const stormSeconds = Number(fs.readFileSync(done, 'utf8')) - Number(fs.readFileSync(started, 'utf8'));
    const exitCode = await stop();
    return { watch: sampler.watch, stormSeconds, exitCode, podInit: pod !== undefined };
  });
}

export const orphanStorm: Bench = {
  name: 'orphan-storm',
  title: '6. PID 1 (unshare --pid --fork --mount-proc) under an orphan storm: CorePod, supervisord, bare tini',
  async run(context: BenchContext): Promise<BenchResult> {
    const sizes = SIZES[context.size];
    const who: Who[] = ['corepod', ...(context.peers.has('supervisord') ? (['supervisord'] as const) : []), 'baseline'];
    const runs: Partial<Record<Who, StormRun>> = {};
    for (const w of who) {
      context.log(`orphan-storm: ${w}`);
      runs[w] = await storm(w, sizes);
    }
    const values = (f: (w: ZombieWatch) => number) => Object.fromEntries(Object.entries(runs).map(([k, r]) => [k, f(r!.watch)]));
    const c = runs.corepod!;
    return {
      name: 'orphan-storm',
      title: this.title,
      baseline: 'tini alone as PID 1',
      rows: [
        {
          metric: 'zombies of the init chain at once (max over scans, each read twice)',
          unit: 'zombies',
          decimals: 0,
          values: values((w) => w.maxZombiesConfirmed),
          checks: [{ kind: 'absolute', op: '<=', limit: 1 }],
        },
        { metric: 'scans with more than one init-chain zombie at once (read twice)', unit: 'scans', decimals: 0, values: values((w) => w.scansAboveOneConfirmed) },
        { metric: 'init-chain zombies seen in one scan (max; not necessarily together)', unit: 'zombies', decimals: 0, values: values((w) => w.maxZombies) },
        { metric: 'scans that saw more than one init-chain zombie', unit: 'scans', decimals: 0, values: values((w) => w.scansAboveOne) },
        { metric: 'scan duration, median', unit: 'ms', decimals: 3, values: values((w) => median(w.scanDurationsMs)) },
        { metric: 'scan duration, max', unit: 'ms', decimals: 2, values: values((w) => max(w.scanDurationsMs)) },
        {
          metric: 'scan duration of the scans that saw more than one, median',
          unit: 'ms',
          decimals: 3,
          values: values((w) => (w.scanDurationsAboveOneMs.length > 0 ? median(w.scanDurationsAboveOneMs) : Number.NaN)),
        },
        { metric: 'zombies of any parent at once (max over scans)', unit: 'zombies', decimals: 0, values: values((w) => w.maxZombiesAnyParent) },
        {
          metric: 'oldest init-chain zombie, lower bound (now − first seen)',
          unit: 'ms',
          decimals: 1,
          values: values((w) => w.maxAgeMinMs),
          checks: [{ kind: 'absolute', op: '<=', limit: 50 }],
        },
        { metric: 'oldest init-chain zombie, upper bound (now − scan before first seen)', unit: 'ms', decimals: 1, values: values((w) => w.maxAgeMaxMs) },
        { metric: 'zombies seen (distinct)', unit: 'zombies', decimals: 0, values: values((w) => w.zombiesSeen) },
        { metric: 'scan interval, median', unit: 'ms', decimals: 2, values: values((w) => median(w.scanGapsMs)) },
        { metric: 'scan interval, max', unit: 'ms', decimals: 2, values: values((w) => max(w.scanGapsMs)) },
      ],
      notes: [
        `${sizes.orphans} orphans per run: CorePod's took ${c.stormSeconds.toFixed(1)} s (≈ ${Math.round(sizes.orphans / c.stormSeconds)}/s), ${c.watch.scans} scans of the namespace's process tree (up to ${c.watch.maxProcesses} processes); exit codes: ${Object.entries(
          runs,
        )
          .map(([k, r]) => `${k} ${r!.exitCode}`)
          .join(', ')}.`,
        'A zombie younger than the longest gap between two scans can be missed; an older one cannot.',
        'A scan reads the tree and each process\'s state one file at a time, so the zombies one scan sees may not have existed together (one reaped before the next was read). "At once" counts only the init-chain zombies still zombies when read a second time right after the scan: every first read precedes every second read, and a zombie stays one until reaped, so those coexisted at the moment between the last first read and the first second read.',
        `Zombies by parent (CorePod run): ${
          Object.entries(c.watch.byParent)
            .map(([comm, n]) => `${comm} ${n}`)
            .join(', ') || 'none seen'
        } (bash: the program's own subshells, waiting for the program to reap them; tini: orphans; node: the supervisor's own children).`,
        c.podInit
          ? "Init chain: CorePod: started by the pod's command (corepod-init, built from sidecar/runtime/corepod-init.c with the host's cc, execs tini as PID 1) — tini and the supervisor; supervisord: itself as PID 1; baseline: tini as PID 1 running the storm program directly."
          : "Init chain: CorePod: `node corepod.js run` as PID 1 (no cc to build corepod-init here): node execs tini as the namespace's PID 1 (process.execve; on Node < 22.15 node stays PID 1 as a shim and runs tini -s, the nearest subreaper, which orphans go to) and the supervisor; supervisord: itself as PID 1; baseline: tini as PID 1 running the storm program directly.",
      ],
      details: { sizes, runs: Object.fromEntries(Object.entries(runs).map(([k, r]) => [k, { ...r, watch: { ...r!.watch, scanGapsMs: undefined, scanDurationsMs: undefined } }])) },
    };
  },
};
