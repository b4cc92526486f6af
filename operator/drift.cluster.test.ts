// Drift repair against the real apiserver: hand edits of each kind (JSON patch, strategic-merge
// patch, server-side apply by another manager, scale) to fields the operator sets are restored well
// within the resync interval and reported once as a DriftRepaired Warning naming the object and the
// fields; others' annotations stay.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { Stage, waitFor } from '../e2e/support/corepod-stage.js';

type Json = Record<string, any>;
const NAME = 'drift';
/** Far below the operator's default resync (600 s): the repair follows the watch, not the resync. */
const RESTORE_MS = 60_000;

let stage: Stage;

before(async () => {
  stage = await Stage.open('cp-drift');
  await stage.apply(NAME, {
    image: 'localhost/corepod/pause:3.10',
    replicas: 1,
    programs: [
      { name: 'web', command: ['sleep', '1000'], ports: [{ name: 'http', containerPort: 8080 }] },
      { name: 'api', command: ['sleep', '1000'], ports: [{ name: 'api', containerPort: 8081 }] },
    ],
  });
  await waitFor('the Deployment and the Service', async () => (await get('deployment')) && (await get('service')));
  // The operator's own writes settle (status, the first apply) before any edit is made.
  await stage.waitForCorePod(NAME, 'observed', (cp) => cp.status?.observedGeneration === cp.metadata.generation);
});

after(async () => {
  await stage?.close();
});

async function get(kind: 'deployment' | 'service'): Promise<Json | undefined> {
  const { code, stdout } = await stage.kubectl(['get', kind, NAME, '-o', 'json'], { allowFailure: true });
  return code === 0 ? (JSON.parse(stdout) as Json) : undefined;
}

const driftEvents = async () => (await stage.events(NAME)).filter((e) => e.reason === 'DriftRepaired');

/** Waits for the one DriftRepaired Event naming the object and every path, then checks it stays one. */
async function reportedOnce(object: string, paths: string[]): Promise<Json> {
  const matches = async () => (await driftEvents()).filter((e) => e.note.startsWith(`${object} was changed`) && paths.every((p) => e.note.includes(p)));
  const [event] = await waitFor(`a DriftRepaired Event for ${object}: ${paths.join(', ')}`, async () => ((await matches()).length > 0 ? matches() : undefined), RESTORE_MS).catch(
    async (error: unknown) => {
      const seen = (await driftEvents()).map((e) => e.note);
      const warnings = stage.operator.logs.filter((l) => Number(l.level) >= 40).map((l) => JSON.stringify(l));
      throw new Error(`${String(error)}; DriftRepaired notes: ${JSON.stringify(seen)}; operator warnings: ${warnings.slice(-10).join('\n')}`);
    },
  );
  assert.equal(event!.type, 'Warning');
  assert.equal(event!.reportingController, 'dreamscape.io/corepod-operator');
  // A repair reported twice would show as a second Event or as a series on this one.
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const later = await matches();
  assert.equal(later.length, 1, JSON.stringify(later));
  assert.equal(later[0]!.series, undefined, JSON.stringify(later[0]));
  return event!;
}

test("a Service port edited with a JSON patch is restored; someone else's annotation stays", async () => {
  await stage.kubectl(['annotate', 'service', NAME, 'example.com/note=kept']);
  const before = (await get('service'))!.spec.ports.map((p: Json) => `${p.name}:${p.port}`);
  await stage.kubectl(['patch', 'service', NAME, '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/ports/0/port', value: 9999 }])]);
  await waitFor(
    'the Service ports restored',
    async () => {
      const ports = (await get('service'))!.spec.ports.map((p: Json) => `${p.name}:${p.port}`);
      return JSON.stringify([...ports].sort()) === JSON.stringify([...before].sort());
    },
    RESTORE_MS,
  );
  const event = await reportedOnce(`Service/${NAME}`, ['spec.ports[port=9999,protocol=TCP]']);
  assert.doesNotMatch(event.note, /annotations/);
  assert.equal((await get('service'))!.metadata.annotations['example.com/note'], 'kept');
});

test('a container env entry changed with a strategic-merge patch on the Deployment is restored', async () => {
  const env = (d: Json) => d.spec.template.spec.containers.find((c: Json) => c.name === 'app').env.find((e: Json) => e.name === 'COREPOD_NAME');
  assert.equal(env((await get('deployment'))!).value, NAME);
  const patch = { spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'COREPOD_NAME', value: 'someone-else' }] }] } } } };
  await stage.kubectl(['patch', 'deployment', NAME, '--type=strategic', '-p', JSON.stringify(patch)]);
  await waitFor('COREPOD_NAME restored', async () => env((await get('deployment'))!).value === NAME, RESTORE_MS);
  await reportedOnce(`Deployment/${NAME}`, ['spec.template.spec.containers[name=app].env[name=COREPOD_NAME].value']);
});

test('a volume added by another field manager with a forced server-side apply is removed', async () => {
  const volumes = (d: Json) => (d.spec.template.spec.volumes as Json[]).map((v) => v.name);
  const ours = volumes((await get('deployment'))!);
  const extra = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: NAME }, spec: { template: { spec: { volumes: [{ name: 'extra', emptyDir: {} }] } } } };
  await stage.kubectl(['apply', '--server-side', '--field-manager=someone-else', '--force-conflicts', '-f', '-'], { input: stringify(extra) });
  await waitFor('the foreign volume is removed', async () => JSON.stringify(volumes((await get('deployment'))!)) === JSON.stringify(ours), RESTORE_MS);
  await reportedOnce(`Deployment/${NAME}`, ['spec.template.spec.volumes[name=extra]']);
});

test('kubectl scale deployment is undone: the replicas come from the CorePod', async () => {
  await stage.kubectl(['scale', 'deployment', NAME, '--replicas=3']);
  await waitFor('replicas restored to 1', async () => (await get('deployment'))!.spec.replicas === 1, RESTORE_MS);
  await reportedOnce(`Deployment/${NAME}`, ['spec.replicas']);
});
