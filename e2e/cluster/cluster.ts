// The local cluster for test suites: kubeconfig, component restarts, images, commands inside the
// cluster network namespace, dockerd. A thin layer over the scripts next to this file, which stay
// the single source of truth (README.md describes the contract).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** e2e/cluster/ in the source tree (this module runs from dist/e2e/cluster/). */
export const clusterDir = fileURLToPath(new URL('../../../e2e/cluster/', import.meta.url));
const clusterScript = `${clusterDir}cluster`;
const imageScript = `${clusterDir}image`;

export const components = [
  'etcd',
  'kube-apiserver',
  'apiserver-bridge',
  'apiserver-forward',
  'kube-controller-manager',
  'kube-scheduler',
  'containerd',
  'kubelet',
  'kube-proxy',
  'dockerd',
] as const;
export type ClusterComponent = (typeof components)[number];

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Resolve with the exit code instead of rejecting when it is not 0. */
  allowFailure?: boolean;
}

/** Runs a program to completion; rejects with its stderr unless allowFailure. */
export function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { env: options.env ?? process.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? exitCodeOf(error) : 0;
      if (code !== 0 && !options.allowFailure) {
        reject(new Error(`${file} ${args.join(' ')} exited ${code}: ${(stderr || stdout).trim()}`));
      } else {
        resolve({ code, stdout, stderr });
      }
    });
    // A program that exits without reading its input closes the pipe: EPIPE, not a failure of the
    // run (its exit code says how it went).
    child.stdin?.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    child.stdin?.end(options.input ?? '');
  });
}

function exitCodeOf(error: Error): number {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : 1;
}

let kubeconfig: string | undefined;

/**
 * Path of the admin kubeconfig that works from the host (https://127.0.0.1:<port>, through the
 * loopback forwarder) and inside the cluster network namespace, or $COREPOD_KUBECONFIG when set.
 * Asked once per process; throws if the cluster is not up.
 */
export function kubeconfigPath(): string {
  if (kubeconfig) return kubeconfig;
  if (process.env.COREPOD_KUBECONFIG) return (kubeconfig = process.env.COREPOD_KUBECONFIG);
  try {
    return (kubeconfig = execFileSync(clusterScript, ['kubeconfig'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim());
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`the local cluster is not up (run \`make cluster-up\`): ${stderr || (error as Error).message}`);
  }
}

/** The cluster's state directory: the kubelet's root (kubelet/), containerd's (containerd/root), logs. */
export function stateDir(): string {
  return execFileSync(clusterScript, ['state-dir'], { encoding: 'utf8' }).trim();
}

/** The machine's kubectl when there is one, else the one built with the cluster. */
export function kubectlPath(): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(`${dir}/kubectl`)) return `${dir}/kubectl`;
  }
  return `${binDir()}/kubectl`;
}

/** The directory holding the built k8s, kubectl and pause binaries (it may not be built yet). */
export function binDir(): string {
  return execFileSync(`${clusterDir}build-k8s`, ['--dir'], { encoding: 'utf8' }).trim();
}

export type HelmMajor = 'v4' | 'v3';

/** Helm 4 (default) or Helm 3, each built from its own Go module by build-helm (it may not be built yet). */
export function helmPath(major: HelmMajor = 'v4'): string {
  return execFileSync(`${clusterDir}build-helm`, [major, '--path'], { encoding: 'utf8' }).trim();
}

/** helm against the local cluster (Helm 4 unless options.major says v3). */
export function helm(args: readonly string[], options: RunOptions & { major?: HelmMajor } = {}): Promise<RunResult> {
  return run(helmPath(options.major), ['--kubeconfig', kubeconfigPath(), ...args], options);
}

/** kubectl against the local cluster. */
export function kubectl(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return run(kubectlPath(), ['--kubeconfig', kubeconfigPath(), ...args], options);
}

/** Stops and starts one component, resolving once it is healthy again (and reachable from the host). */
export async function restartComponent(name: ClusterComponent): Promise<void> {
  await run(clusterScript, ['restart', name], { timeoutMs: 300_000 });
}

/** Runs a command inside the cluster network namespace, where node, pod and Service IPs answer. */
export function netnsRun(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return run(clusterScript, ['exec', '--', file, ...args], options);
}

