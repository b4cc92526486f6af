// Debian's prometheus (APT_PACKAGES) as a real server for the end-to-end suite, started inside
// the cluster's network namespace, where pod IPs and the apiserver answer: its own config file and
// data dir in a temp dir, listening on the netns' loopback only, queried through its HTTP API
// with curl inside the netns. close() stops it and removes the temp dir.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { netnsCommand, netnsRun } from '../cluster/cluster.js';
import { waitForWith } from '../../lib/wait-for.js';

const PROMETHEUS = '/usr/bin/prometheus';
const waitFor = waitForWith({ timeoutMs: 60_000, intervalMs: 250 });

export interface VectorSample {
  metric: Record<string, string>;
  value: number;
}

export interface PrometheusServer {
  /** An instant query through /api/v1/query. */
  query(expr: string): Promise<VectorSample[]>;
  /** The active targets' scrape pools, with their health (up/down/unknown). */
  targets(): Promise<{ scrapePool: string; health: string; lastError: string; labels: Record<string, string> }[]>;
  output(): string;
  close(): Promise<void>;
}

async function api<T>(port: number, urlPath: string, params: Record<string, string> = {}): Promise<T> {
  const args = ['-sS', '--fail-with-body', '--max-time', '10', '-G', ...Object.entries(params).flatMap(([k, v]) => ['--data-urlencode', `${k}=${v}`])];
  const { stdout } = await netnsRun('curl', [...args, `http://127.0.0.1:${port}${urlPath}`]);
  const body = JSON.parse(stdout) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`prometheus ${urlPath}: ${body.error ?? stdout}`);
  return body.data;
}

/** `config` is prometheus.yml as an object; the port is picked at random (retried if taken). */
export async function startPrometheus(config: Record<string, unknown>): Promise<PrometheusServer> {
  if (!fs.existsSync(PROMETHEUS)) throw new Error(`${PROMETHEUS} missing: \`make deps\` installs Debian's prometheus package`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corepod-prometheus-'));
  const configFile = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(configFile, stringify(config));
  let lastOutput = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const [file, args] = netnsCommand(PROMETHEUS, [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ]);
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let gone = false;
    void exited.then(() => (gone = true));
    const close = async () => {
      if (!gone) child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    };
    try {
      await waitFor(`prometheus ready on 127.0.0.1:${port}`, async () => {
        if (gone) throw new Error(`prometheus exited: ${output.slice(-2000)}`);
        return (await netnsRun('curl', ['-fsS', '--max-time', '2', `http://127.0.0.1:${port}/-/ready`], { allowFailure: true })).code === 0;
      });
    } catch (error) {
      lastOutput = output;
      if (gone && /address already in use/.test(output)) continue;
      await close();
      throw error;
    }
    return {
      query: async (expr) =>
        (await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(port, '/api/v1/query', { query: expr })).result.map((r) => ({
          metric: r.metric,
          value: Number(r.value[1]),
        })),
      targets: async () =>
        (await api<{ activeTargets: { scrapePool: string; health: string; lastError: string; labels: Record<string, string> }[] }>(port, '/api/v1/targets')).activeTargets,
      output: () => output,
      close,
    };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  throw new Error(`prometheus found no free port: ${lastOutput.slice(-2000)}`);
}
