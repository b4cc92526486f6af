// `corepod operator`: runs the CorePod controller until SIGTERM/SIGINT (exit 0) or until it loses
// its lease (exit 1, so the Deployment restarts it as a follower). Bad flags: exit 2.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { pino, type Logger } from 'pino';
import { CorePodController } from './controller/corepod-controller.js';
import { DEFAULT_SIDECAR, type SidecarContract } from '../contract/sidecar-contract.js';
import { connect } from '../kube/kubeconfig.js';
import { HttpKubeApi } from '../kube/http-kube-api.js';
import { startServers } from './runtime/http-servers.js';
import { OperatorMetrics } from './runtime/metrics.js';
import { UsageError } from '../lib/usage-error.js';
import { chooseRuntimeDelivery, RUNTIME_DELIVERY_FLAGS, type RuntimeDeliveryFlag } from './desired/runtime-delivery.js';
import { classifyApiError, type ServerVersion } from '../kube/kube-api.js';
import { Backoff } from '../lib/backoff.js';

export const usage = `Usage: corepod operator [flags]

Runs the CorePod operator (dreamscape.io/v1alpha1 CorePods).

  --kubeconfig FILE              kubeconfig to use (default: in-cluster config, else $KUBECONFIG or ~/.kube/config)
  --namespace NS                 watch only this namespace (default: all namespaces)
  --watch-namespaces NS,NS       watch only these namespaces, one cache each, so a Role in each suffices
  --sidecar-image IMAGE          image holding the sidecar-init runtime (default: ${DEFAULT_SIDECAR.image})
  --runtime-delivery MODE        how the runtime reaches pods: image-volume (the sidecar image mounted
                                 read-only, Kubernetes 1.35+), copy (an init container copies it into
                                 an emptyDir), or auto: image-volume if the apiserver is 1.35+ (default: auto)
  --sidecar-runtime-path PATH    the runtime's directory in the sidecar image (default: ${DEFAULT_SIDECAR.runtimePath})
  --sidecar-install-command JSON init container command with copy (default: ${JSON.stringify(DEFAULT_SIDECAR.installCommand)})
  --sidecar-entrypoint JSON      app container command (default: ${JSON.stringify(DEFAULT_SIDECAR.entrypoint)})
  --sidecar-image-pull-policy P  pullPolicy of the sidecar image: Always, IfNotPresent, Never (default: IfNotPresent)
  --concurrency N                concurrent reconciles (default: 128; they wait on the apiserver,
                                 whose load --max-writes-in-flight bounds)
  --max-writes-in-flight N       writes to the apiserver at once across all reconciles; the rest
                                 wait, those that let pods start first (default: 32)
  --leader-elect                 elect a leader on a Lease before reconciling
  --leader-election-namespace NS namespace of the Lease (default: $POD_NAMESPACE, else --namespace, else default)
  --leader-election-id NAME      name of the Lease (default: corepod-operator)
  --lease-duration SECONDS       (default: 15)
  --renew-deadline SECONDS       (default: 10)
  --retry-period SECONDS         (default: 2)
  --identity ID                  leader election identity (default: $POD_NAME, else hostname_random)
  --metrics-port PORT            /metrics (default: 8080; 0 picks a free port)
  --health-port PORT             /healthz and /readyz (default: 8081; 0 picks a free port)
  --resync-seconds N             replay every cached object to the controller this often (default: 600)
  --log-level LEVEL              trace, debug, info, warn, error (default: info)
  -h, --help
`;

export interface OperatorFlags {
  kubeconfig?: string;
  namespace?: string;
  watchNamespaces?: string[];
  /** sidecar.delivery is settled at start from runtimeDelivery (chooseRuntimeDelivery). */
  sidecar: SidecarContract;
  runtimeDelivery: RuntimeDeliveryFlag;
  concurrency: number;
  maxWritesInFlight: number;
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  identity: string;
  metricsPort: number;
  healthPort: number;
  resyncMs: number;
  logLevel: string;
}

function integer(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`--${name}: expected an integer from ${min} to ${max}, got "${text}"`);
  return value;
}

function command(name: string, text: string | undefined, fallback: string[]): string[] {
  if (text === undefined) return fallback;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`--${name}: expected a JSON array of strings, got ${text}`);
  }
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string')) {
    throw new UsageError(`--${name}: expected a non-empty JSON array of strings, got ${text}`);
  }
  return value as string[];
}

