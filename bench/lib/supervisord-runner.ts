// Runs Debian's supervisord (4.2.5) in the foreground on a generated supervisord.conf.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from './paths.js';
import { which, type ProgramDef } from './program.js';
import { exitOf, run, waitFor, type Scope } from './scope.js';
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

export function startSupervisord(scope: Scope, programs: readonly ProgramDef[]): SupervisordHandle {
  const dir = scope.tempDir('supervisord');
  const socket = path.join(dir, 'supervisor.sock');
  const conf = path.join(dir, 'supervisord.conf');
  // supervisord looks commands up in PATH itself; absolute paths keep it identical to the others.
  const resolved = programs.map((p) => ({ ...p, command: [which(p.command[0]!), ...p.command.slice(1)] }));
  fs.writeFileSync(conf, supervisordConf(resolved, { dir, socket, root: process.getuid?.() === 0 }));
  const child = scope.spawn('supervisord', ['-n', '-c', conf], { stdio: ['ignore', 'ignore', process.env.BENCH_DEBUG ? 'inherit' : 'ignore'], cwd: REPO });
  if (child.pid === undefined) throw new Error('cannot start supervisord (apt-get install supervisor)');
  const handle: SupervisordHandle = {
    child,
    pid: child.pid,
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
        child.kill('SIGTERM');
      } catch {
        // gone
      }
      return exitOf(child, timeoutMs);
    },
  };
  return handle;
}

export const allStates =
  (...states: string[]) =>
  (list: SupervisordProcess[]): boolean =>
    list.length > 0 && list.every((p) => states.includes(p.statename));
