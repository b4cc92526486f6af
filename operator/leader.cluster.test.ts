// Two operator replicas with leader election on a real Lease: one leads, the other takes over
// when the leader is killed, and a gracefully stopped leader hands the lease back at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import type { HttpKubeApi } from '../kube/http-kube-api.js';
import type { KubeObject } from '../kube/kube-api.js';
import { RESOURCES } from '../kube/resources.js';
import { clusterApi, createNamespace, httpGet, installCrd, kubectl, startOperator, waitFor, type OperatorProcess } from '../e2e/support/cluster-env.js';

let namespace: string;
let removeNamespace: () => Promise<void>;
let api: HttpKubeApi;
const operators: OperatorProcess[] = [];
const LEASE = 'corepod-operator-test';

before(async () => {
  await installCrd();
  ({ name: namespace, remove: removeNamespace } = await createNamespace('cp-leader'));
  api = await clusterApi();
});
after(async () => {
  for (const o of operators) await o.stop('SIGKILL');
  await removeNamespace?.();
  api?.close();
});

const replica = async (identity: string) => {
  const o = await startOperator([
    '--namespace',
    namespace,
    '--leader-elect',
    '--leader-election-namespace',
    namespace,
    '--leader-election-id',
    LEASE,
    '--lease-duration',
    '6',
    '--renew-deadline',
    '4',
    '--retry-period',
    '1',
    '--identity',
    identity,
  ]);
  operators.push(o);
  return o;
};

const lease = async () => (await api.get<KubeObject & { spec?: { holderIdentity?: string; leaseTransitions?: number } }>(RESOURCES.lease, namespace, LEASE))?.spec;
const leaderMetric = async (o: OperatorProcess) => /leader_election_master_status\{name="corepod-operator-test"\} (\d)/.exec((await httpGet(o.metricsPort, '/metrics')).body)?.[1];

async function createCorePod(name: string): Promise<void> {
  await kubectl(['apply', '-f', '-'], {
    input: stringify({
      apiVersion: 'dreamscape.io/v1alpha1',
      kind: 'CorePod',
      metadata: { name, namespace },
      spec: { image: 'registry.local/a:1', programs: [{ name: 'a', command: ['/a'] }] },
    }),
  });
}

const reconciled = (name: string) =>
  waitFor(`CorePod ${name} reconciled`, async () => {
    const cp = await api.get<{ metadata: { generation: number }; status?: { observedGeneration?: number } }>(RESOURCES.corePod, namespace, name);
    return cp?.status?.observedGeneration === cp?.metadata.generation && (await api.get(RESOURCES.deployment, namespace, name)) !== undefined;
  });

let leader: OperatorProcess;
let follower: OperatorProcess;
let followerIdentity: string;

test('of two replicas exactly one leads, and only it reconciles', async () => {
  const [a, b] = await Promise.all([replica('replica-a'), replica('replica-b')]);
  const holder = await waitFor('a lease holder', async () => (await lease())?.holderIdentity || undefined);
  [leader, follower] = holder === 'replica-a' ? [a!, b!] : [b!, a!];
  followerIdentity = holder === 'replica-a' ? 'replica-b' : 'replica-a';
  await leader.waitForLog('became leader', (l) => l.msg === 'became leader');
  await createCorePod('first');
  await reconciled('first');
  assert.equal(await leaderMetric(leader), '1');
  assert.equal(await leaderMetric(follower), '0');
  assert.equal(
    follower.logs.some((l) => l.msg === 'became leader'),
    false,
  );
  assert.equal(
    follower.logs.some((l) => typeof l.reconcileID === 'string'),
    false,
    'the follower never reconciles',
  );
  // A follower syncs its caches too, so it turns ready without ever leading.
  await waitFor('the follower ready (warm caches)', async () => (await httpGet(follower.healthPort, '/readyz')).status === 200);
});

test('the leader killed with SIGKILL: the follower takes over and reconciles', async () => {
  const before = (await lease())!;
  await leader.stop('SIGKILL');
  await follower.waitForLog('became leader', (l) => l.msg === 'became leader', 60_000);
  const after = (await lease())!;
  assert.equal(after.holderIdentity, followerIdentity);
  assert.equal(after.leaseTransitions, (before.leaseTransitions ?? 0) + 1);
  await createCorePod('second');
  await reconciled('second');
  assert.equal(await leaderMetric(follower), '1');
});

test('a leader stopped with SIGTERM releases the lease and exits 0', async () => {
  assert.equal(await follower.stop('SIGTERM'), 0);
  const released = (await lease())!;
  assert.equal(released.holderIdentity, '');
  const next = await replica('replica-c');
  // A released lease is taken at once, without waiting out the lease duration.
  await next.waitForLog('became leader', (l) => l.msg === 'became leader', 30_000);
  await createCorePod('third');
  await reconciled('third');
});
