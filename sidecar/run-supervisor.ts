// The long-lived supervisor process of `corepod run`: wires the supervisor to the real world
// (processes, /proc, cgroups, the control socket, the health endpoint, signals) and says what it
// cannot do here (not PID 1, not root, no memory limit, no setpriv).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { CorePodSpec } from '../crds/corepod-schema.js';
import type { LoadedConfig } from './config-loader.js';
import { startControlServer, type ControlServer, type SupervisorFacts } from './control-server.js';
import { startHealthServer, type HealthServer } from './health-server.js';
import { createLogger, type Logger } from './logger.js';
import { createStdoutMirror } from './logs/program-log.js';
import { createProcMemoryReader } from './memory-reader.js';
import { MetricTally } from './metrics/metric-tally.js';
import { ProcessMetrics } from './metrics/process-metrics.js';
import { REAPER_ENV, reaperOf } from './pid1.js';
import { createNodeProcessRunner } from './process-runner.js';
import { OutputPipePool } from './logs/output-pipe.js';
import { createPipeSizer, HOST_BUILT_PIPE_SIZE } from './logs/pipe-sizer.js';
import { runDir, socketPath } from './run-dir.js';
import { HOST_BUILT_NOTIFY_SOCKET, openNotifySocket, type NotifyChannel } from './notify-socket.js';
import { HOST_BUILT_PEER_UID } from './peer-credentials.js';
import { Supervisor } from './supervisor.js';
import { expandInstances, processCount } from '../contract/instances.js';
import { findExecutable, planSwitch, readPasswd, resolveUser, userEnv, type SwitchPlan } from './user-switch.js';
import { ENV, SIDECAR_ENV } from '../contract/sidecar-contract.js';
import { waitAtMost } from '../lib/wait-at-most.js';
import type { ImageRoot } from './image-root.js';
import { SpecReloader } from './spec-reloader.js';
import type { ProgramExtras } from './supervisor.js';

/**
 * In a pod, the Kubernetes side (the TLS client, the status reporter, the spec watch) loads while
 * `corepod run` waits for the validating child, which imports this module meanwhile: not after it.
 */
const podModules = process.env[ENV.podName] ? Promise.all([import('./kube/cluster-sinks.js'), import('./kube/spec-sources.js')]) : undefined;

export interface RunSupervisorOptions {
  config: LoadedConfig;
  file: string;
  /** corepod run --root: a reloaded spec is mapped the same way. */
  root?: ImageRoot;
  healthPort: number | undefined;
  healthHost: string | undefined;
}

/**
 * The container's stdout. A pipe is opened non-blocking: Node writes to a process.stdout pipe
 * synchronously, which would stall supervision whenever the reader (the container runtime) lags.
 */
function containerStdout(): NodeJS.WritableStream & { writableLength: number } {
  try {
    const stat = fs.fstatSync(1);
    if (stat.isFIFO() || stat.isSocket()) return new net.Socket({ fd: 1, readable: false, writable: true });
  } catch {
    // fd 1 closed: fall through to process.stdout, whose errors the writers ignore
  }
  return process.stdout;
}

/** Waits for the output to drain, at most timeoutMs (a stuck reader must not hold up exit). */
function flush(out: NodeJS.WritableStream & { writableLength: number }, timeoutMs: number): Promise<void> {
  if (out.writableLength === 0) return Promise.resolve();
  return waitAtMost(new Promise((resolve) => out.once('drain', resolve)), timeoutMs);
}

/** What programs inherit: our environment without what only concerns this supervisor. */
function programEnv(): NodeJS.ProcessEnv {
  // NOTIFY_SOCKET and the watchdog's variables are ours if systemd runs us; a program gets its own.
  const { [REAPER_ENV]: _reaper, NOTIFY_SOCKET: _socket, WATCHDOG_USEC: _usec, WATCHDOG_PID: _pid, ...env } = process.env;
  return env;
}

