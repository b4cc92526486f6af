// corepod status [NAME...] [--json]
import type { StatusDocument } from '../control-server.js';
import { programOfEntry } from '../../contract/instances.js';
import { EXIT, UsageError, command, parse } from './args.js';
import { call } from './control-client.js';
import { nameWidth, statusLine } from './format-status.js';

export const usage = `Usage: corepod status [NAME...] [--json]

Shows each process as supervisorctl does (a program with instances as NAME:00, NAME:01, ...; its
NAME shows them all): NAME, STATE, description (pid, uptime, health, restarts,
memory). --json prints {supervisor, programs[]}, each program with name, state, pid, restarts,
since, lastExitCode, lastSignal, healthy, memoryBytes, probeLatencyMs, reason, waitingFor, ...
Exit codes: 0 all shown programs RUNNING, 1 one is not, 2 usage or no such program, 3 no supervisor.`;

export async function main(argv: string[]): Promise<number> {
  return command(usage, async () => {
    const { values, positionals } = parse(argv, { json: { type: 'boolean' } });
    if (values.help) {
      process.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    const reply = await call('GET', '/v1/status');
    const document = reply.body as StatusDocument;
    // A NAME is a process (web:01) or a program, which shows all its instances.
    const matches = (name: string, process: string) => process === name || programOfEntry(process) === name;
    const unknown = positionals.filter((name) => !document.programs.some((p) => matches(name, p.name)));
    if (unknown.length > 0) throw new UsageError(`no such program: ${unknown.join(', ')}`);
    const shown = positionals.length > 0 ? document.programs.filter((p) => positionals.some((name) => matches(name, p.name))) : document.programs;
    if (values.json) process.stdout.write(`${JSON.stringify(positionals.length > 0 ? { ...document, programs: shown } : document, null, 2)}\n`);
    else {
      const width = nameWidth(shown);
      process.stdout.write(shown.map((p) => `${statusLine(p, width)}\n`).join(''));
    }
    return shown.every((p) => p.state === 'RUNNING') ? EXIT.ok : EXIT.notRunning;
  });
}
