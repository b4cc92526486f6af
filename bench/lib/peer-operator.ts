// The controller-runtime peer operator (bench/peer-operator, Go): built and cached outside the
// repository by bench/peer-operator/build, run as a child process watching one namespace.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { repoRoot } from '../../e2e/support/cluster-env.js';

/** Builds the peer if its cache has no binary for these sources (minutes when cold); returns its path. */
export async function buildPeerOperator(): Promise<string> {
  // Its progress goes to our stderr as it comes; the path is its one line of stdout.
  const child = spawn(`${repoRoot}bench/peer-operator/build`, [], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`bench/peer-operator/build exited ${code}`);
  return stdout.trim();
}

/** A free loopback port (for the peer's metrics, which controller-runtime binds to an address). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface PeerProcess {
  child: ChildProcess;
  metricsPort: number;
  stop(): Promise<number | null>;
}

export async function startPeerOperator(
  binary: string,
  options: { kubeconfig: string; namespace: string; sidecarImage: string; concurrency?: number; cpuProfile?: string },
): Promise<PeerProcess> {
  const metricsPort = await freePort();
  const child = spawn(
    binary,
    [
      '--kubeconfig',
      options.kubeconfig,
      '--namespace',
      options.namespace,
      '--sidecar-image',
      options.sidecarImage,
      '--metrics-bind-address',
      `127.0.0.1:${metricsPort}`,
      ...(options.concurrency ? ['--concurrency', String(options.concurrency)] : []),
    ],
    // controller-runtime logs JSON on stderr; only errors are passed on.
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let pending = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) if (!line.includes('"level":"info"')) process.stderr.write(`[peer-operator] ${line}\n`);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    metricsPort,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
