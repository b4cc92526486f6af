// What the sidecar's end-to-end tests share: the images (e2e/images/build-images), a namespace
// with the operator running for it as a real child process, and views of CorePods, their pods,
// Events and logs through kubectl.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { stringify } from 'yaml';
import type { CorePodStatus, ProcessStatus } from '../../crds/corepod-schema.js';
import type { RuntimeDelivery } from '../../contract/sidecar-contract.js';
import { kubectlPath } from '../cluster/cluster.js';
import { createNamespace, installCrd, kubeconfigPath, kubectl, repoRoot, run, startOperator, waitFor, type OperatorProcess } from './cluster-env.js';

export { kubectl, waitFor };

export const IMAGES = {
  /** $SIDECAR_IMAGE (also build-images' tag) lets two checkouts test their own sidecar on one cluster. */
  sidecar: process.env.SIDECAR_IMAGE ?? 'localhost/corepod/sidecar:dev',
  muslBusybox: 'localhost/corepod/musl-busybox:dev',
  static: 'localhost/corepod/static-http:dev',
} as const;

export type ImageName = 'sidecar' | 'dreamscape' | 'musl-busybox' | 'static';

/** Builds (cached) and loads the images; returns NAME → TAG. */
export async function buildImages(names: ImageName[], options: { docker?: boolean } = {}): Promise<Record<string, string>> {
  const { stdout } = await run(`${repoRoot}e2e/images/build-images`, [...(options.docker ? ['--docker'] : []), ...names], { timeoutMs: 30 * 60_000 });
  const tags: Record<string, string> = {};
  for (const line of stdout.trim().split('\n')) {
    const [name, tag] = line.split(' ');
    if (name && tag) tags[name] = tag;
  }
  for (const name of names) if (!tags[name]) throw new Error(`build-images did not report ${name}: ${stdout}`);
  return tags;
}

type Json = Record<string, any>;

export interface CorePodView {
  metadata: { name: string; uid: string; generation?: number };
  spec: Json;
  status?: CorePodStatus;
}

/** A namespace with the CRD installed and the operator reconciling it. */
/** Fresh manifests of the two Secrets examples/dreamscape/corepod.yaml reads (examples/dreamscape/secrets). */
export async function dreamscapeSecrets(): Promise<string> {
  return (await run(`${repoRoot}examples/dreamscape/secrets`, [])).stdout;
}

export class Stage {
  private constructor(
    readonly namespace: string,
    readonly operator: OperatorProcess,
    private readonly removeNamespace: () => Promise<void>,
  ) {}

  /**
   * runtimeDelivery: the operator's --runtime-delivery (default auto: image volumes on 1.35+);
   * operatorInClusterNetwork: the operator runs in the cluster's network namespace (startOperator).
   */
  static async open(prefix: string, options: { runtimeDelivery?: RuntimeDelivery; operatorInClusterNetwork?: boolean } = {}): Promise<Stage> {
    await installCrd();
    const { name, remove } = await createNamespace(prefix);
    const delivery = options.runtimeDelivery ? ['--runtime-delivery', options.runtimeDelivery] : [];
    const operator = await startOperator(['--namespace', name, '--sidecar-image', IMAGES.sidecar, ...delivery], { inClusterNetwork: options.operatorInClusterNetwork === true });
    return new Stage(name, operator, remove);
  }

  async close(): Promise<void> {
    await this.operator.stop();
    await this.removeNamespace();
  }

  async kubectl(args: string[], options: { input?: string; allowFailure?: boolean } = {}) {
    return kubectl(['-n', this.namespace, ...args], options);
  }

  async apply(name: string, spec: Json): Promise<void> {
    await this.kubectl(['apply', '-f', '-'], { input: stringify({ apiVersion: 'dreamscape.io/v1alpha1', kind: 'CorePod', metadata: { name }, spec }) });
  }

  /** The Secrets examples/dreamscape/corepod.yaml reads, made as `make demo` makes them. */
  async createDreamscapeSecrets(): Promise<void> {
    await this.kubectl(['apply', '-f', '-'], { input: await dreamscapeSecrets() });
  }

  async applyFile(file: string): Promise<void> {
    await this.kubectl(['apply', '-f', file]);
  }

  async corePod(name: string): Promise<CorePodView | undefined> {
    const { code, stdout } = await this.kubectl(['get', 'corepod', name, '-o', 'json'], { allowFailure: true });
    return code === 0 ? (JSON.parse(stdout) as CorePodView) : undefined;
  }

  /** The processes the given pod reported (or the only reporting pod). */
  async processes(name: string, pod?: string): Promise<ProcessStatus[] | undefined> {
    const pods = (await this.corePod(name))?.status?.pods ?? [];
    const entry = pod ? pods.find((p) => p.name === pod) : pods.length === 1 ? pods[0] : undefined;
    return entry?.processes;
  }

