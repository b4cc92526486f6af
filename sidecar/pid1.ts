// PID 1 duties. Node (libuv) reaps only the children it spawned itself, so a Node PID 1 would
// leave orphaned grandchildren as zombies. When `corepod run` finds itself PID 1 it puts Debian's
// static tini in front: with process.execve (Node >= 22.15) tini replaces this process and is
// PID 1; on older Node this process stays PID 1 as a thin signal-forwarding shim and starts
// `tini -s` (a child subreaper) which runs the supervisor, so every orphan of the programs is
// reparented to tini and reaped, and the supervisor keeps its own children's exit statuses.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { signalNumber } from './process-runner.js';
import { findExecutable } from './user-switch.js';
import { SIDECAR_ENV } from '../contract/sidecar-contract.js';

/** Set for the supervisor started by the PID-1 shim or exec'd tini: who reaps orphans. */
export const REAPER_ENV = SIDECAR_ENV.reaper;

const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

/** tini-static or tini: $COREPOD_TINI, next to the node binary (a bundled runtime), then PATH. */
export function findTini(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const beside = path.dirname(process.execPath);
  return findExecutable(['tini-static', 'tini'], { envVar: SIDECAR_ENV.tini, extraDirs: [beside, path.join(beside, '..', 'libexec')], env });
}

/** Who reaps our orphans, as far as we can tell. */
export function reaperOf(env: NodeJS.ProcessEnv = process.env): string {
  if (env[REAPER_ENV]) return env[REAPER_ENV]!;
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const comm = fs.readFileSync(`/proc/${ppid}/comm`, 'utf8').trim();
    if (comm.startsWith('tini')) return ppid === 1 ? 'tini (PID 1)' : 'tini (parent)';
  } catch {
    // no /proc: nothing to tell
  }
  return process.pid === 1 ? 'none' : 'host init';
}

type ExecveProcess = NodeJS.Process & { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never };

/**
 * Runs `corepod run <argv>` under tini; resolves with the exit code to use, or undefined when no
 * tini is installed (the caller then runs the supervisor in this process, and says so).
 */
export function runUnderTini(argv: readonly string[]): Promise<number> | undefined {
  const tini = findTini();
  if (!tini) return undefined;
  const main = fileURLToPath(new URL('./cli/main.js', import.meta.url));
  const command = [process.execPath, ...process.execArgv, main, 'run', ...argv];
  const execve = (process as ExecveProcess).execve;
  if (typeof execve === 'function') {
    execve(tini, [tini, '--', ...command], { ...process.env, [REAPER_ENV]: 'tini (PID 1)' });
  }
  const child = spawn(tini, ['-s', '--', ...command], { stdio: 'inherit', env: { ...process.env, [REAPER_ENV]: 'tini (subreaper under a PID-1 shim)' } });
  for (const signal of FORWARDED) {
    process.on(signal, () => {
      try {
        child.kill(signal);
      } catch {
        // tini already gone
      }
    });
  }
  return new Promise((resolve) => {
    child.once('error', (error) => {
      process.stderr.write(`corepod: cannot start ${tini}: ${error.message}\n`);
      resolve(1);
    });
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signalNumber(signal ?? 'KILL') ?? 9)));
  });
}
