// Drift repair against the real apiserver, for each owned kind × each kind of hand edit: JSON patch,
// merge patch, strategic-merge patch, server-side apply by another field manager (forced), a full
// update (kubectl replace of an edited copy, what kubectl edit amounts to) and kubectl scale. Each
// edit of a field the operator sets is restored well within the resync interval (the repair
// follows the watch) and reported once as a DriftRepaired Warning naming the object and the
// fields. Others' labels and annotations stay and cause no Event, and scaling the CorePod (what an
// HPA does) is no drift.
//
// One CorePod per kind of edit: the edits of different objects run concurrently, the cases on one
// object one after another (their Events must differ in their note, or they would be a series).
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { clusterApi } from '../e2e/support/cluster-env.js';
import { Stage, waitFor } from '../e2e/support/corepod-stage.js';
import type { HttpKubeApi } from '../kube/http-kube-api.js';
import { RESOURCES } from '../kube/resources.js';

type Json = Record<string, any>;
/** Far below the operator's default resync (600 s): the repair follows the watch, not the resync. */
const RESTORE_MS = 60_000;
/** How long after its Event a repair must stay reported once (a second reconcile follows within a second or two). */
const SETTLE_MS = 5_000;
/** Many cases poll at once: each every half second. */
const POLL_MS = 500;
/** The operator's log messages for a repair made and for a failed reconcile. */
const REPAIR_LOG = 'owned object was changed or deleted by hand; restored';
const FAILED_LOG = 'reconcile failed; requeued with backoff';

type Kind = 'ConfigMap' | 'ServiceAccount' | 'Role' | 'RoleBinding' | 'PodDisruptionBudget' | 'Service' | 'Deployment';
type Edit = 'json' | 'merge' | 'strategic' | 'apply' | 'replace' | 'scale';

const KINDS: Record<Kind, { resource: keyof typeof RESOURCES; kubectl: string; name: (corePod: string) => string; apiVersion: string }> = {
  ConfigMap: { resource: 'configMap', kubectl: 'configmap', name: (n) => `${n}-corepod-config`, apiVersion: 'v1' },
  ServiceAccount: { resource: 'serviceAccount', kubectl: 'serviceaccount', name: (n) => `${n}-corepod`, apiVersion: 'v1' },
  Role: { resource: 'role', kubectl: 'role', name: (n) => `${n}-corepod`, apiVersion: 'rbac.authorization.k8s.io/v1' },
  RoleBinding: { resource: 'roleBinding', kubectl: 'rolebinding', name: (n) => `${n}-corepod`, apiVersion: 'rbac.authorization.k8s.io/v1' },
  PodDisruptionBudget: { resource: 'podDisruptionBudget', kubectl: 'poddisruptionbudget', name: (n) => n, apiVersion: 'policy/v1' },
  Service: { resource: 'service', kubectl: 'service', name: (n) => n, apiVersion: 'v1' },
  Deployment: { resource: 'deployment', kubectl: 'deployment', name: (n) => n, apiVersion: 'apps/v1' },
};

const SPEC = {
  image: 'localhost/corepod/pause:3.10',
  // No pods: every field tested is on the owned objects themselves.
  replicas: 0,
  podDisruptionBudget: { minAvailable: 1 },
  programs: [
    { name: 'web', command: ['sleep', '1000'], ports: [{ name: 'http', containerPort: 8080 }] },
    { name: 'api', command: ['sleep', '1000'], ports: [{ name: 'api', containerPort: 8081 }] },
  ],
};

const CONFIG_KEY = 'corepod.json';
const MANAGED_BY = 'app.kubernetes.io/managed-by';
const COMPONENT = 'app.kubernetes.io/component';
const app = (d: Json): Json => d.spec.template.spec.containers.find((c: Json) => c.name === 'app');
const APP = 'spec.template.spec.containers[name=app]';

