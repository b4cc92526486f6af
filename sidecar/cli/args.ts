// Shared CLI plumbing: exit codes, usage errors, option parsing.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../../lib/usage-error.js';

export const EXIT = { ok: 0, notRunning: 1, usage: 2, cannotConnect: 3 } as const;

export { UsageError };

/** The supervisor's control socket cannot be reached (exit 3). */
export class CannotConnect extends Error {}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses argv strictly; unknown options and missing values are usage errors (exit 2). */
export function parse<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Runs a command body, turning usage errors into exit code 2 with the usage text. */
export async function command(usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`corepod: ${error.message}\n${usage}\n`);
      return EXIT.usage;
    }
    if (error instanceof CannotConnect) {
      process.stderr.write(`corepod: ${error.message}\n`);
      return EXIT.cannotConnect;
    }
    throw error;
  }
}
