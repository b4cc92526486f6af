// The fake apiserver against the contract the operator relies on (see the header of fake-kube-api.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../lib/fake-clock.js';
import { ApiError, type KubeObject, type WatchEnd, type WatchEvent } from './kube-api.js';
import { apiError, FakeKubeApi } from './fake-kube-api.js';
import { RESOURCES } from './resources.js';

type Obj = KubeObject & { spec?: Record<string, unknown>; status?: Record<string, unknown>; data?: Record<string, string> };

const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>): Obj => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns', ...(labels ? { labels } : {}) },
  data,
});
const deployment = (name: string, replicas = 1): Obj => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'ns' }, spec: { replicas } });
const corePod = (name: string): Obj => ({ apiVersion: 'dreamscape.io/v1alpha1', kind: 'CorePod', metadata: { name, namespace: 'ns' }, spec: { image: 'x' } });

async function rejects(promise: Promise<unknown>, code: number, reason: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ApiError, String(error));
    assert.equal(error.code, code);
    assert.equal(error.reason, reason);
    assert.equal(error.status?.code, code);
    if (message) assert.match(error.message, message);
    return true;
  });
}

/** Collects a watch's events until it ends. */
function collect(api: FakeKubeApi, rv: string, options: { labelSelector?: string; timeoutSeconds?: number } = {}) {
  const events: WatchEvent<Obj>[] = [];
  const handle = api.watch<Obj>(RESOURCES.configMap, { namespace: 'ns', resourceVersion: rv, timeoutSeconds: options.timeoutSeconds ?? 60, ...options }, (e) => events.push(e));
  return {
    events,
    handle,
    summary: () => events.map((e) => (e.type === 'ERROR' ? `ERROR ${e.status.code}` : `${e.type} ${e.object.metadata?.name ?? ''}@${e.object.metadata?.resourceVersion}`)),
  };
}

test('create: uid, creationTimestamp, one resourceVersion counter for all types, generation where the type has one', async () => {
  const api = new FakeKubeApi({ clock: new FakeClock(Date.UTC(2026, 0, 2, 3, 4, 5)) });
  const a = await api.create<Obj>(RESOURCES.configMap, cm('a'));
  const d = await api.create<Obj>(RESOURCES.deployment, { ...deployment('d'), status: { replicas: 7 } });
  assert.match(a.metadata!.uid!, /^[0-9a-f-]{36}$/);
  assert.notEqual(a.metadata!.uid, d.metadata!.uid);
  assert.equal(a.metadata!.creationTimestamp, '2026-01-02T03:04:05Z');
  assert.deepEqual([a.metadata!.resourceVersion, d.metadata!.resourceVersion], ['1', '2']);
  assert.equal(a.metadata!.generation, undefined, 'a ConfigMap has no generation');
  assert.equal(d.metadata!.generation, 1);
  assert.equal(d.status, undefined, 'status is not set through the main resource');
  await rejects(api.create(RESOURCES.configMap, cm('a')), 409, 'AlreadyExists', /configmaps "a" already exists/);
  await rejects(api.create(RESOURCES.configMap, { ...cm('b'), metadata: { name: 'b', namespace: 'ns', resourceVersion: '5' } }), 400, 'BadRequest');
  await rejects(api.create(RESOURCES.configMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'ns' } }), 422, 'Invalid');
  const generated = await api.create<Obj>(RESOURCES.configMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-', namespace: 'ns' } } as Obj);
  assert.match(generated.metadata!.name!, /^gen-[0-9a-f]{5}$/);
  assert.equal(await api.get(RESOURCES.configMap, 'ns', 'missing'), undefined);
});

