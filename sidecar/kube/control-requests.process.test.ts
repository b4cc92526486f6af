// The control request handler driving a real supervisor with real processes: each request meant
// for this pod is acted on once, through the supervisor's command path.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { REQUESTS_ANNOTATION, formatRequests, type ControlRequest, type HandledRequest } from '../../contract/control-request.js';
import { createProcMemoryReader } from '../memory-reader.js';
import { nodeProcessRunner } from '../process-runner.js';
import { Supervisor } from '../supervisor.js';
import { specOf, waitFor } from '../test-helpers.js';
import { ControlRequestHandler, type CorePodLike } from './control-requests.js';

const POD = 'shop-1';

function setup(t: TestContext) {
  const spec = specOf({
    programs: [
      { name: 'web', command: ['sleep', '300'], startSeconds: 0 },
      { name: 'worker', command: ['sleep', '300'], startSeconds: 0 },
    ] as never,
  });
  const supervisor = new Supervisor({ spec, runner: nodeProcessRunner, memory: createProcMemoryReader() });
  const reports: (readonly HandledRequest[])[] = [];
  const handler = new ControlRequestHandler({ podName: POD, control: supervisor, report: (h) => reports.push(h) });
  t.after(() => supervisor.shutdown('test over', 0, 5000));
  supervisor.start();
  return { supervisor, handler, reports };
}

const pidOf = (s: Supervisor, name: string) => s.snapshot().find((p) => p.name === name)?.pid;
const stateOf = (s: Supervisor, name: string) => s.snapshot().find((p) => p.name === name)?.state;
const request = (id: string, extra: Partial<ControlRequest> = {}): ControlRequest => ({
  id,
  action: 'restart',
  programs: ['web'],
  pods: [POD],
  createdAt: new Date().toISOString(),
  ...extra,
});
const corePod = (requests: ControlRequest[], handled: HandledRequest[] = []): CorePodLike => ({
  metadata: { annotations: { [REQUESTS_ANNOTATION]: formatRequests(requests) } },
  status: { pods: [{ name: POD, handledRequests: handled }] },
});

test('a restart request restarts that program once, however often the CorePod is seen again', async (t) => {
  const { supervisor, handler, reports } = setup(t);
  await waitFor('both running', () => stateOf(supervisor, 'web') === 'RUNNING' && stateOf(supervisor, 'worker') === 'RUNNING');
  const web = pidOf(supervisor, 'web');
  const worker = pidOf(supervisor, 'worker');
  const object = corePod([request('r1')]);
  handler.observe(object);
  handler.observe(object);
  await handler.idle();
  handler.observe(object);
  await handler.idle();
  assert.notEqual(pidOf(supervisor, 'web'), web);
  assert.equal(pidOf(supervisor, 'worker'), worker);
  assert.equal(reports.length, 1);
  assert.deepEqual(
    reports[0]!.map((h) => h.id),
    ['r1'],
  );
  assert.deepEqual(reports[0]![0]!.results, [{ name: 'web', ok: true, state: 'RUNNING', pid: pidOf(supervisor, 'web') }]);
});

test('stop, start and signal go through the supervisor; requests for other pods and unknown programs are reported or left', async (t) => {
  const { supervisor, handler, reports } = setup(t);
  await waitFor('web running', () => stateOf(supervisor, 'web') === 'RUNNING');
  const requests = [request('s1', { action: 'stop' }), request('other', { pods: ['shop-2'] })];
  handler.observe(corePod(requests));
  await handler.idle();
  assert.equal(stateOf(supervisor, 'web'), 'STOPPED');
  requests.push(request('s2', { action: 'start' }), request('s3', { action: 'signal', signal: 'KILL', programs: ['worker'] }), request('s4', { programs: ['nope'] }));
  handler.observe(corePod(requests));
  await handler.idle();
  assert.equal(stateOf(supervisor, 'web'), 'RUNNING');
  await waitFor('worker killed by the signal and restarted', () => (supervisor.snapshot().find((p) => p.name === 'worker')?.restarts ?? 0) >= 1);
  const last = reports.at(-1)!;
  assert.deepEqual(
    last.map((h) => h.id),
    ['s1', 's2', 's3', 's4'],
  );
  assert.equal(last[2]!.results[0]!.ok, true);
  assert.deepEqual(last[3]!.results, [{ name: 'nope', ok: false, state: 'STOPPED', error: 'NO_SUCH_PROGRAM', message: 'no program named "nope"' }]);
});

test('a restarted sidecar-init does not act again on what its status entry says it handled', async (t) => {
  const { supervisor, handler, reports } = setup(t);
  await waitFor('web running', () => stateOf(supervisor, 'web') === 'RUNNING');
  const web = pidOf(supervisor, 'web');
  handler.observe(corePod([request('before')], [{ id: 'before', completedAt: new Date().toISOString(), results: [] }]));
  await handler.idle();
  assert.equal(pidOf(supervisor, 'web'), web);
  assert.deepEqual(reports, []);
  assert.deepEqual(
    handler.handledRequests().map((h) => h.id),
    ['before'],
  );
});
