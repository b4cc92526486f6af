// The `corepod` command: a table of lazily imported command modules, so that each command (and
// above all the long-lived `run`) loads only what it uses.
import { runCommandLine } from '../../lib/command-line.js';
import { useBundledCompileCache } from '../compile-cache.js';
import { nameAfterExecutable } from '../process-name.js';

interface CommandModule {
  main(argv: string[]): Promise<number>;
}

interface Entry {
  summary: string;
  load: () => Promise<CommandModule>;
}

/** Modules other parts of the project provide; they may be missing from a given build. */
const external = (specifier: string) => () => import(specifier) as Promise<CommandModule>;

export const COMMANDS: Record<string, Entry> = {
  run: { summary: 'run and supervise the programs of a CorePod (the container init)', load: () => import('./run-command.js') },
  validate: { summary: 'check a CorePod file; errors name their path', load: () => import('./validate-command.js') },
  status: { summary: 'show the programs (supervisorctl columns; --json)', load: () => import('./status-command.js') },
  start: { summary: 'start programs (NAME...|all)', load: () => import('./start-command.js') },
  stop: { summary: 'stop programs (NAME...|all)', load: () => import('./stop-command.js') },
  restart: { summary: 'restart programs (NAME...|all)', load: () => import('./restart-command.js') },
  signal: { summary: 'send a signal to programs (SIG NAME...|all)', load: () => import('./signal-command.js') },
  reload: { summary: 'read the config file again and apply the changes in place (--dry-run)', load: () => import('./reload-command.js') },
  tail: { summary: "print or follow a program's output", load: () => import('./tail-command.js') },
  health: { summary: 'liveness, readiness and per-program health', load: () => import('./health-command.js') },
  convert: { summary: 'print a supervisord.conf as a CorePod', load: external('../convert/convert-command.js') },
  operator: { summary: 'run the CorePod Kubernetes operator', load: external('../../operator/operator-command.js') },
};

export const USAGE = `Usage: corepod COMMAND [ARGS...]   (corepod COMMAND --help for details)

Commands:
${Object.entries(COMMANDS)
  .map(([name, entry]) => `  ${name.padEnd(10)}${entry.summary}`)
  .join('\n')}

Exit codes: 0 ok, 1 not running, 2 bad usage or config, 3 cannot connect to the supervisor.`;

export async function dispatch(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    process.stderr.write(`corepod: unknown command "${name}"\n${USAGE}\n`);
    return 2;
  }
  let module: CommandModule;
  try {
    module = await entry.load();
  } catch (error) {
    process.stderr.write(`corepod: the "${name}" command is not available in this build: ${(error as Error).message}\n`);
    return 1;
  }
  return module.main(rest);
}

useBundledCompileCache();
nameAfterExecutable();
runCommandLine('corepod', () => dispatch(process.argv.slice(2)));
