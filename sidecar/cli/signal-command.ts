// corepod signal SIG NAME...|all
import { normalizeSignal } from '../control-request.js';
import type { CommandResult } from '../supervisor.js';
import { EXIT, UsageError, command, parse } from './args.js';
import { call } from './control-client.js';
import { describeResult, exitCodeOf } from './program-action.js';

export const usage = `Usage: corepod signal SIG NAME...|all

Sends SIG (HUP, SIGUSR1, 10, ...) to the main process of each program (as supervisorctl does; the
stop signal, by contrast, goes to the whole process group).
Exit codes: 0 sent, 1 a program was not running, 2 usage or no such program, 3 no supervisor.`;

export async function main(argv: string[]): Promise<number> {
  return command(usage, async () => {
    const { values, positionals } = parse(argv, {});
    if (values.help) {
      process.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    const [signalText, ...names] = positionals;
    if (!signalText || names.length === 0) throw new UsageError('expected SIG and NAME... or all');
    const signal = normalizeSignal(signalText);
    if (!signal) throw new UsageError(`unknown signal "${signalText}"`);
    const results: CommandResult[] = [];
    for (const name of names) {
      const reply = await call('POST', `/v1/programs/${encodeURIComponent(name)}/signal?signal=${signal}`);
      results.push(...((reply.body as { results: CommandResult[] }).results ?? []));
    }
    for (const result of results) {
      if (result.ok) process.stdout.write(`${result.name}: signalled ${signal}\n`);
      else process.stderr.write(`${describeResult('stop', result)}\n`);
    }
    return exitCodeOf(results);
  });
}
