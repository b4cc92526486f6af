// charts/corepod on the local cluster, once with Helm 4 and once with Helm 3: lint, strict
// server-side validation of everything it renders, install → CorePods READY, helm test, an
// upgrade with new values and a CRD that gained a field, an upgrade after other writers touched
// the objects, rollback, uninstall (CRD and CorePods stay), reinstall (adopts), refused values.
// The operator runs in namespaced mode (two watched namespaces) so that it never reconciles the
// CorePods of the other suites running on the shared cluster. The CRD is shared too: its exact
// state before the suite is put back at the end.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { helm, kubectl, run } from '../e2e/cluster/cluster.js';
import { createNamespace, installCrd, uniqueName, waitFor } from '../e2e/support/cluster-env.js';
import { readyFor, smallCorePod } from '../operator/chart-test/corepod-ready-check.js';
import { CHART, HELMS, objectsOf, only, renderText, runHelm, type Json } from './chart-render.js';
import { repoRoot } from './crd-template.js';

const OPERATOR_IMAGE = { repository: 'localhost/corepod/operator', tag: 'chart-test' };
const SIDECAR_IMAGE = process.env.SIDECAR_IMAGE ?? 'localhost/corepod/sidecar:dev';
const CRD = 'customresourcedefinition/corepods.dreamscape.io';
const PROBE_FIELD = 'chartUpgradeProbe';

const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);
const getJson = async (args: string[]): Promise<Json> => JSON.parse((await kubectl([...args, '-o', 'json'])).stdout) as Json;

let crdBefore: Json | undefined;

before(async () => {
  // The operator image of this checkout (the chart's --watch-namespaces needs it), under a tag of
  // its own so that other suites' :dev image is left alone; both builds are cached by content.
  await run(`${repoRoot}operator/image/build-operator-image`, [`${OPERATOR_IMAGE.repository}:${OPERATOR_IMAGE.tag}`], { timeoutMs: 900_000 });
  await run(`${repoRoot}e2e/images/build-images`, ['sidecar'], { timeoutMs: 900_000, env: { ...process.env, SIDECAR_IMAGE } });
  const { code, stdout } = await kubectl(['get', CRD, '-o', 'json'], { allowFailure: true });
  if (code === 0) crdBefore = JSON.parse(stdout) as Json;
});

after(async () => {
  // Put the shared CRD back exactly as it was (spec, labels, annotations): a PUT, because a
  // server-side apply by another manager would leave the fields Helm owns.
  if (!crdBefore) return;
  const current = await getJson(['get', CRD]);
  const { uid, resourceVersion } = current.metadata;
  const restored = {
    apiVersion: crdBefore.apiVersion,
    kind: crdBefore.kind,
    metadata: { name: crdBefore.metadata.name, uid, resourceVersion, labels: crdBefore.metadata.labels ?? {}, annotations: crdBefore.metadata.annotations ?? {} },
    spec: crdBefore.spec,
  };
  await kubectl(['replace', '-f', '-'], { input: JSON.stringify(restored) });
});

/** The chart copied to a temporary directory, its CRD with one more spec field. */
function chartWithProbeField(dir: string): string {
  const chart = join(dir, 'corepod');
  cpSync(CHART, chart, { recursive: true });
  const file = join(chart, 'templates', 'crd-corepods.yaml');
  const lines = readFileSync(file, 'utf8').split('\n');
  const schemaAt = lines.findIndex((l) => l.trim() === 'openAPIV3Schema:');
  const specAt = lines.findIndex((l, i) => i > schemaAt && l === '            spec:');
  const propertiesAt = lines.findIndex((l, i) => i > specAt && l === '              properties:');
  assert.ok(schemaAt > 0 && specAt > schemaAt && propertiesAt > specAt, 'found spec.properties in the CRD template');
  lines.splice(propertiesAt + 1, 0, `                ${PROBE_FIELD}:`, '                  type: string', "                  description: A field the chart's upgrade test adds.");
  writeFileSync(file, lines.join('\n'));
  return chart;
}

