// 6. PID 1 under an orphan storm: `unshare --pid --fork --mount-proc node bin/corepod.js run` with
// a program that keeps making orphans (a subshell starts `sleep 0.02 &` and exits at once, so the
// sleep is reparented to the namespace's reaper and becomes a zombie when it ends). The namespace's
// processes are sampled from the host by walking /proc/<pid>/task/<tid>/children from its PID 1;
// a zombie's age is bounded below by (now − first seen) and above by (now − the scan before).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Bench, BenchContext } from './lib/bench.js';
import { allIn, startCorepod } from './lib/corepod-runner.js';
import { readProc } from './lib/procfs.js';
import { bashSleep, shellQuote } from './lib/program.js';
import type { BenchResult } from './lib/report.js';
import { nowMs, sleep, waitFor, withScope } from './lib/scope.js';
import { max, median } from './lib/stats.js';

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
  /** Most zombies at once whose parent is the init chain (namespace PID 1, tini, the supervisor). */
  maxZombies: number;
  /** Most zombies at once of any parent (a program's own children waiting for it included). */
  maxZombiesAnyParent: number;
  /** Scans that found more than one init-chain zombie at once. */
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
  readonly watch: ZombieWatch = { scans: 0, scanGapsMs: [], maxZombies: 0, maxZombiesAnyParent: 0, scansAboveOne: 0, maxAgeMinMs: 0, maxAgeMaxMs: 0, zombiesSeen: 0, maxProcesses: 0, byParent: {} };

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
    const chain = new Set(this.initChain());
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
        const parent = readProc(ppid)?.comm ?? 'gone';
        w.byParent[parent] = (w.byParent[parent] ?? 0) + 1;
      }
      if (!chain.has(ppid)) continue;
      ours++;
      w.maxAgeMinMs = Math.max(w.maxAgeMinMs, now - seen.min);
      w.maxAgeMaxMs = Math.max(w.maxAgeMaxMs, now - seen.max);
    }
    w.maxZombies = Math.max(w.maxZombies, ours);
    if (ours > 1) w.scansAboveOne++;
    for (const pid of this.firstSeen.keys()) if (!zombies.has(pid)) this.firstSeen.delete(pid);
    this.previousScan = now;
  }
}

export const orphanStorm: Bench = {
  name: 'orphan-storm',
  title: '6. CorePod as PID 1 (unshare --pid --fork --mount-proc) under an orphan storm',
  async run(context: BenchContext): Promise<BenchResult> {
    const sizes = SIZES[context.size];
    return withScope(async (scope) => {
      const dir = scope.tempDir('orphans');
      const fifo = path.join(dir, 'sleep.fifo');
      const started = path.join(dir, 'storm-started');
      const done = path.join(dir, 'storm-done');
      execFileSync('mkfifo', [fifo]);
      const storm = [
        // A second's pause first, for the sampler to find the namespace's processes.
        bashSleep(fifo, 1),
        `echo "$EPOCHREALTIME" > ${shellQuote(started)}`,
        `n=0; while [ $n -lt ${sizes.orphans} ]; do ( sleep 0.02 & ); n=$((n+1)); ${bashSleep(fifo, sizes.pauseSeconds)}; done`,
        `echo "$EPOCHREALTIME" > ${shellQuote(done)}`,
        `while :; do ${bashSleep(fifo, 3600)}; done`,
      ].join('; ');
      const corepod = startCorepod(scope, { pid1: true, programs: [{ name: 'orphan-maker', command: ['bash', '-c', storm], startSeconds: 0, autorestart: false, stopWaitSeconds: 2 }] });
      await corepod.waitStates(allIn('RUNNING', 'EXITED'), 'the orphan maker started', 60_000);
      const chain = await waitFor('the init chain (shim, tini, supervisor)', () => {
        const supervisor = corepod.supervisorPid();
        return supervisor === undefined ? undefined : [...corepod.frontPids(), supervisor];
      }, 10_000);
      const sampler = new ZombieSampler(() => chain[0], () => chain);
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
      const code = await corepod.stop(30_000);
      const w = sampler.watch;
      return {
        name: 'orphan-storm',
        title: this.title,
        rows: [
          { metric: 'zombies of the init chain at once (max over scans)', unit: 'zombies', decimals: 0, values: { corepod: w.maxZombies }, checks: [{ kind: 'absolute', op: '<=', limit: 1 }] },
          { metric: 'scans with more than one init-chain zombie', unit: 'scans', decimals: 0, values: { corepod: w.scansAboveOne } },
          { metric: 'zombies of any parent at once (max over scans)', unit: 'zombies', decimals: 0, values: { corepod: w.maxZombiesAnyParent } },
          { metric: 'oldest init-chain zombie, lower bound (now − first seen)', unit: 'ms', decimals: 1, values: { corepod: w.maxAgeMinMs }, checks: [{ kind: 'absolute', op: '<=', limit: 50 }] },
          { metric: 'oldest init-chain zombie, upper bound (now − scan before first seen)', unit: 'ms', decimals: 1, values: { corepod: w.maxAgeMaxMs } },
          { metric: 'zombies seen (distinct)', unit: 'zombies', decimals: 0, values: { corepod: w.zombiesSeen } },
          { metric: 'scan interval, median / max', unit: 'ms', decimals: 2, values: { corepod: median(w.scanGapsMs), baseline: max(w.scanGapsMs) } },
        ],
        notes: [
          `${sizes.orphans} orphans in ${stormSeconds.toFixed(1)} s (≈ ${Math.round(sizes.orphans / stormSeconds)}/s), ${w.scans} scans of the namespace's process tree (up to ${w.maxProcesses} processes); corepod exited ${code}.`,
          'The "baseline" cell of the scan-interval row is the longest gap between two scans: a zombie younger than that can be missed, an older one cannot.',
          `Zombies by parent: ${Object.entries(w.byParent).map(([comm, n]) => `${comm} ${n}`).join(', ') || 'none seen'} (bash: the program's own subshells, waiting for the program to reap them; tini: orphans; node: the supervisor's own children). The init chain is the namespace's PID 1 (node shim), tini and the supervisor.`,
          'The reaper is tini (PID-1 node shim → tini -s → supervisor): orphans are reparented to tini, the nearest subreaper.',
        ],
        details: { sizes, watch: { ...w, scanGapsMs: undefined } },
      };
    });
  },
};