export function parseFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): OperatorFlags | 'help' {
  // biome-ignore lint/suspicious/noImplicitAnyLet: parseArgs infers the type from the options below
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        kubeconfig: { type: 'string' },
        namespace: { type: 'string' },
        'watch-namespaces': { type: 'string' },
        'sidecar-image': { type: 'string' },
        'sidecar-image-pull-policy': { type: 'string' },
        'sidecar-runtime-path': { type: 'string' },
        'runtime-delivery': { type: 'string' },
        'sidecar-install-command': { type: 'string' },
        'sidecar-entrypoint': { type: 'string' },
        concurrency: { type: 'string' },
        'max-writes-in-flight': { type: 'string' },
        'leader-elect': { type: 'boolean' },
        'leader-election-namespace': { type: 'string' },
        'leader-election-id': { type: 'string' },
        'lease-duration': { type: 'string' },
        'renew-deadline': { type: 'string' },
        'retry-period': { type: 'string' },
        identity: { type: 'string' },
        'metrics-port': { type: 'string' },
        'health-port': { type: 'string' },
        'resync-seconds': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const logLevel = values['log-level'] ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal'].includes(logLevel)) throw new UsageError(`--log-level: unknown level "${logLevel}"`);
  const leaseDurationMs = integer('lease-duration', values['lease-duration'], 15, 1, 3600) * 1000;
  const renewDeadlineMs = integer('renew-deadline', values['renew-deadline'], 10, 1, 3600) * 1000;
  const retryPeriodMs = integer('retry-period', values['retry-period'], 2, 1, 3600) * 1000;
  const watchNamespaces = values['watch-namespaces']
    ?.split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  if (watchNamespaces !== undefined) {
    if (values.namespace) throw new UsageError('--namespace and --watch-namespaces: give one of them');
    const bad = watchNamespaces.find((n) => !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n) || n.length > 63);
    if (watchNamespaces.length === 0 || bad !== undefined)
      throw new UsageError(`--watch-namespaces: expected comma-separated namespace names, got "${values['watch-namespaces']}"`);
  }
  const pullPolicy = values['sidecar-image-pull-policy'];
  if (pullPolicy !== undefined && !['Always', 'IfNotPresent', 'Never'].includes(pullPolicy)) {
    throw new UsageError(`--sidecar-image-pull-policy: expected Always, IfNotPresent or Never, got "${pullPolicy}"`);
  }
  const runtimeDelivery = (values['runtime-delivery'] ?? 'auto') as RuntimeDeliveryFlag;
  if (!RUNTIME_DELIVERY_FLAGS.includes(runtimeDelivery)) {
    throw new UsageError(`--runtime-delivery: expected ${RUNTIME_DELIVERY_FLAGS.join(', ')}, got "${values['runtime-delivery']}"`);
  }
  const runtimePath = values['sidecar-runtime-path'] ?? DEFAULT_SIDECAR.runtimePath;
  if (!runtimePath.startsWith('/') || runtimePath.split('/').includes('..') || runtimePath === '/') {
    throw new UsageError(`--sidecar-runtime-path: expected an absolute directory below /, got "${runtimePath}"`);
  }
  if (!(leaseDurationMs > renewDeadlineMs && renewDeadlineMs > retryPeriodMs)) {
    throw new UsageError('--lease-duration must exceed --renew-deadline, which must exceed --retry-period');
  }
  return {
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
    ...(values.namespace ? { namespace: values.namespace } : {}),
    ...(watchNamespaces ? { watchNamespaces: [...new Set(watchNamespaces)] } : {}),
    sidecar: {
      image: values['sidecar-image'] ?? DEFAULT_SIDECAR.image,
      delivery: runtimeDelivery === 'auto' ? DEFAULT_SIDECAR.delivery : runtimeDelivery,
      runtimePath,
      installCommand: command('sidecar-install-command', values['sidecar-install-command'], DEFAULT_SIDECAR.installCommand),
      entrypoint: command('sidecar-entrypoint', values['sidecar-entrypoint'], DEFAULT_SIDECAR.entrypoint),
      ...(pullPolicy ? { imagePullPolicy: pullPolicy as NonNullable<SidecarContract['imagePullPolicy']> } : {}),
    },
    runtimeDelivery,
    concurrency: integer('concurrency', values.concurrency, 128, 1, 1000),
    maxWritesInFlight: integer('max-writes-in-flight', values['max-writes-in-flight'], 32, 1, 1000),
    leaderElect: values['leader-elect'] ?? false,
    leaseNamespace: values['leader-election-namespace'] ?? env.POD_NAMESPACE ?? values.namespace ?? watchNamespaces?.[0] ?? 'default',
    leaseName: values['leader-election-id'] ?? 'corepod-operator',
    leaseDurationMs,
    renewDeadlineMs,
    retryPeriodMs,
    identity: values.identity ?? env.POD_NAME ?? `${hostname()}_${randomBytes(4).toString('hex')}`,
    metricsPort: integer('metrics-port', values['metrics-port'], 8080, 0, 65_535),
    healthPort: integer('health-port', values['health-port'], 8081, 0, 65_535),
    resyncMs: integer('resync-seconds', values['resync-seconds'], 600, 1, 86_400) * 1000,
    logLevel,
  };
}

