// Starting and signalling programs. Each program is its own session and process group (setsid via
// `detached`), so a stop signal reaches everything it started; stdin is /dev/null, stdout and
// stderr are pipes that the supervisor drains. The exit is observed on 'exit' (not 'close': a
// grandchild may hold the pipes open long after the program is gone).
import { spawn as spawnChild } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import type { OutputPipe } from './logs/output-pipe.js';
import { streamSource, type OutputSource } from './logs/output-source.js';
import type { SignalName } from './process-state-machine.js';

export interface SpawnRequest {
  command: readonly string[];
  workingDir?: string;
  env: Record<string, string>;
  /** setpriv-style prefix put before the command (user switching). */
  prefix?: readonly string[];
  /** Node's own uid/gid switch, when setpriv is not available. */
  uid?: number;
  gid?: number;
  /** s6-style readiness: a pipe to the supervisor as this file descriptor (3 or more). */
  notifyFd?: number;
  /** File mode creation mask of the program (spec umask); else the supervisor's own. */
  umask?: number;
}

export interface SpawnedChild {
  pid: number;
  stdout: OutputSource;
  stderr: OutputSource;
  /** The supervisor's end of the notifyFd pipe. */
  notify?: Readable;
}

export type SpawnResult = { ok: true; child: SpawnedChild } | { ok: false; error: string };

export type ExitListener = (code: number | null, signal: string | null) => void;

export interface ProcessRunner {
  spawn(request: SpawnRequest, onExit: ExitListener): SpawnResult;
  /** Sends a signal to the process or to its process group; false if there is no such process. */
  signal(pid: number, signal: SignalName, group: boolean): boolean;
}

export function signalNumber(signal: string): number | undefined {
  const name = (signal.startsWith('SIG') ? signal : `SIG${signal}`) as keyof typeof constants.signals;
  return constants.signals[name];
}

/** Where real pipes for program output come from (sidecar/logs/output-pipe.ts). */
export interface PipeSource {
  take(): OutputPipe | undefined;
}

/**
 * The real runner. With a PipeSource the program's stdout and stderr are real pipes (so it can
 * reopen /dev/stdout, as nginx and many images do); otherwise, or when none is ready, Node's
 * stdio 'pipe' (a socketpair).
 */
export function createNodeProcessRunner(pipes?: PipeSource): ProcessRunner {
  return {
    spawn(request, onExit) {
      const argv = [...(request.prefix ?? []), ...request.command];
      const out = pipes?.take();
      const err = out ? pipes?.take() : undefined;
      if (out && !err) out.closeWriteEnd();
      const real = out && err ? { out, err } : undefined;
      const closeWriteEnds = () => {
        real?.out.closeWriteEnd();
        real?.err.closeWriteEnd();
      };
      const stdio: ('ignore' | 'pipe' | number)[] = real ? ['ignore', real.out.writeFd, real.err.writeFd] : ['ignore', 'pipe', 'pipe'];
      if (request.notifyFd !== undefined) {
        while (stdio.length < request.notifyFd) stdio.push('ignore');
        stdio.push('pipe');
      }
      let child: ReturnType<typeof spawnChild>;
      // spawn has no umask option: the child inherits the supervisor's at fork, which happens
      // synchronously inside spawnChild, so the supervisor's is set around that call alone.
      const ownUmask = request.umask !== undefined ? process.umask(request.umask) : undefined;
      try {
        child = spawnChild(argv[0]!, argv.slice(1), {
          cwd: request.workingDir,
          env: request.env,
          detached: true,
          stdio,
          ...(request.uid !== undefined ? { uid: request.uid } : {}),
          ...(request.gid !== undefined ? { gid: request.gid } : {}),
        });
      } catch (error) {
        closeWriteEnds();
        real?.out.source.destroy();
        real?.err.source.destroy();
        if (out && !err) out.source.destroy();
        return { ok: false, error: (error as Error).message };
      } finally {
        if (ownUmask !== undefined) process.umask(ownUmask);
      }
      // The child has its copies; ours must go so that EOF comes when the child's are closed.
      closeWriteEnds();
      if (out && !err) out.source.destroy();
      if (child.pid === undefined) {
        // The error event follows on the next tick; the failure is reported here, synchronously.
        let message = `cannot start ${argv[0]}`;
        child.once('error', (error) => {
          message = error.message;
        });
        child.stdout?.destroy();
        child.stderr?.destroy();
        if (request.notifyFd !== undefined) (child.stdio[request.notifyFd] as Readable | null | undefined)?.destroy();
        real?.out.source.destroy();
        real?.err.source.destroy();
        return { ok: false, error: describeSpawnError(argv[0]!, request.workingDir) || message };
      }
      child.on('error', () => {});
      child.once('exit', (code, signal) => onExit(code, signal));
      const stdout = real ? real.out.source : streamSource(child.stdout!);
      const stderr = real ? real.err.source : streamSource(child.stderr!);
      const notify = request.notifyFd !== undefined ? (child.stdio[request.notifyFd] as Readable | null | undefined) : undefined;
      return { ok: true, child: { pid: child.pid, stdout, stderr, ...(notify ? { notify } : {}) } };
    },
    signal: signalProcess,
  };
}

function signalProcess(pid: number, signal: SignalName, group: boolean): boolean {
  const number = signalNumber(signal);
  if (number === undefined) throw new Error(`unknown signal ${signal}`);
  try {
    process.kill(group ? -pid : pid, number);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** The runner with Node's own stdio pipes. */
export const nodeProcessRunner: ProcessRunner = createNodeProcessRunner();

/** Why a spawn failed, found by looking (libuv reports it only on the next tick). */
function describeSpawnError(file: string, cwd: string | undefined): string {
  if (cwd !== undefined) {
    try {
      if (!fs.statSync(cwd).isDirectory()) return `working directory ${cwd} is not a directory`;
    } catch {
      return `working directory ${cwd} does not exist`;
    }
  }
  if (file.includes('/')) {
    const target = path.resolve(cwd ?? process.cwd(), file);
    try {
      fs.accessSync(target, fs.constants.X_OK);
    } catch {
      return `${file}: no such executable file`;
    }
    return '';
  }
  return `${file}: not found in PATH`;
}