/**
 * A hand edit: `change` makes, from the live object, what the edit sends (JSON patch operations, a
 * merge or strategic-merge patch, the object another manager applies, the edited copy to replace,
 * the replicas to scale to); `field` is what must come back as it was; `paths` what the Event names.
 */
interface Case {
  kind: Kind;
  edit: Edit;
  what: string;
  change: (live: Json, namespace: string) => unknown;
  field: (object: Json) => unknown;
  paths: string[];
}

const label = (key: string) => `metadata.labels[${JSON.stringify(key)}]`;
const pointerKey = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1');
const rulesOf = (o: Json) => o.rules;
const otherSubject = (namespace: string) => [{ kind: 'ServiceAccount', name: 'default', namespace }];
const envIndex = (d: Json, name: string) => app(d).env.findIndex((e: Json) => e.name === name);
const servicePorts = (o: Json) => (o.spec.ports as Json[]).map((p) => `${p.name}:${p.port}/${p.protocol}->${p.targetPort}`).sort();

/**
 * One field of each kind without list entries of its own, changed by a partial object: the same
 * object serves as a JSON merge patch and as another manager's forced apply.
 */
function partialEdits(edit: 'merge' | 'apply'): Case[] {
  const edits: (Omit<Case, 'edit' | 'what'> & { what: Record<typeof edit, string> })[] = [
    {
      kind: 'ConfigMap',
      what: { merge: 'the config document replaced', apply: 'the config document taken over' },
      change: () => ({ data: { [CONFIG_KEY]: '{}' } }),
      field: (o) => o.data,
      paths: [`data["${CONFIG_KEY}"]`],
    },
    {
      kind: 'ServiceAccount',
      what: { merge: 'automountServiceAccountToken turned on', apply: 'automountServiceAccountToken taken over' },
      change: () => ({ automountServiceAccountToken: true }),
      field: (o) => o.automountServiceAccountToken,
      paths: ['automountServiceAccountToken'],
    },
    { kind: 'Role', what: { merge: 'the rules cut to the first', apply: 'the rules taken over' }, change: (o) => ({ rules: [o.rules[0]] }), field: rulesOf, paths: ['rules'] },
    {
      kind: 'RoleBinding',
      what: { merge: 'the subjects replaced', apply: 'the subjects taken over' },
      change: (_, ns) => ({ subjects: otherSubject(ns) }),
      field: (o) => o.subjects,
      paths: ['subjects'],
    },
    {
      kind: 'PodDisruptionBudget',
      what: { merge: 'minAvailable lowered', apply: 'minAvailable taken over' },
      change: () => ({ spec: { minAvailable: 0 } }),
      field: (o) => o.spec.minAvailable,
      paths: ['spec.minAvailable'],
    },
  ];
  return edits.map((e) => ({ ...e, edit, what: e.what[edit] }));
}