test('replace: optimistic concurrency; a write that changes nothing keeps the resourceVersion', async () => {
  const api = new FakeKubeApi();
  const a = await api.create<Obj>(RESOURCES.configMap, cm('a', { k: '1' }));
  const b = await api.replace<Obj>(RESOURCES.configMap, { ...a, data: { k: '2' } });
  assert.equal(b.metadata!.resourceVersion, '2');
  assert.equal(b.metadata!.uid, a.metadata!.uid);
  await rejects(api.replace(RESOURCES.configMap, { ...a, data: { k: '3' } }), 409, 'Conflict', /the object has been modified/);
  const same = await api.replace<Obj>(RESOURCES.configMap, b);
  assert.equal(same.metadata!.resourceVersion, '2', 'no-op');
  const { resourceVersion: _, ...unversioned } = b.metadata!;
  assert.equal((await api.replace<Obj>(RESOURCES.configMap, { ...b, metadata: unversioned, data: { k: '4' } })).data!.k, '4', 'built-ins allow an unconditional update');
  const c = await api.create<Obj>(RESOURCES.corePod, corePod('c'));
  await rejects(api.replace(RESOURCES.corePod, { ...c, metadata: { name: 'c', namespace: 'ns' } }), 422, 'Invalid', /must be specified for an update/);
  await rejects(api.replace(RESOURCES.configMap, cm('nope')), 404, 'NotFound', /configmaps "nope" not found/);
});

test('generation moves with the spec only; the status subresource is written apart from the rest', async () => {
  const api = new FakeKubeApi();
  const d = await api.create<Obj>(RESOURCES.deployment, deployment('d'));
  const labelled = await api.patch<Obj>(RESOURCES.deployment, 'ns', 'd', 'merge', { metadata: { labels: { a: 'b' } }, status: { replicas: 3 } });
  assert.equal(labelled.metadata!.generation, 1, 'metadata only');
  assert.equal(labelled.status, undefined, 'status ignored through the main resource');
  const scaled = await api.patch<Obj>(RESOURCES.deployment, 'ns', 'd', 'merge', { spec: { replicas: 2 } });
  assert.equal(scaled.metadata!.generation, 2);
  const status = await api.patch<Obj>(RESOURCES.deployment, 'ns', 'd', 'merge', { spec: { replicas: 9 }, status: { replicas: 2 } }, { subresource: 'status' });
  assert.deepEqual([status.spec!.replicas, status.status!.replicas, status.metadata!.generation], [2, 2, 2], 'spec ignored through status; no new generation');
  const replaced = await api.replace<Obj>(RESOURCES.deployment, { ...status, status: { replicas: 0 } });
  assert.equal(replaced.status!.replicas, 2, 'a main write keeps the status');
  assert.ok(Number(replaced.metadata!.resourceVersion) > Number(d.metadata!.resourceVersion));
  await rejects(api.patch(RESOURCES.configMap, 'ns', 'x', 'merge', {}, { subresource: 'status' }), 404, 'NotFound', /could not find the requested resource/);
});

test('patch: merge (null removes), json (test + remove), a resourceVersion in the patch is a precondition', async () => {
  const api = new FakeKubeApi();
  await api.create(RESOURCES.configMap, cm('a', { x: '1', y: '2' }));
  assert.deepEqual((await api.patch<Obj>(RESOURCES.configMap, 'ns', 'a', 'merge', { data: { x: null, z: '3' } })).data, { y: '2', z: '3' });
  const ops = [
    { op: 'test', path: '/data/y', value: '2' },
    { op: 'remove', path: '/data/y' },
  ];
  assert.deepEqual((await api.patch<Obj>(RESOURCES.configMap, 'ns', 'a', 'json', ops)).data, { z: '3' });
  await rejects(api.patch(RESOURCES.configMap, 'ns', 'a', 'json', [{ op: 'test', path: '/data/z', value: '4' }]), 422, 'Invalid', /testing value \/data\/z failed/);
  await rejects(api.patch(RESOURCES.configMap, 'ns', 'a', 'json', ops), 422, 'Invalid', /does not exist/);
  await rejects(api.patch(RESOURCES.configMap, 'ns', 'a', 'merge', { metadata: { resourceVersion: '1' }, data: { q: '1' } }), 409, 'Conflict');
  await rejects(api.patch(RESOURCES.configMap, 'ns', 'nope', 'merge', {}), 404, 'NotFound');
});

