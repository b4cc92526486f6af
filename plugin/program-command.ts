// kubectl corepod restart|stop|start NAME PROGRAM...|all [--pod POD]
// kubectl corepod signal NAME SIG PROGRAM...|all [--pod POD]
// Written onto the CorePod as a request (needs get and patch on corepods, no pods/exec); each
// targeted pod's sidecar-init acts on it once and reports; this waits and prints per pod.
import type { ControlAction, ControlRequest, PodOutcome } from '../contract/control-request.js';
import { normalizeSignal } from '../sidecar/control-request.js';
import { describeResult } from '../sidecar/cli/program-action.js';
import type { CommandResult } from '../sidecar/supervisor.js';
import { openCluster } from './cluster-client.js';
import { checkPrograms, podsOf } from './corepod-read.js';
import { EXIT, Failed, KUBE_FLAGS_USAGE, UsageError, parseCommand, parseDuration, positionalsAs } from './plugin-args.js';
import { awaitOutcomes, requestId, submitRequest } from './submit-request.js';

const WHAT: Record<ControlAction, string> = {
  start: 'Starts the programs and waits until each is RUNNING (or fails). "all" respects dependsOn and priority.',
  stop: 'Stops the programs (stopSignal, then SIGKILL after stopWaitSeconds) and waits until each is STOPPED.',
  restart: 'Stops then starts the programs, waiting until each is RUNNING again; the other programs keep running.',
  signal: 'Sends SIG (HUP, SIGUSR1, 10, ...) to the main process of each program.',
};

export function usageFor(action: ControlAction): string {
  const args = action === 'signal' ? 'NAME SIG PROGRAM...|all' : 'NAME PROGRAM...|all';
  return `Usage: kubectl corepod ${action} ${args} [--pod POD] [--timeout 2m] [--no-wait] [flags]

${WHAT[action]}
In every pod that has reported into the CorePod's status, or only in --pod. The request is
written onto the CorePod (annotation corepod.dreamscape.io/requests); each pod's sidecar-init acts
on it once and reports into status.pods[].handledRequests; this waits for every targeted pod
and prints what each did.
  --pod POD             only this pod
  --timeout DURATION    how long to wait for the pods (default 2m)
  --no-wait             print the request's id and return once it is written
${KUBE_FLAGS_USAGE}
Needs: get and patch on corepods. Exit codes: 0 done everywhere, 1 a program failed, a pod did
not act in time, or no such CorePod, 2 bad usage (no such program, pod or signal), 3 cannot reach
the API server.`;
}

/** One line per program per pod, and whether all went well. */
export function describeOutcomes(action: ControlAction, signal: string | undefined, found: readonly PodOutcome[], timeoutMs: number): { lines: string[]; ok: boolean } {
  const lines: string[] = [];
  let ok = true;
  for (const outcome of found) {
    if (!outcome.done) {
      ok = false;
      lines.push(
        `pod/${outcome.pod}: ${outcome.gone ? 'gone before it acted' : `did not act within ${Math.round(timeoutMs / 1000)}s (its sidecar-init's log says why; an older sidecar-init does not act on requests)`}`,
      );
      continue;
    }
    for (const result of outcome.handled.results) {
      const good = result.ok || result.error === 'ALREADY_STARTED';
      ok &&= good;
      const pid = result.pid;
      const text =
        action === 'signal'
          ? result.ok
            ? `${result.name}: signalled ${signal}`
            : describeResult('stop', result as CommandResult)
          : describeResult(action, result as CommandResult);
      lines.push(`pod/${outcome.pod}: ${text}${good && pid !== undefined && action !== 'stop' ? ` (pid ${pid})` : ''}`);
    }
  }
  return { lines, ok };
}

export function programCommand(action: ControlAction) {
  const usage = usageFor(action);
  return async (argv: string[]): Promise<number> => {
    const { values, positionals, kube, help } = parseCommand(argv, {
      pod: { type: 'string' },
      timeout: { type: 'string' },
      'no-wait': { type: 'boolean' },
    });
    if (help) {
      process.stdout.write(`${usage}\n`);
      return EXIT.ok;
    }
    const args = positionalsAs(positionals, action === 'signal' ? ['NAME', 'SIG', 'PROGRAM'] : ['NAME', 'PROGRAM'], 'PROGRAM');
    const programs = [args.PROGRAM, ...args.rest];
    let signal: string | undefined;
    if (action === 'signal') {
      signal = normalizeSignal(args.SIG);
      if (!signal) throw new UsageError(`SIG "${args.SIG}": unknown signal`);
    }
    const timeoutMs = parseDuration((values.timeout as string | undefined) ?? '2m', '--timeout');
    const pod = values.pod as string | undefined;
    const cluster = await openCluster(kube);
    try {
      const { request } = await submitRequest(cluster, args.NAME, (corePod): ControlRequest => {
        checkPrograms(corePod, programs, true);
        const pods = podsOf(corePod, pod).map((p) => p.name);
        if (pods.length === 0) throw new Failed(`corepod ${args.NAME}: no pod has reported yet, so none would act`);
        return { id: requestId(), action, programs, ...(signal ? { signal } : {}), pods, createdAt: new Date().toISOString() };
      });
      if (values['no-wait']) {
        process.stdout.write(`request ${request.id} written for ${request.pods.map((p) => `pod/${p}`).join(', ')}\n`);
        return EXIT.ok;
      }
      const { outcomes } = await awaitOutcomes(cluster, args.NAME, request, timeoutMs);
      const { lines, ok } = describeOutcomes(action, signal, outcomes, timeoutMs);
      (ok ? process.stdout : process.stderr).write(lines.map((l) => `${l}\n`).join(''));
      return ok ? EXIT.ok : EXIT.failed;
    } finally {
      cluster.close();
    }
  };
}