/** User switching plans; errors name the program's path in the spec. */
export function planUsers(spec: CorePodSpec, euid: number, setpriv: string | undefined) {
  const passwd = readPasswd();
  const plans = new Map<string, SwitchPlan>();
  const envs = new Map<string, Record<string, string>>();
  const errors: string[] = [];
  const warnings = new Set<string>();
  spec.programs.forEach((program, index) => {
    if (!program.user) return;
    const user = resolveUser(program.user, passwd);
    if ('error' in user) {
      errors.push(`spec.programs[${index}].user: ${user.error}`);
      return;
    }
    const plan = planSwitch(user, euid, setpriv);
    if (plan.kind === 'error') errors.push(`spec.programs[${index}].user: ${plan.error}`);
    else {
      plans.set(program.name, plan);
      envs.set(program.name, userEnv(user));
      if (plan.kind === 'spawn') warnings.add(plan.warning);
    }
  });
  return { plans, envs, errors, warnings: [...warnings] };
}

function describeLimits(logger: Logger, spec: CorePodSpec, euid: number, reaper: string, memory: ReturnType<typeof createProcMemoryReader>): void {
  if (process.pid !== 1 && !reaper.startsWith('tini')) {
    logger.info('not PID 1: orphaned grandchildren are reaped by the host init, not by corepod');
  }
  if (process.pid === 1 && reaper === 'none') logger.warn('PID 1 without tini: orphaned grandchildren stay zombies');
  if (euid !== 0 && spec.programs.some((p) => p.user)) logger.warn('not root: programs with "user" can only run as our own uid', { uid: euid });
  const container = memory.container();
  if (!container) logger.info('no memory cgroup found: container memory thresholds are inactive');
  else if (container.limitBytes === undefined) logger.info('no container memory limit: warning/critical thresholds are inactive', { cgroup: container.cgroup });
  else
    logger.info('container memory limit', {
      cgroup: container.cgroup,
      limitBytes: container.limitBytes,
      warningPercent: spec.memory.warningPercent,
      criticalPercent: spec.memory.criticalPercent,
    });
}