test('server-side apply: create or merge per field manager; fields it stops applying go, others stay', async () => {
  const api = new FakeKubeApi();
  const applied = await api.apply<Obj>(RESOURCES.configMap, cm('a', { mine: '1', old: '1' }), { fieldManager: 'op', force: true });
  assert.equal(applied.metadata!.resourceVersion, '1');
  await api.patch(RESOURCES.configMap, 'ns', 'a', 'merge', { data: { theirs: '1' } });
  const again = await api.apply<Obj>(RESOURCES.configMap, cm('a', { mine: '1', old: '1' }), { fieldManager: 'op', force: true });
  assert.equal(again.metadata!.resourceVersion, '2', 'the same configuration again is a no-op');
  const next = await api.apply<Obj>(RESOURCES.configMap, cm('a', { mine: '2' }), { fieldManager: 'op', force: true });
  assert.deepEqual(next.data, { mine: '2', theirs: '1' });
  assert.deepEqual(
    next.metadata!.managedFields!.map((e) => (e as { manager: string; operation: string }).operation),
    ['Update', 'Apply'],
  );
  await rejects(api.apply(RESOURCES.configMap, cm('a', { theirs: '2' }), { fieldManager: 'other', force: false }), 409, 'Conflict', /\.data\.theirs/);
  assert.equal((await api.apply<Obj>(RESOURCES.configMap, cm('a', { theirs: '2' }), { fieldManager: 'other', force: true })).data!.theirs, '2');
  await rejects(api.apply(RESOURCES.corePod, { ...corePod('c'), status: { phase: 'x' } }, { fieldManager: 'op', force: true, subresource: 'status' }), 404, 'NotFound');
  await api.apply(RESOURCES.corePod, { ...corePod('c'), status: { phase: 'ignored' } }, { fieldManager: 'op', force: true });
  const status = await api.apply<Obj>(
    RESOURCES.corePod,
    { apiVersion: 'dreamscape.io/v1alpha1', kind: 'CorePod', metadata: { name: 'c', namespace: 'ns' }, status: { phase: 'Running' } },
    { fieldManager: 'op', force: true, subresource: 'status' },
  );
  assert.deepEqual([status.spec, status.status, status.metadata!.generation], [{ image: 'x' }, { phase: 'Running' }, 1]);
});

test('delete: uid precondition, already gone resolves, dependents whose owners are all gone are collected', async () => {
  const api = new FakeKubeApi();
  const owner = await api.create<Obj>(RESOURCES.corePod, corePod('owner'));
  const other = await api.create<Obj>(RESOURCES.corePod, corePod('other'));
  const ref = (o: Obj) => ({ apiVersion: 'dreamscape.io/v1alpha1', kind: 'CorePod', name: o.metadata!.name!, uid: o.metadata!.uid!, controller: true });
  const dep = await api.create<Obj>(RESOURCES.deployment, { ...deployment('dep'), metadata: { name: 'dep', namespace: 'ns', ownerReferences: [ref(owner)] } });
  await api.create(RESOURCES.replicaSet, {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'rs', namespace: 'ns', ownerReferences: [{ ...ref(owner), apiVersion: 'apps/v1', kind: 'Deployment', name: 'dep', uid: dep.metadata!.uid! }] },
  });
  await api.create(RESOURCES.configMap, { ...cm('shared'), metadata: { name: 'shared', namespace: 'ns', ownerReferences: [ref(owner), ref(other)] } });
  await rejects(api.delete(RESOURCES.corePod, 'ns', 'owner', { uid: 'wrong' }), 409, 'Conflict', /Precondition failed/);
  await api.delete(RESOURCES.corePod, 'ns', 'owner');
  assert.equal(api.peek(RESOURCES.deployment, 'ns', 'dep'), undefined);
  assert.equal(api.peek(RESOURCES.replicaSet, 'ns', 'rs'), undefined, 'collected in turn');
  assert.ok(api.peek(RESOURCES.configMap, 'ns', 'shared'), 'another owner remains');
  await api.delete(RESOURCES.corePod, 'ns', 'owner');
  await api.delete(RESOURCES.corePod, 'ns', 'other', { propagationPolicy: 'Orphan' });
  assert.ok(api.peek(RESOURCES.configMap, 'ns', 'shared'), 'orphaned');
});

