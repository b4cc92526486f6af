// What every *.cluster.test.ts shares: the local cluster's kubeconfig, kubectl, a fresh
// namespace per test file, the CRD, and the operator as a real child process.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { connect } from '../../kube/kubeconfig.js';
import { HttpKubeApi } from '../../kube/http-kube-api.js';
import { RESOURCES } from '../../kube/resources.js';
import { collectJsonLines } from '../../sidecar/test-helpers.js';
import { waitForWith } from '../../lib/wait-for.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

let cachedKubeconfig: string | undefined;

/** The cluster helper's kubeconfig (e2e/cluster/cluster.ts when present, else its script). */
export async function kubeconfigPath(): Promise<string> {
  if (cachedKubeconfig) return cachedKubeconfig;
  if (process.env.COREPOD_KUBECONFIG) return (cachedKubeconfig = process.env.COREPOD_KUBECONFIG);
  const helper = `${repoRoot}dist/e2e/cluster/cluster.js`;
  if (existsSync(helper)) {
    const module = (await import(helper)) as { kubeconfigPath?: () => string | Promise<string> };
    if (module.kubeconfigPath) return (cachedKubeconfig = await module.kubeconfigPath());
  }
  const { stdout } = await run(`${repoRoot}e2e/cluster/cluster`, ['kubeconfig']);
  return (cachedKubeconfig = stdout.trim());
}

/** Restarts one cluster component and waits until it is healthy again. */
export async function restartComponent(name: string): Promise<void> {
  const helper = `${repoRoot}dist/e2e/cluster/cluster.js`;
  if (existsSync(helper)) {
    const module = (await import(helper)) as { restartComponent?: (name: string) => Promise<void> };
    if (module.restartComponent) return module.restartComponent(name);
  }
  await run(`${repoRoot}e2e/cluster/cluster`, ['restart', name], { timeoutMs: 300_000 });
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(file: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; allowFailure?: boolean } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { env: options.env ?? process.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0;
      if (code !== 0 && !options.allowFailure) reject(new Error(`${file} ${args.join(' ')} exited ${code}: ${stderr || stdout}`));
      else resolve({ code, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

export async function kubectl(args: string[], options: { input?: string; allowFailure?: boolean } = {}): Promise<RunResult> {
  const kubeconfig = await kubeconfigPath();
  return run('kubectl', args, { ...options, env: { ...process.env, KUBECONFIG: kubeconfig } });
}

export async function clusterApi(): Promise<HttpKubeApi> {
  return new HttpKubeApi(await connect({ kubeconfig: await kubeconfigPath() }));
}

/** lib/wait-for.ts with the cluster suites' defaults: 120 s, polling every 250 ms. */
export const waitFor = waitForWith({ timeoutMs: 120_000, intervalMs: 250 });

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export async function installCrd(): Promise<void> {
  await kubectl(['apply', '--server-side', '--force-conflicts', '-f', `${repoRoot}crds/corepod.yaml`]);
  await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/corepods.dreamscape.io']);
}

/** A fresh namespace; `remove` deletes it and everything in it (with `wait`, until it is gone). */
export async function createNamespace(prefix: string, options: { wait?: boolean } = {}): Promise<{ name: string; remove: () => Promise<void> }> {
  const name = uniqueName(prefix);
  await kubectl(['create', 'namespace', name]);
  const wait = options.wait ? ['--wait=true', '--timeout=120s'] : ['--wait=false'];
  return { name, remove: async () => void (await kubectl(['delete', 'namespace', name, ...wait], { allowFailure: true })) };
}

export interface OperatorProcess {
  child: ChildProcess;
  logs: Record<string, unknown>[];
  healthPort: number;
  metricsPort: number;
  waitForLog(what: string, predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends the signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/** `node bin/corepod.js operator …` as a child process; its JSON log lines are collected. */
export async function startOperator(args: string[]): Promise<OperatorProcess> {
  const kubeconfig = await kubeconfigPath();
  const child = spawn(process.execPath, [`${repoRoot}bin/corepod.js`, 'operator', '--kubeconfig', kubeconfig, '--metrics-port', '0', '--health-port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs = collectJsonLines(child.stdout!);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitForLog = (what: string, predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 90_000) =>
    waitFor(`operator log: ${what} (stderr: ${stderr.slice(-500)})`, () => logs.find(predicate), timeoutMs);
  const started = await waitForLog('operator starting', (l) => l.msg === 'operator starting', 30_000);
  return {
    child,
    logs,
    waitForLog,
    exited,
    healthPort: started.healthPort as number,
    metricsPort: started.metricsPort as number,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}

export function readRepoFile(path: string): string {
  return readFileSync(`${repoRoot}${path}`, 'utf8');
}

export { RESOURCES };