export async function runSupervisor(options: RunSupervisorOptions): Promise<number> {
  const { spec } = options.config;
  const euid = process.geteuid?.() ?? 0;
  // Tools of the bundled runtime (/corepod/bin, beside node) come before the image's: busybox's
  // setpriv lacks the options used, a static image has none.
  const runtimeBin = `${process.execPath.replace(/\/[^/]*$/, '')}/bin`;
  const setpriv = findExecutable(['setpriv'], { envVar: SIDECAR_ENV.setpriv, extraDirs: [runtimeBin] });
  const users = planUsers(spec, euid, setpriv);
  if (users.errors.length > 0) {
    process.stderr.write(`${users.errors.join('\n')}\ncorepod: ${options.file}: nothing started\n`);
    return 2;
  }
  const out = containerStdout();
  const logger = createLogger({ out });
  for (const warning of users.warnings) logger.warn(warning);
  const reaper = reaperOf();
  const memory = createProcMemoryReader();
  describeLimits(logger, spec, euid, reaper, memory);

  // Real pipes for program output, made ahead (two per program at start, as they all start at once).
  fs.mkdirSync(runDir(), { recursive: true, mode: 0o700 });
  // mkfifo: $COREPOD_MKFIFO, the bundled runtime's static one, then PATH.
  const mkfifo = findExecutable(['mkfifo'], { envVar: SIDECAR_ENV.mkfifo, extraDirs: [runtimeBin] });
  // pipe-size: $COREPOD_PIPE_SIZE, the bundled runtime's, the one `npm run build` compiled, then PATH.
  const pipeSize = findExecutable(['pipe-size'], { envVar: SIDECAR_ENV.pipeSize, extraDirs: [runtimeBin, path.dirname(HOST_BUILT_PIPE_SIZE)] });
  const sizer = pipeSize ? createPipeSizer({ helper: pipeSize, onError: (message) => logger.info('a busy output pipe keeps its default size', { reason: message }) }) : undefined;
  if (!sizer) logger.info('pipe-size helper not found: busy output pipes keep the default size (64 KiB)');
  const pipes = new OutputPipePool({ dir: runDir(), size: Math.min(2 * processCount(spec.programs) + 4, 256), ...(mkfifo ? { mkfifo } : {}), ...(sizer ? { sizer } : {}) });
  await pipes.ready();
  if (!pipes.usable()) logger.warn('mkfifo unavailable: program output goes through socketpairs (programs cannot reopen /dev/stdout)');
  // NOTIFY_SOCKET of the notify programs: $COREPOD_NOTIFY_SOCKET, the bundled runtime's helper, the one `npm run build` compiled, then PATH.
  const notify = new Map<string, NotifyChannel>();
  const openNotify = async (programs: CorePodSpec['programs'], only?: ReadonlySet<string>): Promise<string[]> => {
    const wanted = expandInstances(programs)
      .map((program) => ({ program, index: program.source.index }))
      .filter(({ program }) => program.notify && (!only || only.has(program.source.program)) && !notify.has(program.name));
    if (wanted.length === 0) return [];
    const helper = findExecutable(['notify-socket'], { envVar: SIDECAR_ENV.notifySocket, extraDirs: [runtimeBin, path.dirname(HOST_BUILT_NOTIFY_SOCKET)] });
    const errors: string[] = [];
    for (const { program, index } of wanted) {
      if (!helper) {
        errors.push(
          `spec.programs[${index}].notify: no notify-socket helper (the sidecar runtime's, or $${SIDECAR_ENV.notifySocket}): Node cannot open a unix datagram socket itself`,
        );
        continue;
      }
      try {
        notify.set(program.name, await openNotifySocket(helper, path.join(runDir(), `notify-${program.name}.sock`)));
      } catch (error) {
        errors.push(`spec.programs[${index}].notify: ${(error as Error).message}`);
      }
    }
    return errors;
  };
  {
    const errors = await openNotify(spec.programs);
    if (errors.length > 0) {
      logger.fatal('cannot open NOTIFY_SOCKET: nothing started', { errors });
      process.stderr.write(`${errors.join('\n')}\ncorepod: ${options.file}: nothing started\n`);
      await Promise.all([...notify.values()].map((channel) => channel.close()));
      pipes.close();
      await flush(out, 1000);
      return 2;
    }
  }
  const tally = new MetricTally();
  const supervisor = new Supervisor({
    spec,
    onProbe: (program, result) => tally.probed(program, result.latencyMs),
    runner: createNodeProcessRunner(pipes),
    memory,
    logger,
    mirror: createStdoutMirror(out),
    baseEnv: programEnv(),
    userPlans: users.plans,
    userEnvs: users.envs,
    notify,
  });

  let control: ControlServer | undefined;
  let health: HealthServer | undefined;
  const healthPort = options.healthPort ?? spec.healthPort;
  const healthHost = options.healthHost ?? (process.env.KUBERNETES_SERVICE_HOST ? '0.0.0.0' : '127.0.0.1');
  const pid1 = process.pid === 1 || process.env[REAPER_ENV] !== undefined || reaper === 'tini (PID 1)';
  const facts = (): SupervisorFacts => ({ pid: process.pid, pid1, reaper, healthPort: health?.port, runDir: runDir(), configFile: options.file });
  try {
    // peer-uid: $COREPOD_PEER_UID, the bundled runtime's, the one `npm run build` compiled, then PATH.
    const peerUidHelper = findExecutable(['peer-uid'], { envVar: SIDECAR_ENV.peerUid, extraDirs: [runtimeBin, path.dirname(HOST_BUILT_PEER_UID)] });
    if (!peerUidHelper) logger.warn('peer-uid helper not found: the control socket is guarded by its file modes alone (root passes them)');
    control = await startControlServer(supervisor, socketPath(), facts, {
      peerUidHelper,
      onRefused: (why) => logger.warn('control connection refused', { reason: why }),
    });
    supervisor.subscribe(tally);
    const metrics = new ProcessMetrics(supervisor, tally);
    health = await startHealthServer(
      () => supervisor.health(),
      healthPort,
      healthHost,
      (accept) => metrics.scrape(accept),
    );
  } catch (error) {
    logger.fatal('cannot start: nothing started', { error: error as Error });
    await control?.close();
    await Promise.all([...notify.values()].map((channel) => channel.close()));
    pipes.close();
    await flush(out, 1000);
    return 1;
  }
  logger.info('supervisor started', { programs: spec.programs.length, socket: control.socketPath, healthPort: health.port, healthHost, reaper, config: options.file });

  const onSignal = (signal: NodeJS.Signals) => {
    if (supervisor.isStopping()) logger.info('already stopping', { signal });
    void supervisor.shutdown(`received ${signal}`, 0);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGQUIT', onSignal);
  // Live reconfiguration: `corepod reload` and SIGHUP re-read the file; in a pod, the CorePod watch and the ConfigMap bring new specs.
  let cluster: Awaited<ReturnType<typeof import('./kube/cluster-sinks.js')['attachClusterSinks']>>;
  const reloader = new SpecReloader({
    supervisor,
    logger,
    workDir: runDir(),
    ...(options.root ? { root: options.root } : {}),
    inPod: process.env[ENV.podName] !== undefined,
    ...(options.config.generation !== undefined ? { generation: options.config.generation } : {}),
    extras: async (next, names) => {
      const only = new Set(names);
      // Planned over the whole spec, so that an error names the program's own index.
      const planned = planUsers(next, euid, setpriv);
      planned.errors = planned.errors.filter((error) => only.has(next.programs[Number(/^spec\.programs\[(\d+)\]/.exec(error)?.[1])]?.name ?? ''));
      const errors = [...planned.errors, ...(await openNotify(next.programs, only))];
      if (errors.length > 0) return { errors };
      for (const warning of planned.warnings) logger.warn(warning);
      const extras: ProgramExtras = { userPlans: planned.plans, userEnvs: planned.envs, notify };
      return extras;
    },
    onChange: () => cluster?.reporter.refresh(),
  });
  const reloadFile = (dryRun: boolean) => reloader.reloadFile(options.file, dryRun);
  control.onReload(reloadFile);
  process.on('SIGHUP', () => {
    logger.info('SIGHUP: reading the config again', { config: options.file });
    void reloadFile(false).then((outcome) => logger.info(`reload: ${outcome.outcome}`, { changes: outcome.lines }));
  });

  const stopped = new Promise<number>((resolve) => {
    supervisor.subscribe({
      deliver: (event) => {
        if (event.type === 'supervisor' && event.state === 'stopped') resolve(event.exitCode ?? 0);
      },
    });
  });
  // Kubernetes status and Events when running in a CorePod pod (sidecar/kube/, loaded only there).
  const kube = await podModules;
  cluster = kube ? kube[0].attachClusterSinks(supervisor, logger, process.env, () => reloader.podFacts()) : undefined;
  const specSources = kube && cluster ? kube[1].watchSpecSources({ cluster, file: options.file, reloader, logger }) : undefined;
  // GitHub issues for alerts when spec.alerts.github is set, also standalone (sidecar/alerts/, loaded only then).
  const github = spec.alerts?.github
    ? await (await import('./alerts/attach-github-alerts.js')).attachGithubAlerts(supervisor, spec.alerts.github, options.config.name, logger)
    : undefined;
  supervisor.start();
  const code = await stopped;
  await specSources?.stop();
  await Promise.all([cluster?.finish(2000), github?.finish(2000)]);
  await Promise.all([control.close(), health.close(), ...[...notify.values()].map((channel) => channel.close())]);
  pipes.close();
  logger.info('supervisor exiting', { exitCode: code });
  await flush(out, 2000);
  return code;
}