test('list: selectors, namespaces, pages from one snapshot, 410 for a continuation older than a compaction', async () => {
  const api = new FakeKubeApi();
  for (const [name, tier] of [
    ['a', 'web'],
    ['b', 'db'],
    ['c', 'web'],
    ['d', 'web'],
    ['e', 'cache'],
  ] as const) {
    await api.create(RESOURCES.configMap, cm(name, {}, { tier }));
  }
  await api.create(RESOURCES.configMap, { ...cm('z'), metadata: { name: 'z', namespace: 'elsewhere' } });
  const names = async (options: Parameters<FakeKubeApi['list']>[1]) => (await api.list(RESOURCES.configMap, options)).items.map((i) => i.metadata!.name);
  assert.deepEqual(await names({}), ['z', 'a', 'b', 'c', 'd', 'e'], 'by namespace, then name');
  assert.deepEqual(await names({ namespace: 'ns', labelSelector: 'tier=web' }), ['a', 'c', 'd']);
  assert.deepEqual(await names({ namespace: 'ns', labelSelector: 'tier in (db,cache)' }), ['b', 'e']);
  assert.deepEqual(await names({ fieldSelector: 'metadata.name=z' }), ['z']);
  await rejects(api.list(RESOURCES.configMap, { labelSelector: 'tier in web' }), 400, 'BadRequest');
  const items = (await api.list<Obj>(RESOURCES.configMap, { namespace: 'ns' })).items;
  assert.equal(items[0]!.kind, undefined, 'built-in list items carry no kind');

  const first = await api.list<Obj>(RESOURCES.configMap, { namespace: 'ns', labelSelector: 'tier=web', limit: 2 });
  assert.deepEqual(
    first.items.map((i) => i.metadata!.name),
    ['a', 'c'],
  );
  assert.ok(first.continue);
  await api.delete(RESOURCES.configMap, 'ns', 'd');
  await api.create(RESOURCES.configMap, cm('f', {}, { tier: 'web' }));
  const second = await api.list<Obj>(RESOURCES.configMap, { namespace: 'ns', labelSelector: 'tier=web', limit: 2, continue: first.continue! });
  assert.deepEqual(
    second.items.map((i) => i.metadata!.name),
    ['d'],
    'the snapshot of the first page',
  );
  assert.equal(second.resourceVersion, first.resourceVersion);
  assert.equal(second.continue, undefined);
  api.compact();
  await rejects(api.list(RESOURCES.configMap, { namespace: 'ns', limit: 2, continue: first.continue! }), 410, 'Expired');
});

test('watch: replay from a resourceVersion, selectors entered and left, bookmarks, 410, stop', async () => {
  const api = new FakeKubeApi();
  const a = await api.create<Obj>(RESOURCES.configMap, cm('a', {}, { tier: 'web' }));
  await api.create(RESOURCES.configMap, cm('b', {}, { tier: 'web' }));
  const fromA = collect(api, a.metadata!.resourceVersion!, { labelSelector: 'tier=web' });
  const fromStart = collect(api, '');
  await api.idle();
  await api.patch(RESOURCES.configMap, 'ns', 'a', 'merge', { metadata: { labels: { tier: 'db' } } });
  await api.patch(RESOURCES.configMap, 'ns', 'a', 'merge', { metadata: { labels: { tier: 'web' } } });
  await api.delete(RESOURCES.configMap, 'ns', 'b');
  api.bookmark();
  await api.idle();
  assert.deepEqual(fromA.summary(), ['ADDED b@2', 'DELETED a@3', 'ADDED a@4', 'DELETED b@5', 'BOOKMARK @5']);
  assert.deepEqual(fromStart.summary(), ['ADDED a@1', 'ADDED b@2', 'MODIFIED a@3', 'MODIFIED a@4', 'DELETED b@5', 'BOOKMARK @5']);
  assert.equal(api.openWatches, 2);
  api.expireWatches();
  assert.deepEqual(await fromA.handle.ended, { kind: 'closed' });
  await fromStart.handle.ended;
  assert.equal(fromA.summary().at(-1), 'ERROR 410');
  const stale = collect(api, '2');
  assert.deepEqual(await stale.handle.ended, { kind: 'closed' });
  assert.deepEqual(stale.summary(), ['ERROR 410']);
  const stopped = collect(api, api.currentRevision);
  await api.idle();
  stopped.handle.stop();
  await api.create(RESOURCES.configMap, cm('c'));
  await api.idle();
  assert.deepEqual(await stopped.handle.ended, { kind: 'stopped' });
  assert.deepEqual(stopped.summary(), []);
  assert.equal(api.openWatches, 0);
});

