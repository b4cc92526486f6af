import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSpec, type CorePodSpec, type CorePodSpecInput } from '../crds/corepod-schema.js';
import { describeDiff, diffSpecs, podTemplateInputs } from './spec-diff.js';

function spec(input: CorePodSpecInput): CorePodSpec {
  const result = validateSpec(input);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.value;
}

const base = (): CorePodSpecInput => ({
  image: 'shop:1',
  programs: [
    { name: 'auth', command: ['node', 'auth.js'], env: [{ name: 'PORT', value: '3001' }], ports: [{ containerPort: 3001 }] },
    { name: 'user', command: ['node', 'user.js'], dependsOn: ['auth'] },
    { name: 'nginx', command: ['nginx'], reloadSignal: 'HUP' },
  ],
});

function edit(change: (s: CorePodSpecInput) => void): CorePodSpec {
  const input = base();
  change(input);
  return spec(input);
}

test('an identical spec: everything kept, no new pod', () => {
  const diff = diffSpecs(spec(base()), spec(base()));
  assert.deepEqual(diff, { added: [], removed: [], changed: [], kept: ['auth', 'user', 'nginx'], podChanges: [], needsNewPod: false });
});

test('a command edit restarts that program only, with the field and why', () => {
  const diff = diffSpecs(
    spec(base()),
    edit((s) => (s.programs[1]!.command = ['node', 'user.js', '--v2'])),
  );
  assert.deepEqual(diff.changed, [
    { name: 'user', action: 'restart', fields: [{ path: 'spec.programs[1].command', needs: 'restart', reason: 'the running process was started with it' }] },
  ]);
  assert.deepEqual(diff.kept, ['auth', 'nginx']);
  assert.equal(diff.needsNewPod, false);
});

test('a plain env value edit restarts; with reloadSignal it becomes a reload', () => {
  const diff = diffSpecs(
    spec(base()),
    edit((s) => {
      s.programs[0]!.env = [
        { name: 'PORT', value: '3001' },
        { name: 'LOG', value: 'debug' },
      ];
      s.programs[2]!.env = [{ name: 'X', value: '1' }];
    }),
  );
  assert.deepEqual(
    diff.changed.map((c) => [c.name, c.action]),
    [
      ['auth', 'restart'],
      ['nginx', 'reload'],
    ],
  );
  assert.equal(diff.needsNewPod, false);
  const logs = diffSpecs(
    spec(base()),
    edit((s) => (s.programs[2]!.logs = { stdoutFile: '/tmp/nginx.log' })),
  );
  assert.equal(logs.changed[0]!.action, 'restart', 'a log file is attached at the start: the signal cannot stand in');
});

test('supervision settings are updated in place: the process keeps running', () => {
  const diff = diffSpecs(
    spec(base()),
    edit((s) => {
      s.programs[1]!.startRetries = 9;
      s.programs[1]!.healthCheck = { tcpSocket: { port: 3002 } };
    }),
  );
  assert.equal(diff.changed[0]!.action, 'update');
  assert.deepEqual(diff.changed[0]!.fields.map((f) => f.path).sort(), ['spec.programs[1].healthCheck', 'spec.programs[1].startRetries']);
});

test('the strongest need wins: a port edit with a command edit needs a new pod', () => {
  const diff = diffSpecs(
    spec(base()),
    edit((s) => {
      s.programs[0]!.command = ['node', 'auth2.js'];
      s.programs[0]!.ports = [{ containerPort: 3005 }];
    }),
  );
  assert.equal(diff.changed[0]!.action, 'pod');
  assert.equal(diff.needsNewPod, true);
});

test('env valueFrom and envFrom are the pod template: an edit of them, or moving such a program, needs a new pod', () => {
  const withSecret = (s: CorePodSpecInput) => (s.programs[1]!.env = [{ name: 'KEY', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }]);
  const before = edit(withSecret);
  const changedKey = edit((s) => {
    withSecret(s);
    s.programs[1]!.env = [{ name: 'KEY', valueFrom: { secretKeyRef: { name: 's', key: 'other' } } }];
  });
  assert.equal(diffSpecs(before, changedKey).changed[0]!.fields[0]!.needs, 'pod');
  const moved = edit((s) => {
    withSecret(s);
    s.programs.unshift({ name: 'first', command: ['true'] });
  });
  const diff = diffSpecs(before, moved);
  assert.deepEqual(diff.added, ['first']);
  assert.deepEqual(
    diff.changed.map((c) => [c.name, c.action, c.fields[0]!.path]),
    [['user', 'pod', 'spec.programs[2]']],
  );
  assert.equal(diff.needsNewPod, true);
  // A program without such variables may move freely.
  const appended = edit((s) => s.programs.push({ name: 'last', command: ['true'] }));
  assert.equal(diffSpecs(spec(base()), appended).needsNewPod, false);
});

