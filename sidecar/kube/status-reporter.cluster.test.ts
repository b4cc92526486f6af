// The status reporter against the real kube-apiserver with the pod's ServiceAccount token:
// one status.pods entry per pod under its own field manager, coalesced updates, and the latest
// state sent once an unreachable API server is back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProcessStatus } from '../../crds/corepod-schema.js';
import type { CorePodObject } from '../../crds/corepod-object.js';
import { clusterApi, createNamespace, installCrd, waitFor } from '../../e2e/support/cluster-env.js';
import type { HttpKubeApi } from '../../kube/http-kube-api.js';
import { RESOURCES } from '../../kube/resources.js';
import { createCorePod, podCredentials, type PodCredentials } from '../../e2e/sidecar/pod-credentials.js';
import { startForwarder } from '../../e2e/sidecar/tcp-forwarder.js';
import type { SupervisorEvent } from '../event-hub.js';
import { sidecarKubeApi } from './cluster-sinks.js';
import { StatusReporter } from './status-reporter.js';

let namespace: string;
let removeNamespace: () => Promise<void>;
let corePod: CorePodObject;
let creds: PodCredentials;
let admin: HttpKubeApi;
const cleanups: (() => void | Promise<void>)[] = [];

before(async () => {
  await installCrd();
  ({ name: namespace, remove: removeNamespace } = await createNamespace('cp-sc-status'));
  corePod = await createCorePod(namespace, 'shop', {
    image: 'localhost/none:1',
    replicas: 0,
    programs: [
      { name: 'auth-service', command: ['/a'] },
      { name: 'nginx', command: ['/n'] },
    ],
  });
  creds = await podCredentials(corePod);
  admin = await clusterApi();
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  admin?.close();
  creds?.remove();
  await removeNamespace?.();
});

/** The supervisor side, as the reporter sees it: a snapshot and the events that say it changed. */
class Programs {
  processes: ProcessStatus[] = [
    { name: 'auth-service', state: 'STARTING', pid: 10, restarts: 0, since: new Date().toISOString() },
    { name: 'nginx', state: 'STARTING', pid: 11, restarts: 0, since: new Date().toISOString() },
  ];
  snapshot(): ProcessStatus[] {
    return this.processes.map((p) => ({ ...p }));
  }
  set(name: string, fields: Partial<ProcessStatus>): SupervisorEvent {
    this.processes = this.processes.map((p) => (p.name === name ? { ...p, ...fields, since: new Date().toISOString() } : p));
    const status = this.processes.find((p) => p.name === name)!;
    return { type: 'process-state', time: status.since, program: name, from: 'STARTING', to: status.state, restarts: status.restarts, status };
  }
}

function reporter(podName: string, programs: Programs, server = creds.server, refreshMs = 10_000) {
  const api = sidecarKubeApi({ server, tokenFile: creds.tokenFile, caFile: creds.caFile }, { requestTimeoutMs: 3000 });
  const r = new StatusReporter({
    api,
    source: programs,
    identity: { podName, namespace, corePodName: 'shop' },
    schedule: { coalesceMs: 500, refreshMs, retry: { initialMs: 200, maxMs: 1000 } },
  });
  r.start();
  cleanups.push(() => {
    r.stop();
    api.close();
  });
  return r;
}

async function podEntry(podName: string) {
  const cp = await admin.get<CorePodObject & { metadata: { managedFields?: { manager: string; subresource?: string }[] } }>(RESOURCES.corePod, namespace, 'shop');
  return { entry: cp?.status?.pods?.find((p) => p.name === podName), managers: (cp?.metadata.managedFields ?? []).filter((f) => f.subresource === 'status').map((f) => f.manager) };
}

test('each pod writes its own entry under its own field manager; neither overwrites the other', async () => {
  const a = new Programs();
  const b = new Programs();
  const ra = reporter('shop-a', a);
  const rb = reporter('shop-b', b);
  await waitFor('both entries', async () => (await podEntry('shop-a')).entry && (await podEntry('shop-b')).entry);
  ra.deliver(a.set('auth-service', { state: 'RUNNING', healthy: true }));
  rb.deliver(b.set('nginx', { state: 'FATAL', pid: undefined }));
  const both = await waitFor('both updates', async () => {
    const ea = (await podEntry('shop-a')).entry;
    const eb = await podEntry('shop-b');
    return ea?.processes[0]?.state === 'RUNNING' && eb.entry?.processes[1]?.state === 'FATAL' ? { ea, eb } : undefined;
  });
  assert.equal(both.ea.processes[0]!.healthy, true);
  assert.equal(both.ea.processes[1]!.state, 'STARTING', 'shop-a is unaffected by shop-b');
  assert.equal(both.eb.entry!.processes[1]!.pid, undefined, 'a field the pod no longer sends is removed');
  assert.ok(both.eb.managers.includes('corepod-sidecar/shop-a') && both.eb.managers.includes('corepod-sidecar/shop-b'), both.eb.managers.join(','));
});

test('a burst of changes is one patch; an unchanged state costs no patch at refresh', async () => {
  const programs = new Programs();
  const r = reporter('shop-burst', programs, creds.server, 300);
  await waitFor('first report', async () => (r.stats().patches === 1 ? true : undefined));
  for (let i = 1; i <= 20; i++) r.deliver(programs.set('auth-service', { state: i % 2 ? 'RUNNING' : 'STARTING', restarts: i }));
  const entry = await waitFor('the last of the burst', async () => {
    const e = (await podEntry('shop-burst')).entry;
    return e?.processes[0]?.restarts === 20 ? e : undefined;
  });
  assert.equal(entry.processes[0]!.state, 'STARTING');
  assert.ok(r.stats().patches <= 3, `patches for a burst of 20 changes: ${r.stats().patches}`);
  // The apiserver shows the last patch before its response reaches the reporter: let the patch
  // in flight finish counting (flush's own attempt finds nothing new and sends nothing).
  await r.flush();
  const before = r.stats().patches;
  // Several refresh periods with nothing new.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(r.stats().patches, before);
});

test('while the API server is unreachable supervision goes on; the latest state is sent once it is back', async () => {
  const url = new URL(creds.server);
  const forwarder = await startForwarder({ host: url.hostname, port: Number(url.port) });
  cleanups.push(() => forwarder.close());
  const programs = new Programs();
  const r = reporter('shop-outage', programs, `https://127.0.0.1:${forwarder.port}`);
  await waitFor('first report', async () => (await podEntry('shop-outage')).entry);
  await forwarder.cut();
  for (let i = 1; i <= 5; i++) r.deliver(programs.set('nginx', { state: 'RUNNING', restarts: i, pid: 100 + i }));
  await waitFor('failed attempts while cut', async () => (r.stats().failures >= 2 ? true : undefined), 30_000);
  assert.equal((await podEntry('shop-outage')).entry!.processes[1]!.state, 'STARTING', 'nothing got through');
  await forwarder.restore();
  const entry = await waitFor(
    'the latest state after the outage',
    async () => {
      const e = (await podEntry('shop-outage')).entry;
      return e?.processes[1]?.restarts === 5 ? e : undefined;
    },
    30_000,
  );
  assert.equal(entry.processes[1]!.pid, 105);
});
