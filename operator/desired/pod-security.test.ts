import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Deployment, V1PodSpec } from '@kubernetes/client-node';
import type { CorePodSpecInput } from '../../crds/corepod-schema.js';
import { desiredState } from './desired-state.js';
import { podSecurity, unprivilegedPortStart, UNPRIVILEGED_PORT_SYSCTL } from './pod-security.js';
import { listenedPorts } from '../../contract/listened-ports.js';
import { DEFAULT_SIDECAR, type RuntimeDelivery } from '../../contract/sidecar-contract.js';
import { corePodFrom, dreamscapeSpec, random, randomSpec } from './test-fixtures.js';

const podSpecOf = (spec: CorePodSpecInput, delivery: RuntimeDelivery = 'copy'): V1PodSpec => {
  const deployment = desiredState(corePodFrom(spec), { ...DEFAULT_SIDECAR, delivery }).objects.find((o) => o.kind === 'Deployment') as V1Deployment;
  return deployment.spec!.template.spec!;
};

const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
]);

/**
 * The Pod Security "restricted" checks (v1.32) that a pod template built by the operator could
 * break; the cluster test asks the real admission plugin.
 */
function restrictedViolations(pod: V1PodSpec): string[] {
  const out: string[] = [];
  const containers = [...(pod.initContainers ?? []), ...pod.containers];
  const podContext = pod.securityContext ?? {};
  if (podContext.seccompProfile?.type !== 'RuntimeDefault') out.push('seccompProfile');
  for (const c of containers) {
    const s = c.securityContext ?? {};
    if (s.allowPrivilegeEscalation !== false) out.push(`${c.name}: allowPrivilegeEscalation`);
    const drop = s.capabilities?.drop ?? [];
    if (!drop.includes('ALL')) out.push(`${c.name}: capabilities.drop`);
    if ((s.capabilities?.add ?? []).some((cap) => cap !== 'NET_BIND_SERVICE')) out.push(`${c.name}: capabilities.add`);
    if (s.runAsNonRoot !== true && podContext.runAsNonRoot !== true) out.push(`${c.name}: runAsNonRoot`);
    if ((s.runAsUser ?? podContext.runAsUser) === 0) out.push(`${c.name}: runAsUser 0`);
    if (s.privileged) out.push(`${c.name}: privileged`);
  }
  for (const sysctl of podContext.sysctls ?? []) if (!SAFE_SYSCTLS.has(sysctl.name)) out.push(`sysctl ${sysctl.name}`);
  const allowedVolume = (v: object) => ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret', 'image'].some((k) => k in v);
  for (const volume of pod.volumes ?? []) if (!allowedVolume(volume)) out.push(`volume ${volume.name}`);
  return out;
}

const nonRoot = (spec: CorePodSpecInput, securityContext: CorePodSpecInput['securityContext'] = { runAsUser: 65532 }): CorePodSpecInput => ({ ...spec, securityContext });

test('DreamScape as root: RuntimeDefault seccomp, a locked-down init container, the app container keeps its capabilities', () => {
  const pod = podSpecOf(dreamscapeSpec());
  assert.deepEqual(pod.securityContext, { seccompProfile: { type: 'RuntimeDefault' } });
  assert.deepEqual(pod.initContainers![0]!.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  assert.equal(pod.containers[0]!.securityContext, undefined);
  // Root by design: the supervisor switches programs to their `user`, so restricted is out of reach.
  assert.deepEqual(restrictedViolations(pod), ['corepod-init: runAsNonRoot', 'app: allowPrivilegeEscalation', 'app: capabilities.drop', 'app: runAsNonRoot']);
});

test('DreamScape non-root: the restricted securityContext, the token left to runAsUser (no fsGroup), port 80 made unprivileged', () => {
  const pod = podSpecOf(nonRoot(dreamscapeSpec()));
  assert.deepEqual(pod.securityContext, {
    runAsNonRoot: true,
    runAsUser: 65532,
    runAsGroup: 65532,
    seccompProfile: { type: 'RuntimeDefault' },
    sysctls: [{ name: UNPRIVILEGED_PORT_SYSCTL, value: '80' }],
  });
  for (const container of [pod.initContainers![0]!, pod.containers[0]!]) {
    assert.deepEqual(container.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true }, container.name);
  }
  assert.deepEqual(restrictedViolations(pod), []);
});

