// Supervisor logic on a fake clock with in-memory stand-ins for processes, probes and memory:
// no process is started here (the *.process.test.ts files do that for real).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ProcessStatus } from '../crds/corepod-schema.js';
import { FakeClock } from '../lib/fake-clock.js';
import type { Probe, ProbeResult } from './health-probe.js';
import type { ContainerMemory, MemoryReader } from './memory-reader.js';
import type { SignalName } from './process-state-machine.js';
import type { ExitListener, ProcessRunner, SpawnRequest, SpawnResult } from './process-runner.js';
import { streamSource } from './logs/output-source.js';
import { startupProbeDelay } from './health-monitor.js';
import { Supervisor } from './supervisor.js';
import { Recorder, specOf } from './test-helpers.js';

class TableRunner implements ProcessRunner {
  nextPid = 100;
  readonly live = new Map<number, { command: readonly string[]; onExit: ExitListener }>();
  readonly signals: { pid: number; signal: SignalName; group: boolean }[] = [];
  spawn(request: SpawnRequest, onExit: ExitListener): SpawnResult {
    const pid = this.nextPid++;
    this.live.set(pid, { command: request.command, onExit });
    return { ok: true, child: { pid, stdout: streamSource(new PassThrough()), stderr: streamSource(new PassThrough()) } };
  }
  signal(pid: number, signal: SignalName, group: boolean): boolean {
    this.signals.push({ pid, signal, group });
    if (signal === 'KILL' || signal === 'TERM') this.exit(pid, null, `SIG${signal}`);
    return true;
  }
  exit(pid: number, code: number | null, signal: string | null = null): void {
    const entry = this.live.get(pid);
    if (!entry) return;
    this.live.delete(pid);
    entry.onExit(code, signal);
  }
  pidOf(name: string): number {
    return [...this.live].find(([, e]) => e.command[1] === name)![0];
  }
}

