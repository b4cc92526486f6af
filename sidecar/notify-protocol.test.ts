import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNotify } from './notify-protocol.js';

test('parseNotify: each variable CorePod reads, alone and together', () => {
  const cases: [string, ReturnType<typeof parseNotify>][] = [
    ['READY=1', { ready: true }],
    ['READY=0', {}],
    ['READY=1\nSTATUS=Listening on :8080', { ready: true, status: 'Listening on :8080' }],
    ['STATUS=a=b, c', { status: 'a=b, c' }],
    ['STATUS=', { status: '' }],
    ['STOPPING=1', { stopping: true }],
    ['RELOADING=1', { reloading: true }],
    ['MAINPID=4242', { mainPid: 4242 }],
    ['MAINPID=0', {}],
    ['MAINPID=-3', {}],
    ['MAINPID=12x', {}],
    ['WATCHDOG=1', { watchdog: 'ping' }],
    ['WATCHDOG=trigger', { watchdog: 'trigger' }],
    ['WATCHDOG=2', {}],
    ['EXTEND_TIMEOUT_USEC=5000000', { extendTimeoutMs: 5000 }],
    ['EXTEND_TIMEOUT_USEC=1', { extendTimeoutMs: 1 }],
    ['EXTEND_TIMEOUT_USEC=soon', {}],
    ['FDSTORE=1\nERRNO=2\ngarbage\n=1\n\nREADY=1\n', { ready: true }],
    ['STATUS=first\nSTATUS=last', { status: 'last' }],
  ];
  for (const [datagram, expected] of cases) assert.deepEqual(parseNotify(datagram), expected, JSON.stringify(datagram));
});
