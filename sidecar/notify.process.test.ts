// Readiness said by the program itself, with real processes: sd_notify over NOTIFY_SOCKET (through
// the notify-socket helper, which also sends for the test programs) and s6's notification fd.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createProcMemoryReader } from './memory-reader.js';
import { HOST_BUILT_NOTIFY_SOCKET, openNotifySocket, type NotifyChannel } from './notify-socket.js';
import { nodeProcessRunner } from './process-runner.js';
import { Supervisor } from './supervisor.js';
import { Recorder, runCli, specOf, startCli, tempDir, waitFor } from './test-helpers.js';

const HELPER = HOST_BUILT_NOTIFY_SOCKET;
/** A shell command sending one datagram; \n in `message` (printf's) separates assignments. */
const send = (message: string) => `${HELPER} --send "$(printf '${message}')"`;

type Program = Record<string, unknown> & { name: string; command: string[] };

async function supervise(t: TestContext, programs: Program[]) {
  const dir = tempDir(t, 'corepod-notify-');
  const notify = new Map<string, NotifyChannel>();
  for (const program of programs) {
    if (program.notify) notify.set(program.name, await openNotifySocket(HELPER, path.join(dir, `notify-${program.name}.sock`)));
  }
  const supervisor = new Supervisor({
    spec: specOf({ programs: programs as never, terminationGracePeriodSeconds: 10 }),
    runner: nodeProcessRunner,
    memory: createProcMemoryReader(),
    notify,
  });
  const recorder = new Recorder(supervisor);
  t.after(async () => {
    await supervisor.shutdown('test over', 0, 5000);
    await Promise.all([...notify.values()].map((channel) => channel.close()));
  });
  return { supervisor, recorder, dir };
}

const state = (s: Supervisor, name: string) => s.snapshot().find((p) => p.name === name)!;
const at = (recorder: Recorder, program: string, to: string) => Date.parse(recorder.of('process-state').find((e) => e.program === program && e.to === to)!.time);

test('notify-socket: the helper binds the socket, passes each datagram whole, and removes the socket when closed', async (t) => {
  const file = path.join(tempDir(t), 'n.sock');
  const channel = await openNotifySocket(HELPER, file);
  const got: string[] = [];
  channel.onMessage((datagram) => got.push(datagram));
  assert.ok(fs.statSync(file).isSocket());
  for (const message of ['READY=1\nSTATUS=one, two', 'WATCHDOG=1']) assert.equal(spawnSync(HELPER, ['--send', message, file]).status, 0);
  await waitFor('both datagrams', () => got.length === 2);
  assert.deepEqual(got, ['READY=1\nSTATUS=one, two', 'WATCHDOG=1']);
  await channel.close();
  assert.equal(fs.existsSync(file), false);
});

test('notify: a program that sends READY=1 after 2 s is RUNNING only then, and gates its dependent for that long; STATUS= is in its status', async (t) => {
  const { supervisor, recorder } = await supervise(t, [
    { name: 'api', command: ['sleep', '1000'], startSeconds: 0, dependsOn: ['db'] },
    { name: 'db', command: ['sh', '-c', `sleep 2; ${send('READY=1\\nSTATUS=accepting connections')}; exec sleep 1000`], notify: true },
  ]);
  supervisor.start();
  await waitFor('api RUNNING', () => recorder.states().includes('api:RUNNING'), 30_000);
  const waited = at(recorder, 'api', 'STARTING') - at(recorder, 'db', 'STARTING');
  assert.ok(waited >= 2000 && waited < 2700, `api started ${waited} ms after db, expected 2000 ms and a little`);
  assert.deepEqual(recorder.states('db'), ['db:STARTING', 'db:RUNNING']);
  assert.equal(recorder.of('process-state').find((e) => e.program === 'db' && e.to === 'RUNNING')!.reason, 'said it is ready');
  assert.equal(state(supervisor, 'db').notifyStatus, 'accepting connections');
});

