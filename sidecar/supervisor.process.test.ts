// The supervisor against real processes, signals, files and sockets.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { ProgramSpec } from '../crds/corepod-schema.js';
import { startHealthServer } from './health-server.js';
import { createProcMemoryReader } from './memory-reader.js';
import { nodeProcessRunner } from './process-runner.js';
import { planUsers } from './run-supervisor.js';
import { Supervisor } from './supervisor.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { alive, descendants } from '../lib/procfs.js';
import { Recorder, freePort, specOf, tempDir, waitFor } from './test-helpers.js';
import { findExecutable } from './user-switch.js';
import { ENV, programEnvFromPrefix, programEnvName } from '../contract/sidecar-contract.js';

type ProgramInput = Partial<Omit<ProgramSpec, 'healthCheck' | 'memory' | 'backoff' | 'dependsOn' | 'lifecycle'>> & {
  lifecycle?: object;
  name: string;
  command: string[];
  healthCheck?: object;
  memory?: object;
  backoff?: object;
  dependsOn?: (string | { name: string; condition?: string })[];
};

function supervise(
  t: TestContext,
  programs: ProgramInput[],
  extra: { terminationGracePeriodSeconds?: number; userPlans?: ReturnType<typeof planUsers>; baseEnv?: NodeJS.ProcessEnv; clock?: Clock } = {},
) {
  const spec = specOf({ programs: programs as never, terminationGracePeriodSeconds: extra.terminationGracePeriodSeconds ?? 10 });
  const supervisor = new Supervisor({
    spec,
    ...(extra.clock ? { clock: extra.clock } : {}),
    runner: nodeProcessRunner,
    memory: createProcMemoryReader(),
    ...(extra.baseEnv ? { baseEnv: extra.baseEnv } : {}),
    ...(extra.userPlans ? { userPlans: extra.userPlans.plans, userEnvs: extra.userPlans.envs } : {}),
  });
  const recorder = new Recorder(supervisor);
  t.after(async () => {
    await supervisor.shutdown('test over', 0, 5000);
  });
  return { supervisor, recorder, spec };
}

const state = (s: Supervisor, name: string) => s.snapshot().find((p) => p.name === name)!;

test("FATAL after startRetries, with supervisord's BACKOFF between the attempts", async (t) => {
  const { supervisor, recorder } = supervise(t, [{ name: 'flaky', command: ['sh', '-c', 'exit 1'], startSeconds: 1, startRetries: 2 }]);
  supervisor.start();
  await waitFor('FATAL', () => state(supervisor, 'flaky').state === 'FATAL');
  assert.deepEqual(recorder.states('flaky'), ['flaky:STARTING', 'flaky:BACKOFF', 'flaky:STARTING', 'flaky:BACKOFF', 'flaky:STARTING', 'flaky:BACKOFF', 'flaky:FATAL']);
  assert.equal(state(supervisor, 'flaky').restarts, 2);
  assert.match(supervisor.details()[0]!.reason ?? '', /too many start retries/);
});

test('autorestart "unexpected": an exit code in exitCodes stays EXITED, another is restarted until the budget is spent', async (t) => {
  const { supervisor, recorder } = supervise(t, [
    { name: 'expected', command: ['sh', '-c', 'sleep 0.1; exit 3'], autorestart: 'unexpected', exitCodes: [0, 3], startSeconds: 0 },
    {
      name: 'unexpected',
      command: ['sh', '-c', 'sleep 0.1; exit 4'],
      autorestart: 'unexpected',
      exitCodes: [0, 3],
      startSeconds: 0,
      restartBudget: { maxRestarts: 2, windowSeconds: 60 },
    },
  ]);
  supervisor.start();
  await waitFor('unexpected FATAL', () => state(supervisor, 'unexpected').state === 'FATAL');
  assert.deepEqual(recorder.states('expected'), ['expected:STARTING', 'expected:RUNNING', 'expected:EXITED']);
  assert.equal(state(supervisor, 'expected').lastExitCode, 3);
  assert.equal(state(supervisor, 'expected').restarts, 0);
  assert.deepEqual(
    recorder.states('unexpected').filter((s) => s.endsWith('EXITED') || s.endsWith('FATAL')),
    ['unexpected:EXITED', 'unexpected:EXITED', 'unexpected:EXITED', 'unexpected:FATAL'],
  );
  assert.equal(state(supervisor, 'unexpected').restarts, 2);
  assert.match(supervisor.details()[1]!.reason ?? '', /restart budget exhausted: 2 restarts in 60s/);
  const exits = recorder.of('process-state').filter((e) => e.to === 'EXITED');
  assert.deepEqual(
    exits.filter((e) => e.program === 'expected').map((e) => e.expected),
    [true],
  );
  assert.deepEqual(
    exits.filter((e) => e.program === 'unexpected').map((e) => e.expected),
    [false, false, false],
  );
});

