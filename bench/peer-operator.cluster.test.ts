// The controller-runtime peer (bench/peer-operator) builds what our operator builds: the same
// CorePods in two namespaces, one operator each; every owned object of every kind and the
// CorePod status are read back and compared field by field (issue 17, item 1).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../kube/kube-api.js';
import { RESOURCES } from '../kube/resources.js';
import type { HttpKubeApi } from '../kube/http-kube-api.js';
import { validateCorePod } from '../crds/corepod-schema.js';
import { clusterApi, createNamespace, installCrd, kubeconfigPath, startOperator, waitFor, type OperatorProcess } from '../e2e/support/cluster-env.js';
import { buildPeerOperator, startPeerOperator, type PeerProcess } from './lib/peer-operator.js';
import { BENCH_IMAGE, benchCorePod, richCorePod, type CorePodDoc } from './lib/peer-corepods.js';
import { CONFIG_HASH_ANNOTATION } from '../operator/desired/names.js';

const OWNED = ['configMap', 'serviceAccount', 'role', 'roleBinding', 'deployment', 'service', 'podDisruptionBudget'] as const;
const CASES = [
  { name: 'bench', build: benchCorePod },
  { name: 'rich', build: richCorePod },
];

let api: HttpKubeApi;
const namespaces: { name: string; remove: () => Promise<void> }[] = [];
let ours: OperatorProcess;
let peer: PeerProcess;

before(async () => {
  const binary = await buildPeerOperator();
  await installCrd();
  api = await clusterApi();
  for (const prefix of ['peer-cmp-ours', 'peer-cmp-peer']) namespaces.push(await createNamespace(prefix));
  ours = await startOperator(['--namespace', namespaces[0]!.name, '--sidecar-image', BENCH_IMAGE]);
  peer = await startPeerOperator(binary, { kubeconfig: kubeconfigPath(), namespace: namespaces[1]!.name, sidecarImage: BENCH_IMAGE });
});

after(async () => {
  await ours?.stop();
  await peer?.stop();
  for (const namespace of namespaces) await namespace.remove();
  api?.close();
});

/** What an object is (list items carry no kind), apart from what the apiserver assigns per object and the namespace it is in. */
function normalise(kind: (typeof OWNED)[number], object: KubeObject & Record<string, unknown>, namespace: string): unknown {
  const copy = JSON.parse(JSON.stringify(object).replaceAll(namespace, 'NS')) as Record<string, any>;
  const meta = copy.metadata;
  for (const key of ['uid', 'resourceVersion', 'creationTimestamp', 'managedFields', 'generation']) delete meta[key];
  for (const owner of meta.ownerReferences ?? []) delete owner.uid;
  delete copy.status;
  if (kind === 'service') for (const key of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy']) delete copy.spec[key];
  if (kind === 'service') for (const port of copy.spec.ports) delete port.nodePort;
  if (kind === 'deployment') delete copy.metadata.annotations?.['deployment.kubernetes.io/revision'];
  return copy;
}

function listOwned(namespace: string, kind: (typeof OWNED)[number]) {
  return api.list<KubeObject & Record<string, unknown>>(RESOURCES[kind], { namespace, labelSelector: 'app.kubernetes.io/managed-by=corepod-operator' });
}

async function settled(namespace: string, name: string): Promise<CorePodDoc & { status: Record<string, any> }> {
  return waitFor(`CorePod ${namespace}/${name} observed and rolled out`, async () => {
    const corePod = await api.get<CorePodDoc & { status?: Record<string, any> }>(RESOURCES.corePod, namespace, name);
    const progressing = corePod?.status?.conditions?.find((c: { type: string }) => c.type === 'Progressing');
    return corePod?.status?.observedGeneration === corePod?.metadata?.generation && progressing?.reason === 'RolloutComplete' ? (corePod as any) : undefined;
  });
}

test('the peer applies the same objects with the same fields, and writes the same status, as our operator', async () => {
  for (const [i, namespace] of namespaces.entries()) {
    for (const c of CASES) await api.create(RESOURCES.corePod, c.build(namespace.name, c.name));
    assert.ok(i < 2);
  }
  const [oursNs, peerNs] = [namespaces[0]!.name, namespaces[1]!.name];
  const statuses = await Promise.all(CASES.flatMap((c) => [settled(oursNs, c.name), settled(peerNs, c.name)]));

  for (const kind of OWNED) {
    const mine = (await listOwned(oursNs, kind)).items.sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
    const theirs = (await listOwned(peerNs, kind)).items.sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
    assert.deepEqual(
      theirs.map((o) => o.metadata!.name),
      mine.map((o) => o.metadata!.name),
      `${kind}: the same objects`,
    );
    for (const [j, object] of mine.entries()) {
      const other = theirs[j]!;
      if (kind === 'configMap') {
        // The supervisor config is the same document as the sidecar-init reads it (the peer's JSON
        // has its keys in Go's order, so the bytes and the config hash differ).
        const read = (o: typeof object, ns: string) => {
          const parsed = validateCorePod(JSON.parse(JSON.stringify(JSON.parse((o.data as Record<string, string>)['corepod.json']!)).replaceAll(ns, 'NS')));
          assert.ok(parsed.ok, JSON.stringify(parsed));
          return parsed.value;
        };
        assert.deepEqual(read(other, peerNs), read(object, oursNs), `${object.metadata!.name}: the same supervisor config`);
        assert.deepEqual(Object.keys(other.data as object), Object.keys(object.data as object));
        continue;
      }
      const a = normalise(kind, object, oursNs) as any;
      const b = normalise(kind, other, peerNs) as any;
      if (kind === 'deployment') {
        assert.match(b.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION], /^[0-9a-f]{16}$/);
        b.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION] = a.spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION];
      }
      assert.deepEqual(b, a, `${kind} ${object.metadata!.name}: the same fields`);
    }
  }
  // The rich CorePod owns all seven kinds; the bench CorePod all but the PDB.
  const counts = await Promise.all(OWNED.map(async (kind) => (await listOwned(peerNs, kind)).items.length));
  assert.deepEqual(counts, [2, 2, 2, 2, 2, 2, 1]);

  for (let k = 0; k < CASES.length; k++) {
    const [mine, theirs] = [statuses[2 * k]!.status, statuses[2 * k + 1]!.status];
    const strip = (status: Record<string, any>, ns: string) =>
      JSON.parse(JSON.stringify({ ...status, conditions: status.conditions.map(({ lastTransitionTime: _, ...c }: Record<string, unknown>) => c) }).replaceAll(ns, 'NS'));
    assert.deepEqual(strip(theirs, peerNs), strip(mine, oursNs), `${CASES[k]!.name}: the same status`);
  }
});
