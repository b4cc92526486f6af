// What every *.cluster.test.ts shares: the local cluster's kubeconfig and kubectl (from
// e2e/cluster/cluster.ts), a fresh namespace per test file, the CRD, and the operator as a real
// child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { connect } from '../../kube/kubeconfig.js';
import { HttpKubeApi } from '../../kube/http-kube-api.js';
import { RESOURCES } from '../../kube/resources.js';
import { collectJsonLines } from '../../sidecar/test-helpers.js';
import { waitForWith } from '../../lib/wait-for.js';
import { kubeconfigPath, kubectl, netnsCommand } from '../cluster/cluster.js';
import { operatorNodeFlags } from '../../operator/node-flags.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export { kubeconfigPath, kubectl, restartComponent, run, type RunResult } from '../cluster/cluster.js';

export async function clusterApi(): Promise<HttpKubeApi> {
  return new HttpKubeApi(await connect({ kubeconfig: kubeconfigPath() }));
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
  /** What it wrote to stderr so far (Node's report of an uncaught exception lands there). */
  stderr(): string;
  waitForLog(what: string, predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends the signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/**
 * `node bin/corepod.js operator …` as a child process; its JSON log lines are collected. With
 * inClusterNetwork it runs inside the cluster's network namespace (the same kubeconfig works
 * there), where something else in it, such as a Prometheus, reaches its ports on 127.0.0.1.
 */
export async function startOperator(args: string[], options: { inClusterNetwork?: boolean } = {}): Promise<OperatorProcess> {
  const kubeconfig = kubeconfigPath();
  const argv = [...operatorNodeFlags(), `${repoRoot}bin/corepod.js`, 'operator', '--kubeconfig', kubeconfig, '--metrics-port', '0', '--health-port', '0', ...args];
  // The cluster script execs nsenter, which execs node: the child's pid ends up node's.
  const [file, fileArgs] = options.inClusterNetwork ? netnsCommand(process.execPath, argv) : [process.execPath, argv];
  const child = spawn(file, fileArgs, {
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
    stderr: () => stderr,
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