test('dependsOn: a dependent starts only once its dependency passes its health check; priority breaks ties', async (t) => {
  const port = await freePort();
  const server = `setTimeout(() => require('net').createServer((s) => s.end()).listen(${port}, '127.0.0.1'), 300)`;
  const { supervisor, recorder } = supervise(t, [
    { name: 'app', command: ['sleep', '1000'], priority: 1, dependsOn: ['db'], startSeconds: 0 },
    { name: 'db', command: [process.execPath, '-e', server], priority: 50, startSeconds: 30, healthCheck: { tcpSocket: { port }, periodSeconds: 1 } },
    { name: 'late', command: ['sleep', '1000'], priority: 30, startSeconds: 0 },
    { name: 'early', command: ['sleep', '1000'], priority: 20, startSeconds: 0 },
  ]);
  supervisor.start();
  assert.deepEqual(supervisor.details().find((p) => p.name === 'app')!.waitingFor, ['db']);
  await waitFor('app RUNNING', () => state(supervisor, 'app').state === 'RUNNING');
  const order = recorder.events.flatMap((e) =>
    e.type === 'process-state' && e.to === 'STARTING' ? [e.program] : e.type === 'health' && e.healthy ? [`${e.program}:healthy`] : [],
  );
  // Without dependencies: ascending priority. app waits for db's health, not for its startSeconds (30 s).
  assert.deepEqual(order, ['early', 'late', 'db', 'db:healthy', 'app']);
  assert.equal(state(supervisor, 'db').state, 'RUNNING');
});

test('a migration oneshot (autorestart false) gates the web server: web starts once it completed successfully', async (t) => {
  const dir = tempDir(t);
  const migrated = path.join(dir, 'migrated');
  const { supervisor, recorder } = supervise(t, [
    { name: 'web', command: ['sh', '-c', `test -f ${migrated} && exec sleep 1000`], startSeconds: 0, dependsOn: [{ name: 'migrate', condition: 'CompletedSuccessfully' }] },
    { name: 'migrate', command: ['sh', '-c', `sleep 0.5; touch ${migrated}`], autorestart: false },
  ]);
  supervisor.start();
  assert.equal(state(supervisor, 'web').reason, 'WaitingForDependencies');
  assert.equal(state(supervisor, 'web').message, 'waiting for migrate (CompletedSuccessfully)');
  await waitFor('web RUNNING', () => recorder.states().includes('web:RUNNING'));
  // migrate exited 0 before its startSeconds (1 s): completed, not a failed start to retry.
  assert.deepEqual(
    recorder.states().filter((s) => !s.endsWith('RUNNING') || s.startsWith('web')),
    ['migrate:STARTING', 'migrate:EXITED', 'web:STARTING', 'web:RUNNING'],
  );
  assert.equal(state(supervisor, 'web').reason, undefined);
  assert.equal(state(supervisor, 'migrate').restarts, 0);
  assert.equal(supervisor.health().ready, true, 'a completed oneshot counts as ready');
});

test('a failed migration keeps the web server waiting, reported once as dependency-failed and in its status; a successful rerun releases it', async (t) => {
  const dir = tempDir(t);
  const fixed = path.join(dir, 'fixed');
  const { supervisor, recorder } = supervise(t, [
    { name: 'migrate', command: ['sh', '-c', `sleep 0.2; test -f ${fixed}`], autorestart: false, startSeconds: 0 },
    { name: 'web', command: ['sleep', '1000'], startSeconds: 0, dependsOn: [{ name: 'migrate', condition: 'CompletedSuccessfully' }] },
  ]);
  supervisor.start();
  const failed = await waitFor('dependency-failed', () => recorder.of('dependency-failed')[0]);
  assert.deepEqual(
    [failed.program, failed.dependency, failed.condition, failed.reason],
    ['web', 'migrate', 'CompletedSuccessfully', 'it exited with 1, not an exit code in its exitCodes'],
  );
  assert.equal(failed.status.state, 'STOPPED');
  const web = state(supervisor, 'web');
  assert.equal(web.state, 'STOPPED');
  assert.equal(web.reason, 'DependencyFailed');
  assert.equal(web.message, 'migrate cannot become CompletedSuccessfully: it exited with 1, not an exit code in its exitCodes');
  assert.deepEqual(supervisor.details().find((p) => p.name === 'web')!.waitingFor, ['migrate']);
  // Settled: the verdict is "failed" until migrate runs again, so web cannot have started.
  assert.deepEqual(recorder.states('web'), []);
  assert.equal(supervisor.health().ready, false);
  fs.writeFileSync(fixed, '');
  const [rerun] = await supervisor.command('start', 'migrate');
  assert.equal(rerun!.ok, true, rerun!.message);
  await waitFor('web RUNNING', () => state(supervisor, 'web').state === 'RUNNING');
  assert.equal(recorder.of('dependency-failed').length, 1);
});

test('condition Started: a dependent starts as soon as its dependency is spawned, long before it is RUNNING', async (t) => {
  const { supervisor, recorder } = supervise(t, [
    { name: 'db', command: ['sleep', '1000'], startSeconds: 30 },
    { name: 'worker', command: ['sleep', '1000'], startSeconds: 0, dependsOn: [{ name: 'db', condition: 'Started' }] },
  ]);
  supervisor.start();
  await waitFor('worker RUNNING', () => recorder.states().includes('worker:RUNNING'));
  assert.equal(state(supervisor, 'db').state, 'STARTING');
  assert.deepEqual(recorder.states(), ['db:STARTING', 'worker:STARTING', 'worker:RUNNING']);
});