/** argv that runs `file args` inside the cluster network namespace (for spawn). */
export function netnsCommand(file: string, args: readonly string[]): [string, string[]] {
  return [clusterScript, ['exec', '--', file, ...args]];
}

export type ImageSource = { rootfs: string } | { recipe: string; context?: string } | { binary: string; path?: string };

export type ImageSpec = ImageSource & {
  /** NAME:TAG, never :latest (kubelet would try to pull it). */
  tag: string;
  /** Exec form; a one-element array for a plain program. */
  entrypoint?: readonly string[];
  cmd?: readonly string[];
  env?: Readonly<Record<string, string>>;
  user?: string;
  workdir?: string;
  labels?: Readonly<Record<string, string>>;
  expose?: readonly string[];
};

/** The image helper's command line for a spec (pure). */
export function imageBuildArgs(spec: ImageSpec): string[] {
  const args = ['build', '--tag', spec.tag];
  if ('rootfs' in spec) args.push('--rootfs', spec.rootfs);
  else if ('recipe' in spec) {
    args.push('--recipe', spec.recipe);
    if (spec.context !== undefined) args.push('--context', spec.context);
  } else args.push('--binary', spec.path === undefined ? spec.binary : `${spec.binary}:${spec.path}`);
  if (spec.entrypoint) args.push('--entrypoint', JSON.stringify(spec.entrypoint));
  if (spec.cmd) args.push('--cmd', JSON.stringify(spec.cmd));
  for (const [key, value] of Object.entries(spec.env ?? {})) args.push('--env', `${key}=${value}`);
  if (spec.user !== undefined) args.push('--user', spec.user);
  if (spec.workdir !== undefined) args.push('--workdir', spec.workdir);
  for (const [key, value] of Object.entries(spec.labels ?? {})) args.push('--label', `${key}=${value}`);
  for (const port of spec.expose ?? []) args.push('--expose', port);
  return args;
}

/** Builds the image (cached by content, in `cache` if given) and returns the docker-archive path. */
export async function buildImage(spec: ImageSpec, cache?: string): Promise<string> {
  const env = cache === undefined ? process.env : { ...process.env, COREPOD_CACHE: cache };
  const { stdout } = await run(imageScript, imageBuildArgs(spec), { env, timeoutMs: 20 * 60_000 });
  return stdout.trim().split('\n').pop()!;
}

export interface LoadTarget {
  /** Load into the harness dockerd (make docker-up) instead of the node's containerd. */
  docker?: boolean;
}

/** Imports a docker-archive into the node's containerd (namespace k8s.io) or into dockerd. */
export async function loadImage(archive: string, target: LoadTarget = {}): Promise<void> {
  await run(imageScript, ['load', archive, ...(target.docker ? ['--docker'] : [])], { timeoutMs: 10 * 60_000 });
}

/** buildImage then loadImage; returns the archive path. Pods use `imagePullPolicy: Never`. */
export async function buildAndLoadImage(spec: ImageSpec, target: LoadTarget = {}): Promise<string> {
  const archive = await buildImage(spec);
  await loadImage(archive, target);
  return archive;
}

/** Starts dockerd in the cluster network namespace if needed; returns its DOCKER_HOST. */
export async function dockerUp(): Promise<string> {
  const { stdout } = await run(clusterScript, ['docker-up'], { timeoutMs: 180_000 });
  return stdout.trim().split('\n').pop()!;
}

/** DOCKER_HOST of the harness dockerd if it is running, else undefined. */
export async function dockerHost(): Promise<string | undefined> {
  const { code, stdout } = await run(clusterScript, ['docker-status'], { allowFailure: true });
  return code === 0 ? stdout.trim() : undefined;
}

/** Stops the harness dockerd and removes its containers. */
export async function dockerDown(): Promise<void> {
  await run(clusterScript, ['docker-down'], { timeoutMs: 180_000 });
}

/**
 * Environment for testcontainers inside the cluster network namespace: no image can be pulled,
 * so Ryuk is off; containers' mapped ports answer on localhost only inside that namespace, so a
 * process using testcontainers must itself run there (netnsRun / netnsCommand / e2e/cluster/exec).
 */
export function testcontainersEnv(dockerHostUrl: string): NodeJS.ProcessEnv {
  return { ...process.env, DOCKER_HOST: dockerHostUrl, TESTCONTAINERS_RYUK_DISABLED: 'true' };
}
