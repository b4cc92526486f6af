// corepod tail [-f] NAME [stdout|stderr] [--stderr] [-c BYTES]
import { EXIT, UsageError, command, parse } from './args.js';
import { call, stream } from './control-client.js';

export const usage = `Usage: corepod tail [-f] NAME [stdout|stderr] [--stderr] [-c BYTES]

Prints the last BYTES (default 1600) of a program's stdout (or stderr) from the supervisor's
in-memory tail; -f keeps following until interrupted.
Exit codes: 0 ok, 2 usage or no such program, 3 no supervisor.`;

export async function main(argv: string[]): Promise<number> {
  return command(usage, async () => {
    const { values, positionals } = parse(argv, {
      follow: { type: 'boolean', short: 'f' },
      stderr: { type: 'boolean' },
      bytes: { type: 'string', short: 'c' },
    });
    if (values.help) {
      process.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    const [name, which, ...rest] = positionals;
    if (!name || rest.length > 0 || (which !== undefined && which !== 'stdout' && which !== 'stderr')) throw new UsageError('expected NAME [stdout|stderr]');
    const bytes = Number(values.bytes ?? 1600);
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new UsageError(`-c: expected a byte count, got "${values.bytes}"`);
    const which2 = values.stderr || which === 'stderr' ? 'stderr' : 'stdout';
    const path = `/v1/programs/${encodeURIComponent(name)}/log?stream=${which2}&bytes=${bytes}${values.follow ? '&follow=1' : ''}`;
    // Check the name first so an unknown program is a clean usage error, not a 404 body.
    const status = await call('GET', `/v1/programs/${encodeURIComponent(name)}/log?stream=${which2}&bytes=0`);
    if (status.status === 404) throw new UsageError(`no such program: ${name}`);
    await stream(path, (chunk) => process.stdout.write(chunk));
    return EXIT.ok;
  });
}