const CASES: Case[] = [
  // JSON patch (RFC 6902)
  {
    kind: 'ConfigMap',
    edit: 'json',
    what: 'the config document replaced',
    change: () => [{ op: 'replace', path: `/data/${CONFIG_KEY}`, value: '{}' }],
    field: (o) => o.data,
    paths: [`data["${CONFIG_KEY}"]`],
  },
  {
    kind: 'ConfigMap',
    edit: 'json',
    what: 'the managed-by label removed (the object leaves the operator’s cache)',
    change: () => [{ op: 'remove', path: `/metadata/labels/${pointerKey(MANAGED_BY)}` }],
    field: (o) => o.metadata.labels,
    paths: [label(MANAGED_BY)],
  },
  {
    kind: 'ServiceAccount',
    edit: 'json',
    what: 'automountServiceAccountToken turned on',
    change: () => [{ op: 'replace', path: '/automountServiceAccountToken', value: true }],
    field: (o) => o.automountServiceAccountToken,
    paths: ['automountServiceAccountToken'],
  },
  {
    kind: 'Role',
    edit: 'json',
    what: 'a rule narrowed to resourceNames it did not have',
    change: (o) => [{ op: 'add', path: `/rules/${(o.rules as Json[]).findIndex((r) => !r.resourceNames)}/resourceNames`, value: ['someone-else'] }],
    field: rulesOf,
    paths: ['rules'],
  },
  {
    kind: 'RoleBinding',
    edit: 'json',
    what: 'the subject replaced',
    change: () => [{ op: 'replace', path: '/subjects/0/name', value: 'default' }],
    field: (o) => o.subjects,
    paths: ['subjects'],
  },
  {
    kind: 'PodDisruptionBudget',
    edit: 'json',
    what: 'minAvailable lowered',
    change: () => [{ op: 'replace', path: '/spec/minAvailable', value: 0 }],
    field: (o) => o.spec.minAvailable,
    paths: ['spec.minAvailable'],
  },
  {
    kind: 'PodDisruptionBudget',
    edit: 'json',
    what: 'the managed-by label removed',
    change: () => [{ op: 'remove', path: `/metadata/labels/${pointerKey(MANAGED_BY)}` }],
    field: (o) => o.metadata.labels,
    paths: [label(MANAGED_BY)],
  },
  {
    kind: 'Service',
    edit: 'json',
    what: 'a port number changed (the key of its list entry)',
    change: () => [{ op: 'replace', path: '/spec/ports/0/port', value: 9999 }],
    field: servicePorts,
    paths: ['spec.ports[port=9999,protocol=TCP]'],
  },
  {
    kind: 'Deployment',
    edit: 'json',
    what: 'an env entry renamed (the key of its list entry)',
    change: (d) => [{ op: 'replace', path: `/spec/template/spec/containers/0/env/${envIndex(d, 'COREPOD_NAME')}/name`, value: 'SOMEONE_ELSE' }],
    field: (d) => app(d).env,
    paths: [`${APP}.env[name=SOMEONE_ELSE]`, `${APP}.env[name=COREPOD_NAME]`],
  },
  {
    kind: 'Deployment',
    edit: 'json',
    what: 'the managed-by label removed',
    change: () => [{ op: 'remove', path: `/metadata/labels/${pointerKey(MANAGED_BY)}` }],
    field: (o) => o.metadata.labels,
    paths: [label(MANAGED_BY)],
  },

  // JSON merge patch (RFC 7386): lists are replaced whole, maps merged
  ...partialEdits('merge'),
  {
    kind: 'PodDisruptionBudget',
    edit: 'merge',
    what: 'a label the operator sets changed',
    change: () => ({ metadata: { labels: { [COMPONENT]: 'someone-else' } } }),
    field: (o) => o.metadata.labels,
    paths: [label(COMPONENT)],
  },
  {
    kind: 'Service',
    edit: 'merge',
    what: 'a key added to the selector (an atomic map)',
    change: () => ({ spec: { selector: { 'example.com/track': 'canary' } } }),
    field: (o) => o.spec.selector,
    paths: ['spec.selector["example.com/track"]'],
  },
  {
    kind: 'Service',
    edit: 'merge',
    what: 'the ports replaced whole by one, under the name of one of ours (neither removing it nor applying ours alone is valid)',
    change: () => ({ spec: { ports: [{ name: 'http', port: 9997, targetPort: 'http' }] } }),
    field: servicePorts,
    paths: ['spec.ports[port=9997,protocol=TCP]', 'spec.ports[port=8080,protocol=TCP]', 'spec.ports[port=8081,protocol=TCP]'],
  },
  {
    kind: 'Deployment',
    edit: 'merge',
    what: 'enableServiceLinks turned on in the pod template',
    change: () => ({ spec: { template: { spec: { enableServiceLinks: true } } } }),
    field: (d) => d.spec.template.spec.enableServiceLinks,
    paths: ['spec.template.spec.enableServiceLinks'],
  },
  {
    kind: 'Deployment',
    edit: 'merge',
    what: 'a label the operator sets changed',
    change: () => ({ metadata: { labels: { [COMPONENT]: 'someone-else' } } }),
    field: (o) => o.metadata.labels,
    paths: [label(COMPONENT)],
  },

  // Strategic-merge patch: lists with a patch merge key are merged by it
  {
    kind: 'ConfigMap',
    edit: 'strategic',
    what: 'the config document replaced',
    change: () => ({ data: { [CONFIG_KEY]: '{}' } }),
    field: (o) => o.data,
    paths: [`data["${CONFIG_KEY}"]`],
  },
  {
    kind: 'ServiceAccount',
    edit: 'strategic',
    what: 'automountServiceAccountToken turned on',
    change: () => ({ automountServiceAccountToken: true }),
    field: (o) => o.automountServiceAccountToken,
    paths: ['automountServiceAccountToken'],
  },
  {
    kind: 'Role',
    edit: 'strategic',
    what: 'a rule’s verbs replaced',
    change: (o) => ({ rules: [{ ...o.rules[0], verbs: ['get', 'patch', 'update'] }, ...o.rules.slice(1)] }),
    field: rulesOf,
    paths: ['rules'],
  },
  {
    kind: 'RoleBinding',
    edit: 'strategic',
    what: 'the subjects replaced',
    change: (_, ns) => ({ subjects: otherSubject(ns) }),
    field: (o) => o.subjects,
    paths: ['subjects'],
  },
  {
    kind: 'PodDisruptionBudget',
    edit: 'strategic',
    what: 'minAvailable lowered',
    change: () => ({ spec: { minAvailable: 0 } }),
    field: (o) => o.spec.minAvailable,
    paths: ['spec.minAvailable'],
  },
  {
    kind: 'Service',
    edit: 'strategic',
    what: 'a port’s targetPort changed (merged by port)',
    change: () => ({ spec: { ports: [{ port: 8080, targetPort: 9090 }] } }),
    field: servicePorts,
    paths: ['spec.ports[port=8080,protocol=TCP].targetPort'],
  },
  {
    kind: 'Deployment',
    edit: 'strategic',
    what: 'an env value changed (merged by name)',
    change: () => ({ spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'COREPOD_NAME', value: 'someone-else' }] }] } } } }),
    field: (d) => app(d).env,
    paths: [`${APP}.env[name=COREPOD_NAME].value`],
  },

  // Server-side apply by another field manager, forced: it takes the fields over
  ...partialEdits('apply'),
  {
    kind: 'Service',
    edit: 'apply',
    what: 'a port added (an entry of another manager)',
    change: () => ({ spec: { ports: [{ name: 'extra', port: 9998, protocol: 'TCP', targetPort: 9998 }] } }),
    field: servicePorts,
    paths: ['spec.ports[port=9998,protocol=TCP]'],
  },
  {
    kind: 'Deployment',
    edit: 'apply',
    what: 'a volume added (an entry of another manager)',
    change: () => ({ spec: { template: { spec: { volumes: [{ name: 'extra', emptyDir: {} }] } } } }),
    field: (d) => d.spec.template.spec.volumes,
    paths: ['spec.template.spec.volumes[name=extra]'],
  },

  // A full update of an edited copy (kubectl replace; kubectl edit amounts to this)
  {
    kind: 'ConfigMap',
    edit: 'replace',
    what: 'the config document replaced',
    change: (o) => ({ ...o, data: { ...o.data, [CONFIG_KEY]: '{}' } }),
    field: (o) => o.data,
    paths: [`data["${CONFIG_KEY}"]`],
  },
  {
    kind: 'ServiceAccount',
    edit: 'replace',
    what: 'automountServiceAccountToken turned on',
    change: (o) => ({ ...o, automountServiceAccountToken: true }),
    field: (o) => o.automountServiceAccountToken,
    paths: ['automountServiceAccountToken'],
  },
  {
    kind: 'Role',
    edit: 'replace',
    what: 'a rule dropped',
    change: (o) => ({ ...o, rules: o.rules.slice(0, -1) }),
    field: rulesOf,
    paths: ['rules'],
  },
  {
    kind: 'RoleBinding',
    edit: 'replace',
    what: 'the subject replaced',
    change: (o, ns) => ({ ...o, subjects: otherSubject(ns) }),
    field: (o) => o.subjects,
    paths: ['subjects'],
  },
  {
    kind: 'PodDisruptionBudget',
    edit: 'replace',
    what: 'minAvailable lowered',
    change: (o) => ({ ...o, spec: { ...o.spec, minAvailable: 0 } }),
    field: (o) => o.spec.minAvailable,
    paths: ['spec.minAvailable'],
  },
  {
    kind: 'Service',
    edit: 'replace',
    what: 'the selector pointed at other pods',
    change: (o) => ({ ...o, spec: { ...o.spec, selector: { ...o.spec.selector, 'app.kubernetes.io/instance': 'someone-else' } } }),
    field: (o) => o.spec.selector,
    paths: ['spec.selector["app.kubernetes.io/instance"]'],
  },
  {
    kind: 'Deployment',
    edit: 'replace',
    what: 'the health port renumbered (the key of its list entry)',
    change: (d) => {
      const copy = structuredClone(d);
      const port = app(copy).ports.find((p: Json) => p.name === 'corepod-health');
      port.containerPort += 1;
      return copy;
    },
    field: (d) => app(d).ports,
    paths: [`${APP}.ports[containerPort=8687,protocol=TCP]`, `${APP}.ports[containerPort=8686,protocol=TCP]`],
  },

  {
    kind: 'Deployment',
    edit: 'replace',
    what: 'the config volume renamed, and its mount with it (the key of a volume)',
    change: (d) => {
      const copy = structuredClone(d);
      copy.spec.template.spec.volumes.find((v: Json) => v.name === 'corepod-config').name = 'renamed';
      app(copy).volumeMounts.find((m: Json) => m.name === 'corepod-config').name = 'renamed';
      return copy;
    },
    field: (d) => [d.spec.template.spec.volumes.map((v: Json) => v.name), app(d).volumeMounts.map((m: Json) => m.name)],
    paths: ['spec.template.spec.volumes[name=renamed]', 'spec.template.spec.volumes[name=corepod-config]', `${APP}.volumeMounts[mountPath=/etc/corepod].name`],
  },

  // The scale subresource
  { kind: 'Deployment', edit: 'scale', what: 'scaled by hand', change: () => 2, field: (d) => d.spec.replicas, paths: ['spec.replicas'] },
];

