import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProcessStateName } from '../crds/corepod-schema.js';
import { processReadiness, type ReadinessFacts, type ReadinessSpec } from './readiness.js';

const service: ReadinessSpec = { autostart: true, autorestart: true, exitCodes: [0] };
const required = { ...service, healthCheck: { required: true } };
const optional = { ...service, healthCheck: { required: false } };
const oneshot: ReadinessSpec = { autostart: true, autorestart: false, exitCodes: [0] };

const ready = (facts: ReadinessFacts, spec: ReadinessSpec, waiting = false) => processReadiness(facts, spec, waiting).ready;

test('a RUNNING program: ready without a check; with a required one only once it has passed', () => {
  // healthy as the state machine keeps it: undefined before a first counted result (also while
  // failing below failureThreshold before a first pass), true after a pass (and while failing
  // below the threshold after it), false once failures reach the threshold.
  const cases: [string, ReadinessSpec, boolean | undefined, boolean][] = [
    ['no check', service, undefined, true],
    ['required, not yet run', required, undefined, false],
    ['required, passing', required, true, true],
    ['required, failing below the threshold after a pass', required, true, true],
    ['required, failing at the threshold', required, false, false],
    ['not required, not yet run', optional, undefined, true],
    ['not required, failing at the threshold', optional, false, true],
  ];
  for (const [name, spec, healthy, expected] of cases) {
    assert.equal(ready({ state: 'RUNNING', healthy }, spec), expected, name);
  }
  assert.deepEqual(processReadiness({ state: 'RUNNING' }, required), { ready: false, cause: 'health' });
});

test('a program that is not up is not ready, whatever its check said last', () => {
  for (const state of ['STARTING', 'BACKOFF', 'STOPPING', 'FATAL', 'EXITED', 'STOPPED'] as ProcessStateName[]) {
    for (const spec of [service, required, optional]) {
      for (const healthy of [undefined, true, false]) {
        assert.deepEqual(processReadiness({ state, healthy, lastExitCode: 1 }, spec), { ready: false, cause: 'state' }, `${state} ${healthy}`);
      }
    }
  }
});

test('a oneshot is ready once it finished as expected, and only then', () => {
  assert.equal(ready({ state: 'EXITED', lastExitCode: 0 }, oneshot), true);
  assert.equal(ready({ state: 'EXITED', lastExitCode: 3 }, { ...oneshot, exitCodes: [0, 3] }), true);
  assert.equal(ready({ state: 'EXITED', lastExitCode: 1 }, oneshot), false, 'unexpected exit code');
  assert.equal(ready({ state: 'EXITED', lastSignal: 'SIGKILL' }, oneshot), false, 'killed');
  assert.equal(ready({ state: 'EXITED' }, oneshot), false, 'no exit recorded');
  assert.equal(ready({ state: 'EXITED', lastExitCode: 0 }, { ...oneshot, autorestart: 'unexpected' }), true, 'autorestart unexpected, expected exit: stays down');
  assert.equal(ready({ state: 'EXITED', lastExitCode: 0 }, service), false, 'autorestart true: about to restart');
  assert.equal(ready({ state: 'STARTING' }, oneshot), false);
  assert.equal(ready({ state: 'FATAL' }, oneshot), false);
});

test('a program not meant to run is ready while stopped, unless it waits to be started', () => {
  const manual = { ...service, autostart: false };
  assert.equal(ready({ state: 'STOPPED' }, manual), true);
  assert.equal(ready({ state: 'STOPPED' }, manual, true), false);
  assert.equal(ready({ state: 'STOPPED' }, service), false);
});

test('a scheduled program is ready in every state: its runs come and go, and their failures are reported as Events', () => {
  const scheduled: ReadinessSpec = { ...oneshot, schedule: { cron: '@daily' } };
  for (const state of ['STOPPED', 'STARTING', 'RUNNING', 'BACKOFF', 'STOPPING', 'EXITED', 'FATAL'] as ProcessStateName[]) {
    assert.equal(ready({ state, lastExitCode: 1 }, scheduled), true, state);
  }
});
