// corepod validate: check a CorePod without running it; every error names its path.
import { EXIT, UsageError, command, parse } from './args.js';

export const usage = `Usage: corepod validate [-f] FILE [--json]

Checks a CorePod (YAML or JSON, or just its spec) against the schema. Prints each error as
"spec.programs[2].stopSignal: expected one of …" and exits 2; exits 0 when valid.
  --json   print the validated spec (defaults applied, quantities in bytes) as JSON`;

export async function main(argv: string[]): Promise<number> {
  return command(usage, async () => {
    const { values, positionals } = parse(argv, { file: { type: 'string', short: 'f' }, json: { type: 'boolean' } });
    if (values.help) {
      process.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    const file = values.file ?? positionals[0];
    if (!file || positionals.length > (values.file ? 0 : 1)) throw new UsageError('expected exactly one FILE');
    const { formatErrors, loadConfigFile } = await import('../config-loader.js');
    const result = await loadConfigFile(file);
    if (!result.ok) {
      process.stderr.write(`${formatErrors(result.errors)}\n`);
      process.stderr.write(`corepod: ${file}: ${result.errors.length} error${result.errors.length === 1 ? '' : 's'}, nothing started\n`);
      return EXIT.usage;
    }
    if (values.json) process.stdout.write(`${JSON.stringify(result.config)}\n`);
    else process.stdout.write(`${file}: valid, ${result.config.spec.programs.length} program(s)\n`);
    return EXIT.ok;
  });
}
