// helm (Helm 4, built from helm.sh/helm/v4 by build-helm) installs, upgrades and uninstalls a chart
// through the loopback kubeconfig.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helm, kubectl } from './cluster.js';
import { createNamespace } from '../support/cluster-env.js';

let namespace: { name: string; remove: () => Promise<void> };
let chart: string;

before(async () => {
  namespace = await createNamespace('smoke-helm', { wait: true });
  chart = mkdtempSync(join(tmpdir(), 'corepod-chart-'));
  mkdirSync(join(chart, 'templates'));
  writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: smoke\nversion: 0.1.0\n');
  writeFileSync(join(chart, 'values.yaml'), 'greeting: hello\n');
  writeFileSync(
    join(chart, 'templates', 'configmap.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-greeting\ndata:\n  greeting: {{ .Values.greeting | quote }}\n',
  );
});
after(async () => {
  rmSync(chart, { recursive: true, force: true });
  await namespace?.remove();
});

test('helm install, upgrade and uninstall a chart', async () => {
  const ns = namespace.name;
  const greeting = async () => (await kubectl(['get', 'configmap', '-n', ns, 'smoke-greeting', '-o', 'jsonpath={.data.greeting}'])).stdout;

  await helm(['install', 'smoke', chart, '-n', ns, '--wait', '--timeout', '60s']);
  assert.equal(await greeting(), 'hello');

  await helm(['upgrade', 'smoke', chart, '-n', ns, '--set', 'greeting=bonjour', '--wait', '--timeout', '60s']);
  assert.equal(await greeting(), 'bonjour');
  const releases = JSON.parse((await helm(['list', '-n', ns, '-o', 'json'])).stdout) as { name: string; revision: string; status: string }[];
  assert.deepEqual(
    releases.map((r) => [r.name, r.revision, r.status]),
    [['smoke', '2', 'deployed']],
  );

  await helm(['uninstall', 'smoke', '-n', ns, '--wait']);
  assert.equal((await helm(['list', '-n', ns, '-q'])).stdout.trim(), '');
  const { code } = await kubectl(['get', 'configmap', '-n', ns, 'smoke-greeting'], { allowFailure: true });
  assert.notEqual(code, 0, 'the release ConfigMap is gone');
});