  async waitForCorePod<T>(name: string, what: string, check: (cp: CorePodView) => T | undefined | false, timeoutMs = 180_000): Promise<T> {
    return waitFor(
      `${name}: ${what}`,
      async () => {
        const cp = await this.corePod(name);
        return cp ? check(cp) : undefined;
      },
      timeoutMs,
      250,
    );
  }

  /** Pods of the CorePod (not being deleted), by name. */
  async pods(name: string): Promise<Json[]> {
    const { stdout } = await this.kubectl(['get', 'pods', '-l', `app.kubernetes.io/instance=${name}`, '-o', 'json']);
    return (JSON.parse(stdout).items as Json[]).filter((p) => !p.metadata.deletionTimestamp);
  }

  /** The single running, ready pod of the CorePod. */
  async readyPod(name: string, timeoutMs = 180_000): Promise<Json> {
    return waitFor(
      `${name}: one ready pod`,
      async () => {
        const pods = await this.pods(name);
        const ready = pods.filter((p) => p.status?.conditions?.some((c: Json) => c.type === 'Ready' && c.status === 'True'));
        return pods.length === 1 && ready.length === 1 ? ready[0] : undefined;
      },
      timeoutMs,
      250,
    );
  }

  async exec(pod: string, argv: string[], options: { allowFailure?: boolean } = {}) {
    return this.kubectl(['exec', pod, '-c', 'app', '--', ...argv], options);
  }

  /** events.k8s.io Events regarding the CorePod. */
  async events(name: string): Promise<Json[]> {
    const { stdout } = await this.kubectl(['get', 'events.events.k8s.io', '-o', 'json']);
    return (JSON.parse(stdout).items as Json[]).filter((e) => e.regarding?.kind === 'CorePod' && e.regarding?.name === name);
  }

  /**
   * Deletes the pod while following its log and its container state (both are gone afterwards):
   * the supervisor's JSON log lines and the app container's exit code.
   */
  async deleteAndFollow(pod: string): Promise<{ lines: Json[]; exitCode: number }> {
    const kubeconfig = kubeconfigPath();
    const base = ['--kubeconfig', kubeconfig, '-n', this.namespace];
    const logs = spawn(kubectlPath(), [...base, 'logs', '-f', pod, '-c', 'app'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const watch = spawn(kubectlPath(), [...base, 'get', 'pod', pod, '-w', '-o', 'jsonpath={.status.containerStatuses[0].state.terminated.exitCode}{"\\n"}'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let logText = '';
    let watchText = '';
    logs.stdout.setEncoding('utf8').on('data', (c: string) => (logText += c));
    watch.stdout.setEncoding('utf8').on('data', (c: string) => (watchText += c));
    try {
      await waitFor('the log stream', () => logText.includes('supervisor started'), 60_000);
      await this.kubectl(['delete', 'pod', pod, '--wait=false']);
      await waitFor('the supervisor exits', () => logText.includes('"msg":"supervisor exiting"'), 120_000);
      await waitFor('the container terminated state', () => /^\d+$/m.test(watchText), 120_000);
    } finally {
      logs.kill();
      watch.kill();
    }
    const lines = logText
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Json);
    return { lines, exitCode: Number(watchText.split('\n').find((l) => /^\d+$/.test(l))) };
  }

  /**
   * Cuts the pod off from the API server: a DROP rule for the kubernetes Service address inside the
   * pod's network namespace (entered through one of its processes on this node). Connections stay
   * open but nothing gets through, as in a network partition. Returns the function that lifts it.
   */
  async blockApiServer(pod: string): Promise<() => Promise<void>> {
    const pid = hostPidOf(pod);
    const { stdout } = await this.exec(pod, ['/bin/sh', '-c', 'echo $KUBERNETES_SERVICE_HOST']);
    const address = stdout.trim();
    if (!/^[\d.]+$/.test(address)) throw new Error(`pod ${pod}: no KUBERNETES_SERVICE_HOST (${address})`);
    const rule = ['OUTPUT', '-d', `${address}/32`, '-j', 'DROP'];
    await run('nsenter', ['-t', String(pid), '-n', 'iptables', '-I', ...rule]);
    return async () => {
      await run('nsenter', ['-t', String(pid), '-n', 'iptables', '-D', ...rule]);
    };
  }

  async logs(pod: string): Promise<Json[]> {
    const { stdout } = await this.kubectl(['logs', pod, '-c', 'app'], { allowFailure: true });
    return stdout
      .split('\n')
      .filter(Boolean)
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Json];
        } catch {
          return [{ raw: line }];
        }
      });
  }
}

/** A process of the pod on this node (its COREPOD_POD_NAME), to enter the pod's namespaces. */
export function hostPidOf(pod: string): number {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`COREPOD_POD_NAME=${pod}`)) return Number(entry);
    } catch {
      // gone, or a kernel thread
    }
  }
  throw new Error(`no process of pod ${pod} on this node`);
}

export const processNamed = (list: ProcessStatus[] | undefined, name: string) => list?.find((p) => p.name === name);
