// The generated CRD on the real kube-apiserver: accepted, defaults applied, and invalid CorePods
// rejected at `kubectl apply` with messages that name the field.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { createNamespace, installCrd, kubectl, repoRoot } from '../e2e/support/cluster-env.js';

let namespace: string;
let removeNamespace: () => Promise<void>;

before(async () => {
  await installCrd();
  ({ name: namespace, remove: removeNamespace } = await createNamespace('cp-crd'));
});
after(async () => removeNamespace?.());

type Program = Record<string, unknown>;
const corePod = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'dreamscape.io/v1alpha1',
  kind: 'CorePod',
  metadata: { name, namespace },
  spec,
});
const base = (programs: Program[] = [{ name: 'web', command: ['/bin/web'] }], extra: Record<string, unknown> = {}) => ({ image: 'registry.local/app:1', programs, ...extra });

async function apply(document: unknown) {
  return kubectl(['apply', '-f', '-'], { input: stringify(document), allowFailure: true });
}

test('a valid CorePod is stored with every default filled in', async () => {
  const result = await apply(
    corePod(
      'defaults',
      base([
        { name: 'a', command: ['/a'], healthCheck: { httpGet: { port: 80 } } },
        { name: 'b', command: ['/b'], autorestart: 'unexpected', dependsOn: ['a'] },
        { name: 'c', command: ['/c'], dependsOn: [{ name: 'b', condition: 'Completed' }] },
      ]),
    ),
  );
  assert.equal(result.code, 0, result.stderr);
  const { stdout } = await kubectl(['get', 'corepod', '-n', namespace, 'defaults', '-o', 'json']);
  const spec = JSON.parse(stdout).spec;
  assert.equal(spec.replicas, 1);
  assert.equal(spec.healthPort, 8686);
  assert.deepEqual(spec.memory, { warningPercent: 85, criticalPercent: 95, action: 'alert' });
  assert.equal(spec.programs[0].autorestart, true);
  assert.equal(spec.programs[1].autorestart, 'unexpected');
  assert.deepEqual(spec.programs[0].logs, { mirror: true, maxBytes: '50Mi', backups: 10 });
  assert.deepEqual(spec.programs[0].healthCheck.httpGet, { path: '/', port: 80, host: '127.0.0.1' });
  assert.deepEqual(spec.programs[1].restartBudget, { maxRestarts: 5, windowSeconds: 60 });
  // A dependency is a name or {name, condition}, stored as written (the CRD leaves it untyped).
  assert.deepEqual(spec.programs[1].dependsOn, ['a']);
  assert.deepEqual(spec.programs[2].dependsOn, [{ name: 'b', condition: 'Completed' }]);
  assert.deepEqual(spec.programs[0].backoff, { policy: 'linear', initialSeconds: 1, resetAfterSeconds: 0 });
});

test('the CRD also installs by a client-side kubectl apply: it fits the last-applied annotation (server dry run)', async () => {
  const result = await kubectl(['apply', '--dry-run=server', '-f', `${repoRoot}crds/corepod.yaml`], { allowFailure: true });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /customresourcedefinition\.apiextensions\.k8s\.io\/corepods\.dreamscape\.io (configured|created|unchanged) \(server dry run\)/);
});

test('kubectl get shows the printer columns and cpod is a short name', async () => {
  const { stdout } = await kubectl(['get', 'cpod', '-n', namespace]);
  assert.match(stdout.split('\n')[0]!, /^NAME\s+READY\s+PHASE\s+RESTARTS\s+AGE/);
});

