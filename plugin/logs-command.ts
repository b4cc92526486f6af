// kubectl corepod logs NAME PROGRAM [-f] [--since 5m] [--stderr] [--pod POD] [-o json]
import { resourcePath } from '../kube/kube-api.js';
import { RESOURCES } from '../kube/resources.js';
import { apiFailure, openCluster } from './cluster-client.js';
import { checkPrograms, podsOf, readCorePod } from './corepod-read.js';
import { LineSplitter, programLine } from './log-lines.js';
import { EXIT, Failed, KUBE_FLAGS_USAGE, UsageError, parseCommand, parseDuration, positionalsAs } from './plugin-args.js';

export const usage = `Usage: kubectl corepod logs NAME PROGRAM [-f] [--since DURATION] [--stderr] [--pod POD] [-o json] [flags]

Prints one program's output lines: the sidecar-init mirrors each line of every program as JSON
into the container's log (spec.programs[].logs.mirror, on by default); this reads the pods' logs
through the API (pods/log) and keeps that program's lines of the chosen stream. With more than one
pod each line starts with [pod/NAME].
  -f, --follow          keep printing new lines
  --since DURATION      only lines newer than this (5s, 2m, 1h)
  --stderr              the program's stderr instead of its stdout
  --pod POD             only this pod
  -o json               the JSON lines as the sidecar-init wrote them
${KUBE_FLAGS_USAGE}
Needs: get on corepods and get on pods/log (a Role rule on the "pods/log" resource). Exit codes:
0 ok, 1 no such CorePod or a log could not be read, 2 bad usage, 3 cannot reach the API server.`;

export async function main(argv: string[]): Promise<number> {
  const { values, positionals, kube, help } = parseCommand(argv, {
    follow: { type: 'boolean', short: 'f' },
    since: { type: 'string' },
    stderr: { type: 'boolean' },
    pod: { type: 'string' },
    output: { type: 'string', short: 'o' },
  });
  if (help) {
    process.stdout.write(`${usage}\n`);
    return EXIT.ok;
  }
  const { NAME, PROGRAM } = positionalsAs(positionals, ['NAME', 'PROGRAM']);
  if (values.output !== undefined && values.output !== 'json') throw new UsageError(`--output: logs prints json only, got "${String(values.output)}"`);
  const sinceSeconds = values.since === undefined ? undefined : Math.max(1, Math.ceil(parseDuration(values.since as string, '--since') / 1000));
  const stream = values.stderr ? 'stderr' : 'stdout';
  const cluster = await openCluster(kube);
  try {
    const corePod = await readCorePod(cluster, NAME);
    checkPrograms(corePod, [PROGRAM], false);
    const pods = podsOf(corePod, values.pod as string | undefined);
    if (pods.length === 0) throw new Failed(`corepod ${NAME}: no pod has reported yet`);
    const prefix = pods.length > 1;
    await Promise.all(
      pods.map(async (pod) => {
        const path = `${resourcePath(RESOURCES.pod, cluster.namespace, pod.name)}/log`;
        let response: Awaited<ReturnType<typeof cluster.api.stream>>;
        try {
          response = await cluster.api.stream(path, { follow: values.follow ? 'true' : undefined, sinceSeconds });
        } catch (error) {
          throw apiFailure(error, cluster.server);
        }
        const splitter = new LineSplitter();
        const print = (lines: string[]) => {
          let out = '';
          for (const text of lines) {
            const line = programLine(text, PROGRAM, stream);
            if (line) out += `${prefix ? `[pod/${pod.name}] ` : ''}${values.output === 'json' ? text : line.msg}\n`;
          }
          if (out) process.stdout.write(out);
        };
        response.setEncoding('utf8');
        await new Promise<void>((resolve, reject) => {
          response.on('data', (chunk: string) => print(splitter.push(chunk)));
          response.on('end', () => {
            print(splitter.end());
            resolve();
          });
          response.on('error', (error) => reject(apiFailure(error, cluster.server)));
        });
      }),
    );
    return EXIT.ok;
  } finally {
    cluster.close();
  }
}
