// Fuzzing the sd_notify parser: any datagram, and datagrams of real and near-miss assignments, give
// a message whose every field is in range (a pid Linux can have, a timer length, one status line);
// never an exception.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fuzzParameters } from '../lib/fuzz-runs.js';
import { parseNotify, type NotifyMessage } from './notify-protocol.js';

function assertInRange(message: NotifyMessage): void {
  const allowed = new Set(['ready', 'reloading', 'stopping', 'status', 'mainPid', 'watchdog', 'extendTimeoutMs']);
  for (const key of Object.keys(message)) assert.ok(allowed.has(key), `unexpected field ${key}`);
  if (message.ready !== undefined) assert.equal(message.ready, true);
  if (message.reloading !== undefined) assert.equal(message.reloading, true);
  if (message.stopping !== undefined) assert.equal(message.stopping, true);
  if (message.status !== undefined) assert.ok(typeof message.status === 'string' && !message.status.includes('\n'));
  if (message.mainPid !== undefined) assert.ok(Number.isSafeInteger(message.mainPid) && message.mainPid > 0 && message.mainPid <= 2 ** 22, `mainPid ${message.mainPid}`);
  if (message.watchdog !== undefined) assert.ok(message.watchdog === 'ping' || message.watchdog === 'trigger');
  if (message.extendTimeoutMs !== undefined) assert.ok(Number.isSafeInteger(message.extendTimeoutMs) && message.extendTimeoutMs >= 0, `extendTimeoutMs ${message.extendTimeoutMs}`);
}

const NAMES = ['READY', 'RELOADING', 'STOPPING', 'STATUS', 'MAINPID', 'WATCHDOG', 'EXTEND_TIMEOUT_USEC', 'FDSTORE', 'ERRNO', 'ready', ' READY', 'READY '];
const VALUE = fc.oneof(
  fc.constantFrom('1', '0', 'trigger', '', '-1', '+1', '1.5', '0x10', ' 1', '1 ', '4194304', '4194305', '18446744073709551615', '9'.repeat(400)),
  fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const assignment = fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom('=', '==', ''), VALUE).map(([name, eq, value]) => `${name}${eq}${value}`);

test('fuzz: any datagram parses into fields in range', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 })), (datagram) => assertInRange(parseNotify(datagram))),
    fuzzParameters(500),
  );
});

test('fuzz: datagrams of real and near-miss assignments parse into fields in range, the last STATUS winning', () => {
  fc.assert(
    fc.property(fc.array(assignment, { maxLength: 12 }), fc.constantFrom('\n', '\r\n', '\n\n'), (lines, separator) => {
      const datagram = lines.join(separator);
      const message = parseNotify(datagram);
      assertInRange(message);
      const statuses = datagram.split('\n').filter((line) => line.startsWith('STATUS='));
      assert.equal(message.status, statuses.length > 0 ? statuses[statuses.length - 1]!.slice('STATUS='.length) : undefined);
    }),
    fuzzParameters(500),
  );
});

// Crashes the fuzzer found, kept as regression tests.

test('regression (fuzz): EXTEND_TIMEOUT_USEC beyond a double is a long timeout, not Infinity (which a timer fires at once)', () => {
  assert.deepEqual(parseNotify(`EXTEND_TIMEOUT_USEC=${'9'.repeat(400)}`), { extendTimeoutMs: Number.MAX_SAFE_INTEGER });
  assert.deepEqual(parseNotify('EXTEND_TIMEOUT_USEC=18446744073709551615'), { extendTimeoutMs: Number.MAX_SAFE_INTEGER });
  assert.deepEqual(parseNotify('EXTEND_TIMEOUT_USEC=5000000'), { extendTimeoutMs: 5000 });
});

test('regression (fuzz): MAINPID beyond what Linux can give out is ignored', () => {
  assert.deepEqual(parseNotify('MAINPID=4194304'), { mainPid: 4194304 });
  assert.deepEqual(parseNotify('MAINPID=4194305'), {});
  assert.deepEqual(parseNotify(`MAINPID=${'9'.repeat(30)}`), {});
});