const EDITS: Edit[] = ['json', 'merge', 'strategic', 'apply', 'replace', 'scale'];
const FOREIGN = 'drift-foreign';
const corePodOf = (edit: Edit) => `drift-${edit}`;

let stage: Stage;
let api: HttpKubeApi;

before(async () => {
  stage = await Stage.open('cp-drift');
  api = await clusterApi();
  const names = [...EDITS.map(corePodOf), FOREIGN];
  await Promise.all(names.map((name) => stage.apply(name, SPEC)));
  // Every object applied, and the status the operator writes after its first apply of them all, before any edit
  // (not the rollout: that waits for the shared controller-manager, and no field tested depends on it).
  await Promise.all(
    names.map(async (name) => {
      await waitFor(`${name}: every owned object`, async () => (await Promise.all((Object.keys(KINDS) as Kind[]).map((kind) => get(kind, name)))).every(Boolean), RESTORE_MS);
      await stage.waitForCorePod(name, 'the first status', (cp) => cp.status?.conditions?.some((c) => c.type === 'Progressing'));
    }),
  );
});

after(async () => {
  await stage?.close();
});

async function get(kind: Kind, corePod: string): Promise<Json | undefined> {
  return api.get<Json>(RESOURCES[KINDS[kind].resource], stage.namespace, KINDS[kind].name(corePod));
}

