// The process Event sink against the real kube-apiserver with the pod's ServiceAccount token: Events
// regarding the CorePod (shown by kubectl describe), related to the Pod, and repeats aggregated
// into a series on one object.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CorePodObject } from '../../crds/corepod-object.js';
import { clusterApi, createNamespace, installCrd, kubectl, waitFor } from '../../e2e/support/cluster-env.js';
import type { HttpKubeApi } from '../../kube/http-kube-api.js';
import { RESOURCES } from '../../kube/resources.js';
import { createCorePod, podCredentials, type PodCredentials } from '../../e2e/sidecar/pod-credentials.js';
import type { SupervisorEvent } from '../event-hub.js';
import { ProcessEventSink, REPORTING_CONTROLLER } from './process-event-sink.js';
import { sidecarKubeApi } from './cluster-sinks.js';

let namespace: string;
let removeNamespace: () => Promise<void>;
let corePod: CorePodObject;
let creds: PodCredentials;
let admin: HttpKubeApi;
let api: HttpKubeApi;
const recorders: ProcessEventSink[] = [];

before(async () => {
  await installCrd();
  ({ name: namespace, remove: removeNamespace } = await createNamespace('cp-sc-events'));
  corePod = await createCorePod(namespace, 'shop', { image: 'localhost/none:1', replicas: 0, programs: [{ name: 'auth-service', command: ['/a'] }] });
  creds = await podCredentials(corePod);
  admin = await clusterApi();
  api = sidecarKubeApi({ server: creds.server, tokenFile: creds.tokenFile, caFile: creds.caFile });
});

after(async () => {
  for (const r of recorders) r.stop();
  api?.close();
  admin?.close();
  creds?.remove();
  await removeNamespace?.();
});

type Json = Record<string, any>;

function recorder(podName: string, patchIntervalMs = 10_000): ProcessEventSink {
  const r = new ProcessEventSink({ api, identity: { podName, namespace, corePodName: 'shop', podUid: 'pod-uid-1' }, series: { patchIntervalMs } });
  recorders.push(r);
  return r;
}

async function events(podName: string): Promise<Json[]> {
  const list = await admin.list<Json>(RESOURCES.event, { namespace });
  return list.items.filter((e) => e.reportingInstance === podName);
}

const status = { name: 'auth-service', state: 'STARTING' as const, restarts: 1, since: new Date().toISOString() };
const killed: SupervisorEvent = {
  type: 'process-state',
  time: status.since,
  program: 'auth-service',
  from: 'RUNNING',
  to: 'EXITED',
  restarts: 0,
  signal: 'SIGKILL',
  exitCode: null,
  expected: false,
  status,
};
const restarted: SupervisorEvent = {
  type: 'process-state',
  time: status.since,
  program: 'auth-service',
  from: 'EXITED',
  to: 'STARTING',
  reason: 'autorestart',
  restarts: 1,
  status,
};

test('a kill is a Warning ProcessExited and a Normal ProcessRestarted on the CorePod, related to the Pod', async () => {
  const r = recorder('shop-pod-1');
  r.deliver(killed);
  r.deliver(restarted);
  const found = await waitFor('two Events', async () => {
    const list = await events('shop-pod-1');
    return list.length === 2 ? list : undefined;
  });
  const exited = found.find((e) => e.reason === 'ProcessExited')!;
  assert.equal(exited.type, 'Warning');
  assert.equal(exited.note, 'auth-service was killed by signal SIGKILL');
  assert.equal(exited.reportingController, REPORTING_CONTROLLER);
  assert.deepEqual(exited.regarding, { apiVersion: 'dreamscape.io/v1alpha1', kind: 'CorePod', name: 'shop', namespace, uid: corePod.metadata.uid });
  assert.deepEqual(exited.related, { apiVersion: 'v1', kind: 'Pod', name: 'shop-pod-1', namespace, uid: 'pod-uid-1' });
  assert.equal(found.find((e) => e.reason === 'ProcessRestarted')!.type, 'Normal');
  // What users look at.
  const { stdout: describe } = await kubectl(['describe', 'corepod', '-n', namespace, 'shop']);
  assert.match(describe, /ProcessExited\s+.*auth-service was killed by signal SIGKILL/);
  const { stdout: table } = await kubectl(['get', 'events', '-n', namespace]);
  assert.match(table, /ProcessRestarted\s+corepod\/shop\s+auth-service restarted \(autorestart\)/i);
});

test('a crash loop is two Event objects whose series count every crash', async () => {
  const r = recorder('shop-pod-2', 300);
  for (let i = 0; i < 40; i++) {
    r.deliver(killed);
    r.deliver(restarted);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const found = await waitFor(
    'series counts at 40',
    async () => {
      const list = await events('shop-pod-2');
      return list.length === 2 && list.every((e) => e.series?.count === 40) ? list : undefined;
    },
    60_000,
  );
  for (const e of found) assert.ok(e.series.lastObservedTime > e.eventTime, 'lastObservedTime is after the first occurrence');
  assert.equal(r.stats().created, 2);
  // The core/v1 view (what `kubectl get events` reads) carries the series too.
  const { stdout } = await kubectl(['get', 'events.v1.', '-n', namespace, '-o', 'json']);
  const core = (JSON.parse(stdout).items as Json[]).filter((e) => e.reportingInstance === 'shop-pod-2');
  assert.deepEqual(
    core.map((e) => e.series?.count),
    [40, 40],
  );
  const { stdout: table } = await kubectl(['events', '-n', namespace]);
  assert.match(table, /\(x40 over .*ProcessExited\s+CorePod\/shop\s+auth-service was killed by signal SIGKILL/);
});

test('a flush before exit writes the pending repeats at once', async () => {
  const r = recorder('shop-pod-3', 3_600_000);
  r.deliver(killed);
  await waitFor('the first Event', async () => ((await events('shop-pod-3')).length === 1 ? true : undefined));
  r.deliver(killed);
  r.deliver(killed);
  await r.flush();
  const [e] = await events('shop-pod-3');
  assert.equal(e!.series?.count, 3);
});