class SetMemory implements MemoryReader {
  trees = new Map<number, number>();
  figures: ContainerMemory | undefined;
  processTrees(roots: readonly number[]) {
    return new Map(roots.map((pid) => [pid, this.trees.get(pid) ?? 1000]));
  }
  container() {
    return this.figures;
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

function setup(programs: object[], options: { probe?: Probe; memoryAction?: 'alert' | 'restart' } = {}) {
  const clock = new FakeClock(1_700_000_000_000);
  const runner = new TableRunner();
  const memory = new SetMemory();
  const spec = specOf({ programs: programs as never, memory: { warningPercent: 80, criticalPercent: 90, action: options.memoryAction ?? 'alert' } });
  const supervisor = new Supervisor({ spec, runner, memory, clock, ...(options.probe ? { probe: options.probe } : {}) });
  const recorder = new Recorder(supervisor);
  return { clock, runner, memory, supervisor, recorder };
}

const program = (name: string, extra: object = {}) => ({ name, command: ['run', name], startSeconds: 1, ...extra });

test('container memory: warning then critical; action restart restarts the program using the most memory', async () => {
  const { clock, runner, memory, supervisor, recorder } = setup([program('small'), program('big')], { memoryAction: 'restart' });
  supervisor.start();
  clock.advance(1000);
  memory.trees.set(runner.pidOf('big'), 500e6);
  memory.figures = { cgroup: 2, usageBytes: 850e6, workingSetBytes: 850e6, limitBytes: 1e9 };
  clock.advance(1000);
  memory.figures = { cgroup: 2, usageBytes: 950e6, workingSetBytes: 950e6, limitBytes: 1e9 };
  clock.advance(1000);
  await flush();
  const levels = recorder.of('container-memory').map((e) => [e.previous, e.level, e.restarted]);
  assert.deepEqual(levels, [
    ['ok', 'warning', undefined],
    ['warning', 'critical', 'big'],
  ]);
  assert.equal(supervisor.snapshot().find((p) => p.name === 'big')!.restarts, 1);
  assert.equal(supervisor.snapshot().find((p) => p.name === 'small')!.restarts, 0);
  assert.deepEqual(supervisor.health().container, { level: 'critical', percent: 95, workingSetBytes: 950e6, limitBytes: 1e9 });
});

test('container memory without a limit: no level events', async () => {
  const { clock, memory, supervisor, recorder } = setup([program('a')]);
  memory.figures = { cgroup: 1, usageBytes: 5e9, workingSetBytes: 5e9, limitBytes: undefined };
  supervisor.start();
  clock.advance(5000);
  await flush();
  assert.deepEqual(recorder.of('container-memory'), []);
  assert.equal(supervisor.health().container, undefined);
});

test('events carry the program status in the CorePod ProcessStatus shape', async () => {
  const { clock, runner, supervisor, recorder } = setup([program('a')]);
  supervisor.start();
  clock.advance(1000);
  runner.exit(runner.pidOf('a'), 3);
  await flush();
  const exited = recorder.of('process-state').find((e) => e.to === 'EXITED')!;
  assert.equal(exited.exitCode, 3);
  assert.equal(exited.expected, false);
  assert.equal(exited.restarts, 1);
  // The status the Kubernetes reporter writes: it must pass the CRD's strict ProcessStatus schema.
  assert.deepEqual(ProcessStatus.parse(exited.status), exited.status);
  assert.equal(exited.status.name, 'a');
  assert.equal(exited.status.lastExitCode, 3);
  assert.equal(exited.time, new Date(clock.now()).toISOString());
});

test('a subscriber that never returns does not hold up supervision', async () => {
  const { clock, runner, supervisor } = setup([program('a')]);
  supervisor.subscribe({ deliver: () => new Promise(() => {}) }, { maxQueue: 3 });
  supervisor.start();
  for (let i = 0; i < 20 && runner.live.size > 0; i++) {
    clock.advance(1000);
    runner.exit(runner.pidOf('a'), 1);
  }
  await flush();
  // Supervision went on: every crash was handled (the budget of 5 in 60 s ended it).
  assert.equal(supervisor.snapshot()[0]!.state, 'FATAL');
});

test('readiness: required checks gate it, optional ones do not', async () => {
  const results = new Map<string, ProbeResult>([
    ['gate', { ok: false, latencyMs: 1 }],
    ['optional', { ok: false, latencyMs: 1 }],
  ]);
  const probe: Probe = { run: (check) => Promise.resolve(results.get(check.exec!.command[0]!)!) };
  const { clock, supervisor } = setup(
    [
      program('gate', { startSeconds: 0, healthCheck: { exec: { command: ['gate'] }, periodSeconds: 1 } }),
      program('optional', { startSeconds: 0, healthCheck: { exec: { command: ['optional'] }, periodSeconds: 1, required: false } }),
    ],
    { probe },
  );
  supervisor.start();
  clock.advance(100);
  await flush();
  assert.deepEqual([supervisor.health().live, supervisor.health().ready], [true, false]);
  results.set('gate', { ok: true, latencyMs: 2 });
  for (let i = 0; i < 5 && !supervisor.health().ready; i++) {
    clock.advance(1000);
    await flush();
  }
  assert.equal(supervisor.health().ready, true);
  assert.deepEqual(
    supervisor.health().programs.map((p) => [p.name, p.ready, p.required]),
    [
      ['gate', true, true],
      ['optional', true, false],
    ],
  );
});

test('startup probing: 50 ms for the first second, 100 ms up to 5 s, then a tenth of the age, capped by periodSeconds; network checks 10 ms for the first half second', () => {
  const ages = [0, 499, 500, 999, 1000, 4999, 5000, 60_000, 600_000];
  assert.deepEqual(
    ages.map((age) => startupProbeDelay(age, 10_000, false)),
    [50, 50, 50, 50, 100, 100, 500, 6000, 10_000],
  );
  assert.deepEqual(
    ages.map((age) => startupProbeDelay(age, 10_000, true)),
    [10, 10, 50, 50, 100, 100, 500, 6000, 10_000],
  );
  assert.equal(startupProbeDelay(0, 20, false), 20);
  assert.equal(startupProbeDelay(0, 5, true), 5);
});

test('before a first pass, failing startup probes count toward failureThreshold once per periodSeconds', async () => {
  const probe: Probe = { run: () => Promise.resolve({ ok: false, latencyMs: 1, message: 'refused' }) };
  const { clock, supervisor, recorder } = setup([program('never', { startSeconds: 0, healthCheck: { exec: { command: ['x'] }, periodSeconds: 10, failureThreshold: 3 } })], {
    probe,
  });
  supervisor.start();
  for (let t = 0; t < 29_000; t += 50) {
    clock.advance(50);
    await flush();
  }
  // Hundreds of fast probes failed within 29 s, but only two counted: still running.
  assert.equal(supervisor.snapshot()[0]!.restarts, 0);
  // Probes are now 3 s apart (a tenth of the age): the third counted failure comes before 36 s.
  for (let t = 0; t < 7000; t += 50) {
    clock.advance(50);
    await flush();
  }
  assert.equal(supervisor.snapshot()[0]!.restarts, 1);
  assert.deepEqual(
    recorder.of('health').map((e) => [e.healthy, e.failures]),
    [[false, 3]],
  );
});

/** Reports the exit of every program it spawns before spawn returns. */
class ExitsDuringSpawn extends TableRunner {
  override spawn(request: SpawnRequest, onExit: ExitListener) {
    const result = super.spawn(request, onExit);
    if (result.ok) this.exit(result.child.pid, 1);
    return result;
  }
}

/** Fails every spawn synchronously. */
class RefusesSpawn extends TableRunner {
  override spawn(): SpawnResult {
    return { ok: false, error: 'no such file' };
  }
}

test('an exit reported during the spawn is handled after the spawn transition, in the order reported', async () => {
  const clock = new FakeClock(1_700_000_000_000);
  const runner = new ExitsDuringSpawn();
  const supervisor = new Supervisor({ spec: specOf({ programs: [program('a', { startRetries: 0 })] as never }), runner, memory: new SetMemory(), clock });
  const recorder = new Recorder(supervisor);
  supervisor.start();
  await flush();
  assert.deepEqual(recorder.states('a'), ['a:STARTING', 'a:BACKOFF', 'a:FATAL']);
  assert.equal(recorder.of('process-state')[0]!.status.state, 'STARTING');
  // The spawned report came after the exit: it is ignored, not taken for a live process.
  assert.equal(supervisor.snapshot()[0]!.pid, undefined);
});

/** Records, for every timer armed, the state the first program was in at that moment. */
class ArmingClock extends FakeClock {
  readonly armed: [number, string][] = [];
  observe: () => string = () => '';
  override setTimeout(fn: () => void, ms: number) {
    this.armed.push([ms, this.observe()]);
    return super.setTimeout(fn, ms);
  }
}

test('an exit reported while the stop signal is sent waits until the stop transition has armed its kill timer', async () => {
  const clock = new ArmingClock(1_700_000_000_000);
  const runner = new TableRunner();
  const supervisor = new Supervisor({ spec: specOf({ programs: [program('a', { stopWaitSeconds: 7 })] as never }), runner, memory: new SetMemory(), clock });
  clock.observe = () => supervisor.snapshot()[0]!.state;
  const recorder = new Recorder(supervisor);
  supervisor.start();
  clock.advance(1000);
  // TableRunner reports the exit from inside signal(TERM).
  const [result] = await supervisor.command('stop', 'a');
  assert.equal(result!.ok, true);
  await flush();
  assert.deepEqual(recorder.states('a'), ['a:STARTING', 'a:RUNNING', 'a:STOPPING', 'a:STOPPED']);
  assert.deepEqual(
    clock.armed.filter(([ms]) => ms === 7000),
    [[7000, 'STOPPING']],
  );
  assert.deepEqual(
    runner.signals.map((s) => [s.signal, s.group]),
    [
      ['TERM', true],
      ['KILL', true],
    ],
  );
});

test('a spawn failure reported synchronously is handled after the start, then retried on the backoff timer', async () => {
  const clock = new FakeClock(1_700_000_000_000);
  const supervisor = new Supervisor({ spec: specOf({ programs: [program('a', { startRetries: 1 })] as never }), runner: new RefusesSpawn(), memory: new SetMemory(), clock });
  const recorder = new Recorder(supervisor);
  supervisor.start();
  clock.advance(1000);
  await flush();
  assert.deepEqual(recorder.states('a'), ['a:STARTING', 'a:BACKOFF', 'a:STARTING', 'a:BACKOFF', 'a:FATAL']);
  assert.match(supervisor.details()[0]!.reason!, /too many start retries/);
});

test('a critical program that fails to spawn synchronously stops everything with exit code 1', async () => {
  const clock = new FakeClock(1_700_000_000_000);
  const spec = specOf({ programs: [program('a', { critical: true, startRetries: 0 })] as never });
  const supervisor = new Supervisor({ spec, runner: new RefusesSpawn(), memory: new SetMemory(), clock });
  const recorder = new Recorder(supervisor);
  supervisor.start();
  assert.equal(await supervisor.shutdown('test'), 1);
  assert.deepEqual(recorder.states('a'), ['a:STARTING', 'a:BACKOFF', 'a:FATAL']);
  assert.deepEqual(
    recorder.of('supervisor').map((e) => e.state),
    ['running', 'stopping', 'stopped'],
  );
});

// ---------------- scheduled programs, on the fake clock (which starts at 2023-11-14T22:13:20Z) ----------------

const job = (extra: object = {}) =>
  program('job', { autorestart: false, startSeconds: 0, ...extra, schedule: { cron: '*/5 * * * *', ...(extra as { schedule?: object }).schedule } });
const statusOfJob = (supervisor: Supervisor) => supervisor.snapshot().find((p) => p.name === 'job')!;
const iso = (clock: FakeClock) => new Date(clock.now()).toISOString();

test('a cron program runs at each due time and not otherwise; its last run, result and next run are in its status', async () => {
  const { clock, runner, supervisor, recorder } = setup([job()]);
  supervisor.start();
  assert.equal(runner.live.size, 0, 'not started with the others: only the schedule starts it');
  assert.equal(statusOfJob(supervisor).nextScheduleTime, '2023-11-14T22:15:00.000Z');
  assert.equal(supervisor.health().ready, true, 'an idle scheduled program is ready');
  clock.advance(99_999);
  assert.equal(runner.live.size, 0);
  clock.advance(1);
  assert.equal(iso(clock), '2023-11-14T22:15:00.000Z');
  assert.equal(runner.live.size, 1);
  assert.deepEqual((({ lastScheduleTime, lastRunResult, nextScheduleTime }) => ({ lastScheduleTime, lastRunResult, nextScheduleTime }))(statusOfJob(supervisor)), {
    lastScheduleTime: '2023-11-14T22:15:00.000Z',
    lastRunResult: 'Running',
    nextScheduleTime: '2023-11-14T22:20:00.000Z',
  });
  clock.advance(30_000);
  runner.exit(runner.pidOf('job'), 0);
  assert.equal(statusOfJob(supervisor).lastRunResult, 'Succeeded');
  assert.equal(statusOfJob(supervisor).lastSuccessfulTime, '2023-11-14T22:15:30.000Z');
  clock.advance(270_000);
  assert.equal(iso(clock), '2023-11-14T22:20:00.000Z');
  runner.exit(runner.pidOf('job'), 4);
  assert.equal(statusOfJob(supervisor).lastRunResult, 'Failed');
  assert.equal(statusOfJob(supervisor).lastSuccessfulTime, '2023-11-14T22:15:30.000Z');
  await flush();
  assert.deepEqual(
    recorder.of('scheduled-run').map((e) => [e.result, e.due, e.reason]),
    [['Failed', '2023-11-14T22:20:00.000Z', 'exited with 4']],
  );
  assert.ok(recorder.of('process-state').every((e) => e.scheduled === true));
});

test('concurrencyPolicy Forbid skips a run while the previous one is up', async () => {
  const { clock, runner, supervisor, recorder } = setup([job()]);
  supervisor.start();
  clock.advance(100_000); // 22:15, the first run
  const first = runner.pidOf('job');
  clock.advance(300_000); // 22:20, still running
  assert.equal(runner.pidOf('job'), first);
  assert.equal(statusOfJob(supervisor).lastRunResult, 'Skipped');
  await flush();
  assert.deepEqual(
    recorder.of('scheduled-run').map((e) => [e.result, e.due, e.reason]),
    [['Skipped', '2023-11-14T22:20:00.000Z', 'the previous run is still up (concurrencyPolicy Forbid)']],
  );
  runner.exit(first, 0);
  clock.advance(300_000); // 22:25
  assert.notEqual(runner.pidOf('job'), first);
});

test('concurrencyPolicy Replace stops the previous run and starts the due one; Allow starts it when the previous one ends', () => {
  const replace = setup([job({ schedule: { concurrencyPolicy: 'Replace' } })]);
  replace.supervisor.start();
  replace.clock.advance(100_000);
  const first = replace.runner.pidOf('job');
  replace.clock.advance(300_000);
  assert.deepEqual(replace.runner.signals, [
    { pid: first, signal: 'TERM', group: true },
    { pid: first, signal: 'KILL', group: true },
  ]);
  assert.notEqual(replace.runner.pidOf('job'), first);
  assert.equal(statusOfJob(replace.supervisor).lastRunResult, 'Running');

  const allow = setup([job({ schedule: { concurrencyPolicy: 'Allow' } })]);
  allow.supervisor.start();
  allow.clock.advance(100_000);
  const busy = allow.runner.pidOf('job');
  allow.clock.advance(300_000);
  assert.equal(allow.runner.pidOf('job'), busy, 'one program is one process: the due run waits');
  allow.clock.advance(10_000);
  allow.runner.exit(busy, 0);
  assert.notEqual(allow.runner.pidOf('job'), busy, 'and starts as soon as the previous run ended');
  assert.equal(allow.runner.live.size, 1);
});

test('reconfigure: the dependent stops before its dependency, both come back in dependency order; a FATAL program that is edited starts again', async () => {
  const { clock, runner, supervisor, recorder } = setup([program('db'), program('api', { dependsOn: ['db'] }), program('broken', { startRetries: 0 }), program('side')]);
  supervisor.start();
  clock.advance(1000);
  await flush();
  clock.advance(1000);
  await flush();
  runner.exit(runner.pidOf('broken'), 1);
  await flush();
  clock.advance(1000);
  await flush();
  const side = runner.pidOf('side');
  const next = specOf({
    programs: [
      program('db', { command: ['run', 'db', 'v2'] }),
      program('api', { dependsOn: ['db'], env: [{ name: 'X', value: '1' }] }),
      program('broken', { startRetries: 0, command: ['run', 'broken', 'fixed'] }),
      program('side'),
    ] as never,
  });
  const { diffSpecs } = await import('../contract/spec-diff.js');
  const diff = diffSpecs(supervisor.currentSpec(), next);
  assert.deepEqual(
    diff.changed.map((c) => [c.name, c.action]),
    [
      ['db', 'restart'],
      ['api', 'restart'],
      ['broken', 'restart'],
    ],
  );
  const mark = recorder.states().length;
  const done = supervisor.reconfigure(next, diff);
  for (let i = 0; i < 10; i++) {
    await flush();
    clock.advance(500);
  }
  const result = await done;
  assert.deepEqual([result.ok, result.restarted, result.kept], [true, ['db', 'api', 'broken'], ['side']]);
  for (let i = 0; i < 10; i++) {
    await flush();
    clock.advance(500);
  }
  const states = recorder.states().slice(mark);
  const at = (entry: string) => states.indexOf(entry);
  assert.ok(at('api:STOPPED') >= 0 && at('api:STOPPED') < at('db:STOPPING'), `the dependent is down before its dependency stops: ${states}`);
  assert.ok(at('db:RUNNING') < at('api:STARTING'), `api starts once db is RUNNING again: ${states}`);
  assert.ok(states.includes('broken:RUNNING'), 'the edited FATAL program runs again');
  assert.equal(runner.pidOf('side'), side, 'unchanged: same process');
  assert.deepEqual(
    supervisor.snapshot().map((p) => [p.name, p.state]),
    [
      ['db', 'RUNNING'],
      ['api', 'RUNNING'],
      ['broken', 'RUNNING'],
      ['side', 'RUNNING'],
    ],
  );
  const event = recorder.of('reconfigured')[0]!;
  assert.deepEqual([event.ok, event.restarted, event.added, event.removed], [true, ['db', 'api', 'broken'], [], []]);
});

test('reconfigure: refused once the supervisor is stopping; refuseSpec publishes the refusal', async () => {
  const { clock, supervisor, recorder } = setup([program('a')]);
  supervisor.start();
  clock.advance(1000);
  await flush();
  supervisor.refuseSpec('spec.programs[0].dependsOn[0]: dependency cycle', 4);
  await flush();
  assert.deepEqual(
    recorder.of('reconfigured').map((e) => [e.ok, e.message, e.generation]),
    [[false, 'spec.programs[0].dependsOn[0]: dependency cycle', 4]],
  );
  const stopping = supervisor.shutdown('test');
  const { diffSpecs } = await import('../contract/spec-diff.js');
  const next = specOf({ programs: [program('a'), program('b')] as never });
  const result = await supervisor.reconfigure(next, diffSpecs(supervisor.currentSpec(), next));
  assert.deepEqual([result.ok, result.message], [false, 'the supervisor is stopping']);
  clock.advance(20_000);
  await stopping;
});
