// 5. SIGTERM → exit with three prompt children (priorities 10/20/30, each exits as soon as its
// TERM arrives): the time from the SIGTERM sent to the supervisor until it has exited, and when
// each child got its stop signal — written by the child itself ($EPOCHREALTIME in its bash trap).
// CorePod also as PID 1 of a pid namespace (the SIGTERM goes to PID 1, as the kubelet's does).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Bench, BenchContext } from './lib/bench.js';
import { allIn, startCorepod } from './lib/corepod-runner.js';
import { bashSleep, shellQuote, type ProgramDef } from './lib/program.js';
import type { BenchResult, Column } from './lib/report.js';
import { exitOf, nowMs, sleep, withScope, type Scope } from './lib/scope.js';
import { max, median } from './lib/stats.js';
import { startS6 } from './lib/s6-runner.js';
import { allStates, startSupervisord } from './lib/supervisord-runner.js';

const SIZES = { tiny: { runs: 1 }, full: { runs: 10 } };

function promptChildren(dir: string): { programs: ProgramDef[]; stamps: string[] } {
  const fifo = path.join(dir, 'sleep.fifo');
  execFileSync('mkfifo', [fifo]);
  const stamps: string[] = [];
  const programs = [10, 20, 30].map((priority) => {
    const stamp = path.join(dir, `got-term-${priority}`);
    stamps.push(stamp);
    const script = `trap 'echo $EPOCHREALTIME > ${shellQuote(stamp)}; exit 0' TERM; while :; do ${bashSleep(fifo, 3600)}; done`;
    return { name: `prompt-${priority}`, command: ['bash', '-c', script], priority, startSeconds: 1, autorestart: true, stopSignal: 'TERM' as const, stopWaitSeconds: 10 };
  });
  return { programs, stamps };
}

interface Stop {
  exitMs: number;
  /** ms after the SIGTERM at which each child got its stop signal. */
  signalMs: number[];
  exitCode: number | undefined;
}

type Who = 'corepod' | 'corepod-pid1' | 'supervisord' | 's6';

async function once(scope: Scope, who: Who): Promise<Stop> {
  const dir = scope.tempDir(`sigterm-${who}`);
  const { programs, stamps } = promptChildren(dir);
  let t0: number;
  let exitCode: number | undefined;
  if (who === 's6') {
    const s6 = startS6(scope, programs);
    await s6.waitUp('all up', 60_000);
    // startSeconds 1 for the others: up as long before the SIGTERM.
    await sleep(1200);
    t0 = nowMs();
    exitCode = await s6.stop(60_000);
  } else if (who === 'supervisord') {
    const supervisord = startSupervisord(scope, programs);
    await supervisord.waitStates(allStates('RUNNING'), 'all RUNNING', 60_000);
    await sleep(200);
    t0 = nowMs();
    supervisord.child.kill('SIGTERM');
    exitCode = await exitOf(supervisord.child, 60_000);
  } else {
    const corepod = startCorepod(scope, { programs, pid1: who === 'corepod-pid1' });
    await corepod.waitStates(allIn('RUNNING'), 'all RUNNING', 60_000);
    await sleep(200);
    t0 = nowMs();
    exitCode = await corepod.stop(60_000);
  }
  const exitMs = nowMs() - t0;
  const signalMs = stamps.map((stamp) => (fs.existsSync(stamp) ? Number(fs.readFileSync(stamp, 'utf8').trim()) * 1000 - t0 : Number.NaN));
  return { exitMs, signalMs, exitCode };
}

export const sigterm: Bench = {
  name: 'sigterm',
  title: '5. SIGTERM → supervisor exit, three prompt children (priorities 10/20/30)',
  async run(context: BenchContext): Promise<BenchResult> {
    const { runs } = SIZES[context.size];
    const who: Who[] = ['corepod', 'corepod-pid1', ...[...context.peers].filter((p): p is 'supervisord' | 's6' => p === 'supervisord' || p === 's6')];
    const samples: Record<string, Stop[]> = {};
    for (let i = 0; i < runs; i++) {
      for (const w of who) {
        context.log(`sigterm: ${w} run ${i + 1}/${runs}`);
        (samples[w] ??= []).push(await withScope((scope) => once(scope, w)));
      }
    }
    const pick = (w: string, f: (s: Stop) => number) => (samples[w] ? median(samples[w].map(f)) : undefined);
    const values = (f: (s: Stop) => number, corepodAs = 'corepod'): Partial<Record<Column, number>> => {
      const out: Partial<Record<Column, number>> = {};
      const c = pick(corepodAs, f);
      const s = pick('supervisord', f);
      const s6 = pick('s6', f);
      if (c !== undefined) out.corepod = c;
      if (s !== undefined) out.supervisord = s;
      if (s6 !== undefined) out.s6 = s6;
      return out;
    };
    const slowest = (s: Stop) => max(s.signalMs);
    const worstOverRuns = (w: string) => (samples[w] ? max(samples[w].map(slowest)) : Number.NaN);
    const badExits = Object.entries(samples).flatMap(([w, list]) => list.filter((s) => s.exitCode !== 0).map((s) => `${w} exited ${s.exitCode}`));
    return {
      name: 'sigterm',
      title: this.title,
      rows: [
        { metric: 'SIGTERM → exit', unit: 'ms', decimals: 1, values: values((s) => s.exitMs), checks: [{ kind: 'ratio', against: 'supervisord', op: '<=', limit: 0.1 }] },
        {
          metric: 'SIGTERM → exit, CorePod as PID 1',
          unit: 'ms',
          decimals: 1,
          values: values((s) => s.exitMs, 'corepod-pid1'),
          checks: [{ kind: 'ratio', against: 'supervisord', op: '<=', limit: 0.1 }],
        },
        { metric: 'SIGTERM → last child signalled (median of runs)', unit: 'ms', decimals: 1, values: values(slowest), checks: [{ kind: 'absolute', op: '<=', limit: 20 }] },
        {
          metric: 'SIGTERM → last child signalled (worst run)',
          unit: 'ms',
          decimals: 1,
          values: {
            corepod: worstOverRuns('corepod'),
            ...(samples.supervisord ? { supervisord: worstOverRuns('supervisord') } : {}),
            ...(samples.s6 ? { s6: worstOverRuns('s6') } : {}),
          },
          checks: [{ kind: 'absolute', op: '<=', limit: 20 }],
        },
        {
          metric: 'SIGTERM → last child signalled, CorePod as PID 1 (median of runs)',
          unit: 'ms',
          decimals: 1,
          values: values(slowest, 'corepod-pid1'),
          checks: [{ kind: 'absolute', op: '<=', limit: 20 }],
        },
        {
          metric: 'SIGTERM → last child signalled, CorePod as PID 1 (worst run)',
          unit: 'ms',
          decimals: 1,
          values: { corepod: worstOverRuns('corepod-pid1') },
          checks: [{ kind: 'absolute', op: '<=', limit: 20 }],
        },
      ],
      notes: [
        `${runs} run(s) per supervisor. Children: bash with a TERM trap that writes $EPOCHREALTIME and exits 0; startSeconds 1, stopWaitSeconds 10; stopped in reverse priority (30, 20, 10). supervisord: stopasgroup=true. s6 has no order: s6-svscan's SIGTERM takes every service down at once.`,
        ...(badExits.length > 0 ? [`Unexpected exit codes: ${badExits.join(', ')}`] : ['Every supervisor exited 0.']),
      ],
      details: { samples },
    };
  },
};
