// The generated CRD on the real kube-apiserver: accepted, defaults applied, and invalid CorePods
// rejected at `kubectl apply` with messages that name the field.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { createNamespace, installCrd, kubectl } from '../e2e/support/cluster-env.js';

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

test('kubectl get shows the printer columns and cpod is a short name', async () => {
  const { stdout } = await kubectl(['get', 'cpod', '-n', namespace]);
  assert.match(stdout.split('\n')[0]!, /^NAME\s+READY\s+PHASE\s+RESTARTS\s+AGE/);
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