test('onDependencyFailure: when the dependency crashes, "restart" stops the dependent until the dependency is back, "stop" stops it for good', async (t) => {
  const { supervisor, recorder } = supervise(t, [
    { name: 'db', command: ['sleep', '1000'], startSeconds: 0 },
    { name: 'api', command: ['sleep', '1000'], startSeconds: 0, dependsOn: ['db'], onDependencyFailure: 'restart' },
    { name: 'report', command: ['sleep', '1000'], startSeconds: 0, dependsOn: ['db'], onDependencyFailure: 'stop' },
    { name: 'bystander', command: ['sleep', '1000'], startSeconds: 0, dependsOn: ['db'] },
  ]);
  supervisor.start();
  await waitFor('all RUNNING', () => supervisor.snapshot().every((p) => p.state === 'RUNNING'));
  const before = { api: state(supervisor, 'api').pid!, bystander: state(supervisor, 'bystander').pid! };
  process.kill(state(supervisor, 'db').pid!, 'SIGKILL');
  await waitFor('api back', () => state(supervisor, 'api').state === 'RUNNING' && state(supervisor, 'api').pid !== before.api);
  await waitFor('report stopped', () => state(supervisor, 'report').state === 'STOPPED');
  await waitFor('events', () => recorder.states('report').includes('report:STOPPED') && recorder.states('api').filter((s) => s === 'api:RUNNING').length === 2);
  const stops = recorder.of('process-state').filter((e) => e.to === 'STOPPING');
  assert.deepEqual(stops.map((e) => [e.program, e.reason]).sort(), [
    ['api', 'dependency db exited (onDependencyFailure: restart)'],
    ['report', 'dependency db exited (onDependencyFailure: stop)'],
  ]);
  // api started again only once db was RUNNING again.
  const order = recorder.states().slice(recorder.states().indexOf('db:EXITED'));
  assert.ok(order.indexOf('db:RUNNING') < order.indexOf('api:STARTING'), order.join(' '));
  assert.equal(state(supervisor, 'bystander').pid, before.bystander);
  assert.equal(state(supervisor, 'report').state, 'STOPPED');
});

test('orderly stop: reverse priority, group signals, SIGKILL after stopWaitSeconds, exit code 0', async (t) => {
  const ready = path.join(tempDir(t), 'trapped');
  const { supervisor, recorder } = supervise(t, [
    { name: 'first', command: ['sleep', '1000'], priority: 10, startSeconds: 0 },
    { name: 'stubborn', command: ['sh', '-c', `trap '' TERM; touch ${ready}; sleep 1000 & wait`], priority: 20, startSeconds: 0, stopWaitSeconds: 1 },
    { name: 'last', command: ['sh', '-c', 'sleep 1000 & sleep 1000 & wait'], priority: 30, startSeconds: 0, stopSignal: 'INT' },
  ]);
  supervisor.start();
  await waitFor('all RUNNING', () => supervisor.snapshot().every((p) => p.state === 'RUNNING') && fs.existsSync(ready));
  const groups = await waitFor('grandchildren', () => {
    const all = supervisor.snapshot().flatMap((p) => descendants(p.pid!));
    return all.length >= 3 ? all : undefined;
  });
  const code = await supervisor.shutdown('test');
  assert.equal(code, 0);
  const stopping = recorder
    .of('process-state')
    .filter((e) => e.to === 'STOPPING')
    .map((e) => e.program);
  assert.deepEqual(stopping, ['last', 'stubborn', 'first']);
  assert.deepEqual(
    recorder.of('sigkill').map((e) => e.program),
    ['stubborn'],
  );
  assert.deepEqual(
    recorder.states().filter((s) => s.endsWith('STOPPED')),
    ['last:STOPPED', 'stubborn:STOPPED', 'first:STOPPED'],
  );
  await waitFor('grandchildren gone', () => groups.every((pid) => !alive(pid)));
  assert.deepEqual(
    recorder.of('supervisor').map((e) => e.state),
    ['running', 'stopping', 'stopped'],
  );
});

test('the global deadline SIGKILLs what is left and the exit code says so', async (t) => {
  const ready = path.join(tempDir(t), 'trapped');
  const { supervisor, recorder } = supervise(t, [{ name: 'deaf', command: ['sh', '-c', `trap '' TERM; touch ${ready}; sleep 1000`], startSeconds: 0, stopWaitSeconds: 600 }]);
  supervisor.start();
  await waitFor('TERM ignored', () => fs.existsSync(ready));
  const code = await supervisor.shutdown('test', 0, 500);
  assert.equal(code, 1);
  assert.equal(state(supervisor, 'deaf').state, 'STOPPED');
  assert.equal(state(supervisor, 'deaf').lastSignal, 'SIGKILL');
  assert.ok(recorder.of('process-state').some((e) => e.to === 'STOPPED'));
});

