// Supervision beyond supervisord (issue #16) seen where users see it, on the real cluster: a failed
// migration oneshot keeps its dependent waiting and says so in the CorePod's status, its conditions
// and an Event; a program's own READY=1/STATUS= (through the runtime's notify-socket helper) makes it
// RUNNING and shows its text; a scheduled program's runs show in status and a failed run is an Event.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildImages, IMAGES, processNamed, Stage, waitFor } from '../e2e/support/corepod-stage.js';
import { RUNTIME_MOUNT_PATH } from '../contract/sidecar-contract.js';

type Json = Record<string, any>;

let stage: Stage;

before(async () => {
  await buildImages(['sidecar', 'musl-busybox']);
  stage = await Stage.open('cp-supervision');
  await stage.apply('stack', {
    image: IMAGES.muslBusybox,
    imagePullPolicy: 'Never',
    programs: [
      { name: 'migrate', command: ['/bin/sh', '-c', 'echo migration 42 failed >&2; exit 3'], autorestart: false, startSeconds: 0, priority: 1 },
      { name: 'web', command: ['/bin/sleep', '100000'], startSeconds: 0, dependsOn: [{ name: 'migrate', condition: 'CompletedSuccessfully' }] },
      {
        name: 'db',
        command: ['/bin/sh', '-c', `sleep 1; ${RUNTIME_MOUNT_PATH}/bin/notify-socket --send "$(printf 'READY=1\\nSTATUS=accepting connections')"; exec sleep 100000`],
        notify: true,
      },
      { name: 'backup', command: ['/bin/sh', '-c', 'exit 1'], autorestart: false, startSeconds: 0, schedule: { cron: '* * * * *', timeZone: 'Europe/Paris' } },
    ],
  });
});

after(async () => {
  await stage?.close();
});

const condition = (cp: { status?: Json }, type: string) => (cp.status?.conditions as Json[] | undefined)?.find((c) => c.type === type);

test('a failed migration keeps web waiting: status reason DependencyFailed, Degraded condition, one Warning Event', async () => {
  const web = await stage.waitForCorePod('stack', 'web waiting on a failed dependency', (cp) => {
    const entry = processNamed(cp.status?.pods?.[0]?.processes, 'web');
    return entry?.reason === 'DependencyFailed' ? entry : undefined;
  });
  assert.equal(web.state, 'STOPPED');
  assert.equal(web.pid, undefined, 'web never started');
  assert.match(web.message ?? '', /migrate cannot become CompletedSuccessfully: it exited with 3/);
  const cp = await stage.waitForCorePod('stack', 'Degraded DependencyFailed', (view) => (condition(view, 'Degraded')?.reason === 'DependencyFailed' ? view : undefined));
  assert.match(condition(cp, 'Degraded')!.message, /waiting for a failed dependency: web in pod /);
  assert.equal(condition(cp, 'Ready')?.status, 'False');
  const events = await waitFor(
    'a DependencyFailed Event',
    async () => {
      const found = (await stage.events('stack')).filter((e) => e.reason === 'DependencyFailed');
      return found.length > 0 ? found : undefined;
    },
    90_000,
    500,
  );
  assert.equal(events.length, 1, 'reported once');
  assert.equal(events[0]!.type, 'Warning');
  assert.match(events[0]!.note, /web keeps waiting: migrate cannot become CompletedSuccessfully/);
});

test('a notify program is RUNNING once it said READY=1, and its STATUS= text is in the CorePod status', async () => {
  const db = await stage.waitForCorePod('stack', 'db RUNNING', (cp) => {
    const entry = processNamed(cp.status?.pods?.[0]?.processes, 'db');
    return entry?.state === 'RUNNING' ? entry : undefined;
  });
  assert.equal(db.notifyStatus, 'accepting connections');
  assert.equal(db.restarts, 0);
});

test('a scheduled program: its next run is in status before it runs; a failed run sets lastRunResult and is one Warning Event per run', async () => {
  const before = await stage.waitForCorePod('stack', 'backup next run', (cp) => processNamed(cp.status?.pods?.[0]?.processes, 'backup')?.nextScheduleTime);
  const due = Date.parse(before);
  assert.ok(due > Date.now() - 60_000 && due <= Date.now() + 60_000, `next run ${before} is within the minute`);
  assert.equal(new Date(due).getUTCSeconds(), 0, 'runs are due on the minute');
  const ran = await stage.waitForCorePod(
    'stack',
    'backup ran and failed',
    (cp) => {
      const entry = processNamed(cp.status?.pods?.[0]?.processes, 'backup');
      return entry?.lastRunResult === 'Failed' ? entry : undefined;
    },
    150_000,
  );
  assert.ok(Date.parse(ran.nextScheduleTime!) > Date.parse(ran.lastScheduleTime!), 'the next run is after the last one');
  assert.equal(ran.lastSuccessfulTime, undefined);
  const failures = await waitFor(
    'a ScheduledRunFailed Event',
    async () => {
      const found = (await stage.events('stack')).filter((e) => e.reason === 'ScheduledRunFailed');
      return found.length > 0 ? found : undefined;
    },
    90_000,
    500,
  );
  assert.equal(failures[0]!.type, 'Warning');
  assert.match(failures[0]!.note, /backup: the run due at .* failed: exited with 1/);
  const states = (await stage.events('stack')).filter((e) => e.note?.startsWith('backup') && e.reason !== 'ScheduledRunFailed');
  assert.deepEqual(states, [], 'its state changes make no Events');
});