test('kubectl explain describes the core/v1 fields as for a Pod', async () => {
  const { stdout } = await kubectl(['explain', 'corepod.spec.tolerations']);
  assert.match(stdout, /If specified, the pod's tolerations/);
  assert.match(stdout, /tolerationSeconds\s+<integer>/);
  const secret = await kubectl(['explain', 'corepod.spec.volumes.secret.defaultMode']);
  assert.match(secret.stdout, /defaultMode is Optional: mode bits used to set permissions/);
});

test('kubectl explain describes the programs', async () => {
  const { stdout } = await kubectl(['explain', 'corepod.spec.programs.autorestart']);
  assert.match(stdout, /Restart after the program exits/);
  const programs = await kubectl(['explain', 'corepod.spec.programs']);
  assert.match(programs.stdout, /The programs to run, started by priority and dependsOn/);
});

// A CEL rule's message follows the field path directly on 1.35 and 1.37 (1.32 printed the value's
// type, "array": or "object":, between); the OpenAPI checks still print the value or its type.
const invalid: [string, Record<string, unknown>, RegExp][] = [
  ['no image', { programs: [{ name: 'a', command: ['/a'] }] }, /spec\.image: Required value/],
  ['no programs', base([]), /spec\.programs: Invalid value: 0: spec\.programs in body should have at least 1 items/],
  ['replicas below 0', base(undefined, { replicas: -1 }), /spec\.replicas: Invalid value: -1: spec\.replicas in body should be greater than or equal to 0/],
  ['replicas not an integer', base(undefined, { replicas: 'two' }), /spec\.replicas: Invalid value: "string": spec\.replicas in body must be of type integer/],
  ['unknown pull policy', base(undefined, { imagePullPolicy: 'Sometimes' }), /spec\.imagePullPolicy: Unsupported value: "Sometimes"/],
  ['health port out of range', base(undefined, { healthPort: 70000 }), /spec\.healthPort: Invalid value: 70000: spec\.healthPort in body should be less than or equal to 65535/],
  ['grace period 0', base(undefined, { terminationGracePeriodSeconds: 0 }), /spec\.terminationGracePeriodSeconds: Invalid value: 0/],
  ['unknown spec field', base(undefined, { restartPolicy: 'Always' }), /unknown field "spec\.restartPolicy"/],
  ['upper-case program name', base([{ name: 'Web', command: ['/a'] }]), /spec\.programs\[0\]\.name: Invalid value: "Web": spec\.programs\[0\]\.name in body should match/],
  ['empty command', base([{ name: 'a', command: [] }]), /spec\.programs\[0\]\.command: Invalid value: 0: spec\.programs\[0\]\.command in body should have at least 1 items/],
  ['stop signal with SIG prefix', base([{ name: 'a', command: ['/a'], stopSignal: 'SIGTERM' }]), /spec\.programs\[0\]\.stopSignal: Unsupported value: "SIGTERM"/],
  [
    'autorestart "sometimes"',
    base([{ name: 'a', command: ['/a'], autorestart: 'sometimes' }]),
    /spec\.programs\[0\]\.autorestart: Unsupported value: "sometimes": supported values: "true", "false", "unexpected"/,
  ],
  ['autorestart as a number', base([{ name: 'a', command: ['/a'], autorestart: 1 }]), /spec\.programs\[0\]\.autorestart: Unsupported value: 1/],
  ['exit code 256', base([{ name: 'a', command: ['/a'], exitCodes: [0, 256] }]), /spec\.programs\[0\]\.exitCodes\[1\]: Invalid value: 256/],
  [
    'duplicate program names',
    base([
      { name: 'a', command: ['/a'] },
      { name: 'a', command: ['/b'] },
    ]),
    /spec\.programs\[1\]: Duplicate value: .*"name":"a"/,
  ],
  [
    'backoff maxSeconds below initialSeconds',
    base([{ name: 'a', command: ['/a'], backoff: { initialSeconds: 10, maxSeconds: 5 } }]),
    /spec\.programs\[0\]\.backoff\.maxSeconds: Invalid value: maxSeconds must not be below initialSeconds/,
  ],
  [
    'health check without a probe',
    base([{ name: 'a', command: ['/a'], healthCheck: { periodSeconds: 5 } }]),
    /spec\.programs\[0\]\.healthCheck: Invalid value: exactly one of httpGet, tcpSocket or exec must be set/,
  ],
  [
    'health check with two probes',
    base([{ name: 'a', command: ['/a'], healthCheck: { httpGet: { port: 80 }, exec: { command: ['true'] } } }]),
    /spec\.programs\[0\]\.healthCheck: Invalid value: exactly one of httpGet, tcpSocket or exec must be set/,
  ],
  [
    'relative health path',
    base([{ name: 'a', command: ['/a'], healthCheck: { httpGet: { port: 80, path: 'health' } } }]),
    /spec\.programs\[0\]\.healthCheck\.httpGet\.path: Invalid value: "health"/,
  ],
  [
    'memory limit "200MB"',
    base([{ name: 'a', command: ['/a'], memory: { limit: '200MB' } }]),
    /spec\.programs\[0\]\.memory\.limit: Invalid value: "200MB": spec\.programs\[0\]\.memory\.limit in body should match/,
  ],
  [
    'negative memory limit',
    base([{ name: 'a', command: ['/a'], memory: { limit: -1 } }]),
    /spec\.programs\[0\]\.memory\.limit: Invalid value: -1: spec\.programs\[0\]\.memory\.limit in body should be greater than or equal to 0/,
  ],
  ['memory action "kill"', base([{ name: 'a', command: ['/a'], memory: { limit: '1Gi', action: 'kill' } }]), /spec\.programs\[0\]\.memory\.action: Unsupported value: "kill"/],
  ['warning above critical', base(undefined, { memory: { warningPercent: 96 } }), /spec\.memory\.warningPercent: Invalid value: warningPercent must be below criticalPercent/],
  ['env name with a space', base([{ name: 'a', command: ['/a'], env: [{ name: 'MY VAR', value: 'x' }] }]), /spec\.programs\[0\]\.env\[0\]\.name: Invalid value: "MY VAR"/],
  ['port 0', base([{ name: 'a', command: ['/a'], ports: [{ containerPort: 0 }] }]), /spec\.programs\[0\]\.ports\[0\]\.containerPort: Invalid value: 0/],
  ['SCTP port', base([{ name: 'a', command: ['/a'], ports: [{ containerPort: 80, protocol: 'SCTP' }] }]), /spec\.programs\[0\]\.ports\[0\]\.protocol: Unsupported value: "SCTP"/],
  ['alerts without a token Secret', base(undefined, { alerts: { github: { owner: 'o', repo: 'r' } } }), /spec\.alerts\.github\.tokenSecretRef: Required value/],
  ['name that is not a DNS label', base(), /metadata\.name: Invalid value: "Bad_Name"/],
  [
    'env name repeated in one program',
    base([
      {
        name: 'a',
        command: ['/a'],
        env: [
          { name: 'K', value: '1' },
          { name: 'K', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        ],
      },
    ]),
    /spec\.programs\[0\]\.env\[1\]: Duplicate value: .*"name":"K"/,
  ],
  [
    'valueFrom with two sources',
    base([{ name: 'a', command: ['/a'], env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 's', key: 'k' }, configMapKeyRef: { name: 'c', key: 'k' } } }] }]),
    /spec\.programs\[0\]\.env\[0\]\.valueFrom: Invalid value: exactly one of secretKeyRef, configMapKeyRef, fieldRef or resourceFieldRef must be set/,
  ],
  [
    'value and valueFrom',
    base([{ name: 'a', command: ['/a'], env: [{ name: 'K', value: 'x', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }]),
    /spec\.programs\[0\]\.env\[0\]\.value: Invalid value: value must be empty when valueFrom is set/,
  ],
  [
    'unknown field in a secretKeyRef',
    base([{ name: 'a', command: ['/a'], env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 's', key: 'k', namespace: 'x' } } }] }]),
    /unknown field "spec\.programs\[0\]\.env\[0\]\.valueFrom\.secretKeyRef\.namespace"/,
  ],
  [
    'volume name used twice',
    base(undefined, {
      volumes: [
        { name: 'data', emptyDir: {} },
        { name: 'data', emptyDir: {} },
      ],
    }),
    /spec\.volumes\[1\]: Duplicate value: .*"name":"data"/,
  ],
  [
    "a volume named like the operator's",
    base(undefined, { volumes: [{ name: 'corepod-token', emptyDir: {} }] }),
    /spec\.volumes\[0\]\.name: Invalid value: volume names corepod-runtime, corepod-config, corepod-token are the operator's own/,
  ],
  [
    'mount of an undeclared volume',
    base([{ name: 'a', command: ['/a'], volumeMounts: [{ name: 'ghost', mountPath: '/data' }] }]),
    /spec\.programs: Invalid value: a volumeMounts entry names a volume that is not in spec\.volumes/,
  ],
  [
    'mount path used twice in one program',
    base(
      [
        {
          name: 'a',
          command: ['/a'],
          volumeMounts: [
            { name: 'data', mountPath: '/data' },
            { name: 'data', mountPath: '/data', subPath: 'x' },
          ],
        },
      ],
      { volumes: [{ name: 'data', emptyDir: {} }] },
    ),
    /spec\.programs\[0\]\.volumeMounts\[1\]: Duplicate value: .*"mountPath":"\/data"/,
  ],
  [
    "mount under the operator's config path",
    base([{ name: 'a', command: ['/a'], volumeMounts: [{ name: 'data', mountPath: '/etc/corepod/x' }] }], { volumes: [{ name: 'data', emptyDir: {} }] }),
    /spec\.programs\[0\]\.volumeMounts\[0\]\.mountPath: Invalid value: \/corepod, \/etc\/corepod, .* are the operator's own mount paths/,
  ],
  ['unknown field in a volume source', base(undefined, { volumes: [{ name: 'data', emptyDir: { size: '1Gi' } }] }), /unknown field "spec\.volumes\[0\]\.emptyDir\.size"/],
  [
    "a pod label of the operator's",
    base(undefined, { podMetadata: { labels: { 'app.kubernetes.io/instance': 'x' } } }),
    /spec\.podMetadata\.labels: Invalid value: app\.kubernetes\.io\/name, .* are the operator's own pod labels/,
  ],
  ['a toleration with an unknown field', base(undefined, { tolerations: [{ key: 'k', operator: 'Exists', seconds: 3 }] }), /unknown field "spec\.tolerations\[0\]\.seconds"/],
  ['an ExternalName Service', base(undefined, { service: { type: 'ExternalName' } }), /spec\.service\.type: Unsupported value: "ExternalName"/],
  [
    'externalTrafficPolicy on a ClusterIP Service',
    base(undefined, { service: { externalTrafficPolicy: 'Local' } }),
    /spec\.service\.externalTrafficPolicy: Invalid value: externalTrafficPolicy needs type NodePort or LoadBalancer/,
  ],
  ['dnsPolicy None without dnsConfig', base(undefined, { dnsPolicy: 'None' }), /spec\.dnsConfig: Invalid value: dnsPolicy None needs dnsConfig/],
  [
    'a disruption budget with both fields',
    base(undefined, { podDisruptionBudget: { minAvailable: 1, maxUnavailable: 1 } }),
    /spec\.podDisruptionBudget: Invalid value: exactly one of minAvailable or maxUnavailable must be set/,
  ],
  [
    'notifyFd below 3',
    base([{ name: 'a', command: ['/a'], notifyFd: 2 }]),
    /spec\.programs\[0\]\.notifyFd: Invalid value: 2: spec\.programs\[0\]\.notifyFd in body should be greater than or equal to 3/,
  ],
  [
    'notify and notifyFd together',
    base([{ name: 'a', command: ['/a'], notify: true, notifyFd: 3 }]),
    /spec\.programs\[0\]\.notifyFd: Invalid value: notify and notifyFd exclude each other/,
  ],
  [
    'watchdogSeconds without notify',
    base([{ name: 'a', command: ['/a'], watchdogSeconds: 3 }]),
    /spec\.programs\[0\]\.watchdogSeconds: Invalid value: watchdogSeconds needs notify: true/,
  ],
  [
    'lifecycle hook with exec and httpGet',
    base([{ name: 'a', command: ['/a'], lifecycle: { postStart: { exec: { command: ['x'] }, httpGet: { port: 80 } } } }]),
    /spec\.programs\[0\]\.lifecycle\.postStart: Invalid value: exactly one of exec or httpGet must be set/,
  ],
  [
    'unknown concurrencyPolicy',
    base([{ name: 'a', command: ['/a'], schedule: { cron: '@daily', concurrencyPolicy: 'Overlap' } }]),
    /spec\.programs\[0\]\.schedule\.concurrencyPolicy: Unsupported value: "Overlap"/,
  ],
];

test('there are at least 20 invalid CorePods', () => assert.ok(invalid.length >= 20));

for (const [what, spec, message] of invalid) {
  test(`kubectl apply rejects: ${what}`, async () => {
    const document = corePod(what === 'name that is not a DNS label' ? 'Bad_Name' : 'invalid', spec);
    const result = await apply(document);
    assert.notEqual(result.code, 0, `accepted: ${result.stdout}`);
    assert.match(result.stderr, message);
  });
}
