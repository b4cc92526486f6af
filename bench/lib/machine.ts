// The machine a run was measured on: CPU, cores, memory, load, versions.
import fs from 'node:fs';
import os from 'node:os';
import { REPO } from './paths.js';
import { s6Version } from './s6-runner.js';
import { run } from './scope.js';

export interface MachineFacts {
  date: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  load: [number, number, number];
  node: string;
  kernel: string;
  supervisord: string | undefined;
  s6: string | undefined;
  /** The commit measured, with "+dirty" when sidecar/ or bin/ had uncommitted changes. */
  commit: string | undefined;
}

export async function machineFacts(): Promise<MachineFacts> {
  let supervisord: string | undefined;
  try {
    supervisord = (await run('supervisord', ['--version'], { timeoutMs: 30_000 })).stdout.trim();
  } catch {
    supervisord = undefined;
  }
  let s6: string | undefined;
  try {
    s6 = await s6Version();
  } catch {
    s6 = undefined;
  }
  let commit: string | undefined;
  try {
    const head = (await run('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, timeoutMs: 30_000 })).stdout.trim();
    const dirty = (await run('git', ['status', '--porcelain', '--', 'sidecar', 'bin', 'crds'], { cwd: REPO, timeoutMs: 30_000 })).stdout.trim();
    commit = dirty ? `${head}+dirty` : head;
  } catch {
    commit = undefined;
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  let kernel = os.release();
  try {
    kernel = fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    // keep os.release()
  }
  const [l1, l5, l15] = os.loadavg() as [number, number, number];
  return {
    date: new Date().toISOString(),
    cpu,
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    load: [l1, l5, l15],
    node: process.version,
    kernel,
    supervisord,
    s6,
    commit,
  };
}

export function formatMachine(before: MachineFacts, after: MachineFacts): string {
  const load = (f: MachineFacts) => f.load.map((l) => l.toFixed(2)).join(' / ');
  return [
    `Machine: ${before.cores} × ${before.cpu}, ${before.memoryGiB} GiB, Linux ${before.kernel}, Node ${before.node}, supervisord ${before.supervisord ?? 'missing'}, ${before.s6 ?? 's6 missing'}; CorePod at ${before.commit ?? 'unknown commit'}`,
    `Date: ${before.date} → ${after.date}; load average (1/5/15 min) before ${load(before)}, after ${load(after)}`,
  ].join('\n');
}
