// The end of a command-line process: the command's exit code once stdout and stderr have taken
// everything written (a pipe may still be draining); a crash is printed under the command's name.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Exits once stdout and stderr have taken everything written. */
export function exitWhenDrained(code: number): void {
  let pending = 2;
  const done = () => {
    pending -= 1;
    if (pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

export function runCommandLine(label: string, main: () => Promise<number>): void {
  main().then(exitWhenDrained, (error: unknown) => {
    process.stderr.write(`${label}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    exitWhenDrained(1);
  });
}

/** Whether the module at moduleUrl (its import.meta.url) is the script node was started with. */
export function invokedAsScript(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(moduleUrl);
}
