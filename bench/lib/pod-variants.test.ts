import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { validateCorePod, validateSpec } from '../../crds/corepod-schema.js';
import type { CorePodObject } from '../../crds/corepod-object.js';
import { DEFAULT_SIDECAR } from '../../contract/sidecar-contract.js';
import { desiredState } from '../../operator/desired/desired-state.js';
import { floorScript, programDefs, readinessProbe, startOrder, variantObjects } from './pod-variants.js';
import { REPO } from './paths.js';

const spec = (programs: unknown[]) => {
  const result = validateSpec({ image: 'app:1', programs });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.value;
};

test('start order is priority then name, and programs without autostart are left out', () => {
  const programs = spec([
    { name: 'web', command: ['web'], priority: 30 },
    { name: 'b', command: ['b'], priority: 10 },
    { name: 'a', command: ['a'], priority: 10 },
    { name: 'manual', command: ['m'], priority: 1, autostart: false },
  ]).programs;
  assert.deepEqual(
    startOrder(programs).map((p) => p.name),
    ['a', 'b', 'web'],
  );
});

test('the floor script starts each program in its directory with its environment, quoted, then waits', () => {
  const programs = spec([
    { name: 'api', command: ['node', 'server.js', "it's"], workingDir: '/app/api dir', env: [{ name: 'PORT', value: '3001' }], priority: 1 },
    { name: 'web', command: ['/usr/sbin/nginx', '-g', 'daemon off;'], priority: 2 },
  ]).programs;
  assert.equal(floorScript(programs), ["(cd '/app/api dir' && exec env PORT=3001 node server.js 'it'\"'\"'s') &", "(exec /usr/sbin/nginx -g 'daemon off;') &", 'wait'].join('\n'));
});

test('the floor script runs its programs for real, in their directories, with their environment, and waits for them', (t) => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'corepod-floor-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const programs = spec([
    { name: 'one', command: ['sh', '-c', 'echo "$PWD $GREETING" > "$OUT/one"'], workingDir: '/tmp', env: [{ name: 'GREETING', value: 'hello world' }], priority: 1 },
    { name: 'two', command: ['sh', '-c', 'echo "$PWD" > "$OUT/two"'], priority: 2 },
  ]).programs;
  execFileSync('sh', ['-c', floorScript(programs)], { cwd: out, env: { ...process.env, OUT: out } });
  assert.equal(readFileSync(`${out}/one`, 'utf8'), '/tmp hello world\n');
  assert.equal(readFileSync(`${out}/two`, 'utf8'), `${out}\n`);
});

test("supervisord gets the same programs and settings as the sidecar-init (the benchmarks' ProgramDef)", () => {
  const [api] = programDefs(
    spec([
      {
        name: 'api',
        command: ['node', 'server.js'],
        workingDir: '/app',
        env: [{ name: 'A', value: 'b' }],
        startSeconds: 4,
        startRetries: 2,
        stopSignal: 'QUIT',
        stopWaitSeconds: 7,
      },
    ]).programs,
  );
  assert.deepEqual(api, {
    name: 'api',
    command: ['node', 'server.js'],
    priority: 999,
    startSeconds: 4,
    startRetries: 2,
    autorestart: true,
    stopSignal: 'QUIT',
    stopWaitSeconds: 7,
    env: { A: 'b' },
    workingDir: '/app',
  });
});

test('the readiness probe is the health check of the last program to start, every second', () => {
  const programs = spec([
    { name: 'api', command: ['a'], priority: 1, healthCheck: { httpGet: { path: '/health', port: 3001 } } },
    { name: 'web', command: ['w'], priority: 2, healthCheck: { httpGet: { path: '/ok', port: 80 } } },
    { name: 'tcp', command: ['t'], priority: 3, healthCheck: { tcpSocket: { port: 9 } } },
  ]).programs;
  assert.deepEqual(readinessProbe(programs), { httpGet: { path: '/ok', port: 80 }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 1, successThreshold: 1 });
  assert.throws(() => readinessProbe(spec([{ name: 'a', command: ['a'] }]).programs), /no program has an httpGet health check/);
});

test("DreamScape's variants keep the CorePod pod's image, security and resources and drop everything of the sidecar-init", () => {
  const document = parse(readFileSync(`${REPO}/examples/dreamscape/corepod.yaml`, 'utf8')) as { metadata: Record<string, unknown> };
  document.metadata = { ...document.metadata, namespace: 'bench', uid: 'u' };
  const validated = validateCorePod(document);
  if (!validated.ok) throw new Error(JSON.stringify(validated.errors));
  const corePod = validated.value as unknown as CorePodObject;
  const corePodDeployment = desiredState(corePod, DEFAULT_SIDECAR).objects.find((o) => o.kind === 'Deployment') as import('@kubernetes/client-node').V1Deployment;
  const corePodPod = corePodDeployment.spec!.template.spec!;
  for (const variant of ['floor', 'supervisord'] as const) {
    const { deployment, configMap } = variantObjects(variant, `dreamscape-${variant}`, corePod, corePodDeployment, 10);
    const pod = deployment.spec!.template.spec!;
    const app = pod.containers[0]!;
    assert.equal(deployment.spec!.replicas, 10);
    assert.equal(app.image, corePod.spec.image);
    assert.deepEqual(pod.securityContext, corePodPod.securityContext);
    assert.deepEqual(app.securityContext, corePodPod.containers[0]!.securityContext);
    assert.deepEqual(app.resources, corePodPod.containers[0]!.resources);
    assert.equal(pod.initContainers, undefined);
    assert.equal(app.env, undefined);
    assert.ok(!(app.ports ?? []).some((p) => p.name === 'corepod-health'));
    assert.deepEqual(app.readinessProbe?.httpGet, { path: '/health', port: 80 });
    assert.equal(configMap === undefined, variant === 'floor');
  }
  const { configMap } = variantObjects('supervisord', 'sv', corePod, corePodDeployment, 1);
  const conf = configMap!.data!['supervisord.conf']!;
  assert.deepEqual(
    [...conf.matchAll(/^\[program:(.+)\]$/gm)].map((m) => m[1]),
    startOrder(corePod.spec.programs).map((p) => p.name),
  );
});
