import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { validateCorePod, validateSpec } from '../../crds/corepod-schema.js';
import type { CorePodObject } from '../../crds/corepod-object.js';
import { DEFAULT_SIDECAR } from '../../contract/sidecar-contract.js';
import { desiredState } from '../../operator/desired/desired-state.js';
import { FLOOR_TRAP, floorScript, readinessProbe, startOrder, variantObjects } from './pod-variants.js';
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
  assert.equal(
    floorScript(programs),
    [
      FLOOR_TRAP,
      "(cd '/app/api dir' && exec env PORT=3001 node server.js 'it'\"'\"'s') & pids=\"$pids $!\"",
      '(exec /usr/sbin/nginx -g \'daemon off;\') & pids="$pids $!"',
      'wait',
    ].join('\n'),
  );
});

test("the ordered floor script starts each program once the previous one's health-check port answers", () => {
  const programs = spec([
    { name: 'api', command: ['api'], priority: 1, healthCheck: { httpGet: { path: '/health', port: 3001 } } },
    { name: 'worker', command: ['worker'], priority: 2 },
    { name: 'web', command: ['web'], priority: 3, healthCheck: { tcpSocket: { port: 80 } } },
  ]).programs;
  assert.equal(
    floorScript(programs, { ordered: true }),
    [
      FLOOR_TRAP,
      '(exec api) & pids="$pids $!"',
      'until (exec 3<>/dev/tcp/127.0.0.1/3001) 2>/dev/null; do sleep 0.02; done',
      '(exec worker) & pids="$pids $!"',
      '(exec web) & pids="$pids $!"',
      'wait',
    ].join('\n'),
  );
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
  for (const variant of ['floor', 'floor-bare', 'floor-ordered', 'supervisord'] as const) {
    const { deployment, configMap } = variantObjects(variant, `dreamscape-${variant}`, corePod, corePodDeployment, 10);
    const pod = deployment.spec!.template.spec!;
    const app = pod.containers[0]!;
    assert.equal(deployment.spec!.replicas, 10);
    assert.equal(app.image, corePod.spec.image);
    assert.deepEqual(pod.securityContext, corePodPod.securityContext);
    assert.deepEqual(app.securityContext, corePodPod.containers[0]!.securityContext);
    assert.deepEqual(app.resources, corePodPod.containers[0]!.resources);
    assert.equal(pod.initContainers, undefined);
    if (variant === 'floor-bare') {
      assert.equal(app.env, undefined);
      assert.equal(pod.volumes, undefined);
      assert.equal(app.volumeMounts, undefined);
    } else {
      // The programs' own inputs stay: the signing key from its Secret, nginx's TLS Secret.
      assert.deepEqual(app.env, [{ name: 'TOKEN_SIGNING_KEY', valueFrom: { secretKeyRef: { name: 'dreamscape-auth', key: 'token-signing-key' } } }]);
      assert.deepEqual(
        pod.volumes?.find((v) => v.name === 'tls'),
        { name: 'tls', secret: { secretName: 'dreamscape-tls' } },
      );
      assert.deepEqual(
        app.volumeMounts?.find((m) => m.name === 'tls'),
        { name: 'tls', mountPath: '/app/nginx/tls', readOnly: true },
      );
      assert.ok(!pod.volumes?.some((v) => v.name.startsWith('corepod-')), 'none of the sidecar-init volumes');
    }
    assert.ok(!(app.ports ?? []).some((p) => p.name === 'corepod-health'));
    assert.deepEqual(app.readinessProbe?.httpGet, { path: '/health', port: 80 });
    assert.equal(configMap === undefined, variant !== 'supervisord');
  }
  const { configMap } = variantObjects('supervisord', 'sv', corePod, corePodDeployment, 1);
  const conf = configMap!.data!['supervisord.conf']!;
  assert.deepEqual(
    [...conf.matchAll(/^\[program:(.+)\]$/gm)].map((m) => m[1]),
    startOrder(corePod.spec.programs).map((p) => p.name),
  );
});
