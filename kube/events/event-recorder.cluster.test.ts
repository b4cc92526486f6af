// The one Event recorder against the real kube-apiserver: a note far over the apiserver's limit,
// in multi-byte UTF-8, is cut so the Event is accepted (the operator's old cut, 1,023 characters
// and an ellipsis, made the apiserver refuse it: the Event was lost), and repeats become a series.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterApi, createNamespace, waitFor } from '../../e2e/support/cluster-env.js';
import type { HttpKubeApi } from '../http-kube-api.js';
import type { KubeObject } from '../kube-api.js';
import { RESOURCES } from '../resources.js';
import { MAX_NOTE_BYTES } from './event-object.js';
import { EventRecorder } from './event-recorder.js';

let api: HttpKubeApi;
let namespace: string;
let removeNamespace: () => Promise<void>;
let regarding: { apiVersion: string; kind: string; name: string; namespace: string; uid: string };
const recorders: EventRecorder[] = [];

before(async () => {
  api = await clusterApi();
  ({ name: namespace, remove: removeNamespace } = await createNamespace('cp-events'));
  const cm = await api.create<KubeObject>(RESOURCES.configMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'subject', namespace } });
  regarding = { apiVersion: 'v1', kind: 'ConfigMap', name: 'subject', namespace, uid: cm.metadata!.uid! };
});

after(async () => {
  for (const r of recorders) r.stop();
  await removeNamespace?.();
  api?.close();
});

function recorder(instance: string): { recorder: EventRecorder; dropped: unknown[] } {
  const dropped: unknown[] = [];
  const r = new EventRecorder({
    api,
    reporter: { reportingController: 'dreamscape.io/corepod-test', reportingInstance: instance },
    series: { patchIntervalMs: 200 },
    onDrop: (_intent, error) => dropped.push(error),
  });
  recorders.push(r);
  return { recorder: r, dropped };
}

type EventJson = KubeObject & { note: string; reportingInstance: string; reason: string; series?: { count: number } };

const eventsOf = async (instance: string) => (await api.list<EventJson>(RESOURCES.event, { namespace })).items.filter((e) => e.reportingInstance === instance);

test('a 5,000-character note in multi-byte UTF-8 reaches the apiserver, cut to 1,024 bytes on a character boundary', async () => {
  const { recorder: r, dropped } = recorder('long-note');
  const note = `début ${'é€😀ü'.repeat(1250)}`.slice(0, 5000);
  assert.equal(note.length, 5000);
  r.record({ key: 'long', type: 'Warning', reason: 'LongNote', action: 'Test', note, regarding });
  await r.flush();
  assert.deepEqual(dropped, []);
  const [event] = await waitFor('the Event', async () => {
    const list = await eventsOf('long-note');
    return list.length === 1 ? list : undefined;
  });
  const bytes = Buffer.byteLength(event!.note);
  assert.ok(bytes <= MAX_NOTE_BYTES && bytes > MAX_NOTE_BYTES - 8, `${bytes} bytes`);
  assert.ok(event!.note.endsWith('...'));
  assert.ok(note.startsWith(event!.note.slice(0, -3)), 'the kept part is the start of the note, no character split');
});

test('repeats of one event on one object are one Event with a series count', async () => {
  const { recorder: r, dropped } = recorder('repeats');
  for (let i = 0; i < 5; i++) r.record({ key: 'same', type: 'Warning', reason: 'Repeated', action: 'Test', note: 'the same thing again', regarding });
  await r.flush();
  assert.deepEqual(dropped, []);
  const list = await waitFor('one Event counting 5', async () => {
    const found = await eventsOf('repeats');
    return found.length === 1 && found[0]!.series?.count === 5 ? found : undefined;
  });
  assert.equal(list[0]!.reason, 'Repeated');
  assert.equal(r.stats().created, 1);
});