/** The namespace's Events, listed at most every 500 ms however many cases poll them. */
let eventList: { at: number; items: Promise<Json[]> } | undefined;
async function driftEvents(corePod: string): Promise<Json[]> {
  if (!eventList || Date.now() - eventList.at > 500) {
    eventList = { at: Date.now(), items: api.list<Json>(RESOURCES.event, { namespace: stage.namespace }).then((l) => l.items) };
  }
  const items = await eventList.items;
  return items.filter((e) => e.reason === 'DriftRepaired' && e.regarding?.kind === 'CorePod' && e.regarding?.name === corePod);
}

/** Makes the edit with kubectl, the way someone would by hand; returns the object as the edit left it. */
async function edit(c: Case, corePod: string): Promise<Json | undefined> {
  const { kubectl: resource, name: nameOf, apiVersion } = KINDS[c.kind];
  const name = nameOf(corePod);
  const live = (await get(c.kind, corePod))!;
  const change = c.change(live, stage.namespace);
  const out = async (args: string[], input?: string) => JSON.parse((await stage.kubectl([...args, '-o', 'json'], input === undefined ? {} : { input })).stdout) as Json;
  switch (c.edit) {
    case 'json':
    case 'merge':
    case 'strategic':
      return out(['patch', resource, name, `--type=${c.edit}`, '-p', JSON.stringify(change)]);
    case 'apply':
      return out(
        ['apply', '--server-side', '--field-manager=someone-else', '--force-conflicts', '-f', '-'],
        stringify({ apiVersion, kind: c.kind, metadata: { name }, ...(change as Json) }),
      );
    case 'replace':
      // As kubectl edit: the copy carries the resourceVersion it was read at; a write in between (a
      // status update) is a conflict, and the edit is made again on the newer copy.
      for (let attempt = 1; ; attempt++) {
        const copy = attempt === 1 ? change : c.change((await get(c.kind, corePod))!, stage.namespace);
        const { code, stdout, stderr } = await stage.kubectl(['replace', '-o', 'json', '-f', '-'], { input: JSON.stringify(copy), allowFailure: true });
        if (code === 0) return JSON.parse(stdout) as Json;
        if (!/Conflict|the object has been modified/.test(stderr) || attempt === 5) throw new Error(`kubectl replace: ${stderr}`);
      }
    case 'scale':
      await stage.kubectl(['scale', resource, name, `--replicas=${String(change)}`]);
      return undefined;
  }
}

