// Least privilege (docs/kubernetes.md): the ServiceAccount token is readable only by the
// sidecar-init's uid, so a program run as another `user` cannot read it; and a CorePod with
// spec.securityContext gets, from the operator alone, a pod that Pod Security "restricted"
// admits, running everything as that uid, binding a port below 1024 and reporting with its token,
// while a root CorePod in the same namespace is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { USER_NEEDS_ROOT } from '../../crds/corepod-schema.js';
import { buildImages, IMAGES, kubectl, processNamed, Stage, waitFor } from '../support/corepod-stage.js';

const TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const TOKEN_DATA = `${TOKEN.replace(/\/token$/, '')}/..data/`;
const RESTRICTED = ['pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/enforce-version=v1.32'];

test('a program running as another user cannot read the token; the sidecar-init (root) reports with it', async (t) => {
  await buildImages(['sidecar', 'musl-busybox']);
  // The copy, for its init container: the image volume's pods have none.
  const stage = await Stage.open('psa-privilege', { runtimeDelivery: 'copy' });
  t.after(() => stage.close());
  const probe = `if cat ${TOKEN} >/dev/null; then echo TOKEN-READABLE; else echo TOKEN-DENIED; fi; exec sleep 100000`;
  await stage.apply('split', {
    image: IMAGES.muslBusybox,
    imagePullPolicy: 'Never',
    programs: [
      { name: 'as-nobody', user: 'nobody', command: ['/bin/sh', '-c', probe] },
      { name: 'as-root', command: ['/bin/sh', '-c', probe] },
    ],
  });
  const cp = await stage.waitForCorePod('split', 'READY 2/2 reported by the sidecar', (c) => (c.status?.readyProcesses === '2/2' ? c : undefined));
  assert.equal(processNamed(cp.status!.pods![0]!.processes, 'as-nobody')!.state, 'RUNNING');
  const running = await stage.readyPod('split');
  const pod = running.metadata.name as string;
  // The hardening root pods get too: RuntimeDefault seccomp, and an init container without privileges.
  assert.deepEqual(running.spec.securityContext, { seccompProfile: { type: 'RuntimeDefault' } });
  assert.deepEqual(running.spec.initContainers[0].securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  const lines = await waitFor('both probes answered', async () => {
    const l = await stage.logs(pod);
    return l.filter((x) => /^TOKEN-/.test(String(x.msg))).length === 2 ? l : undefined;
  });
  const said = (program: string) => lines.filter((l) => l.program === program && /^TOKEN-/.test(String(l.msg))).map((l) => l.msg);
  assert.deepEqual(said('as-nobody'), ['TOKEN-DENIED']);
  assert.ok(lines.some((l) => l.program === 'as-nobody' && l.stream === 'stderr' && /Permission denied/.test(String(l.msg))));
  // The trade-off (docs/kubernetes.md): a program under the sidecar-init's own uid can read it.
  assert.deepEqual(said('as-root'), ['TOKEN-READABLE']);
  const { stdout } = await stage.exec(pod, ['ls', '-ln', TOKEN_DATA]);
  assert.match(stdout, /^-r--------\s+\d+\s+0\s+0\s+.*token$/m, stdout);
  const { stdout: status } = await stage.exec(pod, ['cat', '/proc/1/status']);
  assert.match(status, /^Seccomp:\s+2$/m, 'PID 1 runs under a seccomp filter');
});

for (const delivery of ['image-volume', 'copy'] as const) {
  test(`Pod Security "restricted" from the CorePod spec (runtime: ${delivery}): user switching refused at apply, a root CorePod refused, spec.securityContext admitted and reporting as its uid`, async (t) => {
    await buildImages(['sidecar', 'musl-busybox']);
    const stage = await Stage.open(`psa-restricted-${delivery === 'copy' ? 'copy' : 'iv'}`, { runtimeDelivery: delivery });
    t.after(() => stage.close());
    await kubectl(['label', 'namespace', stage.namespace, ...RESTRICTED]);

    // The apiserver's CEL rule: a program's user needs a root sidecar-init.
    const switching = await stage.kubectl(['apply', '-f', '-'], {
      allowFailure: true,
      input: JSON.stringify({
        apiVersion: 'dreamscape.io/v1alpha1',
        kind: 'CorePod',
        metadata: { name: 'switching' },
        spec: { image: IMAGES.muslBusybox, securityContext: { runAsUser: 65532 }, programs: [{ name: 'a', command: ['/bin/true'], user: 'nobody' }] },
      }),
    });
    assert.notEqual(switching.code, 0);
    // Neither 1.35 nor 1.37 prints an object's value (1.32 printed its type, "object": ) before a CEL rule's message.
    assert.ok(switching.stderr.includes(`spec.securityContext: Invalid value: ${USER_NEEDS_ROOT}`), switching.stderr);

    const web = (port: number) => ({
      name: 'web',
      command: ['/usr/local/bin/tiny-http', String(port), 'web'],
      ports: [{ name: 'http', containerPort: port }],
      healthCheck: { httpGet: { path: '/health', port } },
    });

    // A root CorePod: the operator makes its Deployment, admission refuses every pod.
    await stage.apply('as-root', { image: IMAGES.muslBusybox, imagePullPolicy: 'Never', programs: [web(8080)] });
    const refusal = await waitFor(
      'the ReplicaSet of the root CorePod fails to create pods',
      async () => {
        const { stdout } = await stage.kubectl(['get', 'replicasets', '-l', 'app.kubernetes.io/instance=as-root', '-o', 'json']);
        const conditions = (JSON.parse(stdout).items[0]?.status?.conditions ?? []) as { type: string; message: string }[];
        return conditions.find((c) => c.type === 'ReplicaFailure')?.message;
      },
      120_000,
    );
    assert.match(refusal, /violates PodSecurity "restricted:v1\.32": .*runAsNonRoot/);
    assert.deepEqual(await stage.pods('as-root'), []);
    await stage.kubectl(['delete', 'corepod', 'as-root', '--wait=false']);

    // Non-root: admitted, Running and Ready; tiny-http binds port 80 as uid 65532 (the sysctl).
    await stage.apply('locked', { image: IMAGES.muslBusybox, imagePullPolicy: 'Never', securityContext: { runAsUser: 65532 }, programs: [web(80)] });
    const cp = await stage.waitForCorePod('locked', 'READY 1/1 reported by the non-root sidecar', (c) =>
      c.status?.readyProcesses === '1/1' && c.status.phase === 'Running' ? c : undefined,
    );
    const web80 = processNamed(cp.status!.pods![0]!.processes, 'web')!;
    assert.equal(web80.state, 'RUNNING');
    assert.equal(web80.healthy, true);
    const running = await stage.readyPod('locked');
    const pod = running.metadata.name as string;
    assert.equal(running.spec.initContainers?.length ?? 0, delivery === 'copy' ? 1 : 0);
    assert.equal(
      running.spec.volumes.some((v: { image?: unknown }) => v.image),
      delivery === 'image-volume',
    );
    assert.deepEqual(running.spec.securityContext, {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
      sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '80' }],
    });
    const { stdout: ps } = await stage.exec(pod, ['ps', '-o', 'user,group,args']);
    const rows = ps.trim().split('\n').slice(1);
    assert.ok(
      rows.some((r) => /tiny-http 80 web/.test(r)),
      ps,
    );
    for (const row of rows) assert.match(row, /^65532\s+65532\s/, `everything runs as 65532:65532: ${row}`);
    const { stdout: id } = await stage.exec(pod, ['id']);
    assert.equal(id.trim(), 'uid=65532 gid=65532 groups=65532');
    // The kubelet gives the projected token to runAsUser, mode 0600, group root: no other uid reads it.
    const { stdout: token } = await stage.exec(pod, ['ls', '-ln', TOKEN_DATA]);
    assert.match(token, /^-rw-------\s+\d+\s+65532\s+0\s+.*token$/m, token);
    assert.match(token, /^-r--r--r--\s+\d+\s+0\s+0\s+.*ca\.crt$/m, token);
    const { stdout: status } = await stage.exec(pod, ['cat', '/proc/1/status']);
    assert.match(status, /^CapEff:\s+0+$/m, 'no capabilities');
    assert.match(status, /^NoNewPrivs:\s+1$/m);
    assert.match(status, /^Seccomp:\s+2$/m);
    const { stdout: served } = await stage.exec(pod, ['wget', '-qO-', 'http://127.0.0.1:80/']);
    assert.equal(served, 'web\n');
  });
}