test('a failing health check restarts the program after failureThreshold failures', async (t) => {
  const dir = tempDir(t);
  const flag = path.join(dir, 'healthy');
  fs.writeFileSync(flag, '');
  const { supervisor, recorder } = supervise(t, [
    { name: 'api', command: ['sleep', '1000'], startSeconds: 0, healthCheck: { exec: { command: ['test', '-f', flag] }, periodSeconds: 1, failureThreshold: 2 } },
  ]);
  supervisor.start();
  await waitFor('healthy', () => state(supervisor, 'api').healthy === true);
  const firstPid = state(supervisor, 'api').pid!;
  fs.rmSync(flag);
  await waitFor('restarted', () => state(supervisor, 'api').restarts === 1 && state(supervisor, 'api').state === 'RUNNING');
  assert.deepEqual(
    recorder.of('health').map((e) => e.healthy),
    [true, false],
  );
  const stop = recorder.of('process-state').find((e) => e.to === 'STOPPING')!;
  assert.equal(stop.reason, 'health check failed 2 times');
  assert.notEqual(state(supervisor, 'api').pid, firstPid);
  assert.ok(!alive(firstPid));
  fs.writeFileSync(flag, '');
  await waitFor('healthy again', () => state(supervisor, 'api').healthy === true);
});

const hog = `const a = []; setInterval(() => { if (a.length < 40) a.push(Buffer.alloc(8 << 20, 1)); }, 50);`;

test('memory over the limit with action restart: an alert event, then the program is restarted', async (t) => {
  const { supervisor, recorder } = supervise(t, [{ name: 'hog', command: [process.execPath, '-e', hog], startSeconds: 0, memory: { limit: '96Mi', action: 'restart' } }]);
  supervisor.start();
  await waitFor('restarted for memory', () => state(supervisor, 'hog').restarts >= 1, 30_000);
  const over = recorder.of('program-memory').find((e) => e.over)!;
  assert.ok(over.bytes > 96 * 2 ** 20);
  assert.equal(over.limitBytes, 96 * 2 ** 20);
  const stop = recorder.of('process-state').find((e) => e.to === 'STOPPING')!;
  assert.equal(stop.reason, 'memory over limit');
});

test('memory over the limit with action alert: an alert event, the program keeps running', async (t) => {
  const { supervisor, recorder } = supervise(t, [{ name: 'hog', command: [process.execPath, '-e', hog], startSeconds: 0, memory: { limit: '96Mi', action: 'alert' } }]);
  supervisor.start();
  const over = await waitFor('alert', () => recorder.of('program-memory').find((e) => e.over), 30_000);
  assert.equal(over.action, 'alert');
  assert.equal(over.status.state, 'RUNNING');
  assert.ok((state(supervisor, 'hog').memoryBytes ?? 0) > 96 * 2 ** 20);
  assert.equal(state(supervisor, 'hog').restarts, 0);
  assert.equal(state(supervisor, 'hog').state, 'RUNNING');
});

test('a critical program going FATAL stops everything with exit code 1', async (t) => {
  const { supervisor, recorder } = supervise(t, [
    { name: 'bystander', command: ['sleep', '1000'], startSeconds: 0 },
    { name: 'vital', command: ['false'], critical: true, startRetries: 0, startSeconds: 5 },
  ]);
  supervisor.start();
  const stopped = await waitFor('supervisor stopped', () => recorder.of('supervisor').find((e) => e.state === 'stopped'));
  assert.equal(stopped.exitCode, 1);
  assert.equal(await supervisor.shutdown('again'), 1);
  assert.equal(state(supervisor, 'bystander').state, 'STOPPED');
  assert.equal(state(supervisor, 'vital').state, 'FATAL');
  assert.equal(supervisor.health().live, false);
});

/** Milliseconds between one program's consecutive STARTING events, from the events' times. */
function startGaps(recorder: Recorder, program: string): number[] {
  const starts = recorder
    .of('process-state')
    .filter((e) => e.program === program && e.to === 'STARTING')
    .map((e) => Date.parse(e.time));
  return starts.slice(1).map((at, i) => at - starts[i]!);
}

test('exponential backoff: the retries of a failing start come 1, 2 and 4 s apart, then FATAL', async (t) => {
  const { supervisor, recorder } = supervise(t, [
    { name: 'flaky', command: ['sh', '-c', 'exit 1'], startSeconds: 1, startRetries: 3, backoff: { policy: 'exponential', initialSeconds: 1 } },
  ]);
  supervisor.start();
  await waitFor('FATAL', () => state(supervisor, 'flaky').state === 'FATAL', 30_000);
  const gaps = startGaps(recorder, 'flaky');
  assert.equal(gaps.length, 3);
  [1000, 2000, 4000].forEach((delay, i) => {
    // The gap is the delay plus the time the program takes to fail (a shell's start and exit).
    assert.ok(gaps[i]! >= delay && gaps[i]! < delay + 1000, `retry ${i + 1} came ${gaps[i]} ms after the start before it, expected ${delay} ms and a little`);
  });
});

