// Instances for real: `corepod run` with a program of instances: 3 runs three processes, each with
// its COREPOD_INSTANCE; status, restart and the events use name:00, name:01, name:02.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { StatusDocument } from './control-server.js';
import { runCli, startCli, tempDir, waitFor } from './test-helpers.js';

test('instances: N processes with their own COREPOD_INSTANCE; status and restart by instance or by program', async (t) => {
  const dir = tempDir(t);
  const env = { ...process.env, COREPOD_RUN_DIR: path.join(dir, 'run') };
  fs.writeFileSync(
    path.join(dir, 'corepod.yaml'),
    `apiVersion: dreamscape.io/v1alpha1
kind: CorePod
metadata: { name: instances-test }
spec:
  image: test
  terminationGracePeriodSeconds: 10
  programs:
    - name: worker
      instances: 3
      command: [sh, -c, 'echo "$WORKER_ID" > ${dir}/worker-$(COREPOD_INSTANCE).id; exec sleep 1000', 'worker']
      env:
        - { name: WORKER_ID, value: 'w$(COREPOD_INSTANCE)-of-$(COREPOD_PROGRAM)' }
      startSeconds: 0
    - name: web
      command: [sh, -c, 'exec sleep 1000']
      startSeconds: 0
      dependsOn: [worker]
`,
  );
  const run = startCli(t, ['run', '-f', path.join(dir, 'corepod.yaml'), '--health-port', '0'], env);
  const status = async (...names: string[]) => {
    const result = await runCli(['status', '--json', ...names], env);
    return result.code === 3 ? undefined : (JSON.parse(result.stdout) as StatusDocument);
  };
  const all = await waitFor(
    'four processes RUNNING',
    async () => {
      const document = await status();
      return document && document.programs.length === 4 && document.programs.every((p) => p.state === 'RUNNING') && document;
    },
    30_000,
  );
  assert.deepEqual(
    all.programs.map((p) => p.name),
    ['worker:00', 'worker:01', 'worker:02', 'web'],
  );
  for (const n of [0, 1, 2]) assert.equal(fs.readFileSync(path.join(dir, `worker-${n}.id`), 'utf8'), `w${n}-of-worker\n`);
  const pid = (name: string) => all.programs.find((p) => p.name === name)!.pid!;
  const environ = fs.readFileSync(`/proc/${pid('worker:01')}/environ`, 'utf8').split('\0');
  assert.ok(environ.includes('COREPOD_INSTANCE=1') && environ.includes('COREPOD_PROGRAM=worker'), environ.join('\n'));
  assert.ok(
    !fs
      .readFileSync(`/proc/${pid('web')}/environ`, 'utf8')
      .split('\0')
      .some((entry) => entry.startsWith('COREPOD_INSTANCE=')),
  );

  // `status worker` shows the program's instances; `status worker:02` one of them.
  assert.deepEqual(
    (await status('worker'))!.programs.map((p) => p.name),
    ['worker:00', 'worker:01', 'worker:02'],
  );
  const text = await runCli(['status', 'worker:02'], env);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^worker:02\s+RUNNING\s+pid \d+/);

  // restart worker:01 restarts that process alone; restart worker every instance.
  const one = await runCli(['restart', 'worker:01'], env);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(one.stdout, 'worker:01: restarted\n');
  const afterOne = (await status())!;
  assert.notEqual(afterOne.programs.find((p) => p.name === 'worker:01')!.pid, pid('worker:01'));
  for (const name of ['worker:00', 'worker:02', 'web']) assert.equal(afterOne.programs.find((p) => p.name === name)!.pid, pid(name), name);
  const every = await runCli(['restart', 'worker'], env);
  assert.equal(every.code, 0, every.stderr);
  assert.deepEqual(every.stdout.trim().split('\n').sort(), ['worker:00: restarted', 'worker:01: restarted', 'worker:02: restarted']);
  const afterAll = (await status())!;
  for (const name of ['worker:00', 'worker:02']) assert.notEqual(afterAll.programs.find((p) => p.name === name)!.pid, pid(name), name);
  assert.equal(afterAll.programs.find((p) => p.name === 'web')!.pid, pid('web'));
  const unknown = await runCli(['restart', 'worker:07'], env);
  assert.equal(unknown.code, 2);

  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0, run.output());
  // The supervisor's own log lines name the processes by their instance names too.
  assert.match(run.output(), /"program":"worker:01"/);
});