async function runCase(c: Case, t: TestContext): Promise<void> {
  const corePod = corePodOf(c.edit);
  const id = `${c.kind}/${KINDS[c.kind].name(corePod)}`;
  const about = async () => (await driftEvents(corePod)).filter((e) => e.note.startsWith(`${id} was changed`));
  const earlier = new Set((await about()).map((e) => e.metadata.name));
  const logsFrom = stage.operator.logs.length;
  const before = JSON.stringify(c.field((await get(c.kind, corePod))!));
  const edited = await edit(c, corePod);
  if (edited) assert.notEqual(JSON.stringify(c.field(edited)), before, 'the edit changed the field');
  const started = Date.now();
  await waitFor(`${id}: the field restored`, async () => JSON.stringify(c.field((await get(c.kind, corePod))!)) === before, RESTORE_MS, POLL_MS);
  t.diagnostic(`restored after ${Date.now() - started} ms`);

  const fresh = async () => (await about()).filter((e) => !earlier.has(e.metadata.name));
  const event = await waitFor(`a DriftRepaired Event for ${id}`, async () => (await fresh())[0], RESTORE_MS, POLL_MS).catch(async (error: unknown) => {
    const warnings = stage.operator.logs.filter((l) => Number(l.level) >= 40).map((l) => JSON.stringify(l));
    throw new Error(
      `${String(error)}; DriftRepaired notes: ${JSON.stringify((await driftEvents(corePod)).map((e) => e.note))}; operator warnings: ${warnings.slice(-10).join('\n')}`,
    );
  });
  assert.equal(event.type, 'Warning');
  assert.equal(event.reportingController, 'dreamscape.io/corepod-operator');
  for (const path of c.paths) assert.ok(event.note.includes(path), `the note names ${path}: ${event.note}`);
  // Reported once: neither a second Event about the object (another note) nor a series on this one.
  // A repeat would raise the series only at the recorder's next patch (up to 10 s later), so the
  // operator's log, written as each report is made, is counted too.
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  assert.deepEqual(
    (await fresh()).map((e) => [e.note, e.series?.count]),
    [[event.note, undefined]],
  );
  // A repair patch leaves no ownership by the operator's Update: our apply alone owns our fields.
  const managers = ((await get(c.kind, corePod))!.metadata.managedFields as Json[]).map((m) => `${m.manager}/${m.operation}`);
  assert.ok(!managers.includes('corepod-operator/Update'), managers.join(', '));
  const reports = stage.operator.logs.slice(logsFrom).filter((l) => l.msg === REPAIR_LOG && l.object === id);
  assert.equal(reports.length, 1, JSON.stringify(reports));
  // No write of the CorePod's objects failed meanwhile (a repair patch guarded by the resourceVersion
  // failed on the Deployment controller's status update).
  assert.deepEqual(
    stage.operator.logs.slice(logsFrom).filter((l) => l.msg === FAILED_LOG && String(l.corepod).endsWith(`/${corePod}`)),
    [],
  );
}