test('watch: ends at timeoutSeconds on the clock, with a bookmark first', async () => {
  const clock = new FakeClock();
  const api = new FakeKubeApi({ clock });
  await api.create(RESOURCES.configMap, cm('a'));
  const w = collect(api, api.currentRevision, { timeoutSeconds: 30 });
  await api.idle();
  clock.advance(29_999);
  await api.idle();
  assert.equal(api.openWatches, 1);
  clock.advance(1);
  assert.deepEqual(await w.handle.ended, { kind: 'closed' });
  assert.deepEqual(w.summary(), ['BOOKMARK @1']);
});

test('failure injection: the next N calls of a verb fail; a held call takes effect when released', async () => {
  const api = new FakeKubeApi();
  api.failNext('create', 503, { type: RESOURCES.configMap, times: 2 });
  await api.create(RESOURCES.deployment, deployment('d'));
  await rejects(api.create(RESOURCES.configMap, cm('a')), 503, 'ServiceUnavailable');
  await rejects(api.create(RESOURCES.configMap, cm('a')), 503, 'ServiceUnavailable');
  await api.create(RESOURCES.configMap, cm('a'));
  api.failNext('apply', new Error('socket hang up'), { subresource: 'status' });
  await assert.rejects(api.apply(RESOURCES.deployment, { ...deployment('d'), status: {} }, { fieldManager: 'm', force: true, subresource: 'status' }), /socket hang up/);
  api.failNext('watch', 403);
  const failed = collect(api, '0');
  const end = (await failed.handle.ended) as Extract<WatchEnd, { kind: 'failed' }>;
  assert.equal(end.kind, 'failed');
  assert.equal((end.error as ApiError).code, 403);

  const current = (await api.get<Obj>(RESOURCES.configMap, 'ns', 'a'))!;
  const gate = api.hold('replace');
  const held = api.replace<Obj>(RESOURCES.configMap, { ...current, data: { from: 'held' } });
  assert.equal((await gate.reached).name, 'a');
  await api.replace(RESOURCES.configMap, { ...current, data: { from: 'other' } });
  gate.release();
  await rejects(held, 409, 'Conflict');
  const failing = api.hold('get');
  const get = api.get(RESOURCES.configMap, 'ns', 'a');
  await failing.reached;
  failing.fail(apiError(500, 'boom'));
  await rejects(get, 500, 'InternalError');
  assert.deepEqual(
    api.callsOf('replace').map((c) => c.name),
    ['a', 'a'],
  );
});

test('idle: resolves once the calls that watch events cause are done, and fails on activity that never ends', async () => {
  const api = new FakeKubeApi();
  // Each ADDED event creates the next ConfigMap, up to 20: a chain of call, delivery, call.
  const handle = api.watch<Obj>(RESOURCES.configMap, { namespace: 'ns', resourceVersion: '0', timeoutSeconds: 60 }, (e) => {
    const n = Number(e.type === 'ADDED' ? e.object.metadata!.name!.slice(1) : NaN);
    if (n < 20) void api.create(RESOURCES.configMap, cm(`c${n + 1}`));
  });
  await api.create(RESOURCES.configMap, cm('c0'));
  await api.idle();
  assert.equal(api.objects(RESOURCES.configMap, 'ns').length, 21);
  handle.stop();
  // A poller that calls on every event-loop turn.
  let polling = true;
  const poll = () => {
    if (!polling) return;
    void api.get(RESOURCES.configMap, 'ns', 'c0');
    setImmediate(poll);
  };
  poll();
  try {
    await assert.rejects(api.idle(50, 200), /still busy after 200 event-loop turns/);
  } finally {
    polling = false;
  }
});
