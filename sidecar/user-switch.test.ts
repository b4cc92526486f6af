import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePasswd, planSwitch, resolveUser, userEnv } from './user-switch.js';

const passwd = parsePasswd(
  ['root:x:0:0:root:/root:/bin/bash', '# comment', 'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin', 'app:x:1000:1001::/home/app:/bin/sh', 'broken:x:abc'].join('\n'),
);

test('parsePasswd keeps well-formed entries only', () => {
  assert.deepEqual(
    passwd.map((e) => [e.name, e.uid, e.gid]),
    [
      ['root', 0, 0],
      ['nobody', 65534, 65534],
      ['app', 1000, 1001],
    ],
  );
});

test('resolveUser by name, by listed uid, by unlisted uid (gid = uid), unknown name', () => {
  assert.deepEqual(resolveUser('app', passwd), { name: 'app', uid: 1000, gid: 1001, home: '/home/app' });
  assert.deepEqual(resolveUser('65534', passwd), { name: 'nobody', uid: 65534, gid: 65534, home: '/nonexistent' });
  assert.deepEqual(resolveUser('4242', passwd), { name: undefined, uid: 4242, gid: 4242, home: undefined });
  assert.deepEqual(resolveUser('ghost', passwd), { error: 'no user named "ghost" in /etc/passwd' });
});

test('planSwitch: root uses setpriv with initgroups for listed users, clears groups for unlisted uids', () => {
  const app = resolveUser('app', passwd) as Exclude<ReturnType<typeof resolveUser>, { error: string }>;
  assert.deepEqual(planSwitch(app, 0, '/usr/bin/setpriv'), { kind: 'setpriv', prefix: ['/usr/bin/setpriv', '--reuid=1000', '--regid=1001', '--init-groups', '--'] });
  const anon = { name: undefined, uid: 4242, gid: 4242, home: undefined };
  assert.deepEqual(planSwitch(anon, 0, '/usr/bin/setpriv'), { kind: 'setpriv', prefix: ['/usr/bin/setpriv', '--reuid=4242', '--regid=4242', '--clear-groups', '--'] });
});

test('planSwitch: without setpriv Node switches uid/gid and says groups are cleared', () => {
  const plan = planSwitch({ name: 'app', uid: 1000, gid: 1001, home: undefined }, 0, undefined);
  assert.equal(plan.kind, 'spawn');
  assert.match(plan.kind === 'spawn' ? plan.warning : '', /supplementary groups are cleared/);
});

test('planSwitch: no switch to ourselves; a clear error when switching needs root', () => {
  assert.deepEqual(planSwitch({ name: 'app', uid: 1000, gid: 1001, home: undefined }, 1000, '/usr/bin/setpriv'), { kind: 'none' });
  assert.deepEqual(planSwitch({ name: 'root', uid: 0, gid: 0, home: '/root' }, 0, '/usr/bin/setpriv'), { kind: 'none' });
  assert.deepEqual(planSwitch({ name: 'nobody', uid: 65534, gid: 65534, home: undefined }, 1000, '/usr/bin/setpriv'), {
    kind: 'error',
    error: 'running as uid 65534 needs the supervisor to run as root (it runs as uid 1000)',
  });
});

test('userEnv sets HOME, USER and LOGNAME', () => {
  assert.deepEqual(userEnv({ name: 'app', uid: 1000, gid: 1001, home: '/home/app' }), { HOME: '/home/app', USER: 'app', LOGNAME: 'app' });
  assert.deepEqual(userEnv({ name: undefined, uid: 4242, gid: 4242, home: undefined }), {});
});
