// Runs pm2 (pinned, installed into a cache outside the repository at first use) with its own
// PM2_HOME, on an ecosystem file made from ProgramDefs. pm2 has no built-in log rotation (that is
// the pm2-logrotate module, which checks sizes every 30 s), so its logs are never rotated here.
import fs from 'node:fs';
import path from 'node:path';
import { CACHE } from './paths.js';
import { HUGE_BUDGET, which, type ProgramDef } from './program.js';
import { run, type Scope } from './scope.js';
import { waitFor } from '../../lib/wait-for.js';
import { alive, killTree } from '../../lib/procfs.js';

export const PM2_VERSION = '7.0.4';

export interface Pm2Process {
  name: string;
  pid: number;
  status: string;
  restarts: number;
}

export interface Pm2Handle {
  home: string;
  /** The God daemon's pid. */
  godPid(): number | undefined;
  processes(): Promise<Pm2Process[]>;
  waitStates(ok: (list: Pm2Process[]) => boolean, what: string, timeoutMs: number, intervalMs?: number): Promise<Pm2Process[]>;
  stop(): Promise<void>;
}

/** pm2's CLI script, installed on first use with npm into $COREPOD_CACHE/pm2-<version>. */
export async function ensurePm2(log: (message: string) => void = () => {}): Promise<string> {
  const prefix = path.join(CACHE, `pm2-${PM2_VERSION}`);
  const bin = path.join(prefix, 'node_modules', 'pm2', 'bin', 'pm2');
  if (fs.existsSync(bin)) return bin;
  log(`installing pm2@${PM2_VERSION} into ${prefix}`);
  fs.mkdirSync(prefix, { recursive: true });
  await run('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--no-save', `pm2@${PM2_VERSION}`], { timeoutMs: 300_000 });
  if (!fs.existsSync(bin)) throw new Error(`npm install pm2@${PM2_VERSION} did not produce ${bin}`);
  return bin;
}

export function pm2Ecosystem(programs: readonly ProgramDef[]): { apps: Record<string, unknown>[] } {
  return {
    apps: programs.map((p) => ({
      name: p.name,
      script: which(p.command[0]!),
      args: p.command.slice(1),
      interpreter: 'none',
      exec_mode: 'fork',
      autorestart: p.autorestart,
      // pm2 counts exits before min_uptime as unstable and gives up after max_restarts of them.
      min_uptime: p.startSeconds * 1000,
      max_restarts: HUGE_BUDGET,
      restart_delay: 0,
      kill_signal: `SIG${p.stopSignal ?? 'TERM'}`,
      kill_timeout: (p.stopWaitSeconds ?? 10) * 1000,
      ...(p.workingDir ? { cwd: p.workingDir } : {}),
      env: p.env ?? {},
      merge_logs: true,
      ...(p.stdoutFile ? { out_file: p.stdoutFile } : {}),
      vizion: false,
      pmx: false,
      automation: false,
    })),
  };
}

export async function startPm2(scope: Scope, programs: readonly ProgramDef[], log?: (message: string) => void): Promise<Pm2Handle> {
  const bin = await ensurePm2(log);
  const dir = scope.tempDir('pm2');
  const home = path.join(dir, 'home');
  fs.mkdirSync(home);
  // The "touch" file marks pm2 as already greeted: no banner and no version check over the network.
  fs.writeFileSync(path.join(home, 'touch'), String(Date.now()));
  const env = { ...process.env, PM2_HOME: home, PM2_DISABLE_VERSION_CHECK: 'true', PM2_DISCRETE_MODE: 'true' };
  const pm2 = (args: string[], timeoutMs = 60_000) => run(process.execPath, [bin, ...args], { env, timeoutMs });
  const godPid = () => {
    try {
      return Number(fs.readFileSync(path.join(home, 'pm2.pid'), 'utf8').trim()) || undefined;
    } catch {
      return undefined;
    }
  };
  scope.killPidAtClose(godPid);
  const ecosystem = path.join(dir, 'ecosystem.json');
  fs.writeFileSync(ecosystem, JSON.stringify(pm2Ecosystem(programs), null, 2));
  await pm2(['start', ecosystem]);
  const handle: Pm2Handle = {
    home,
    godPid,
    processes: async () => {
      const { stdout } = await pm2(['jlist']);
      const start = stdout.indexOf('[');
      const list = JSON.parse(stdout.slice(start)) as { name: string; pid: number; pm2_env: { status: string; restart_time: number } }[];
      return list.map((p) => ({ name: p.name, pid: p.pid, status: p.pm2_env.status, restarts: p.pm2_env.restart_time }));
    },
    waitStates: (ok, what, timeoutMs, intervalMs = 200) =>
      waitFor(
        `pm2: ${what}`,
        async () => {
          const list = await handle.processes();
          return ok(list) ? list : undefined;
        },
        timeoutMs,
        intervalMs,
      ),
    stop: async () => {
      const god = godPid();
      try {
        await pm2(['kill'], 60_000);
      } finally {
        if (god !== undefined && alive(god)) killTree(god);
      }
    },
  };
  return handle;
}

export const allStatus =
  (...states: string[]) =>
  (list: Pm2Process[]): boolean =>
    list.length > 0 && list.every((p) => states.includes(p.status));
