// Runs `corepod run` (optionally as PID 1 of a new pid namespace) on a set of ProgramDefs and
// talks to its control socket.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { StatusDocument } from '../../sidecar/control-server.js';
import { COREPOD_CLI, REPO } from './paths.js';
import { descendants, isNode, processTable } from '../../lib/procfs.js';
import { HUGE_BUDGET, type ProgramDef } from './program.js';
import { exitOf, type Scope } from './scope.js';
import { waitFor } from '../../lib/wait-for.js';

export type { StatusDocument };

/** The CorePod spec for these programs (the same settings the other runners get). */
export function corepodSpec(programs: readonly ProgramDef[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    image: 'bench',
    ...extra,
    programs: programs.map((p) => ({
      name: p.name,
      command: p.command,
      ...(p.priority !== undefined ? { priority: p.priority } : {}),
      startSeconds: p.startSeconds,
      ...(p.startRetries !== undefined ? { startRetries: p.startRetries } : {}),
      autorestart: p.autorestart,
      ...(p.stopSignal ? { stopSignal: p.stopSignal } : {}),
      ...(p.stopWaitSeconds !== undefined ? { stopWaitSeconds: p.stopWaitSeconds } : {}),
      env: Object.entries(p.env ?? {}).map(([name, value]) => ({ name, value })),
      ...(p.workingDir ? { workingDir: p.workingDir } : {}),
      ...(p.user ? { user: p.user } : {}),
      logs: {
        ...(p.mirror !== undefined ? { mirror: p.mirror } : {}),
        ...(p.stdoutFile ? { stdoutFile: p.stdoutFile } : {}),
        ...(p.maxBytes !== undefined ? { maxBytes: p.maxBytes } : {}),
        ...(p.backups !== undefined ? { backups: p.backups } : {}),
      },
      restartBudget: { maxRestarts: HUGE_BUDGET, windowSeconds: 1 },
    })),
  };
}

export interface CorepodOptions {
  /** A CorePod file to run as is, instead of programs. */
  file?: string;
  /** More arguments of `corepod run` (such as --root DIR). */
  args?: string[];
  programs?: readonly ProgramDef[];
  /** Where the supervisor's stdout goes (default /dev/null). */
  stdout?: 'ignore' | number;
  /** Run as PID 1 of a new pid namespace (unshare --pid --fork --mount-proc). */
  pid1?: boolean;
  /** Flags for the supervisor's node (they carry over to the processes it re-executes). */
  nodeFlags?: string[];
  env?: NodeJS.ProcessEnv;
}

export interface CorepodHandle {
  child: ChildProcess;
  runDir: string;
  /** Host pid of the long-lived supervisor process (under tini when PID 1). */
  supervisorPid(): number | undefined;
  /** Host pids of the processes in front of it when PID 1: [the node shim (Node without process.execve), tini]. */
  frontPids(): number[];
  status(): Promise<StatusDocument>;
  waitStates(ok: (doc: StatusDocument) => boolean, what: string, timeoutMs: number, intervalMs?: number): Promise<StatusDocument>;
  /** SIGTERM (to the namespace init when PID 1) and the exit code, or undefined if it did not exit in time. */
  stop(timeoutMs?: number): Promise<number | undefined>;
}

export function getJson<T>(socketPath: string, urlPath: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const request = http.get({ socketPath, path: urlPath, timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T);
        } catch (error) {
          reject(error as Error);
        }
      });
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer on ${socketPath} within ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}

export function startCorepod(scope: Scope, options: CorepodOptions): CorepodHandle {
  const dir = scope.tempDir('corepod');
  const runDir = path.join(dir, 'run');
  let file = options.file;
  if (!file) {
    file = path.join(dir, 'corepod.json');
    fs.writeFileSync(file, JSON.stringify(corepodSpec(options.programs ?? []), null, 2));
  }
  const argv = [...(options.nodeFlags ?? []), COREPOD_CLI, 'run', '-f', file, '--health-port', '0', ...(options.args ?? [])];
  const env = { ...process.env, ...options.env, COREPOD_RUN_DIR: runDir };
  const stdio: ['ignore', 'ignore' | number, 'ignore' | 'inherit'] = ['ignore', options.stdout ?? 'ignore', process.env.BENCH_DEBUG ? 'inherit' : 'ignore'];
  const child = options.pid1
    ? scope.spawn('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, ...argv], { stdio, env, cwd: REPO })
    : scope.spawn(process.execPath, argv, { stdio, env, cwd: REPO });
  const socketPath = path.join(runDir, 'corepod.sock');

  /**
   * With pid1: unshare → the namespace's PID 1 → tini → supervisor node, where PID 1 is tini itself
   * (node exec'd it: process.execve, Node >= 22.15) or a node shim running `tini -s` (older Node).
   */
  const chain = (): { nsInit?: number; shim?: number; tini?: number; supervisor?: number } => {
    if (!child.pid) return {};
    const table = processTable();
    const tree = descendants(child.pid, table);
    const nsInit = tree.find((pid) => table.get(pid)?.ppid === child.pid);
    const tini = tree.find((pid) => table.get(pid)?.comm.startsWith('tini'));
    const supervisor = tree.find((pid) => tini !== undefined && table.get(pid)?.ppid === tini && isNode(pid));
    const shim = nsInit !== undefined && nsInit !== tini ? nsInit : undefined;
    return { nsInit, shim, tini, supervisor };
  };

  const handle: CorepodHandle = {
    child,
    runDir,
    supervisorPid: () => (options.pid1 ? chain().supervisor : child.pid),
    frontPids: () => {
      if (!options.pid1) return [];
      const { shim, tini } = chain();
      return [shim, tini].filter((pid): pid is number => pid !== undefined);
    },
    status: () => getJson<StatusDocument>(socketPath, '/v1/status'),
    waitStates: (ok, what, timeoutMs, intervalMs = 20) =>
      waitFor(
        `corepod: ${what}`,
        async () => {
          if (child.exitCode !== null) throw new Error(`corepod exited with ${child.exitCode}`);
          const doc = await handle.status();
          return ok(doc) ? doc : undefined;
        },
        timeoutMs,
        intervalMs,
      ),
    stop: async (timeoutMs = 30_000) => {
      const target = options.pid1 ? chain().nsInit : child.pid;
      if (target !== undefined) {
        try {
          process.kill(target, 'SIGTERM');
        } catch {
          // gone already
        }
      }
      return exitOf(child, timeoutMs);
    },
  };
  return handle;
}

/** Every program in one of the given states. */
export const allIn =
  (...states: string[]) =>
  (doc: StatusDocument): boolean =>
    doc.programs.length > 0 && doc.programs.every((p) => states.includes(p.state));
