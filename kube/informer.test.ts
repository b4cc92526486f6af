// The informer against the in-memory apiserver: what it does when its watch expires (410 Gone),
// ends or fails, with its pauses on a fake clock. A timeout bounds each test: a missing re-list or
// re-watch would otherwise leave a gate waiting forever.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../lib/fake-clock.js';
import { FakeKubeApi } from './fake-kube-api.js';
import { Informer } from './informer.js';
import type { KubeObject } from './kube-api.js';
import { RESOURCES } from './resources.js';

const cm = (name: string, value = '1'): KubeObject & { data: Record<string, string> } => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns' },
  data: { value },
});

/** An informer of ConfigMaps in ns on a fake apiserver, with every handler call and error recorded; stopped after the test. */
async function started(t: TestContext, objects: string[] = []) {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const api = new FakeKubeApi({ clock });
  for (const name of objects) await api.create(RESOURCES.configMap, cm(name));
  const seen: string[] = [];
  const errors: string[] = [];
  const informer = new Informer<KubeObject & { data?: Record<string, string> }>(api, RESOURCES.configMap, {
    namespace: 'ns',
    watchTimeoutSeconds: 60,
    backoffMs: { initial: 1000, max: 8000 },
    clock,
    onError: (error, during) => errors.push(`${during}: ${error.message}`),
  });
  informer.addHandlers({
    onAdd: (o) => seen.push(`add ${o.metadata!.name}`),
    onUpdate: (old, o) => seen.push(`update ${o.metadata!.name} ${old.data?.value}->${o.data?.value}`),
    onDelete: (o) => seen.push(`delete ${o.metadata!.name}`),
  });
  t.after(() => informer.stop());
  await informer.start();
  await api.idle();
  return {
    clock,
    api,
    informer,
    seen,
    errors,
    names: () =>
      informer
        .list()
        .map((o) => `${o.metadata!.name}=${o.data?.value}`)
        .sort(),
  };
}

test('after 410 Gone the informer lists again and reports what changed meanwhile as adds, updates and deletes', { timeout: 10_000 }, async (t) => {
  const { api, informer, seen, errors, names } = await started(t, ['a', 'b']);
  assert.deepEqual(seen, ['add a', 'add b']);
  assert.equal(informer.stats.lists, 1);
  seen.length = 0;

  // The watch expires; the re-list waits at a gate while the objects change behind its back.
  const relist = api.hold('list');
  api.expireWatches();
  await relist.reached;
  await api.delete(RESOURCES.configMap, 'ns', 'a');
  await api.patch(RESOURCES.configMap, 'ns', 'b', 'merge', { data: { value: '2' } });
  await api.create(RESOURCES.configMap, cm('c'));
  assert.deepEqual(seen, [], 'no watch is open: nothing is seen until the re-list');
  relist.release();
  await api.idle();

  assert.deepEqual(seen.sort(), ['add c', 'delete a', 'update b 1->2']);
  assert.deepEqual(names(), ['b=2', 'c=1']);
  assert.deepEqual({ lists: informer.stats.lists, expired: informer.stats.expired }, { lists: 2, expired: 1 });
  assert.deepEqual(errors, [], 'a 410 is expected, not an error');
  assert.equal(api.openWatches, 1, 'watching again from the new list');

  // And the new watch delivers.
  await api.create(RESOURCES.configMap, cm('d'));
  await api.idle();
  assert.deepEqual(seen.at(-1), 'add d');
});

test('a watch resumed from a resourceVersion older than the compaction gets 410 and re-lists', { timeout: 10_000 }, async (t) => {
  const { api, informer, seen, names } = await started(t, ['a']);
  const old = api.currentRevision;
  await api.create(RESOURCES.configMap, cm('b'));
  await api.idle();
  api.compact();
  informer.resumeFrom(old);
  await api.idle();
  assert.deepEqual({ lists: informer.stats.lists, expired: informer.stats.expired }, { lists: 2, expired: 1 });
  assert.deepEqual(names(), ['a=1', 'b=1']);
  assert.deepEqual(seen, ['add a', 'add b'], 'the re-list found nothing new to report');
});

test('a watch the server ends is resumed from the last resourceVersion, without a re-list and without losing events', { timeout: 10_000 }, async (t) => {
  const { api, informer, seen, names } = await started(t, ['a']);
  seen.length = 0;
  const rewatch = api.hold('watch');
  api.closeWatches();
  await rewatch.reached;
  await api.patch(RESOURCES.configMap, 'ns', 'a', 'merge', { data: { value: '2' } });
  await api.create(RESOURCES.configMap, cm('b'));
  rewatch.release();
  await api.idle();
  assert.deepEqual(seen, ['update a 1->2', 'add b'], 'replayed from the resourceVersion the informer had');
  assert.deepEqual(names(), ['a=2', 'b=1']);
  assert.deepEqual({ lists: informer.stats.lists, watches: informer.stats.watches }, { lists: 1, watches: 2 });
});

test('a watch that fails is retried after a backoff on the clock, then resumes where it was', { timeout: 10_000 }, async (t) => {
  const { clock, api, informer, seen, errors, names } = await started(t, ['a']);
  seen.length = 0;
  api.failNext('watch', 500, { times: 2 });
  api.closeWatches();
  await api.idle();
  assert.equal(api.openWatches, 0);
  assert.equal(errors.length, 1, 'the first failure is reported');
  await api.create(RESOURCES.configMap, cm('b'));

  // The pause is 50-100 % of the delay: 1 s, then 2 s.
  clock.advance(499);
  await api.idle();
  assert.equal(errors.length, 1, 'no retry before half the first delay');
  clock.advance(501);
  await api.idle();
  assert.equal(errors.length, 2, 'retried (and failed again) within the first delay');
  clock.advance(2000);
  await api.idle();
  assert.equal(api.openWatches, 1, 'watching again');
  assert.match(errors[0]!, /^watch: injected 500/);
  assert.deepEqual(seen, ['add b'], 'the object created while no watch was open arrives');
  assert.deepEqual(names(), ['a=1', 'b=1']);
  assert.equal(informer.stats.lists, 1, 'a failed watch is not a reason to re-list');
});

test('a failed first list is retried after a backoff; the informer is synced once it succeeds', { timeout: 10_000 }, async (t) => {
  const clock = new FakeClock();
  const api = new FakeKubeApi({ clock });
  await api.create(RESOURCES.configMap, cm('a'));
  api.failNext('list', 503);
  const errors: string[] = [];
  const informer = new Informer<KubeObject>(api, RESOURCES.configMap, {
    namespace: 'ns',
    clock,
    backoffMs: { initial: 1000, max: 1000 },
    onError: (_, during) => errors.push(during),
  });
  t.after(() => informer.stop());
  const synced = informer.start();
  await api.idle();
  assert.equal(informer.hasSynced, false);
  assert.deepEqual(errors, ['list']);
  clock.advance(1000);
  await synced;
  assert.equal(informer.hasSynced, true);
  assert.equal(informer.size, 1);
});
