// Runs Debian's supervisord (4.2.5) in the foreground on a generated supervisord.conf.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from './paths.js';
import { processTable } from '../../lib/procfs.js';
import { which, type ProgramDef } from './program.js';
import { exitOf, run, type Scope } from './scope.js';
import { waitFor } from '../../lib/wait-for.js';
import { supervisordConf } from './supervisord-conf.js';
import { parseProcessInfo, xmlrpcCall, type SupervisordProcess } from './xmlrpc.js';

export interface SupervisordHandle {
  child: ChildProcess;
  pid: number;
  processes(): Promise<SupervisordProcess[]>;
  waitStates(ok: (list: SupervisordProcess[]) => boolean, what: string, timeoutMs: number, intervalMs?: number): Promise<SupervisordProcess[]>;
  stop(timeoutMs?: number): Promise<number | undefined>;
}

export async function supervisordVersion(): Promise<string> {
  return (await run('supervisord', ['--version'], { timeoutMs: 30_000 })).stdout.trim();
}

export interface SupervisordOptions {
  /** Run as PID 1 of a new pid namespace (unshare --pid --fork --mount-proc). */
  pid1?: boolean;
}

export function startSupervisord(scope: Scope, programs: readonly ProgramDef[], options: SupervisordOptions = {}): SupervisordHandle {
  const dir = scope.tempDir('supervisord');
  const socket = path.join(dir, 'supervisor.sock');
  const conf = path.join(dir, 'supervisord.conf');
  // supervisord looks commands up in PATH itself; absolute paths keep it identical to the others.
  const resolved = programs.map((p) => ({ ...p, command: [which(p.command[0]!), ...p.command.slice(1)] }));
  fs.writeFileSync(conf, supervisordConf(resolved, { dir, socket, root: process.getuid?.() === 0 }));
  const stdio: ['ignore', 'ignore', 'inherit' | 'ignore'] = ['ignore', 'ignore', process.env.BENCH_DEBUG ? 'inherit' : 'ignore'];
  const child = options.pid1
    ? scope.spawn('unshare', ['--pid', '--fork', '--mount-proc', 'supervisord', '-n', '-c', conf], { stdio, cwd: REPO })
    : scope.spawn('supervisord', ['-n', '-c', conf], { stdio, cwd: REPO });
  if (child.pid === undefined) throw new Error('cannot start supervisord (apt-get install supervisor)');
  /** With pid1, supervisord is unshare's child (the namespace's PID 1). */
  const supervisordPid = (): number | undefined => (options.pid1 ? nsInitOf(child.pid!) : child.pid);
  const handle: SupervisordHandle = {
    child,
    get pid() {
      return supervisordPid() ?? child.pid!;
    },
    processes: async () => parseProcessInfo(await xmlrpcCall(socket, 'supervisor.getAllProcessInfo')),
    waitStates: (ok, what, timeoutMs, intervalMs = 20) =>
      waitFor(
        `supervisord: ${what}`,
        async () => {
          if (child.exitCode !== null) throw new Error(`supervisord exited with ${child.exitCode}`);
          const list = await handle.processes();
          return ok(list) ? list : undefined;
        },
        timeoutMs,
        intervalMs,
      ),
    stop: (timeoutMs = 60_000) => {
      try {
        const pid = supervisordPid();
        if (pid !== undefined) process.kill(pid, 'SIGTERM');
      } catch {
        // gone
      }
      return exitOf(child, timeoutMs);
    },
  };
  return handle;
}

/** The child of `unshare --fork`: PID 1 of the new namespace. */
export function nsInitOf(unsharePid: number): number | undefined {
  for (const info of processTable().values()) if (info.ppid === unsharePid) return info.pid;
  return undefined;
}

export const allStates =
  (...states: string[]) =>
  (list: SupervisordProcess[]): boolean =>
    list.length > 0 && list.every((p) => states.includes(p.statename));
