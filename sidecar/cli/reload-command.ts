// corepod reload [--dry-run]: the supervisor reads the file given to `corepod run -f` again and
// applies the difference in place (supervisorctl's reread + update); SIGHUP does the same.
import { EXIT, UsageError, command, parse } from './args.js';
import { call } from './control-client.js';
import type { ReloadOutcome } from '../spec-reloader.js';

export const usage = `Usage: corepod reload [--dry-run]

Has the running supervisor read its config file (corepod run -f FILE) again and apply the
difference in place, as supervisorctl's reread + update: added programs start, removed ones stop
(dependents first), programs whose process must change restart (or get their reloadSignal),
supervision settings are taken over while the process keeps running, and the others keep their
pid. Prints what is added, removed, restarted, reloaded, updated and kept. SIGHUP to the
supervisor does the same.

  --dry-run   only print what would be done
Exit codes: 0 applied (or nothing to do), 2 the file is invalid or cannot be applied (nothing
changed; the errors name their path), 3 no supervisor.`;

export async function main(argv: string[]): Promise<number> {
  return command(usage, async () => {
    const { values, positionals } = parse(argv, { 'dry-run': { type: 'boolean' } });
    if (values.help) {
      process.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const dryRun = values['dry-run'] === true;
    const reply = await call('POST', `/v1/reload${dryRun ? '?dryRun=1' : ''}`);
    const body = reply.body as ReloadOutcome | { error: string };
    if ('error' in body) {
      process.stderr.write(`corepod: ${body.error}\n`);
      return EXIT.notRunning;
    }
    if (body.outcome === 'refused') {
      process.stderr.write(`${body.lines.join('\n')}\ncorepod: the config was not applied; the programs keep running as they were\n`);
      return EXIT.usage;
    }
    const lines = body.lines.length > 0 ? body.lines : ['no change'];
    process.stdout.write(`${dryRun ? 'dry run, nothing changed:\n' : ''}${lines.join('\n')}\n`);
    if (body.outcome === 'waiting') process.stdout.write('not applied: only a new pod can run it\n');
    return EXIT.ok;
  });
}