/** No DriftRepaired about the CorePod of the negative cases: no Event, and none being made (the log). */
async function assertNoDrift(): Promise<void> {
  eventList = undefined;
  assert.deepEqual(
    (await driftEvents(FOREIGN)).map((e) => e.note),
    [],
  );
  assert.deepEqual(
    stage.operator.logs.filter((l) => l.msg === REPAIR_LOG && String(l.corepod).endsWith(`/${FOREIGN}`)),
    [],
  );
}

describe('drift repair', { concurrency: true }, () => {
  describe('hand edits of the fields the operator sets are restored and reported once', { concurrency: true }, () => {
    for (const edit of EDITS) {
      describe(edit, { concurrency: true }, () => {
        for (const kind of Object.keys(KINDS) as Kind[]) {
          const cases = CASES.filter((c) => c.edit === edit && c.kind === kind);
          // The cases on one object one after another.
          if (cases.length > 0) {
            describe(kind, { concurrency: false }, () => {
              for (const c of cases) test(`${kind} × ${edit}: ${c.what}`, (t) => runCase(c, t));
            });
          }
        }
      });
    }
  });

  describe('what the operator does not set is left alone', { concurrency: false }, () => {
    test("others' labels and annotations on every owned object stay and are no drift", async () => {
      const kinds = Object.keys(KINDS) as Kind[];
      await Promise.all(
        kinds.map(async (kind) => {
          const { kubectl: resource, name } = KINDS[kind];
          await stage.kubectl(['annotate', resource, name(FOREIGN), 'example.com/note=kept']);
          await stage.kubectl(['label', resource, name(FOREIGN), 'example.com/team=a']);
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      for (const kind of kinds) {
        const object = (await get(kind, FOREIGN))!;
        assert.equal(object.metadata.annotations?.['example.com/note'], 'kept', kind);
        assert.equal(object.metadata.labels?.['example.com/team'], 'a', kind);
      }
      await assertNoDrift();
    });

    test('kubectl scale corepod (what an HPA does) changes the Deployment’s replicas and is no drift', async () => {
      await stage.kubectl(['scale', 'corepod', FOREIGN, '--replicas=1']);
      await waitFor('the Deployment scaled to 1', async () => (await get('Deployment', FOREIGN))!.spec.replicas === 1, RESTORE_MS, POLL_MS);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      assert.equal((await get('Deployment', FOREIGN))!.spec.replicas, 1);
      await assertNoDrift();
      // Back to no pods.
      await stage.kubectl(['scale', 'corepod', FOREIGN, '--replicas=0']);
    });
  });
});
