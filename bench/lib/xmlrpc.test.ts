import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseProcessInfo } from './xmlrpc.js';
import { supervisordConf, supervisordWord } from './supervisord-conf.js';

const reply = `<?xml version='1.0'?>
<methodResponse><params><param><value><array><data>
<value><struct>
<member><name>name</name><value><string>a</string></value></member>
<member><name>pid</name><value><int>123</int></value></member>
<member><name>statename</name><value><string>RUNNING</string></value></member>
<member><name>description</name><value><string>pid 123, uptime 0:00:01</string></value></member>
</struct></value>
<value><struct>
<member><name>statename</name><value><string>BACKOFF</string></value></member>
<member><name>name</name><value><string>b</string></value></member>
<member><name>pid</name><value><int>0</int></value></member>
</struct></value>
</data></array></value></param></params></methodResponse>`;

test('parseProcessInfo reads name, state and pid of each process', () => {
  assert.deepEqual(parseProcessInfo(reply), [
    { name: 'a', statename: 'RUNNING', pid: 123 },
    { name: 'b', statename: 'BACKOFF', pid: 0 },
  ]);
});

test('parseProcessInfo reports a fault instead of an empty list', () => {
  assert.throws(
    () =>
      parseProcessInfo(
        '<methodResponse><fault><value><struct><member><name>faultString</name><value><string>SHUTDOWN_STATE</string></value></member></struct></value></fault></methodResponse>',
      ),
    /SHUTDOWN_STATE/,
  );
});

test('supervisord words are quoted for shlex and escape %', () => {
  assert.equal(supervisordWord('/bin/bash'), '/bin/bash');
  assert.equal(supervisordWord('echo $X; exit 3'), `'echo $X; exit 3'`);
  assert.equal(supervisordWord(`it's 100%`), `'it'"'"'s 100%%'`);
});

test('supervisordConf sets the same restart, stop and log settings as the CorePod spec', () => {
  const conf = supervisordConf(
    [
      {
        name: 'w',
        command: ['/bin/sh', '-c', 'exit 1'],
        startSeconds: 0,
        autorestart: true,
        priority: 10,
        stopSignal: 'QUIT',
        stdoutFile: '/tmp/w.log',
        maxBytes: 1024,
        backups: 3,
        env: { A: 'x"y' },
      },
    ],
    { dir: '/tmp/d', socket: '/tmp/d/s.sock', root: true },
  );
  assert.match(conf, /\[program:w\]\ncommand=\/bin\/sh -c 'exit 1'\nautostart=true\nautorestart=true\nstartsecs=0\n/);
  assert.match(conf, /priority=10\nstopsignal=QUIT\n/);
  assert.match(conf, /stopasgroup=true\nkillasgroup=true\n/);
  assert.match(conf, /environment=A="x\\"y"\n/);
  assert.match(conf, /stdout_logfile=\/tmp\/w\.log\nstdout_logfile_maxbytes=1024\nstdout_logfile_backups=3\n/);
  assert.match(conf, /^\[supervisord\]\nnodaemon=true\nuser=root\n/);
});