test('notify + watchdogSeconds: pings keep the program, a missed WATCHDOG=1 restarts it; it gets WATCHDOG_USEC', async (t) => {
  const dir = tempDir(t);
  const usec = path.join(dir, 'usec');
  const script = `echo $WATCHDOG_USEC > ${usec}; ${send('READY=1')}; for i in 1 2 3; do sleep 0.4; ${send('WATCHDOG=1')}; done; exec sleep 1000`;
  const { supervisor, recorder } = await supervise(t, [{ name: 'pinger', command: ['sh', '-c', script], notify: true, watchdogSeconds: 1 }]);
  supervisor.start();
  await waitFor('restarted', () => state(supervisor, 'pinger').restarts >= 1, 30_000);
  assert.equal(fs.readFileSync(usec, 'utf8').trim(), '1000000');
  await waitFor('events', () => recorder.of('process-state').some((e) => e.to === 'STOPPING'));
  const stop = recorder.of('process-state').find((e) => e.to === 'STOPPING')!;
  assert.equal(stop.reason, 'no WATCHDOG=1 within 1s (watchdogSeconds)');
  // Up for three pings 0.4 s apart, then restarted about 1 s after the last one.
  const up = Date.parse(stop.time) - at(recorder, 'pinger', 'RUNNING');
  assert.ok(up >= 2100 && up < 3200, `stopped ${up} ms after RUNNING, expected about 1.2 + 1 s`);
});

test('notify: a program that never says READY within startTimeoutSeconds is stopped and FATAL', async (t) => {
  const { supervisor, recorder } = await supervise(t, [{ name: 'mute', command: ['sleep', '1000'], notify: true, startTimeoutSeconds: 1 }]);
  supervisor.start();
  await waitFor('FATAL', () => state(supervisor, 'mute').state === 'FATAL', 30_000);
  await waitFor('events', () => recorder.states('mute').includes('mute:FATAL'));
  assert.deepEqual(recorder.states('mute'), ['mute:STARTING', 'mute:STOPPING', 'mute:STOPPED', 'mute:FATAL']);
  assert.equal(supervisor.details()[0]!.reason, 'did not say it was ready within 1s (startTimeoutSeconds)');
});

test('notifyFd: a newline on the given file descriptor makes the program RUNNING; until then it gates its dependent', async (t) => {
  const { supervisor, recorder } = await supervise(t, [
    { name: 's6-style', command: ['sh', '-c', 'sleep 1; echo >&5; exec sleep 1000'], notifyFd: 5 },
    { name: 'after', command: ['sleep', '1000'], startSeconds: 0, dependsOn: ['s6-style'] },
  ]);
  supervisor.start();
  await waitFor('after RUNNING', () => recorder.states().includes('after:RUNNING'), 30_000);
  const waited = at(recorder, 'after', 'STARTING') - at(recorder, 's6-style', 'STARTING');
  assert.ok(waited >= 1000 && waited < 1700, `after started ${waited} ms after s6-style, expected 1000 ms and a little`);
  assert.equal(recorder.of('process-state').find((e) => e.program === 's6-style' && e.to === 'RUNNING')!.reason, 'said it is ready');
});

test('corepod run: a notify program gets its NOTIFY_SOCKET in the run directory, is RUNNING once it said so, and the socket goes at the stop', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'corepod.yaml');
  fs.writeFileSync(
    file,
    `image: test\nprograms:\n  - name: svc\n    command: [sh, -c, ${JSON.stringify(`sleep 0.5; ${send('READY=1\\nSTATUS=up')}; exec sleep 1000`)}]\n    notify: true\n`,
  );
  const env = { ...process.env, COREPOD_RUN_DIR: path.join(dir, 'run'), COREPOD_NOTIFY_SOCKET: HELPER };
  const run = startCli(t, ['run', '-f', file, '--health-port', '0'], env);
  const status = await waitFor('RUNNING', async () => {
    const result = await runCli(['status', '--json'], env);
    const document = result.code === 0 ? (JSON.parse(result.stdout) as { programs: { state: string; notifyStatus?: string }[] }) : undefined;
    return document?.programs[0]?.state === 'RUNNING' ? document.programs[0] : undefined;
  });
  assert.equal(status.notifyStatus, 'up');
  assert.ok(fs.statSync(path.join(dir, 'run', 'notify-svc.sock')).isSocket());
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0);
  assert.equal(fs.existsSync(path.join(dir, 'run', 'notify-svc.sock')), false);
});

test('corepod run refuses a notify program when there is no notify-socket helper, naming the field, before starting anything', async (t) => {
  const dir = tempDir(t);
  const marker = path.join(dir, 'started');
  const file = path.join(dir, 'corepod.yaml');
  fs.writeFileSync(file, `image: test\nprograms:\n  - name: a\n    command: [touch, ${marker}]\n  - name: b\n    command: [sleep, "1000"]\n    notify: true\n`);
  const result = await runCli(['run', '-f', file, '--health-port', '0'], { ...process.env, COREPOD_RUN_DIR: path.join(dir, 'run'), COREPOD_NOTIFY_SOCKET: path.join(dir, 'none') });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^spec\.programs\[1\]\.notify: no notify-socket helper/m);
  assert.ok(!fs.existsSync(marker));
});