test('added and removed programs; one with ports needs a new pod', () => {
  const diff = diffSpecs(
    spec(base()),
    edit((s) => {
      s.programs.splice(1, 1);
      s.programs.push({ name: 'worker', command: ['node', 'worker.js'] });
    }),
  );
  assert.deepEqual([diff.added, diff.removed, diff.kept, diff.needsNewPod], [['worker'], ['user'], ['auth', 'nginx'], false]);
  const withoutAuth = diffSpecs(
    spec(base()),
    edit((s) => {
      s.programs.shift();
      s.programs[0]!.dependsOn = [];
    }),
  );
  assert.deepEqual(withoutAuth.removed, ['auth']);
  assert.equal(withoutAuth.needsNewPod, true);
  assert.match(withoutAuth.podChanges[0]!.reason, /removed program auth/);
});

test('pod fields roll; replicas, the Service, the ServiceAccount and the disruption budget do not concern the pods', () => {
  const podLevel = diffSpecs(
    spec(base()),
    edit((s) => {
      s.image = 'shop:2';
      s.resources = { limits: { memory: '1Gi' } };
      s.securityContext = { runAsUser: 1000 };
      s.nodeSelector = { disk: 'ssd' };
    }),
  );
  assert.deepEqual(podLevel.podChanges.map((c) => c.path).sort(), ['spec.image', 'spec.nodeSelector', 'spec.resources', 'spec.securityContext']);
  assert.equal(podLevel.needsNewPod, true);
  const other = diffSpecs(
    spec(base()),
    edit((s) => {
      s.replicas = 3;
      s.service = { type: 'NodePort' };
      s.podDisruptionBudget = { minAvailable: 1 };
    }),
  );
  assert.deepEqual([other.podChanges, other.needsNewPod, other.changed], [[], false, []]);
});

test('podTemplateInputs: program edits that need no new pod leave it equal, the others change it', () => {
  const inputs = podTemplateInputs(spec(base()));
  assert.deepEqual(podTemplateInputs(edit((s) => (s.programs[1]!.command = ['x']))), inputs);
  assert.deepEqual(podTemplateInputs(edit((s) => s.programs.push({ name: 'w', command: ['w'] }))), inputs);
  assert.notDeepEqual(podTemplateInputs(edit((s) => (s.programs[0]!.ports = [{ containerPort: 9 }]))), inputs);
  assert.notDeepEqual(podTemplateInputs(edit((s) => (s.memory = { warningPercent: 50 }))), inputs);
});

test('describeDiff says what is added, removed, restarted, reloaded, updated and kept', () => {
  const diff = diffSpecs(
    spec(base()),
    edit((s) => {
      s.programs[1]!.command = ['node', 'user.js', '--v2'];
      s.programs[2]!.command = ['nginx', '-g', 'x'];
      s.programs.push({ name: 'worker', command: ['w'] });
    }),
  );
  assert.deepEqual(describeDiff(diff), ['added: worker', 'restarted: user (command)', 'reloaded: nginx (command)', 'kept: auth']);
});

test('a non-root pod: a health check on a new port below 1024 changes its sysctl, so it needs a new pod', () => {
  const nonRoot = (port: number) =>
    edit((s) => {
      s.securityContext = { runAsUser: 1000 };
      s.programs[2]!.healthCheck = { tcpSocket: { port } };
    });
  assert.equal(diffSpecs(nonRoot(8080), nonRoot(9090)).needsNewPod, false);
  const diff = diffSpecs(nonRoot(8080), nonRoot(80));
  assert.equal(diff.needsNewPod, true);
  assert.match(diff.podChanges[0]!.reason, /ip_unprivileged_port_start/);
});
