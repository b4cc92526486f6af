// kubectl corepod status NAME [--pod POD] [-o json|yaml|wide]
import { stringify } from 'yaml';
import { nameWidth, statusLine } from '../sidecar/cli/format-status.js';
import { openCluster } from './cluster-client.js';
import { podsOf, readCorePod, type PodEntry } from './corepod-read.js';
import { EXIT, KUBE_FLAGS_USAGE, outputOf, parseCommand, positionalsAs } from './plugin-args.js';
import type { ProcessStatus } from '../crds/corepod-schema.js';

export const usage = `Usage: kubectl corepod status NAME [--pod POD] [-o json|yaml|wide] [flags]

Shows each pod's programs as supervisorctl does (NAME, STATE, description: pid, uptime, health,
restarts, memory), from what each pod's sidecar-init reported into the CorePod's status.
  --pod POD             only this pod
  -o, --output FORMAT   json or yaml: the pods' entries of status.pods; wide: one table, a POD column first
${KUBE_FLAGS_USAGE}
Needs: get on corepods. Exit codes: 0 every shown program RUNNING, 1 one is not (or no such
CorePod), 2 bad usage, 3 cannot reach the API server.`;

/** A reported process with its uptime as of `now` (the CorePod status carries only `since`). */
export function withUptime(process: ProcessStatus, now: number): ProcessStatus & { uptimeSeconds?: number } {
  const since = Date.parse(process.since);
  return process.state === 'RUNNING' && Number.isFinite(since) ? { ...process, uptimeSeconds: Math.max(0, Math.floor((now - since) / 1000)) } : process;
}

/** The table: per pod a "pod/NAME" line then its programs; wide: one table with the pod first. */
export function statusTable(pods: readonly PodEntry[], now: number, wide: boolean): string {
  const width = nameWidth(pods.flatMap((p) => p.processes));
  if (wide) {
    const podWidth = Math.max(3, ...pods.map((p) => p.name.length)) + 3;
    const header = `${'POD'.padEnd(podWidth)}${'NAME'.padEnd(width)}${'STATE'.padEnd(10)}DESCRIPTION`;
    const rows = pods.flatMap((pod) => pod.processes.map((p) => `${pod.name.padEnd(podWidth)}${statusLine(withUptime(p, now), width)}`));
    return [header, ...rows].map((l) => `${l}\n`).join('');
  }
  return pods.map((pod) => [`pod/${pod.name}`, ...pod.processes.map((p) => statusLine(withUptime(p, now), width))].map((l) => `${l}\n`).join('')).join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals, kube, help } = parseCommand(argv, { pod: { type: 'string' }, output: { type: 'string', short: 'o' } });
  if (help) {
    process.stdout.write(`${usage}\n`);
    return EXIT.ok;
  }
  const output = outputOf(values.output);
  const { NAME } = positionalsAs(positionals, ['NAME']);
  const cluster = await openCluster(kube);
  try {
    const corePod = await readCorePod(cluster, NAME);
    const pods = podsOf(corePod, values.pod as string | undefined);
    if (output === 'json' || output === 'yaml') {
      const document = { name: NAME, namespace: cluster.namespace, pods };
      process.stdout.write(output === 'json' ? `${JSON.stringify(document, null, 2)}\n` : stringify(document));
    } else if (pods.length === 0) process.stderr.write(`corepod ${NAME}: no pod has reported yet\n`);
    else process.stdout.write(statusTable(pods, Date.now(), output === 'wide'));
    const all = pods.flatMap((p) => p.processes);
    return all.length > 0 && all.every((p) => p.state === 'RUNNING') ? EXIT.ok : EXIT.failed;
  } finally {
    cluster.close();
  }
}
