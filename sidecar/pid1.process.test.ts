// tini-style black-box tests: `corepod run` as PID 1 of a fresh PID namespace
// (unshare --pid --fork --mount-proc), as a container runtime would start it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { StatusDocument } from './control-server.js';
import { descendants, processName, readProc } from '../lib/procfs.js';
import { runCli, startCli, tempDir, waitFor } from './test-helpers.js';

const UNSHARE = ['unshare', '--pid', '--fork', '--mount-proc'];

function writeConfig(dir: string, programs: string): string {
  const file = path.join(dir, 'corepod.yaml');
  fs.writeFileSync(
    file,
    `apiVersion: dreamscape.io/v1alpha1\nkind: CorePod\nmetadata: { name: pid1 }\nspec:\n  image: test\n  terminationGracePeriodSeconds: 10\n  programs:\n${programs}`,
  );
  return file;
}

/** A program that orphans `count` grandchildren which exit at once, then writes `done`. */
function stormProgram(count: number, done: string): string {
  const storm = `for i in $(seq 1 ${count}); do (sh -c 'exit 0' &); done; touch ${done}; exec sleep 1000`;
  return `    - name: storm\n      command: [sh, -c, ${JSON.stringify(storm)}]\n      startSeconds: 0\n`;
}

const zombies = (root: number) => descendants(root).filter((pid) => readProc(pid)?.state === 'Z');

function launch(t: TestContext, dir: string, file: string, extraEnv: NodeJS.ProcessEnv = {}) {
  const env = { ...process.env, COREPOD_RUN_DIR: path.join(dir, 'run'), ...extraEnv };
  const run = startCli(t, ['run', '-f', file, '--health-port', '0'], env, UNSHARE);
  /** The namespace's PID 1, as seen from here. */
  const init = () => waitFor('PID 1 of the namespace', () => descendants(run.child.pid!)[0]);
  return { env, run, init };
}

test('PID 1 under an orphan storm: every orphan reaped, zero zombies; SIGTERM stops cleanly with exit 0', async (t) => {
  const dir = tempDir(t);
  const done = path.join(dir, 'storm-done');
  const { env, run, init } = launch(t, dir, writeConfig(dir, stormProgram(300, done)));
  await waitFor('storm launched', () => fs.existsSync(done), 60_000);
  const status = await waitFor('status', async () => {
    const result = await runCli(['status', '--json'], env);
    return result.code === 0 ? (JSON.parse(result.stdout) as StatusDocument) : undefined;
  });
  assert.match(status.supervisor.reaper, /^tini/);
  assert.equal(status.programs[0]!.state, 'RUNNING');
  // Every orphan exits at once; tini must reap each one: in the end nothing is left but the init
  // chain (node, tini, node) and the program itself, and no zombie.
  await waitFor(
    'orphans reaped',
    () => {
      // processName calls node processes node (Node >= 24 names its main thread, and so the process's comm, "MainThread").
      const left = descendants(run.child.pid!).filter((pid) => !['node', 'tini-static', 'tini', 'gone'].includes(processName(pid)));
      return zombies(run.child.pid!).length === 0 && left.length === 1 && processName(left[0]!) === 'sleep';
    },
    30_000,
  );

  process.kill(await init(), 'SIGTERM');
  assert.equal(await run.exited, 0);
  assert.match(run.output(), /"msg":"all programs stopped"/);
});

test('PID 1 without tini (control): the same storm leaves zombies, so the test above can fail', async (t) => {
  const dir = tempDir(t);
  const done = path.join(dir, 'storm-done');
  const { run, init } = launch(t, dir, writeConfig(dir, stormProgram(50, done)), { COREPOD_TINI: path.join(dir, 'no-such-tini') });
  await waitFor('storm launched', () => fs.existsSync(done), 60_000);
  await waitFor('zombies pile up', () => zombies(run.child.pid!).length >= 50, 30_000);
  assert.match(run.output(), /PID 1 without tini/);
  process.kill(await init(), 'SIGINT');
  assert.equal(await run.exited, 0);
});

test('PID 1: a critical FATAL makes the container exit 1, the code passing through tini and the PID-1 shim', async (t) => {
  const dir = tempDir(t);
  const file = writeConfig(
    dir,
    '    - name: bystander\n      command: [sleep, "1000"]\n      startSeconds: 0\n    - name: vital\n      command: ["false"]\n      critical: true\n      startRetries: 0\n',
  );
  const { run } = launch(t, dir, file);
  assert.equal(await run.exited, 1);
  assert.match(run.output(), /critical program is FATAL: stopping everything/);
});

test("exitContainerOnExit: corepod run exits with the program's exit code, as PID 1 and standalone, after stopping the others", async (t) => {
  const programs =
    '    - name: bystander\n      command: [sleep, "1000"]\n      startSeconds: 0\n    - name: main\n      command: [sh, -c, "sleep 0.5; exit 7"]\n      startSeconds: 0\n      exitContainerOnExit: true\n';
  for (const prefix of [UNSHARE, []]) {
    const dir = tempDir(t);
    const env = { ...process.env, COREPOD_RUN_DIR: path.join(dir, 'run') };
    const run = startCli(t, ['run', '-f', writeConfig(dir, programs), '--health-port', '0'], env, prefix);
    assert.equal(await run.exited, 7, prefix.join(' ') || 'standalone');
    assert.match(run.output(), /"program":"bystander","from":"RUNNING","to":"STOPPING"/);
    assert.match(run.output(), /"exitCode":7,"deadlineHit":false,"msg":"all programs stopped"/);
  }
});

test('PID 1: an invalid config exits 2 before anything starts', async (t) => {
  const dir = tempDir(t);
  const marker = path.join(dir, 'started');
  const file = writeConfig(dir, `    - name: a\n      command: [touch, ${marker}]\n      stopSignal: NOPE\n`);
  const { run } = launch(t, dir, file);
  assert.equal(await run.exited, 2);
  assert.match(run.output(), /^spec\.programs\[0\]\.stopSignal: expected one of/m);
  assert.ok(!fs.existsSync(marker));
});
