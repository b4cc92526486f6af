// `make deploy` as a user runs it: the operator image built locally, 2 leader-elected replicas in
// the cluster with the ClusterRole from operator/deploy/operator.yaml, reconciling CorePods, and
// failing over when the leader's pod is deleted. `make undeploy` removes it again.
import { after, before, test } from 'node:test';
import { stringify } from 'yaml';
import type { HttpKubeApi } from '../kube/http-kube-api.js';
import type { KubeObject } from '../kube/kube-api.js';
import { RESOURCES } from '../kube/resources.js';
import { clusterApi, createNamespace, kubectl, repoRoot, run, waitFor } from '../e2e/support/cluster-env.js';

const SYSTEM = 'corepod-system';
let namespace: string;
let removeNamespace: () => Promise<void>;
let api: HttpKubeApi;

before(async () => {
  await run('make', ['-s', '-C', repoRoot, 'deploy'], { timeoutMs: 900_000 });
  ({ name: namespace, remove: removeNamespace } = await createNamespace('cp-deploy'));
  api = await clusterApi();
});
after(async () => {
  await removeNamespace?.();
  await run('make', ['-s', '-C', repoRoot, 'undeploy'], { allowFailure: true, timeoutMs: 300_000 });
  api?.close();
});

type Lease = KubeObject & { spec?: { holderIdentity?: string } };
// A replica stopped by the rollout releases the Lease (holderIdentity ""), so read "" as no holder.
const holder = async () => (await api.get<Lease>(RESOURCES.lease, SYSTEM, 'corepod-operator'))?.spec?.holderIdentity || undefined;

async function reconciled(name: string): Promise<void> {
  await kubectl(['apply', '-f', '-'], {
    input: stringify({
      apiVersion: 'dreamscape.io/v1alpha1',
      kind: 'CorePod',
      metadata: { name, namespace },
      spec: { image: 'registry.local/a:1', programs: [{ name: 'a', command: ['/a'], ports: [{ containerPort: 80 }] }] },
    }),
  });
  await waitFor(
    `${name} reconciled in the cluster`,
    async () => {
      const cp = await api.get<KubeObject & { status?: { observedGeneration?: number; conditions?: { type: string; status: string }[] } }>(RESOURCES.corePod, namespace, name);
      const degraded = cp?.status?.conditions?.find((c) => c.type === 'Degraded');
      return cp?.status?.observedGeneration === cp?.metadata?.generation && degraded?.status === 'False' && (await api.get(RESOURCES.service, namespace, name)) !== undefined;
    },
    120_000,
  );
}

test('two replicas run, one holds the lease, and the ClusterRole is enough to reconcile', async () => {
  const pods = await waitFor(
    '2 ready operator pods',
    async () => {
      const list = await api.list<KubeObject & { status?: { conditions?: { type: string; status: string }[] }; metadata: { deletionTimestamp?: string } }>(RESOURCES.pod, {
        namespace: SYSTEM,
        labelSelector: 'app.kubernetes.io/name=corepod-operator',
      });
      const ready = list.items.filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === 2 ? ready : undefined;
    },
    180_000,
  );
  const names = pods.map((p) => p.metadata!.name);
  const leader = await waitFor('a leader', holder, 120_000);
  await waitFor(
    `the leader (${leader} at first) to be one of ${names.join(', ')}`,
    async () => {
      const now = await holder();
      return now !== undefined && names.includes(now);
    },
    120_000,
  );
  await reconciled('in-cluster');
});

test("deleting the leader's pod hands over to the other replica", async () => {
  const leader = await waitFor('a leader', holder, 120_000);
  await kubectl(['delete', 'pod', leader, '-n', SYSTEM, '--wait=false']);
  await waitFor(
    'a new leader',
    async () => {
      const now = await holder();
      return now && now !== leader ? now : undefined;
    },
    120_000,
  );
  await reconciled('after-failover');
});