/**
 * The apiserver's version, asked until it answers: deciding on a guess would build the other pod
 * shape and roll every CorePod's pods when the operator next starts. Only a refusal (say, an
 * unusual RBAC on /version) gives undefined, so the runtime is copied.
 */
async function readServerVersion(api: HttpKubeApi, log: Logger, stop: Promise<unknown>): Promise<{ version: ServerVersion | undefined }> {
  const backoff = new Backoff({ initialMs: 500, maxMs: 10_000 });
  let stopped = false;
  void stop.then(() => (stopped = true));
  for (;;) {
    try {
      return { version: await api.serverVersion() };
    } catch (error) {
      if (classifyApiError(error) !== 'retry') {
        log.warn({ err: error }, 'the apiserver refuses GET /version; the runtime is copied into pods');
        return { version: undefined };
      }
      const delayMs = backoff.next();
      log.warn({ err: error, retryInMs: delayMs }, 'cannot read the apiserver version yet');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (stopped) return { version: undefined };
    }
  }
}

/** argv: the arguments after `operator`. */
export async function main(argv: string[]): Promise<number> {
  let flags: OperatorFlags | 'help';
  try {
    flags = parseFlags(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`corepod operator: ${error.message}\n\n${usage}`);
      return 2;
    }
    throw error;
  }
  if (flags === 'help') {
    process.stdout.write(usage);
    return 0;
  }
  const log = pino({ level: flags.logLevel, base: { controller: 'corepod', identity: flags.identity } });
  const metrics = new OperatorMetrics();
  let api: HttpKubeApi;
  try {
    const connection = await connect(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {});
    const host = connection.server.host;
    api = new HttpKubeApi(connection, {
      // Writes are bounded by the scheduler; reads (the Secret check) and Events come on top.
      maxSockets: flags.maxWritesInFlight + flags.concurrency + 16,
      userAgent: 'corepod-operator',
      observe: (method, code) => metrics.restRequests.inc({ method, code: String(code), host }),
    });
  } catch (error) {
    process.stderr.write(`corepod operator: cannot load the Kubernetes config: ${(error as Error).message}\n`);
    return 2;
  }
  let signalled: (signal: string) => void;
  const stopSignal = new Promise<string>((resolve) => (signalled = resolve));
  const onSignal = (signal: NodeJS.Signals) => signalled(signal);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  let version: ServerVersion | undefined;
  if (flags.runtimeDelivery === 'auto') {
    const read = await Promise.race([readServerVersion(api, log, stopSignal), stopSignal.then((signal) => ({ signal }))]);
    if ('signal' in read) {
      log.info({ signal: read.signal }, 'stopped before the apiserver answered');
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      api.close();
      return 0;
    }
    version = read.version;
  }
  const runtime = chooseRuntimeDelivery(flags.runtimeDelivery, version);
  const sidecar: SidecarContract = { ...flags.sidecar, delivery: runtime.delivery };
  metrics.runtimeDelivery.set({ mode: runtime.delivery }, 1);
  const controller = new CorePodController({
    api,
    log,
    metrics,
    sidecar,
    concurrency: flags.concurrency,
    maxWritesInFlight: flags.maxWritesInFlight,
    identity: flags.identity,
    resyncMs: flags.resyncMs,
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
    ...(flags.watchNamespaces ? { namespaces: flags.watchNamespaces } : {}),
    ...(flags.leaderElect
      ? {
          leaderElection: {
            namespace: flags.leaseNamespace,
            name: flags.leaseName,
            leaseDurationMs: flags.leaseDurationMs,
            renewDeadlineMs: flags.renewDeadlineMs,
            retryPeriodMs: flags.retryPeriodMs,
          },
        }
      : {}),
  });
  const servers = await startServers({ healthy: () => true, ready: () => controller.ready, registry: metrics.registry }, { health: flags.healthPort, metrics: flags.metricsPort });
  log.info(
    {
      healthPort: servers.healthPort,
      metricsPort: servers.metricsPort,
      namespaces: flags.watchNamespaces ?? [flags.namespace ?? '(all)'],
      sidecarImage: sidecar.image,
      runtimeDelivery: runtime.delivery,
      runtimeDeliveryReason: runtime.reason,
    },
    'operator starting',
  );

  void controller.start().catch((error: Error) => log.error({ err: error }, 'start failed'));
  const outcome = await Promise.race([stopSignal.then((signal) => ({ signal })), controller.done.then((code) => ({ code }))]);
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  if ('signal' in outcome) log.info({ signal: outcome.signal }, 'shutting down');
  await controller.stop();
  await servers.close();
  api.close();
  log.info('stopped');
  return 'code' in outcome ? outcome.code : 0;
}
