// Least privilege (docs/kubernetes.md): the ServiceAccount token is readable only by the
// sidecar-init's uid, so a program run as another `user` cannot read it; and under Pod Security
// "restricted" the sidecar runtime works as a non-root uid once the pod template carries the
// restricted securityContext (applied here by hand to the operator's own Deployment: the change
// the operator needs, see the report), while the template as built today is refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { validateSpec } from '../../crds/corepod-schema.js';
import type { CorePodObject } from '../../operator/desired/corepod-object.js';
import { desiredState } from '../../operator/desired/desired-state.js';
import { DEFAULT_SIDECAR } from '../../operator/desired/sidecar-contract.js';
import { createNamespace, installCrd } from '../../operator/test-support/cluster-env.js';
import { createCorePod } from './pod-credentials.js';
import { buildImages, IMAGES, kubectl, processNamed, Stage, waitFor } from './support.js';

let stage: Stage;
const TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

before(async () => {
  await buildImages(['sidecar', 'musl-busybox']);
  stage = await Stage.open('cp-privilege');
});
after(async () => stage?.close());

test('a program running as another user cannot read the token; the sidecar-init (root) reports with it', async () => {
  const probe = `if cat ${TOKEN} >/dev/null; then echo TOKEN-READABLE; else echo TOKEN-DENIED; fi; exec sleep 100000`;
  await stage.apply('split', {
    image: IMAGES.muslBusybox, imagePullPolicy: 'Never',
    programs: [
      { name: 'as-nobody', user: 'nobody', command: ['/bin/sh', '-c', probe] },
      { name: 'as-root', command: ['/bin/sh', '-c', probe] },
    ],
  });
  const cp = await stage.waitForCorePod('split', 'READY 2/2 reported by the sidecar', (c) => (c.status?.readyProcesses === '2/2' ? c : undefined));
  assert.equal(processNamed(cp.status!.pods![0]!.processes, 'as-nobody')!.state, 'RUNNING');
  const pod = (await stage.readyPod('split')).metadata.name as string;
  const lines = await waitFor('both probes answered', async () => {
    const l = await stage.logs(pod);
    return l.filter((x) => /^TOKEN-/.test(String(x.msg))).length === 2 ? l : undefined;
  });
  const said = (program: string) => lines.filter((l) => l.program === program && /^TOKEN-/.test(String(l.msg))).map((l) => l.msg);
  assert.deepEqual(said('as-nobody'), ['TOKEN-DENIED']);
  assert.ok(lines.some((l) => l.program === 'as-nobody' && l.stream === 'stderr' && /Permission denied/.test(String(l.msg))));
  // The trade-off (docs/kubernetes.md): a program under the sidecar-init's own uid can read it.
  assert.deepEqual(said('as-root'), ['TOKEN-READABLE']);
  const { stdout } = await stage.exec(pod, ['ls', '-ln', `${TOKEN.replace(/\/token$/, '')}/..data/`]);
  assert.match(stdout, /^-r--------\s+\d+\s+0\s+0\s+.*token$/m, stdout);
});

test('Pod Security "restricted": the template as built today is refused; with the restricted securityContext the runtime runs as a non-root uid and reports', async (t) => {
  await installCrd();
  const ns = await createNamespace('cp-restricted');
  t.after(() => ns.remove());
  await kubectl(['label', 'namespace', ns.name, 'pod-security.kubernetes.io/enforce=restricted', 'pod-security.kubernetes.io/enforce-version=v1.32']);
  const spec = {
    image: IMAGES.muslBusybox, imagePullPolicy: 'Never' as const,
    programs: [{ name: 'web', command: ['/usr/local/bin/tiny-http', '8080', 'web'], healthCheck: { httpGet: { path: '/health', port: 8080 } } }],
  };
  const created = await createCorePod(ns.name, 'locked', spec);
  const validated = validateSpec(created.spec);
  assert.ok(validated.ok);
  const corePod: CorePodObject = { ...created, spec: validated.value };
  const desired = desiredState(corePod, { ...DEFAULT_SIDECAR, image: IMAGES.sidecar });
  const others = desired.objects.filter((o) => o.kind !== 'Deployment');
  const deployment = desired.objects.find((o) => o.kind === 'Deployment') as Record<string, any>;
  await kubectl(['apply', '--server-side', '--field-manager', 'corepod-test', '-f', '-'], { input: others.map((o) => stringify(o)).join('---\n') });

  // As the operator builds it now: no securityContext → PodSecurity refuses the pods.
  const refused = await kubectl(['apply', '--server-side', '--field-manager', 'corepod-test', '--dry-run=server', '-f', '-'], {
    input: stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'probe', namespace: ns.name }, spec: deployment.spec.template.spec }), allowFailure: true,
  });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /violates PodSecurity "restricted/);

  // The restricted securityContext: non-root uid (also the owner kubelet gives the projected token),
  // RuntimeDefault seccomp, no privilege escalation, no capabilities.
  const podSpec = deployment.spec.template.spec;
  podSpec.securityContext = { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } };
  for (const c of [...podSpec.initContainers, ...podSpec.containers]) c.securityContext = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
  await kubectl(['apply', '--server-side', '--field-manager', 'corepod-test', '-f', '-'], { input: stringify(deployment) });

  const reported = await waitFor('status reported by the non-root sidecar', async () => {
    const { stdout } = await kubectl(['get', 'corepod', '-n', ns.name, 'locked', '-o', 'json']);
    const processes = JSON.parse(stdout).status?.pods?.[0]?.processes as { name: string; state: string; healthy?: boolean }[] | undefined;
    return processes?.[0]?.state === 'RUNNING' && processes[0].healthy === true ? processes : undefined;
  }, 180_000);
  assert.equal(reported[0]!.name, 'web');
  const { stdout: pods } = await kubectl(['get', 'pods', '-n', ns.name, '-o', 'jsonpath={.items[0].metadata.name}']);
  const { stdout: ps } = await kubectl(['exec', '-n', ns.name, pods, '-c', 'app', '--', 'ps', '-o', 'user,args']);
  for (const line of ps.trim().split('\n').slice(1)) assert.match(line, /^65532\s/, `everything runs as 65532: ${line}`);
});
