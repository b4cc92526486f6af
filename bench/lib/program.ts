// One program description that every runner (corepod, supervisord, pm2) turns into its own
// configuration, so the supervisors compared in a run get the same programs with the same settings.
import fs from 'node:fs';
import path from 'node:path';

export type StopSignal = 'TERM' | 'INT' | 'QUIT' | 'HUP' | 'KILL' | 'USR1' | 'USR2';

export interface ProgramDef {
  name: string;
  /** argv; the first element is resolved in PATH by the runners that need an absolute path. */
  command: string[];
  priority?: number;
  startSeconds: number;
  /** Consecutive failed starts allowed (supervisord startretries). */
  startRetries?: number;
  autorestart: boolean;
  stopSignal?: StopSignal;
  stopWaitSeconds?: number;
  env?: Record<string, string>;
  workingDir?: string;
  user?: string;
  /** stdout to this file, rotated at maxBytes with `backups` old files; otherwise each supervisor's default capture. */
  stdoutFile?: string;
  maxBytes?: number;
  backups?: number;
  /** CorePod only: the JSON stdout mirror (default on). */
  mirror?: boolean;
}

/** Restart budget big enough never to stop a benchmark (CorePod's maxRestarts, pm2's max_restarts). */
export const HUGE_BUDGET = 10_000;

export function which(file: string, env: NodeJS.ProcessEnv = process.env): string {
  if (file.includes('/')) return file;
  for (const dir of (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const candidate = path.join(dir, file);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`${file}: not found in PATH`);
}

/** A bash word: single-quoted unless it needs no quoting. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'"'"'`)}'`;
}

/**
 * bash sleeps without a child process: `read -t` on a FIFO opened read-write never gets data, so
 * it waits the whole timeout, and a trapped signal interrupts it at once.
 */
export function bashSleep(fifo: string, seconds: number): string {
  return `read -t ${seconds} <> ${shellQuote(fifo)}`;
}