test('backoff.resetAfterSeconds: a program that keeps crashing soon after RUNNING is restarted after growing delays', async (t) => {
  const { supervisor, recorder } = supervise(t, [
    {
      name: 'crasher',
      command: ['sh', '-c', 'sleep 0.2; exit 1'],
      startSeconds: 0,
      backoff: { policy: 'exponential', initialSeconds: 1, maxSeconds: 2, resetAfterSeconds: 60 },
      restartBudget: { maxRestarts: 3, windowSeconds: 60 },
    },
  ]);
  supervisor.start();
  await waitFor('FATAL', () => state(supervisor, 'crasher').state === 'FATAL', 30_000);
  assert.deepEqual(
    recorder.states('crasher'),
    [
      ...['STARTING', 'RUNNING', 'EXITED', 'BACKOFF'],
      ...['STARTING', 'RUNNING', 'EXITED', 'BACKOFF'],
      ...['STARTING', 'RUNNING', 'EXITED', 'BACKOFF'],
      ...['STARTING', 'RUNNING', 'EXITED', 'FATAL'],
    ].map((s) => `crasher:${s}`),
  );
  const gaps = startGaps(recorder, 'crasher');
  [1200, 2200, 2200].forEach((delay, i) =>
    assert.ok(gaps[i]! >= delay && gaps[i]! < delay + 1000, `restart ${i + 1} came ${gaps[i]} ms after the start before it, expected ${delay} ms and a little`),
  );
});

test('restartPreventExitCodes: an exit with such a code is not restarted although autorestart is true; another code is', async (t) => {
  const { supervisor, recorder } = supervise(t, [
    { name: 'configerror', command: ['sh', '-c', 'sleep 0.2; exit 78'], autorestart: true, startSeconds: 0, restartPreventExitCodes: [78] },
    { name: 'crash', command: ['sh', '-c', 'sleep 0.2; exit 1'], autorestart: true, startSeconds: 0, restartPreventExitCodes: [78] },
  ]);
  supervisor.start();
  await waitFor('both exited', () => state(supervisor, 'configerror').state === 'EXITED' && state(supervisor, 'crash').restarts >= 1);
  // The restart would be part of the same transition as the exit: nothing can follow later.
  assert.deepEqual(recorder.states('configerror'), ['configerror:STARTING', 'configerror:RUNNING', 'configerror:EXITED']);
  assert.equal(state(supervisor, 'configerror').lastExitCode, 78);
  assert.equal(supervisor.details()[0]!.reason, 'exited with 78: not restarted (restartPreventExitCodes)');
});

test('exitContainerOnExit: the supervisor stops every program and resolves with the exit status, 128 + signal after a signal', async (t) => {
  const { supervisor, recorder } = supervise(t, [
    { name: 'bystander', command: ['sleep', '1000'], startSeconds: 0 },
    // $$$$: the sidecar-init expands $(VAR) references, where $$ is one literal $ (as in a container's command).
    { name: 'main', command: ['sh', '-c', 'sleep 0.3; kill -USR1 $$$$'], startSeconds: 0, exitContainerOnExit: true },
  ]);
  supervisor.start();
  const stopped = await waitFor('supervisor stopped', () => recorder.of('supervisor').find((e) => e.state === 'stopped'));
  assert.equal(stopped.exitCode, 128 + 10);
  assert.match(stopped.reason ?? '', /program main exited with 138 \(exitContainerOnExit\)/);
  assert.equal(state(supervisor, 'bystander').state, 'STOPPED');
  assert.deepEqual(recorder.states('main'), ['main:STARTING', 'main:RUNNING', 'main:EXITED']);
});

test('exitContainerOnExit: a program that cannot even be spawned goes FATAL and the supervisor exits 1', async (t) => {
  const { supervisor, recorder } = supervise(t, [
    { name: 'bystander', command: ['sleep', '1000'], startSeconds: 0 },
    { name: 'main', command: ['/nonexistent/program'], startRetries: 0, exitContainerOnExit: true },
  ]);
  supervisor.start();
  const stopped = await waitFor('supervisor stopped', () => recorder.of('supervisor').find((e) => e.state === 'stopped'));
  assert.equal(stopped.exitCode, 1);
  assert.equal(stopped.reason, 'program main is FATAL (exitContainerOnExit)');
  assert.equal(state(supervisor, 'bystander').state, 'STOPPED');
});

const timeOf = (recorder: Recorder, program: string, to: string) => Date.parse(recorder.of('process-state').find((e) => e.program === program && e.to === to)!.time);

test('postStart: the hook runs after the spawn and the program is RUNNING, and its dependent starts, only once it succeeded', async (t) => {
  const marker = path.join(tempDir(t), 'post-started');
  const { supervisor, recorder } = supervise(t, [
    { name: 'db', command: ['sleep', '1000'], startSeconds: 0, lifecycle: { postStart: { exec: { command: ['sh', '-c', `sleep 1; touch ${marker}`] } } } },
    { name: 'api', command: ['sh', '-c', `test -f ${marker} && exec sleep 1000`], startSeconds: 0, dependsOn: ['db'] },
  ]);
  supervisor.start();
  await waitFor('api RUNNING', () => recorder.states().includes('api:RUNNING'));
  const held = timeOf(recorder, 'db', 'RUNNING') - timeOf(recorder, 'db', 'STARTING');
  assert.ok(held >= 1000 && held < 1700, `db was RUNNING ${held} ms after its spawn, expected after the 1 s hook`);
  const hook = recorder.of('hook')[0]!;
  assert.deepEqual([hook.program, hook.hook, hook.ok], ['db', 'postStart', true]);
});

