// The sidecar-init's client (HttpKubeApi with the pod's token, cluster-sinks.ts) against the real kube-apiserver, authenticated as the CorePod's
// ServiceAccount with a real token: what its Role allows and refuses, and token rotation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { CorePodObject } from '../../crds/corepod-object.js';
import { ApiError, type KubeObject } from '../../kube/kube-api.js';
import { RESOURCES } from '../../kube/resources.js';
import { createNamespace, installCrd, kubectl, waitFor } from '../../e2e/support/cluster-env.js';
import { applyObjects, createCorePod, podCredentials, type PodCredentials } from '../../e2e/sidecar/pod-credentials.js';
import type { HttpKubeApi } from '../../kube/http-kube-api.js';
import { sidecarKubeApi } from './cluster-sinks.js';
import { fieldManagerFor } from './pod-identity.js';

let namespace: string;
let removeNamespace: () => Promise<void>;
let mine: CorePodObject;
let other: CorePodObject;
let creds: PodCredentials;
let api: HttpKubeApi;

const spec = { image: 'localhost/none:1', replicas: 0, programs: [{ name: 'web', command: ['/web'] }] };

before(async () => {
  await installCrd();
  ({ name: namespace, remove: removeNamespace } = await createNamespace('cp-sc-api'));
  mine = await createCorePod(namespace, 'mine', spec);
  other = await createCorePod(namespace, 'other', spec);
  creds = await podCredentials(mine);
  api = sidecarKubeApi({ server: creds.server, tokenFile: creds.tokenFile, caFile: creds.caFile });
});

after(async () => {
  api?.close();
  creds?.remove();
  await removeNamespace?.();
});

const statusBody = (name: string) => ({
  apiVersion: 'dreamscape.io/v1alpha1',
  kind: 'CorePod',
  metadata: { name, namespace },
  status: { pods: [{ name: 'pod-a', updated: new Date().toISOString(), processes: [{ name: 'web', state: 'RUNNING', restarts: 0, since: new Date().toISOString() }] }] },
});

async function code(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (error) {
    if (error instanceof ApiError) return error.code;
    throw error;
  }
}

test('the pod identity reads its own CorePod and applies its own status', async () => {
  const got = await api.get<CorePodObject & KubeObject>(RESOURCES.corePod, namespace, 'mine');
  assert.equal(got?.metadata.uid, mine.metadata.uid);
  const applied = await api.apply<CorePodObject & KubeObject, KubeObject>(RESOURCES.corePod, statusBody('mine'), {
    fieldManager: fieldManagerFor('pod-a'),
    force: true,
    subresource: 'status',
  });
  assert.equal(applied.status?.pods?.[0]?.name, 'pod-a');
  // The live reconfiguration's watch: list (and watch) of its own CorePod by field selector.
  const own = await api.list<CorePodObject & KubeObject>(RESOURCES.corePod, { namespace, fieldSelector: 'metadata.name=mine' });
  assert.deepEqual(
    own.items.map((c) => c.metadata.name),
    ['mine'],
  );
});

test('the pod identity lists and watches its own CorePod by name (kubectl corepod requests), and no other', async () => {
  const own = await api.list<CorePodObject & KubeObject>(RESOURCES.corePod, { namespace, fieldSelector: 'metadata.name=mine' });
  assert.deepEqual(
    own.items.map((c) => c.metadata.name),
    ['mine'],
  );
  const events: string[] = [];
  const watch = api.watch<CorePodObject & KubeObject>(
    RESOURCES.corePod,
    { namespace, fieldSelector: 'metadata.name=mine', resourceVersion: own.resourceVersion, timeoutSeconds: 30 },
    (e) => events.push(e.type),
  );
  await kubectl(['-n', namespace, 'annotate', 'corepod', 'mine', `touched=${Date.now()}`, '--overwrite']);
  await waitFor('the watch sees the change', () => events.includes('MODIFIED'));
  watch.stop();
  assert.equal(await code(api.list(RESOURCES.corePod, { namespace })), 403);
  assert.equal(await code(api.list(RESOURCES.corePod, { namespace, fieldSelector: 'metadata.name=other' })), 403);
});

test('its Role refuses everything else: another CorePod, the spec, Secrets, Pods, deletes', async () => {
  assert.equal(await code(api.get(RESOURCES.corePod, namespace, 'other')), 403);
  assert.equal(await code(api.list(RESOURCES.corePod, { namespace })), 403, 'not every CorePod');
  assert.equal(await code(api.list(RESOURCES.corePod, { namespace, fieldSelector: 'metadata.name=other' })), 403);
  assert.equal(await code(api.apply(RESOURCES.corePod, statusBody('other'), { fieldManager: 'x', force: true, subresource: 'status' })), 403);
  assert.equal(await code(api.patch(RESOURCES.corePod, namespace, 'mine', 'merge', { spec: { replicas: 3 } })), 403);
  assert.equal(await code(api.list(RESOURCES.secret, { namespace })), 403);
  assert.equal(await code(api.list(RESOURCES.pod, { namespace })), 403);
  assert.equal(await code(api.delete(RESOURCES.corePod, namespace, 'mine')), 403);
  assert.equal(other.metadata.name, 'other');
});

