// The chart's `helm test` (charts/corepod/templates/tests/): run in the operator image with its own
// ServiceAccount, it creates a small CorePod running that same image, waits until the operator
// reports it Ready for its current generation, then deletes it. Exit 0 only if all of that happened.
//   env COREPOD_TEST_NAMESPACE, COREPOD_TEST_NAME, COREPOD_TEST_IMAGE, COREPOD_TEST_TIMEOUT_SECONDS
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '../../kube/kubeconfig.js';
import { HttpKubeApi } from '../../kube/http-kube-api.js';
import { RESOURCES } from '../../kube/resources.js';
import { isConflict, isPermanent, type KubeApi, type KubeObject } from '../../kube/kube-api.js';

interface CorePodStatus {
  observedGeneration?: number;
  readyProcesses?: string;
  conditions?: { type: string; status: string; reason?: string; message?: string; observedGeneration?: number }[];
}
type CorePod = KubeObject & { status?: CorePodStatus };

export function smallCorePod(namespace: string, name: string, image: string): CorePod & { spec: unknown } {
  return {
    apiVersion: 'dreamscape.io/v1alpha1',
    kind: 'CorePod',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/component': 'helm-test' } },
    spec: {
      image,
      securityContext: { runAsUser: 65532 },
      resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } },
      programs: [
        { name: 'idle', command: ['sleep', 'infinity'] },
        { name: 'ticker', command: ['sh', '-c', 'while true; do date; sleep 5; done'] },
      ],
    },
  };
}

/** Ready=True for the generation the apiserver holds (what `kubectl wait --for=condition=Ready` checks). */
export function readyFor(corePod: CorePod | undefined): boolean {
  const generation = corePod?.metadata?.generation;
  const ready = corePod?.status?.conditions?.find((c) => c.type === 'Ready');
  return generation !== undefined && ready?.status === 'True' && (ready.observedGeneration ?? corePod?.status?.observedGeneration) === generation;
}

export async function checkCorePodReady(api: KubeApi, namespace: string, name: string, image: string, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  await waitUntil(
    `a previous ${name} to be gone`,
    async () => {
      await api.delete(RESOURCES.corePod, namespace, name);
      return (await api.get(RESOURCES.corePod, namespace, name)) === undefined;
    },
    deadline,
    log,
  );
  await waitUntil(
    `corepod ${namespace}/${name} to be created`,
    async () => {
      // A create whose answer was lost to an apiserver restart is retried into AlreadyExists: ours.
      await api.create(RESOURCES.corePod, smallCorePod(namespace, name, image)).catch((error: unknown) => {
        if (!isConflict(error)) throw error;
      });
      return true;
    },
    deadline,
    log,
  );
  log(`created corepod ${namespace}/${name} (image ${image})`);
  let last: CorePod | undefined;
  try {
    await waitUntil(`corepod ${namespace}/${name} to be Ready`, async () => readyFor((last = await api.get<CorePod>(RESOURCES.corePod, namespace, name))), deadline, log);
    log(`corepod ${namespace}/${name} is Ready (${last?.status?.readyProcesses ?? '?'} processes) after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    log(`last status: ${JSON.stringify(last?.status ?? null)}`);
    throw error;
  } finally {
    await waitUntil(
      `corepod ${namespace}/${name} to be deleted`,
      async () => {
        await api.delete(RESOURCES.corePod, namespace, name, { propagationPolicy: 'Background' });
        return true;
      },
      Date.now() + 60_000,
      log,
    );
  }
  log(`deleted corepod ${namespace}/${name}`);
}

/** Polls `check` once a second; a transient failure (apiserver restarting, 5xx, 409, 429) is retried, a permanent one ends the check. */
async function waitUntil(what: string, check: () => Promise<boolean>, deadline: number, log: (line: string) => void): Promise<void> {
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      if (isPermanent(error)) throw error;
      log(`retrying (${what}): ${(error as Error).message}`);
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(1000);
  }
}

async function main(): Promise<number> {
  const env = process.env;
  const [namespace, name, image] = [env.COREPOD_TEST_NAMESPACE, env.COREPOD_TEST_NAME, env.COREPOD_TEST_IMAGE];
  if (!namespace || !name || !image) {
    process.stderr.write('corepod-ready-check: set COREPOD_TEST_NAMESPACE, COREPOD_TEST_NAME and COREPOD_TEST_IMAGE\n');
    return 2;
  }
  const api = new HttpKubeApi(await connect());
  try {
    await checkCorePodReady(api, namespace, name, image, Number(env.COREPOD_TEST_TIMEOUT_SECONDS ?? 240) * 1000, (line) => process.stdout.write(`${line}\n`));
    return 0;
  } catch (error) {
    process.stderr.write(`corepod-ready-check: ${(error as Error).message}\n`);
    return 1;
  } finally {
    api.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main();
