// start|stop|restart NAME...|all: one call per target, supervisorctl's messages and exit codes.
import { MAX_TIMER_MS } from '../../lib/clock.js';
import type { CommandResult } from '../supervisor.js';
import { EXIT, UsageError, command, parse } from './args.js';
import { call } from './control-client.js';

const DONE = { start: 'started', stop: 'stopped', restart: 'restarted' } as const;

export function usageFor(action: 'start' | 'stop' | 'restart'): string {
  const what = {
    start: 'Starts the programs and waits until each is RUNNING (or fails). "all" respects dependsOn and priority.',
    stop: 'Stops the programs (stopSignal, then SIGKILL after stopWaitSeconds) and waits until each is STOPPED. "all" stops in reverse order.',
    restart: 'Stops then starts the programs, waiting until each is RUNNING again.',
  }[action];
  return `Usage: corepod ${action} NAME...|all [--timeout SECONDS]

${what}
NAME is a program (all its instances) or one instance (web:01).
Exit codes: 0 done, 1 a program failed or was not running, 2 usage or no such program, 3 no supervisor.`;
}

export function describeResult(action: 'start' | 'stop' | 'restart', result: CommandResult): string {
  if (result.ok) return `${result.name}: ${result.message === 'already started' || result.message === 'not running' ? result.message : DONE[action]}`;
  const error = {
    ALREADY_STARTED: 'already started',
    NOT_RUNNING: 'not running',
    STOPPING: 'stopping',
    SHUTTING_DOWN: 'shutting down',
    ABNORMAL_TERMINATION: 'abnormal termination',
    TIMEOUT: 'timed out',
    NO_SUCH_PROGRAM: 'no such process',
  }[result.error ?? 'ABNORMAL_TERMINATION'];
  return `${result.name}: ERROR (${error})${result.message ? `: ${result.message}` : ''} [${result.state}]`;
}

export function exitCodeOf(results: CommandResult[]): number {
  if (results.some((r) => r.error === 'NO_SUCH_PROGRAM')) return EXIT.usage;
  // supervisorctl treats "already started" as success for start.
  return results.every((r) => r.ok || r.error === 'ALREADY_STARTED') ? EXIT.ok : EXIT.notRunning;
}

export function programAction(action: 'start' | 'stop' | 'restart') {
  const usage = usageFor(action);
  return (argv: string[]): Promise<number> =>
    command(usage, async () => {
      const { values, positionals } = parse(argv, { timeout: { type: 'string' } });
      if (values.help) {
        process.stdout.write(`${usage}\n`);
        return EXIT.ok;
      }
      if (positionals.length === 0) throw new UsageError('expected NAME... or all');
      const timeout = Number(values.timeout ?? 60);
      if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`--timeout: expected seconds, got "${values.timeout}"`);
      // Whole milliseconds, within what a timer can wait (with the client's 30 s of slack on top).
      const timeoutMs = Math.min(Math.ceil(timeout * 1000), MAX_TIMER_MS - 30_000);
      const results: CommandResult[] = [];
      for (const name of positionals) {
        const reply = await call('POST', `/v1/programs/${encodeURIComponent(name)}/${action}?timeoutMs=${timeoutMs}`, timeoutMs + 30_000);
        results.push(...((reply.body as { results: CommandResult[] }).results ?? []));
      }
      for (const result of results) (result.ok || result.error === 'ALREADY_STARTED' ? process.stdout : process.stderr).write(`${describeResult(action, result)}\n`);
      return exitCodeOf(results);
    });
}