test('postStart: a failing or overrunning hook stops the program and counts as a failed start, up to FATAL', async (t) => {
  const { supervisor, recorder } = supervise(t, [
    { name: 'failing', command: ['sleep', '1000'], startRetries: 0, lifecycle: { postStart: { exec: { command: ['sh', '-c', 'exit 3'] } } } },
    { name: 'slow', command: ['sleep', '1000'], startRetries: 0, startTimeoutSeconds: 1, lifecycle: { postStart: { exec: { command: ['sleep', '30'] } } } },
  ]);
  supervisor.start();
  await waitFor('both FATAL', () => state(supervisor, 'failing').state === 'FATAL' && state(supervisor, 'slow').state === 'FATAL', 30_000);
  await waitFor('events', () => recorder.states('slow').includes('slow:FATAL') && recorder.states('failing').includes('failing:FATAL'));
  assert.deepEqual(recorder.states('failing'), ['failing:STARTING', 'failing:STOPPING', 'failing:STOPPED', 'failing:BACKOFF', 'failing:FATAL']);
  const hooks = Object.fromEntries(recorder.of('hook').map((e) => [e.program, e]));
  assert.equal(hooks.failing!.message, 'exit 3');
  assert.equal(hooks.slow!.message, 'timed out after 1s');
  // A timer can fire a fraction of a millisecond before its delay as performance.now() measures it.
  assert.ok(hooks.slow!.ms >= 990 && hooks.slow!.ms < 1700, `the hook was given ${hooks.slow!.ms} ms`);
  assert.match(recorder.of('process-state').find((e) => e.program === 'slow' && e.to === 'STOPPING')!.reason ?? '', /^postStart hook failed: timed out after 1s$/);
});

test('preStop: the hook runs before the stop signal; its time counts in stopWaitSeconds, and an overrun gets the signal at the deadline', async (t) => {
  const dir = tempDir(t);
  const done = path.join(dir, 'pre-stopped');
  const seen = path.join(dir, 'seen-at-term');
  const port = await freePort();
  const server = http.createServer((_request, response) => response.end('ok'));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.after(() => server.close());
  const { supervisor, recorder } = supervise(t, [
    {
      name: 'graceful',
      command: ['sh', '-c', `trap 'test -f ${done} && touch ${seen}; exit 0' TERM; while :; do sleep 0.1; done`],
      startSeconds: 0,
      lifecycle: { preStop: { exec: { command: ['sh', '-c', `sleep 0.3; touch ${done}`] } }, postStart: { httpGet: { port, path: '/started' } } },
    },
    { name: 'overrun', command: ['sleep', '1000'], startSeconds: 0, stopWaitSeconds: 1, lifecycle: { preStop: { exec: { command: ['sleep', '30'] } } } },
  ]);
  supervisor.start();
  await waitFor('both RUNNING', () => supervisor.snapshot().every((p) => p.state === 'RUNNING'));
  assert.equal(await supervisor.shutdown('test'), 0);
  assert.ok(fs.existsSync(seen), 'the stop signal came after the preStop hook');
  await waitFor('events', () => recorder.of('hook').length === 3 && recorder.states('overrun').includes('overrun:STOPPED'));
  const overrun = recorder.of('hook').find((e) => e.program === 'overrun')!;
  // At the deadline the stop goes on without the hook, whose process group is killed.
  assert.deepEqual([overrun.hook, overrun.ok, overrun.message], ['preStop', false, 'aborted: stopWaitSeconds passed']);
  const stopping = timeOf(recorder, 'overrun', 'STOPPED') - timeOf(recorder, 'overrun', 'STOPPING');
  assert.ok(stopping >= 1000 && stopping < 1700, `overrun took ${stopping} ms to stop, expected stopWaitSeconds (1 s) and the TERM`);
  assert.equal(state(supervisor, 'overrun').lastSignal, 'SIGTERM');
  assert.deepEqual(recorder.of('hook').find((e) => e.program === 'graceful' && e.hook === 'postStart')?.ok, true);
});

