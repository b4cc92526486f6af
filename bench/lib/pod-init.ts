// CorePod as the pod starts it: corepod-init (sidecar/runtime/corepod-init.c) as PID 1 of a new pid
// namespace execs tini, which runs `node app/bin/corepod.js run` (no node shim in front). Built here
// with the host's cc in the runtime layout corepod-init expects (bin/corepod-init, node,
// tini-static, app/ beside each other) from this node, the host's tini and the CLI under test.
import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { allIn, corepodSpec, getJson, type StatusDocument } from './corepod-runner.js';
import { COREPOD_CLI, REPO } from './paths.js';
import { isNode, processTable } from '../../lib/procfs.js';
import type { ProgramDef } from './program.js';
import { exitOf, type Scope } from './scope.js';
import { waitFor } from '../../lib/wait-for.js';

const TINI_CANDIDATES = ['/usr/bin/tini-static', '/usr/bin/tini'];

/** The runtime root, or undefined without cc or tini on this machine. */
export function podInitLayout(scope: Scope): string | undefined {
  const tini = TINI_CANDIDATES.find((file) => fs.existsSync(file));
  if (!tini) return undefined;
  const root = scope.tempDir('pod-init');
  fs.mkdirSync(path.join(root, 'bin'));
  try {
    execFileSync('cc', ['-O2', '-o', path.join(root, 'bin', 'corepod-init'), path.join(REPO, 'sidecar', 'runtime', 'corepod-init.c')], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  fs.symlinkSync(process.execPath, path.join(root, 'node'));
  fs.symlinkSync(tini, path.join(root, 'tini-static'));
  fs.symlinkSync(path.dirname(path.dirname(COREPOD_CLI)), path.join(root, 'app'));
  return root;
}

export interface PodInitHandle {
  child: ChildProcess;
  /** Host pid of the namespace's PID 1 (tini, exec'd by corepod-init). */
  tini: number;
  /** Host pid of the supervisor (tini's node child). */
  supervisorPid(): number | undefined;
  /** Waits until every program is in one of the states. */
  waitStates(states: string[], what: string, timeoutMs: number): Promise<StatusDocument>;
  /** SIGTERM to PID 1 (tini passes it on) and the exit code, or undefined if it did not exit in time. */
  stop(timeoutMs?: number): Promise<number | undefined>;
}

/** Starts the programs under corepod-init as PID 1; undefined when it cannot be built here. */
export async function startPodInit(scope: Scope, programs: readonly ProgramDef[]): Promise<PodInitHandle | undefined> {
  const root = podInitLayout(scope);
  if (!root) return undefined;
  const dir = scope.tempDir('corepod');
  const file = path.join(dir, 'corepod.json');
  fs.writeFileSync(file, JSON.stringify(corepodSpec(programs), null, 2));
  const socket = path.join(dir, 'run', 'corepod.sock');
  const stdio: ['ignore', 'ignore', 'ignore' | 'inherit'] = ['ignore', 'ignore', process.env.BENCH_DEBUG ? 'inherit' : 'ignore'];
  const child = scope.spawn('unshare', ['--pid', '--fork', '--mount-proc', path.join(root, 'bin', 'corepod-init'), '-f', file, '--health-port', '0'], {
    env: { ...process.env, COREPOD_RUN_DIR: path.join(dir, 'run') },
    cwd: REPO,
    stdio,
  });
  const tini = await waitFor('corepod-init as PID 1', () => [...processTable().values()].find((info) => info.ppid === child.pid)?.pid, 10_000, 10);
  return {
    child,
    tini,
    supervisorPid: () => [...processTable().values()].find((info) => info.ppid === tini && isNode(info.pid))?.pid,
    waitStates: (states, what, timeoutMs) =>
      waitFor(
        `corepod (corepod-init): ${what}`,
        async () => {
          if (child.exitCode !== null) throw new Error(`corepod-init exited with ${child.exitCode}`);
          const doc = await getJson<StatusDocument>(socket, '/v1/status').catch(() => undefined);
          return doc && allIn(...states)(doc) ? doc : undefined;
        },
        timeoutMs,
        100,
      ),
    stop: async (timeoutMs = 30_000) => {
      try {
        process.kill(tini, 'SIGTERM');
      } catch {
        // gone already
      }
      return exitOf(child, timeoutMs);
    },
  };
}
