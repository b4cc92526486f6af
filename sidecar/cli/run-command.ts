// corepod run: validate the CorePod (in a short-lived child, so the long-lived supervisor never
// loads zod or yaml), put tini in front when we are PID 1, then supervise until SIGTERM/SIGINT.
import type { LoadedConfig } from '../config-loader.js';
import { EXIT, UsageError, command, parse } from './args.js';
import { ENV, SIDECAR_ENV } from '../../contract/sidecar-contract.js';
import { readImageRoot, specUnderRoot, type ImageRoot } from '../image-root.js';
import { validateInChild } from '../validate-child.js';

export const usage = `Usage: corepod run [-f FILE] [--root DIR] [--health-port PORT] [--health-host HOST]

Runs the programs of a CorePod (YAML or JSON, or just its spec) and supervises them until SIGTERM
or SIGINT, then stops them in reverse order. As PID 1 it puts tini in front to reap orphans.

  -f, --file FILE       the CorePod (default: $COREPOD_CONFIG)
  --root DIR            DIR stands in for the image: the spec's paths (workingDir, absolute command
                        elements, log files) whose first component is an entry of DIR are taken
                        from DIR, as if DIR/app were mounted at /app; others stay this machine's
  --health-port PORT    health endpoint port (default: $COREPOD_HEALTH_PORT, else spec.healthPort;
                        0 picks a free port, shown by "corepod status --json")
  --health-host HOST    its address (default: 0.0.0.0 in Kubernetes, else 127.0.0.1)

Environment: COREPOD_RUN_DIR (control socket directory); COREPOD_TINI, COREPOD_SETPRIV,
COREPOD_MKFIFO, COREPOD_PIPE_SIZE, COREPOD_NOTIFY_SOCKET (helpers, when not the bundled runtime's).
Exit codes: 0 clean stop; 1 a critical program went FATAL, the stop deadline passed, or the
supervisor could not start; 2 invalid config or usage (nothing started); after a program with
exitContainerOnExit exited, its exit status (at least 1 if the stop deadline passed).`;

export interface RunOptions {
  file: string;
  root: ImageRoot | undefined;
  healthPort: number | undefined;
  healthHost: string | undefined;
}

function options(argv: string[]): RunOptions | 'help' {
  const { values, positionals } = parse(argv, {
    file: { type: 'string', short: 'f' },
    root: { type: 'string' },
    'health-port': { type: 'string' },
    'health-host': { type: 'string' },
  });
  if (values.help) return 'help';
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const file = values.file ?? process.env[ENV.configPath];
  if (!file) throw new UsageError('no config: give -f FILE or set COREPOD_CONFIG');
  const portText = values['health-port'] ?? process.env[ENV.healthPort];
  let healthPort: number | undefined;
  if (portText !== undefined && portText !== '') {
    healthPort = Number(portText);
    if (!Number.isInteger(healthPort) || healthPort < 0 || healthPort > 65_535) throw new UsageError(`--health-port: expected a port number, got "${portText}"`);
  }
  return { file, root: values.root !== undefined ? readImageRoot(values.root) : undefined, healthPort, healthHost: values['health-host'] };
}

/** Runs `corepod validate --json` in a child; its errors go to our stderr. */
async function validated(file: string): Promise<LoadedConfig | number> {
  const result = await validateInChild(file);
  if (result.ok) return result.config;
  if (result.errors) process.stderr.write(`${result.errors}\n`);
  return result.usage ? EXIT.usage : EXIT.notRunning;
}

export async function main(argv: string[]): Promise<number> {
  return command(usage, async () => {
    const opts = options(argv);
    if (opts === 'help') {
      process.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    if (process.pid === 1 && !process.env[SIDECAR_ENV.reaper]) {
      const { runUnderTini } = await import('../pid1.js');
      const underTini = runUnderTini(argv);
      if (underTini) return underTini;
      process.stderr.write("corepod: PID 1 without tini (install Debian's tini or set COREPOD_TINI): orphaned grandchildren will stay zombies\n");
    }
    // The engine loads while the child validates (two cores are better than one).
    const engine = import('../run-supervisor.js');
    const config = await validated(opts.file);
    if (typeof config === 'number') return config;
    const { runSupervisor } = await engine;
    return runSupervisor({ ...opts, config: opts.root ? { ...config, spec: specUnderRoot(config.spec, opts.root) } : config });
  });
}