test('a cron program runs once for real at its due time (a wall clock shifted to 1 s before a minute), and succeeds', async (t) => {
  const marker = path.join(tempDir(t), 'ran');
  const wall = Date.now();
  const shift = (59_000 - (wall % 60_000) + 60_000) % 60_000;
  const clock: Clock = { now: () => systemClock.now() + shift, wallNow: () => Date.now() + shift, setTimeout: systemClock.setTimeout };
  const { supervisor, recorder } = supervise(
    t,
    [{ name: 'cron', command: ['touch', marker], autorestart: false, startSeconds: 0, schedule: { cron: '* * * * *', timeZone: 'Europe/Paris' } } as never],
    { clock },
  );
  supervisor.start();
  const status = () => supervisor.snapshot()[0]!;
  const due = Date.parse(status().nextScheduleTime!);
  assert.equal(due % 60_000, 0);
  await waitFor('the run succeeded', () => status().lastRunResult === 'Succeeded', 10_000);
  assert.ok(fs.existsSync(marker));
  // On the shifted wall clock: when it was due (however long the set-up took). The timer runs on
  // the monotonic clock and may fire a millisecond or so before the wall clock reaches the minute.
  const started = Date.parse(recorder.of('process-state').find((e) => e.to === 'STARTING')!.time);
  assert.ok(started - due >= -10 && started - due < 1000, `ran ${started - due} ms after it was due`);
  assert.equal(status().lastScheduleTime, new Date(due).toISOString());
  assert.equal(Date.parse(status().nextScheduleTime!), due + 60_000);
});

test('what a program leaves behind in its process group is killed when it exits', async (t) => {
  const dir = tempDir(t);
  const pidFile = path.join(dir, 'orphan.pid');
  const { supervisor } = supervise(t, [{ name: 'leaver', command: ['sh', '-c', `sleep 1000 & echo $! > ${pidFile}; sleep 0.2; exit 0`], autorestart: false, startSeconds: 0 }]);
  supervisor.start();
  await waitFor('EXITED', () => state(supervisor, 'leaver').state === 'EXITED');
  const orphan = Number(fs.readFileSync(pidFile, 'utf8'));
  assert.ok(orphan > 0);
  await waitFor('orphan killed', () => !alive(orphan) || fs.readFileSync(`/proc/${orphan}/stat`, 'utf8').includes(') Z'));
});

test('$(VAR) references in the command and env values are expanded from the program environment when it is spawned', async (t) => {
  const { supervisor } = supervise(t, [
    {
      name: 'refs',
      command: [process.execPath, '-e', 'setInterval(() => {}, 1000)', '$(GREETING)', '--who=$(WHO)', '$$(GREETING)', '$(NOPE)', '$(COREPOD_PROGRAM)'],
      env: [
        { name: 'WHO', value: 'ada' },
        { name: 'GREETING', value: 'hello $(WHO) from $(HOME)' },
      ],
      startSeconds: 0,
    },
  ]);
  supervisor.start();
  const pid = await waitFor('RUNNING', () => state(supervisor, 'refs').state === 'RUNNING' && state(supervisor, 'refs').pid);
  const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(3, -1);
  assert.deepEqual(argv, [`hello ada from ${process.env.HOME}`, '--who=ada', '$(GREETING)', '$(NOPE)', 'refs']);
  const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  assert.ok(environ.includes(`GREETING=hello ada from ${process.env.HOME}`), environ.join('\n'));
});

test('$(VAR) references in workingDir and the log files are expanded from the program environment too', async (t) => {
  const dir = tempDir(t);
  fs.mkdirSync(path.join(dir, 'work'));
  const { supervisor } = supervise(t, [
    {
      name: 'paths',
      command: [process.execPath, '-e', 'console.log(process.cwd()); setInterval(() => {}, 1000)'],
      env: [{ name: 'BASE', value: dir }],
      workingDir: '$(BASE)/work',
      logs: { stdoutFile: '$(BASE)/$(COREPOD_PROGRAM).log' } as never,
      startSeconds: 0,
    },
  ]);
  supervisor.start();
  await waitFor('the log file', () => fs.existsSync(path.join(dir, 'paths.log')) && fs.readFileSync(path.join(dir, 'paths.log'), 'utf8').includes('\n'));
  assert.equal(fs.readFileSync(path.join(dir, 'paths.log'), 'utf8'), `${path.join(dir, 'work')}\n`);
});

