// kubectl corepod: the kubectl plugin (bin/kubectl-corepod). A table of lazily imported commands;
// errors become the exit codes of the `corepod` CLI.
import { Failed, CannotReach, EXIT, UsageError } from './plugin-args.js';

interface Entry {
  summary: string;
  main: () => Promise<(argv: string[]) => Promise<number>>;
}

const program = async (action: 'start' | 'stop' | 'restart' | 'signal') => (await import('./program-command.js')).programCommand(action);

export const COMMANDS: Record<string, Entry> = {
  status: { summary: "each pod's programs in supervisorctl columns", main: async () => (await import('./status-command.js')).main },
  restart: { summary: 'restart programs (PROGRAM...|all) in every pod or --pod', main: () => program('restart') },
  stop: { summary: 'stop programs', main: () => program('stop') },
  start: { summary: 'start programs', main: () => program('start') },
  signal: { summary: 'send a signal to programs (SIG PROGRAM...|all)', main: () => program('signal') },
  logs: { summary: "one program's output lines from the pods' logs", main: async () => (await import('./logs-command.js')).main },
  convert: { summary: 'print a supervisord.conf as a CorePod', main: async () => (await import('./convert-command.js')).main },
};

export const USAGE = `Usage: kubectl corepod COMMAND [ARGS...] [flags]   (kubectl corepod COMMAND --help for details)

Operates the programs of a CorePod: status, restart|stop|start|signal (written onto the CorePod,
so only RBAC on corepods is needed, not pods/exec), logs of one program, convert.

Commands:
${Object.entries(COMMANDS)
  .map(([name, entry]) => `  ${name.padEnd(10)}${entry.summary}`)
  .join('\n')}

Flags of every command: -n/--namespace, --context, --kubeconfig, --as, --as-group, -h/--help.
Exit codes: 0 ok, 1 not found or failed, 2 bad usage, 3 cannot reach the API server.`;

const NAME = 'kubectl corepod';

export async function dispatch(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(`${USAGE}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    process.stderr.write(`${NAME}: unknown command "${name}"\n${USAGE}\n`);
    return EXIT.usage;
  }
  try {
    return await (await entry.main())(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${NAME} ${name}: ${error.message}\nSee '${NAME} ${name} --help' for usage.\n`);
      return EXIT.usage;
    }
    if (error instanceof CannotReach) {
      process.stderr.write(`${NAME}: ${error.message}\n`);
      return EXIT.cannotReach;
    }
    if (error instanceof Failed) {
      process.stderr.write(`${NAME}: ${error.message}\n`);
      return EXIT.failed;
    }
    throw error;
  }
}
