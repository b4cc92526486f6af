// Runs Debian's s6 (s6-svscan, one s6-supervise per program) on a scan directory made from
// ProgramDefs. s6 has no priorities, start seconds or restart budget: each service's ./run is
// exec'd again when it dies (at once if it was up for a second or more, else a second later), and
// s6-svscan's SIGTERM brings every service down with its down-signal and exits.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { processTable } from '../../lib/procfs.js';
import { waitFor } from '../../lib/wait-for.js';
import { shellQuote, which, type ProgramDef } from './program.js';
import { exitOf, run, type Scope } from './scope.js';

export interface S6Service {
  name: string;
  up: boolean;
  pid?: number;
}

export interface S6Handle {
  child: ChildProcess;
  /** s6-svscan and every s6-supervise: what supervising costs. */
  supervisorPids(): number[];
  services(): Promise<S6Service[]>;
  waitUp(what: string, timeoutMs: number, intervalMs?: number): Promise<S6Service[]>;
  stop(timeoutMs?: number): Promise<number | undefined>;
}

/**
 * The ./run script of a program. A `bash -c SCRIPT` program becomes a bash script itself, so s6
 * execs bash once, as the other supervisors do; anything else is exec'd by sh.
 */
export function s6RunScript(program: ProgramDef): string {
  const env = Object.entries(program.env ?? {}).map(([name, value]) => `export ${name}=${shellQuote(value)}\n`);
  const cd = program.workingDir ? `cd ${shellQuote(program.workingDir)} || exit 111\n` : '';
  const [file, ...args] = program.command;
  if (file === 'bash' && args.length === 2 && args[0] === '-c' && env.length === 0 && !cd) return `#!${which('bash')}\n${args[1]}\n`;
  return `#!/bin/sh\n${env.join('')}${cd}exec ${[which(file!), ...args].map(shellQuote).join(' ')}\n`;
}

/** The service directories of a scan directory: run, and down-signal when the stop signal is not TERM. */
export function writeS6Scan(scan: string, programs: readonly ProgramDef[]): void {
  for (const program of programs) {
    const dir = path.join(scan, program.name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'run'), s6RunScript(program), { mode: 0o755 });
    if (program.stopSignal && program.stopSignal !== 'TERM') fs.writeFileSync(path.join(dir, 'down-signal'), `SIG${program.stopSignal}\n`);
    if (!program.autorestart) fs.writeFileSync(path.join(dir, 'finish'), '#!/bin/sh\nexit 125\n', { mode: 0o755 });
  }
}

/** `s6-svstat -o up,pid DIR` → "true 123" or "false -1". */
export function parseSvstat(name: string, text: string): S6Service {
  const [up, pid] = text.trim().split(/\s+/);
  const service: S6Service = { name, up: up === 'true' };
  if (pid !== undefined && Number(pid) > 0) service.pid = Number(pid);
  return service;
}

export async function s6Version(): Promise<string> {
  // "s6<TAB>2.11.3.2-1"
  const { stdout } = await run('dpkg-query', ['-W', 's6'], { timeoutMs: 30_000 });
  return stdout.trim().replace(/\s+/, ' ');
}

export function startS6(scope: Scope, programs: readonly ProgramDef[]): S6Handle {
  const scan = path.join(scope.tempDir('s6'), 'scan');
  writeS6Scan(scan, programs);
  const stdio: ['ignore', 'ignore', 'inherit' | 'ignore'] = ['ignore', 'ignore', process.env.BENCH_DEBUG ? 'inherit' : 'ignore'];
  const child = scope.spawn(which('s6-svscan'), [scan], { stdio });
  if (child.pid === undefined) throw new Error('cannot start s6-svscan (apt-get install s6)');
  const handle: S6Handle = {
    child,
    supervisorPids: () => [child.pid!, ...[...processTable().values()].filter((p) => p.ppid === child.pid).map((p) => p.pid)],
    services: () => Promise.all(programs.map(async (p) => parseSvstat(p.name, (await run('s6-svstat', ['-o', 'up,pid', path.join(scan, p.name)], { timeoutMs: 10_000 })).stdout))),
    waitUp: (what, timeoutMs, intervalMs = 20) =>
      waitFor(
        `s6: ${what}`,
        async () => {
          if (child.exitCode !== null) throw new Error(`s6-svscan exited with ${child.exitCode}`);
          const list = await handle.services().catch(() => []);
          return list.length === programs.length && list.every((s) => s.up) ? list : undefined;
        },
        timeoutMs,
        intervalMs,
      ),
    stop: (timeoutMs = 60_000) => {
      child.kill('SIGTERM');
      return exitOf(child, timeoutMs);
    },
  };
  return handle;
}