test("umask: each program creates files with its own mask; the supervisor's is unchanged", async (t) => {
  const dir = tempDir(t);
  const before = process.umask();
  const touch = (file: string) => [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(file)}, ''); setInterval(() => {}, 1000)`];
  const { supervisor } = supervise(t, [
    { name: 'strict', command: touch(path.join(dir, 'strict')), umask: '077', startSeconds: 0 },
    { name: 'open', command: touch(path.join(dir, 'open')), umask: '000', startSeconds: 0 },
    { name: 'inherits', command: touch(path.join(dir, 'inherits')), startSeconds: 0 },
  ]);
  supervisor.start();
  await waitFor('three files', () => ['strict', 'open', 'inherits'].every((name) => fs.existsSync(path.join(dir, name))));
  const mode = (name: string) => fs.statSync(path.join(dir, name)).mode & 0o777;
  assert.equal(mode('strict'), 0o600);
  assert.equal(mode('open'), 0o666);
  assert.equal(mode('inherits'), 0o666 & ~before);
  assert.equal(process.umask(), before);
  const status = (name: string) => fs.readFileSync(`/proc/${state(supervisor, name).pid}/status`, 'utf8').match(/^Umask:\s+(\d+)$/m)![1];
  assert.deepEqual([status('strict'), status('open')], ['0077', '0000']);
});

test('user switching: uid, gid and supplementary groups of the user are set before exec', async (t) => {
  const euid = process.geteuid!();
  const setpriv = findExecutable(['setpriv']);
  const spec = specOf({ programs: [{ name: 'as-nobody', command: ['sleep', '1000'], user: 'nobody', startSeconds: 0 }] });
  const users = planUsers(spec, euid, setpriv);
  if (euid !== 0) {
    // Without root the switch is refused up front with the path of the field.
    assert.deepEqual(users.errors, [`spec.programs[0].user: running as uid 65534 needs the supervisor to run as root (it runs as uid ${euid})`]);
    return;
  }
  assert.deepEqual(users.errors, []);
  const { supervisor } = supervise(t, [{ name: 'as-nobody', command: ['sleep', '1000'], user: 'nobody', startSeconds: 0 }], { userPlans: users });
  supervisor.start();
  const pid = await waitFor('RUNNING', () => state(supervisor, 'as-nobody').state === 'RUNNING' && state(supervisor, 'as-nobody').pid);
  // The pid is setpriv's until it has switched and exec'd the program.
  await waitFor('exec', () => fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep');
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) =>
    status
      .split('\n')
      .find((line) => line.startsWith(`${name}:`))!
      .split(/\s+/)
      .slice(1)
      .filter(Boolean);
  assert.deepEqual(field('Uid'), ['65534', '65534', '65534', '65534']);
  assert.deepEqual(field('Gid'), ['65534', '65534', '65534', '65534']);
  // initgroups(3): the groups /etc/group gives nobody (65534 only), not root's.
  assert.deepEqual(field('Groups'), ['65534']);
  const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  assert.ok(environ.includes('USER=nobody'));
  assert.ok(environ.includes('COREPOD_PROGRAM=as-nobody'));
});

test("the health endpoint answers at once while a program's check hangs", async (t) => {
  const port = await freePort();
  const accepted = path.join(tempDir(t), 'accepted');
  // Accepts connections and never answers: the HTTP probe hangs until its 30 s timeout.
  const silent = `require('net').createServer(() => require('fs').writeFileSync(${JSON.stringify(accepted)}, '')).listen(${port}, '127.0.0.1')`;
  const { supervisor } = supervise(t, [
    { name: 'silent', command: [process.execPath, '-e', silent], startSeconds: 0, healthCheck: { httpGet: { port, path: '/health' }, timeoutSeconds: 30, periodSeconds: 30 } },
  ]);
  supervisor.start();
  await waitFor('RUNNING', () => state(supervisor, 'silent').state === 'RUNNING');
  const endpoint = await startHealthServer(() => supervisor.health(), 0, '127.0.0.1');
  t.after(() => endpoint.close());
  const get = (path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = http.get({ host: '127.0.0.1', port: endpoint.port, path, timeout: 5000 }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('timeout', () => request.destroy(new Error(`${path} did not answer within 5 s`)));
      request.on('error', reject);
    });
  await waitFor('probe in flight', () => fs.existsSync(accepted));
  const ready = await get('/readyz');
  assert.equal(ready.status, 503);
  assert.deepEqual(
    JSON.parse(ready.body).notReady.map((p: { name: string }) => p.name),
    ['silent'],
  );
  assert.equal((await get('/livez')).status, 200);
  assert.notEqual(state(supervisor, 'silent').healthy, true);
});

test("each real process gets its own Kubernetes-sourced variables, unmangled, and none of the other programs'", async (t) => {
  // The container's environment as the kubelet would set it from the operator's mangled env and envFrom.
  const baseEnv = {
    PATH: process.env.PATH,
    [programEnvName(0, 'SIGNING_KEY')]: 'key-of-auth',
    [`${programEnvFromPrefix(0, 0)}DB_PASSWORD`]: 'db-of-auth',
    [programEnvName(1, 'SIGNING_KEY')]: 'key-of-web',
    [ENV.githubToken]: 'ghp_sidecar_only',
  };
  const secret = { name: 'SIGNING_KEY', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } };
  const { supervisor } = supervise(
    t,
    [
      { name: 'auth', command: ['sleep', '1000'], startSeconds: 0, env: [secret as never, { name: 'PORT', value: '3001' }], envFrom: [{ secretRef: { name: 'db' } }] },
      { name: 'web', command: ['sleep', '1000'], startSeconds: 0, env: [secret as never] },
    ],
    { baseEnv },
  );
  supervisor.start();
  const environOf = async (name: string) => {
    const pid = await waitFor(`${name} RUNNING`, () => state(supervisor, name).state === 'RUNNING' && state(supervisor, name).pid);
    return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean).sort();
  };
  assert.deepEqual(await environOf('auth'), [`COREPOD_PROGRAM=auth`, 'DB_PASSWORD=db-of-auth', `PATH=${process.env.PATH}`, 'PORT=3001', 'SIGNING_KEY=key-of-auth']);
  assert.deepEqual(await environOf('web'), [`COREPOD_PROGRAM=web`, `PATH=${process.env.PATH}`, 'SIGNING_KEY=key-of-web']);
});
