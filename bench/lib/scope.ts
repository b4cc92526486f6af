// Everything a benchmark run makes (processes, temp dirs) is registered in a Scope and removed by
// scope.close(), also when the run fails or the harness is interrupted.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemClock } from '../../lib/clock.js';
import { alive, killTree } from '../../lib/procfs.js';

type Cleanup = () => void | Promise<void>;

const open = new Set<Scope>();

export class Scope {
  private readonly cleanups: Cleanup[] = [];
  private closed = false;

  constructor() {
    open.add(this);
  }

  defer(cleanup: Cleanup): void {
    this.cleanups.push(cleanup);
  }

  tempDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `corepod-bench-${prefix}-`));
    this.defer(() => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  /** Spawns a process whose whole tree is SIGKILLed at close if it is still there. */
  spawn(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn(command, args, { stdio: 'ignore', ...options });
    child.on('error', () => {});
    this.killAtClose(child);
    return child;
  }

  killAtClose(child: ChildProcess): void {
    this.defer(() => {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) killTree(child.pid);
    });
  }

  /** Also kills a tree whose root is not our child (a daemon such as pm2's God process). */
  killPidAtClose(pid: () => number | undefined): void {
    this.defer(() => {
      const root = pid();
      if (root !== undefined && alive(root)) killTree(root);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    open.delete(this);
    for (const cleanup of this.cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        process.stderr.write(`bench cleanup: ${String(error)}\n`);
      }
    }
  }
}

/** Runs fn with a fresh scope that is always closed. */
export async function withScope<T>(fn: (scope: Scope) => Promise<T>): Promise<T> {
  const scope = new Scope();
  try {
    return await fn(scope);
  } finally {
    await scope.close();
  }
}

/** Closes every open scope (on SIGINT/SIGTERM of the harness). */
export async function closeAll(): Promise<void> {
  await Promise.all([...open].map((scope) => scope.close()));
}

/** Wall-clock milliseconds with sub-millisecond resolution (comparable with bash's $EPOCHREALTIME). */
export function nowMs(): number {
  return systemClock.now();
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves with the exit code (or 128+signal) of a child, or undefined after timeoutMs. */
export function exitOf(child: ChildProcess, timeoutMs: number): Promise<number | undefined> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(128 + (os.constants.signals[child.signalCode] ?? 0));
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0));
    });
  });
}

/** Runs a command to completion and returns its output; rejects on a non-zero exit or after timeoutMs. */
export function run(command: string, args: readonly string[], options: SpawnOptions & { timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      if (child.pid) killTree(child.pid);
      reject(new Error(`${command} ${args.join(' ')}: no exit within ${options.timeoutMs ?? 120_000} ms`));
    }, options.timeoutMs ?? 120_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.trim().slice(-500)}`));
    });
  });
}