test('it may create Events in its namespace, and only there', async () => {
  const event = (ns: string) => ({
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: `mine.${Date.now().toString(16)}`, namespace: ns },
    eventTime: new Date().toISOString().replace('Z', '000Z'),
    reportingController: 'dreamscape.io/corepod-sidecar',
    reportingInstance: 'pod-a',
    action: 'Test',
    reason: 'Test',
    type: 'Normal',
    note: 'rbac check',
    regarding: { apiVersion: 'dreamscape.io/v1alpha1', kind: 'CorePod', name: 'mine', namespace: ns },
  });
  assert.equal(await code(api.create(RESOURCES.event, event(namespace))), 200);
  assert.equal(await code(api.create(RESOURCES.event, event('default'))), 403);
});

test('a rotated token is picked up: after a 401 the file is read again', async () => {
  const rotating = sidecarKubeApi({ server: creds.server, tokenFile: creds.tokenFile, caFile: creds.caFile, tokenMaxAgeMs: 3_600_000 });
  try {
    fs.writeFileSync(creds.tokenFile, 'not-a-token');
    assert.equal(await code(rotating.get(RESOURCES.corePod, namespace, 'mine')), 401);
    // The cached token is stale now; the next request fails once, re-reads, and succeeds.
    fs.writeFileSync(creds.tokenFile, await creds.newToken());
    const got = await rotating.get<CorePodObject & KubeObject>(RESOURCES.corePod, namespace, 'mine');
    assert.equal(got?.metadata.name, 'mine');
  } finally {
    rotating.close();
  }
});

test('a server certificate not signed by the given CA is refused', async () => {
  const wrongCa = `${creds.dir}/wrong-ca.crt`;
  // Any other CA: the self-signed one Node ships for tests is not available, so use the system's roots file if present.
  const systemRoots = ['/etc/ssl/certs/ca-certificates.crt'].find((f) => fs.existsSync(f));
  assert.ok(systemRoots, 'ca-certificates is installed (Makefile APT_PACKAGES)');
  fs.copyFileSync(systemRoots, wrongCa);
  const untrusting = sidecarKubeApi({ server: creds.server, tokenFile: creds.tokenFile, caFile: wrongCa });
  try {
    await assert.rejects(untrusting.get(RESOURCES.corePod, namespace, 'mine'), /certificate/);
  } finally {
    untrusting.close();
  }
});

test('list and watch (the rest of the KubeApi port) for an identity allowed to: events arrive, stop ends the watch', async () => {
  await applyObjects([
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'watcher', namespace } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'watcher', namespace },
      rules: [{ apiGroups: ['dreamscape.io'], resources: ['corepods'], verbs: ['list', 'watch', 'patch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'watcher', namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'watcher' },
      subjects: [{ kind: 'ServiceAccount', name: 'watcher', namespace }],
    },
  ]);
  const tokenFile = `${creds.dir}/watcher-token`;
  fs.writeFileSync(tokenFile, (await kubectl(['create', 'token', '-n', namespace, 'watcher'])).stdout.trim());
  const watcher = sidecarKubeApi({ server: creds.server, tokenFile, caFile: creds.caFile });
  try {
    const listed = await waitFor(
      'the Role to take effect',
      async () => {
        try {
          return await watcher.list<CorePodObject & KubeObject>(RESOURCES.corePod, { namespace });
        } catch {
          return undefined;
        }
      },
      30_000,
    );
    assert.deepEqual(listed.items.map((c) => c.metadata.name).sort(), ['mine', 'other']);
    const seen: string[] = [];
    const handle = watcher.watch<CorePodObject & KubeObject>(RESOURCES.corePod, { namespace, resourceVersion: listed.resourceVersion, timeoutSeconds: 60 }, (event) => {
      if (event.type !== 'ERROR' && event.type !== 'BOOKMARK') seen.push(`${event.type} ${event.object.metadata.name} ${event.object.metadata.labels?.touched ?? ''}`);
    });
    await watcher.patch(RESOURCES.corePod, namespace, 'other', 'merge', { metadata: { labels: { touched: 'yes' } } });
    await waitFor('the MODIFIED event', () => seen.includes('MODIFIED other yes'), 30_000);
    handle.stop();
    assert.deepEqual(await handle.ended, { kind: 'stopped' });
  } finally {
    watcher.close();
  }
});
