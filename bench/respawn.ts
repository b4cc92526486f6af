// 1. crash→respawn latency: a program that runs for a while, then exits 3 while RUNNING; the time
// from its exit to its successor's first instruction. Both instants are written by the program
// itself with bash's $EPOCHREALTIME (µs, no child process), so every supervisor is timed the same
// way, exec of bash included. Baseline: a bare Node loop that respawns on 'exit'.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Bench, BenchContext } from './lib/bench.js';
import { startCorepod } from './lib/corepod-runner.js';
import { startPm2 } from './lib/pm2-runner.js';
import { bashSleep, shellQuote, type ProgramDef } from './lib/program.js';
import type { BenchResult, Column } from './lib/report.js';
import { sleep, withScope, type Scope } from './lib/scope.js';
import { waitFor } from '../lib/wait-for.js';
import { summarize, type Summary } from './lib/stats.js';
import { startS6 } from './lib/s6-runner.js';
import { startSupervisord } from './lib/supervisord-runner.js';

interface Sizes {
  crashes: number;
  runSeconds: number;
}
// Up for more than a second, so that no supervisor's minimum-uptime rule applies (Debian's
// s6-supervise 2.11.3.2 waits a second after every death all the same: bench/RESULTS.md).
const SIZES: Record<'tiny' | 'full', Sizes> = { tiny: { crashes: 3, runSeconds: 1.1 }, full: { crashes: 30, runSeconds: 1.1 } };

/** Latencies (ms) from each "exit" line to the next "start" line of the program's own log. */
export function respawnLatencies(logText: string): number[] {
  const out: number[] = [];
  let exitAt: number | undefined;
  for (const line of logText.split('\n')) {
    const [kind, , time] = line.split(' ');
    if (time === undefined) continue;
    const ms = Number(time) * 1000;
    if (kind === 'exit') exitAt = ms;
    else if (kind === 'start' && exitAt !== undefined) {
      out.push(ms - exitAt);
      exitAt = undefined;
    }
  }
  return out;
}

/** A bash program that runs sizes.runSeconds, then exits 3, stamping both in its own log. */
export function crasher(dir: string, sizes: Pick<Sizes, 'runSeconds'>): { program: ProgramDef; log: string } {
  const log = path.join(dir, 'respawn.log');
  const fifo = path.join(dir, 'sleep.fifo');
  execFileSync('mkfifo', [fifo]);
  const script = [`echo "start $$ $EPOCHREALTIME" >> ${shellQuote(log)}`, bashSleep(fifo, sizes.runSeconds), `echo "exit $$ $EPOCHREALTIME" >> ${shellQuote(log)}`, 'exit 3'].join(
    '; ',
  );
  return { log, program: { name: 'crasher', command: ['bash', '-c', script], startSeconds: 0, autorestart: true, stopWaitSeconds: 2 } };
}

/** The first `crashes` respawn latencies in the crasher's log, once there are that many. */
export async function collect(log: string, crashes: number, timeoutMs: number): Promise<number[]> {
  const read = () => (fs.existsSync(log) ? respawnLatencies(fs.readFileSync(log, 'utf8')) : []);
  return waitFor(`${crashes} respawns in ${log}`, () => (read().length >= crashes ? read().slice(0, crashes) : undefined), timeoutMs, 50);
}

async function measure(scope: Scope, who: Column, sizes: Sizes): Promise<number[]> {
  const dir = scope.tempDir(`respawn-${who}`);
  const { program, log } = crasher(dir, sizes);
  // Generous: supervisord needs about a second per respawn; a loaded machine more.
  const timeoutMs = sizes.crashes * (sizes.runSeconds * 1000 + 3000) + 30_000;
  if (who === 'corepod') {
    const corepod = startCorepod(scope, { programs: [program] });
    const latencies = await collect(log, sizes.crashes, timeoutMs);
    await corepod.stop();
    return latencies;
  }
  if (who === 'supervisord') {
    const supervisord = startSupervisord(scope, [program]);
    const latencies = await collect(log, sizes.crashes, timeoutMs);
    await supervisord.stop();
    return latencies;
  }
  if (who === 's6') {
    const s6 = startS6(scope, [program]);
    const latencies = await collect(log, sizes.crashes, timeoutMs);
    await s6.stop();
    return latencies;
  }
  if (who === 'pm2') {
    const pm2 = await startPm2(scope, [program]);
    const latencies = await collect(log, sizes.crashes, timeoutMs);
    await pm2.stop();
    return latencies;
  }
  // baseline: respawn on Node's 'exit' event, nothing else.
  let stopped = false;
  const loop = () => {
    if (stopped) return;
    const child = spawn(program.command[0]!, program.command.slice(1), { stdio: 'ignore', detached: true });
    scope.killAtClose(child);
    child.once('exit', loop);
  };
  loop();
  try {
    return await collect(log, sizes.crashes, timeoutMs);
  } finally {
    stopped = true;
    await sleep(sizes.runSeconds * 1000 + 200);
  }
}

export const respawn: Bench = {
  name: 'respawn',
  title: '1. crash→respawn latency (program exits 3 while RUNNING; exit → successor running)',
  async run(context: BenchContext): Promise<BenchResult> {
    const sizes = SIZES[context.size];
    const who: Column[] = ['corepod', ...context.peers, 'baseline'];
    const samples: Partial<Record<Column, number[]>> = {};
    const summaries: Partial<Record<Column, Summary>> = {};
    for (const column of who) {
      context.log(`respawn: ${column}, ${sizes.crashes} crashes`);
      samples[column] = await withScope((scope) => measure(scope, column, sizes));
      summaries[column] = summarize(samples[column]!);
    }
    const pick = (f: (s: Summary) => number) => Object.fromEntries(Object.entries(summaries).map(([k, s]) => [k, f(s)]));
    return {
      name: 'respawn',
      title: this.title,
      baseline: "Node spawn on 'exit'",
      rows: [
        {
          metric: 'respawn median',
          unit: 'ms',
          decimals: 2,
          values: pick((s) => s.median),
          checks: [
            { kind: 'ratio', against: 'pm2', op: '<=', limit: 1 },
            { kind: 'ratio', against: 'supervisord', op: '<=', limit: 0.02 },
            { kind: 'ratio', against: 's6', op: '<=', limit: 2 },
          ],
        },
        { metric: 'respawn p90', unit: 'ms', decimals: 2, values: pick((s) => s.p90) },
        { metric: 'respawn max', unit: 'ms', decimals: 2, values: pick((s) => s.max) },
      ],
      notes: [
        `${sizes.crashes} crashes per supervisor; the program runs ${sizes.runSeconds} s then exits 3 (startSeconds 0, autorestart true, restart budget 10000/1 s, pm2 min_uptime 0 and max_restarts 10000; s6: the bash script is the service's ./run, s6-supervise waits a second after each death whatever the run lasted).`,
        "Latency = successor's first $EPOCHREALTIME − predecessor's last, both written by the bash program itself (includes fork+exec of bash, ~1 ms).",
      ],
      details: { samples },
    };
  },
};