test('DreamScape non-root with the runtime as an image volume: no init container, and the image volume is a restricted volume type', () => {
  const pod = podSpecOf(nonRoot(dreamscapeSpec()), 'image-volume');
  assert.equal(pod.initContainers, undefined);
  assert.ok(pod.volumes!.some((v) => v.image));
  assert.deepEqual(pod.containers[0]!.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true });
  assert.deepEqual(restrictedViolations(pod), []);
  assert.deepEqual(restrictedViolations({ ...pod, volumes: [...pod.volumes!, { name: 'host', hostPath: { path: '/' } }] }), ['volume host'], 'the check can fail');
});

test('runAsGroup and fsGroup are passed on when given', () => {
  const pod = podSpecOf(nonRoot(dreamscapeSpec(), { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000 }));
  assert.equal(pod.securityContext!.runAsUser, 1000);
  assert.equal(pod.securityContext!.runAsGroup, 3000);
  assert.equal(pod.securityContext!.fsGroup, 2000);
});

test('ports below 1024: the lowest one the pod listens on, from declared ports, loopback health checks and the health port', () => {
  const spec = (programs: CorePodSpecInput['programs'], healthPort?: number) => corePodFrom({ image: 'i', programs, ...(healthPort ? { healthPort } : {}) }).spec;
  assert.equal(unprivilegedPortStart(spec([{ name: 'a', command: ['x'], ports: [{ containerPort: 8080 }] }])), undefined);
  assert.equal(unprivilegedPortStart(spec([{ name: 'a', command: ['x'], ports: [{ containerPort: 1024 }] }])), undefined);
  assert.equal(unprivilegedPortStart(spec([{ name: 'a', command: ['x'], ports: [{ containerPort: 443 }, { containerPort: 53, protocol: 'UDP' }] }])), 53);
  assert.equal(unprivilegedPortStart(spec([{ name: 'a', command: ['x'], healthCheck: { tcpSocket: { port: 25 } } }])), 25);
  assert.equal(unprivilegedPortStart(spec([{ name: 'a', command: ['x'], healthCheck: { httpGet: { port: 80, host: 'db.example' } } }])), undefined);
  assert.equal(unprivilegedPortStart(spec([{ name: 'a', command: ['x'] }], 900)), 900);
  assert.deepEqual(listenedPorts(spec([{ name: 'a', command: ['x'], ports: [{ containerPort: 3000 }], healthCheck: { httpGet: { port: 3000 } } }])), [3000, 8686]);
});

test('a non-root pod above 1024 sets no sysctl', () => {
  const pod = podSpecOf(nonRoot({ image: 'i', programs: [{ name: 'a', command: ['x'], ports: [{ containerPort: 8080 }] }] }));
  assert.equal(pod.securityContext!.sysctls, undefined);
  assert.deepEqual(restrictedViolations(pod), []);
});

test('property: every non-root pod meets restricted; every root pod keeps a locked-down init container and RuntimeDefault seccomp', () => {
  const next = random(5);
  for (let i = 0; i < 200; i++) {
    const base = randomSpec(next);
    const uid = 1 + Math.floor(next() * 100_000);
    const pod = podSpecOf(nonRoot(base, { runAsUser: uid }));
    assert.deepEqual(restrictedViolations(pod), [], JSON.stringify(base));
    assert.equal(pod.securityContext!.runAsUser, uid);
    const lowest = Math.min(...base.programs.flatMap((p) => (p.ports ?? []).map((x) => x.containerPort)), 8686);
    assert.deepEqual(pod.securityContext!.sysctls, lowest < 1024 ? [{ name: UNPRIVILEGED_PORT_SYSCTL, value: String(lowest) }] : undefined);
    const root = podSecurity(corePodFrom(base).spec);
    assert.deepEqual(root.pod, { seccompProfile: { type: 'RuntimeDefault' } });
    assert.equal(root.appContainer, undefined);
  }
});

test('the projected token stays 0400 (0600 to runAsUser in a non-root pod); the CA and namespace files, no secrets, are readable by any uid', () => {
  for (const pod of [podSpecOf(dreamscapeSpec()), podSpecOf(nonRoot(dreamscapeSpec()))]) {
    const projected = pod.volumes!.find((v) => v.name === 'corepod-token')!.projected!;
    assert.equal(projected.defaultMode, 0o400);
    assert.equal(projected.sources![0]!.serviceAccountToken!.path, 'token');
    assert.deepEqual(projected.sources![1]!.configMap!.items, [{ key: 'ca.crt', path: 'ca.crt', mode: 0o444 }]);
    assert.equal(projected.sources![2]!.downwardAPI!.items![0]!.mode, 0o444);
  }
});