for (const major of HELMS) {
  describe(`charts/corepod with Helm ${major} on the cluster`, { concurrency: false }, () => {
    const h = (args: string[], timeoutMs = 300_000) => helm(args, { major, timeoutMs });
    // Helm 4 applies server-side: --force-conflicts lets the chart win the fields it renders when
    // another manager changed them (kubectl scale; another suite's kubectl apply of the shared CRD).
    // Fields the chart does not render stay with their managers. Helm 3's three-way merge does the same.
    const force = major === 'v4' ? ['--force-conflicts'] : [];
    let release: string;
    let system: { name: string; remove: () => Promise<void> };
    let watched: { name: string; remove: () => Promise<void> }[] = [];
    let unwatched: { name: string; remove: () => Promise<void> };
    let dir: string;
    let values: string;
    let podsBefore: string[] = [];

    const corePod = (namespace: string, name: string) => getJson(['get', 'corepod', '-n', namespace, name]);
    const waitReady = (namespace: string, name: string) =>
      waitFor(`corepod ${namespace}/${name} Ready`, async () => readyFor((await corePod(namespace, name)) as Parameters<typeof readyFor>[0]), 240_000, 1000);
    /** The running pods of the two CorePods (other suites restart cluster components: wait for both). */
    const corePodPods = () =>
      waitFor(
        'one running pod per CorePod',
        async () => {
          const pods: string[] = [];
          for (const ns of watched) {
            const list = await getJson(['get', 'pods', '-n', ns.name, '-l', 'app.kubernetes.io/instance=app']);
            pods.push(
              ...(list.items as Json[]).filter((p) => p.status.phase === 'Running' && !p.metadata.deletionTimestamp).map((p) => `${ns.name}/${p.metadata.name}/${p.metadata.uid}`),
            );
          }
          return pods.length === watched.length && pods.sort();
        },
        120_000,
        1000,
      );
    const operatorArgs = async () => (await getJson(['get', 'deployment', '-n', system.name, `${release}-operator`])).spec.template.spec.containers[0].args as string[];

    before(async () => {
      release = uniqueName(`corepod-${major}`);
      system = await createNamespace(`corepod-${major}-sys`);
      watched = [await createNamespace(`corepod-${major}-a`), await createNamespace(`corepod-${major}-b`)];
      unwatched = await createNamespace(`corepod-${major}-off`);
      dir = mkdtempSync(join(tmpdir(), 'corepod-chart-'));
      values = join(dir, 'values.yaml');
      writeFileSync(
        values,
        stringify({
          image: OPERATOR_IMAGE,
          sidecarInit: { image: { repository: SIDECAR_IMAGE.split(':')[0], tag: SIDECAR_IMAGE.split(':')[1] } },
          watchNamespaces: watched.map((n) => n.name),
          podDisruptionBudget: { enabled: true },
          networkPolicy: { enabled: true },
          tests: { timeoutSeconds: 180 },
        }),
      );
    });

    after(async () => {
      await h(['uninstall', release, '-n', system.name, '--ignore-not-found', '--wait'], 180_000).catch(() => undefined);
      for (const ns of [...watched, unwatched, system]) await ns?.remove();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('helm lint --strict passes with the values of this suite', async () => {
      const result = await runHelm(major, ['lint', '--strict', CHART, '-f', values, '--namespace', system.name]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
    });

    test("every rendered object, and the NOTES sample CorePod, passes the apiserver's strict validation (server-side dry run)", async () => {
      const rendered = await renderText(major, ['-f', values], release, system.name);
      // A dry run cannot create the test pod's ServiceAccount first: validate that pod with the
      // namespace's default one.
      const objects = objectsOf(rendered).map((o) => (o.kind === 'Pod' ? { ...o, spec: { ...o.spec, serviceAccountName: 'default' } } : o));
      const { stdout } = await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager', 'chart-validation', '--dry-run=server', '--validate=strict', '-f', '-'], {
        input: objects.map((o) => JSON.stringify(o)).join('\n'),
      });
      assert.equal(stdout.trim().split('\n').length, objects.length, stdout);
      // The dry run above does not create the CRD; on a fresh cluster the sample needs it to exist.
      await installCrd();
      const sample = smallCorePod(watched[0]!.name, 'sample', `${OPERATOR_IMAGE.repository}:${OPERATOR_IMAGE.tag}`);
      await kubectl(['create', '--dry-run=server', '--validate=strict', '-f', '-'], { input: JSON.stringify(sample) });
      // The same validation refuses an object with a field its schema lacks.
      const broken = only(objectsOf(rendered), 'Deployment');
      broken.spec.template.spec.containers[0].imagePullPolicyy = 'Never';
      const refused = await kubectl(['apply', '--server-side', '--dry-run=server', '--validate=strict', '-f', '-'], { input: JSON.stringify(broken), allowFailure: true });
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /imagePullPolicyy/);
      const badCorePod = { ...sample, spec: { ...(sample.spec as Json), restartEverything: true } };
      const refusedCorePod = await kubectl(['create', '--dry-run=server', '--validate=strict', '-f', '-'], { input: JSON.stringify(badCorePod), allowFailure: true });
      assert.notEqual(refusedCorePod.code, 0);
      assert.match(refusedCorePod.stderr, /restartEverything/);
    });

    test('install --wait: the operator runs and CorePods in the watched namespaces become READY, others are left alone', async () => {
      const started = Date.now();
      // The CRD may already exist (other suites apply crds/corepod.yaml): adopt it.
      await h(['install', release, CHART, '-n', system.name, '-f', values, '--take-ownership', ...force, '--wait', '--timeout', '240s']);
      console.log(`# helm ${major} install --wait: ${seconds(started)} s`);
      const deployment = await getJson(['get', 'deployment', '-n', system.name, `${release}-operator`]);
      assert.equal(deployment.status.readyReplicas, 2);
      const image = `${OPERATOR_IMAGE.repository}:${OPERATOR_IMAGE.tag}`;
      for (const ns of [...watched, unwatched]) await kubectl(['create', '-f', '-'], { input: JSON.stringify(smallCorePod(ns.name, 'app', image)) });
      for (const ns of watched) await waitReady(ns.name, 'app');
      const ignored = await corePod(unwatched.name, 'app');
      assert.equal(ignored.status, undefined, `the operator reconciled ${unwatched.name}, which it does not watch`);
      podsBefore = await corePodPods();
      assert.equal(podsBefore.length, 2);
    });

    test('helm test: a CorePod is applied, becomes Ready and is deleted', async () => {
      // The pod's logs come through its helm.sh/hook-output-log-policy (it is deleted once it succeeded).
      const { stdout, stderr } = await h(['test', release, '-n', system.name, '--timeout', '240s']);
      assert.match(stdout, /Phase:\s+Succeeded/);
      assert.match(stdout + stderr, /is Ready/);
      assert.match(stdout + stderr, /deleted corepod/);
      const left = await kubectl(['get', 'corepod', '-n', watched[0]!.name, `${release}-operator-test`], { allowFailure: true });
      assert.notEqual(left.code, 0, 'the test CorePod is gone');
    });

    test('upgrade --wait with changed values and a CRD that gained a field: CorePods keep running, the field is accepted', async () => {
      const chart = chartWithProbeField(dir);
      const started = Date.now();
      await h(['upgrade', release, chart, '-n', system.name, '-f', values, '--set', 'logLevel=debug,concurrency=64', ...force, '--wait', '--timeout', '240s']);
      console.log(`# helm ${major} upgrade --wait: ${seconds(started)} s`);
      assert.ok((await operatorArgs()).includes('--log-level=debug'));
      assert.ok((await operatorArgs()).includes('--concurrency=64'));
      const crd = await getJson(['get', CRD]);
      assert.ok(crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties[PROBE_FIELD], 'the CRD has the new field');
      const probe = { ...smallCorePod(watched[1]!.name, 'probe', `${OPERATOR_IMAGE.repository}:${OPERATOR_IMAGE.tag}`) };
      (probe.spec as Json)[PROBE_FIELD] = 'kept';
      await waitFor(
        'the new field to be accepted',
        async () => {
          const created = JSON.parse(
            (await kubectl(['create', '--dry-run=server', '--validate=strict', '-o', 'json', '-f', '-'], { input: JSON.stringify(probe) })).stdout,
          ) as Json;
          return created.spec[PROBE_FIELD] === 'kept';
        },
        30_000,
        500,
      );
      for (const ns of watched) await waitReady(ns.name, 'app');
      assert.deepEqual(await corePodPods(), podsBefore, 'the CorePods kept their pods');
    });

    test('an upgrade after kubectl scale, kubectl label, rollout restart and the operator touched the objects has no field conflict', async () => {
      const deployment = `deployment/${release}-operator`;
      await kubectl(['scale', '-n', system.name, deployment, '--replicas=3']);
      await kubectl(['label', '-n', system.name, deployment, 'team=platform']);
      await kubectl(['annotate', '-n', system.name, `service/${release}-operator-metrics`, 'example.com/owner=ops']);
      await kubectl(['rollout', 'restart', '-n', system.name, deployment]);
      await kubectl(['rollout', 'status', '-n', system.name, deployment, '--timeout=180s'], { timeoutMs: 200_000 });
      await h(['upgrade', release, CHART, '-n', system.name, '-f', values, '--set', 'logLevel=warn', ...force, '--wait', '--timeout', '240s']);
      const live = await getJson(['get', '-n', system.name, deployment]);
      assert.equal(live.spec.replicas, 2, 'the chart sets replicas again');
      assert.equal(live.metadata.labels.team, 'platform', "kubectl's label stays");
      assert.ok(live.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'], "rollout restart's annotation stays");
      assert.equal((await getJson(['get', '-n', system.name, `service/${release}-operator-metrics`])).metadata.annotations['example.com/owner'], 'ops');
      assert.ok((await operatorArgs()).includes('--log-level=warn'));
      for (const ns of watched) await waitReady(ns.name, 'app');
      if (major === 'v4') {
        // Without it Helm 4 stops at the field kubectl scale owns (what the flag is for).
        await kubectl(['scale', '-n', system.name, deployment, '--replicas=3']);
        const conflict = await helm(['upgrade', release, CHART, '-n', system.name, '-f', values, '--set', 'logLevel=warn', '--timeout', '120s'], {
          major,
          allowFailure: true,
          timeoutMs: 180_000,
        });
        assert.notEqual(conflict.code, 0);
        assert.match(conflict.stderr, /conflict.*\.spec\.replicas/s);
        await h(['rollback', release, '-n', system.name, '--wait', '--force-conflicts', '--timeout', '240s']);
      }
    });

    test('rollback to the first revision: its values and its CRD (without the field) are back, CorePods keep running', async () => {
      await h(['rollback', release, '1', '-n', system.name, ...force, '--wait', '--timeout', '240s']);
      const args = await operatorArgs();
      assert.ok(args.includes('--log-level=info') && args.includes('--concurrency=128'), args.join(' '));
      const crd = await getJson(['get', CRD]);
      assert.equal(crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties[PROBE_FIELD], undefined, 'the field is gone again');
      for (const ns of watched) await waitReady(ns.name, 'app');
      assert.deepEqual(await corePodPods(), podsBefore);
    });

    test('uninstall leaves the CRD and every CorePod running; a new install adopts them', async () => {
      await h(['uninstall', release, '-n', system.name, '--wait', '--timeout', '180s']);
      assert.notEqual((await kubectl(['get', '-n', system.name, `deployment/${release}-operator`], { allowFailure: true })).code, 0, 'the operator is gone');
      const crd = await getJson(['get', CRD]);
      assert.equal(crd.metadata.annotations['helm.sh/resource-policy'], 'keep');
      assert.equal(crd.metadata.deletionTimestamp, undefined);
      assert.deepEqual(await corePodPods(), podsBefore, 'the CorePods and their pods are untouched');

      await h(['install', release, CHART, '-n', system.name, '-f', values, ...force, '--wait', '--timeout', '240s']);
      const adopted = await getJson(['get', CRD]);
      assert.equal(adopted.metadata.uid, crd.metadata.uid, 'the same CRD, adopted');
      assert.equal(adopted.metadata.annotations['meta.helm.sh/release-name'], release);
      for (const ns of watched) await waitReady(ns.name, 'app');
      assert.deepEqual(await corePodPods(), podsBefore);
    });

    test('a values file with a wrong type or an unknown key is refused, naming the key', async () => {
      for (const [bad, key] of [
        [{ replicaCount: 'two' }, /replicaCount/],
        [{ image: { tagg: 'x' } }, /tagg/],
        [{ operator: { replicas: 3 } }, /operator/],
      ] as const) {
        const file = join(dir, 'bad-values.yaml');
        writeFileSync(file, stringify(bad));
        for (const action of [
          ['upgrade', release],
          ['install', `${release}-refused`],
        ]) {
          const result = await helm([...action, CHART, '-n', system.name, '-f', values, '-f', file], { major, allowFailure: true });
          assert.notEqual(result.code, 0, `${action[0]} with ${JSON.stringify(bad)} was accepted`);
          assert.match(result.stderr, key);
        }
      }
      const history = JSON.parse((await h(['history', release, '-n', system.name, '-o', 'json'])).stdout) as { revision: number }[];
      assert.equal(history.length, 1, 'no refused upgrade made a revision');
      assert.deepEqual((await h(['list', '-n', system.name, '-q'])).stdout.trim().split('\n'), [release], 'no refused install made a release');
    });
  });
}

describe('a release installed by Helm 3, then upgraded by Helm 4', { concurrency: false }, () => {
  let release: string;
  let system: { name: string; remove: () => Promise<void> };
  let watched: { name: string; remove: () => Promise<void> };
  let dir: string;
  let values: string;

  before(async () => {
    release = uniqueName('corepod-h3to4');
    system = await createNamespace('corepod-h3to4-sys');
    watched = await createNamespace('corepod-h3to4-a');
    dir = mkdtempSync(join(tmpdir(), 'corepod-chart-'));
    values = join(dir, 'values.yaml');
    writeFileSync(
      values,
      stringify({
        image: OPERATOR_IMAGE,
        sidecarInit: { image: { repository: SIDECAR_IMAGE.split(':')[0], tag: SIDECAR_IMAGE.split(':')[1] } },
        watchNamespaces: [watched.name],
        tests: { enabled: false },
      }),
    );
  });

  after(async () => {
    await helm(['uninstall', release, '-n', system.name, '--ignore-not-found', '--wait'], { timeoutMs: 180_000 }).catch(() => undefined);
    for (const ns of [watched, system]) await ns?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('Helm 4 upgrades it client-side as it was installed, then server-side when asked; the CorePod keeps its pod', async () => {
    const install = ['-n', system.name, '-f', values, '--wait', '--timeout', '240s'];
    await helm(['install', release, CHART, ...install, '--take-ownership'], { major: 'v3', timeoutMs: 300_000 });
    await kubectl(['create', '-f', '-'], { input: JSON.stringify(smallCorePod(watched.name, 'app', `${OPERATOR_IMAGE.repository}:${OPERATOR_IMAGE.tag}`)) });
    const ready = () =>
      waitFor('corepod app Ready', async () => readyFor((await getJson(['get', 'corepod', '-n', watched.name, 'app'])) as Parameters<typeof readyFor>[0]), 240_000, 1000);
    await ready();
    const pod = async () => ((await getJson(['get', 'pods', '-n', watched.name, '-l', 'app.kubernetes.io/instance=app'])).items as Json[]).map((p) => p.metadata.uid as string);
    const podsBefore = await pod();

    // --server-side=auto follows the release's method: client-side, where --force-conflicts has no meaning.
    const refused = await helm(['upgrade', release, CHART, ...install, '--force-conflicts'], { major: 'v4', allowFailure: true, timeoutMs: 300_000 });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /forceConflicts enabled when serverSideApply disabled/);
    await helm(['upgrade', release, CHART, ...install, '--set', 'logLevel=debug'], { major: 'v4', timeoutMs: 300_000 });
    await helm(['upgrade', release, CHART, ...install, '--set', 'logLevel=warn', '--server-side=true', '--force-conflicts'], { major: 'v4', timeoutMs: 300_000 });
    const deployment = await getJson(['get', 'deployment', '-n', system.name, `${release}-operator`, '--show-managed-fields']);
    assert.ok((deployment.spec.template.spec.containers[0].args as string[]).includes('--log-level=warn'));
    assert.ok(
      (deployment.metadata.managedFields as Json[]).some((f) => f.manager === 'helm' && f.operation === 'Apply'),
      'Helm 4 now applies server-side',
    );
    await ready();
    assert.deepEqual(await pod(), podsBefore);
  });
});
