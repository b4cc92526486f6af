// The status reporter against the in-memory API: what it sends when the installed CRD is older than
// the sidecar-init and refuses the pod facts (live reconfiguration's generation and conditions).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeKubeApi } from '../../kube/fake-kube-api.js';
import { ApiError, type KubeObject } from '../../kube/kube-api.js';
import { RESOURCES } from '../../kube/resources.js';
import { FakeClock } from '../../lib/fake-clock.js';
import type { CorePodStatus, ProcessStateName } from '../../crds/corepod-schema.js';
import type { ProcessStateEvent } from '../event-hub.js';
import { StatusReporter } from './status-reporter.js';

const identity = { podName: 'web-1', namespace: 'shop', corePodName: 'web' };
const processes = [{ name: 'a', state: 'RUNNING' as const, restarts: 0, since: '2026-01-01T00:00:00Z' }];

test('an older CRD that refuses status.pods[].generation: the processes are reported without it, and it is tried again later', async () => {
  const clock = new FakeClock(1_700_000_000_000);
  const api = new FakeKubeApi({ clock });
  await api.create(RESOURCES.corePod, { apiVersion: 'dreamscape.io/v1alpha1', kind: 'CorePod', metadata: { name: 'web', namespace: 'shop' }, spec: {} });
  const reporter = new StatusReporter({ api, identity, clock, source: { snapshot: () => processes }, facts: () => ({ generation: 3 }) });
  const entry = () => api.peek<KubeObject & { status?: CorePodStatus }>(RESOURCES.corePod, 'shop', 'web')?.status?.pods?.[0];

  api.failNext(
    'apply',
    new ApiError(
      500,
      'InternalError',
      'failed to create typed patch object (shop/web; dreamscape.io/v1alpha1, Kind=CorePod): .status.pods[name="web-1"].generation: field not declared in schema',
    ),
  );
  assert.equal(await reporter.flush(), 'done');
  assert.deepEqual([entry()?.name, entry()?.processes.length, entry()?.generation], ['web-1', 1, undefined], 'the processes went out without the generation');

  clock.advance(16_000);
  reporter.refresh();
  assert.equal(await reporter.flush(), 'done');
  assert.equal(entry()?.generation, 3, 'once the CRD knows the field, the generation is reported');

  api.failNext('apply', 503);
  reporter.refresh();
  assert.equal(await reporter.flush(), 'done', 'nothing changed: no patch to fail');
  reporter.stop();
});

test('the pod becoming ready is reported at once; other changes wait for the coalescing window', async () => {
  const clock = new FakeClock(1_700_000_000_000);
  const api = new FakeKubeApi({ clock });
  await api.create(RESOURCES.corePod, { apiVersion: 'dreamscape.io/v1alpha1', kind: 'CorePod', metadata: { name: 'web', namespace: 'shop' }, spec: {} });
  let state: 'STARTING' | 'RUNNING' = 'STARTING';
  const source = { snapshot: () => [{ ...processes[0]!, state }], ready: () => state === 'RUNNING' };
  const reporter = new StatusReporter({ api, identity, clock, source });
  const reported = () => api.peek<KubeObject & { status?: CorePodStatus }>(RESOURCES.corePod, 'shop', 'web')?.status?.pods?.[0]?.processes[0]?.state;
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  const changed = (from: ProcessStateName, to: ProcessStateName): ProcessStateEvent => ({
    type: 'process-state',
    time: '2026-01-01T00:00:00Z',
    program: 'a',
    status: source.snapshot()[0]!,
    from,
    to,
    restarts: 0,
  });
  reporter.start();
  reporter.deliver(changed('STOPPED', 'STARTING'));
  clock.advance(100);
  await settle();
  assert.equal(reported(), undefined, 'a change that leaves the pod unready waits');
  state = 'RUNNING';
  reporter.deliver(changed('STARTING', 'RUNNING'));
  await settle();
  assert.equal(reported(), 'RUNNING', 'ready: sent without waiting for the window');
  reporter.stop();
});
