// Fuzzing the control API's request parser: any method and request target give a route with values
// in range or a 400/404/405 with a short message, never an exception; and every route the CLI can
// ask for parses back into itself, whatever the program's name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MAX_TIMER_MS } from '../lib/clock.js';
import { fuzzParameters } from '../lib/fuzz-runs.js';
import { parseControlRequest, type ControlRoute } from './control-request.js';

const METHODS = fc.oneof(fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'get', ''), fc.string({ maxLength: 10 }));
const SEGMENTS = ['v1', 'programs', 'status', 'health', 'events', 'all', 'app', 'start', 'stop', 'restart', 'signal', 'log', '%', '%E0%A4', '%2F', '..', '.', '', '%00', '?', '#'];
const QUERY = ['timeoutMs', 'signal', 'bytes', 'stream', 'follow'];
const target = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc
    .tuple(
      fc.array(fc.oneof(fc.constantFrom(...SEGMENTS), fc.string({ maxLength: 6 })), { maxLength: 6 }),
      fc.array(
        fc.tuple(
          fc.constantFrom(...QUERY),
          fc.oneof(fc.constantFrom('', '-1', '1e9', '1.5', 'NaN', '99999999999999999999', 'HUP', '9', 'stderr', '1'), fc.string({ maxLength: 6 })),
        ),
        {
          maxLength: 3,
        },
      ),
      fc.constantFrom('/', '//', ''),
    )
    .map(([segments, query, lead]) => `${lead}${segments.join('/')}${query.length > 0 ? `?${query.map(([k, v]) => `${k}=${v}`).join('&')}` : ''}`),
);

function assertInRange(route: ControlRoute): void {
  switch (route.kind) {
    case 'action':
      assert.ok(Number.isSafeInteger(route.timeoutMs) && route.timeoutMs >= 0 && route.timeoutMs <= MAX_TIMER_MS, `timeoutMs ${route.timeoutMs}`);
      break;
    case 'log':
      assert.ok(Number.isSafeInteger(route.bytes) && route.bytes >= 0, `bytes ${route.bytes}`);
      break;
    default:
      break;
  }
}

test('fuzz: any method and request target parse into a route in range or a 400/404/405', () => {
  fc.assert(
    fc.property(METHODS, target, (method, url) => {
      const parsed = parseControlRequest(method, url);
      if (parsed.ok) assertInRange(parsed.route);
      else {
        assert.ok([400, 404, 405].includes(parsed.status));
        assert.ok(parsed.error.length > 0 && parsed.error.length < 300, parsed.error);
      }
    }),
    fuzzParameters(1000),
  );
});

/** The request target the CLI sends for a route (cli/program-action.ts, signal-command.ts, tail-command.ts). */
function cliTarget(route: Extract<ControlRoute, { kind: 'action' | 'signal' | 'log' }>): string {
  if (route.kind === 'action') return `/v1/programs/${encodeURIComponent(route.target)}/${route.action}?timeoutMs=${route.timeoutMs}`;
  if (route.kind === 'signal') return `/v1/programs/${encodeURIComponent(route.target)}/signal?signal=${route.signal}`;
  return `/v1/programs/${encodeURIComponent(route.name)}/log?stream=${route.stream}&bytes=${route.bytes}${route.follow ? '&follow=1' : ''}`;
}

test('fuzz: every route the CLI asks for parses back into itself, whatever the name', () => {
  const name = fc.string({ minLength: 1, maxLength: 30, unit: 'grapheme' });
  const route = fc.oneof(
    fc.record({
      kind: fc.constant('action' as const),
      action: fc.constantFrom('start' as const, 'stop' as const, 'restart' as const),
      target: name,
      timeoutMs: fc.nat({ max: MAX_TIMER_MS }),
    }),
    fc.record({ kind: fc.constant('signal' as const), target: name, signal: fc.constantFrom('HUP' as const, 'TERM' as const, 'USR1' as const, 'KILL' as const) }),
    fc.record({ kind: fc.constant('log' as const), name, stream: fc.constantFrom('stdout' as const, 'stderr' as const), bytes: fc.nat(), follow: fc.boolean() }),
  );
  fc.assert(
    fc.property(route, (expected) => {
      assert.deepEqual(parseControlRequest(expected.kind === 'log' ? 'GET' : 'POST', cliTarget(expected)), { ok: true, route: { ...expected } });
    }),
    fuzzParameters(1000),
  );
});

// Crashes the fuzzer found, kept as regression tests (each was a 500 with an exception's text).

test('regression (fuzz): a malformed percent-encoding in a program name is a 400', () => {
  assert.deepEqual(parseControlRequest('POST', '/v1/programs/%E0%A4/start'), { ok: false, status: 400, error: 'malformed percent-encoding in "/v1/programs/%E0%A4/start"' });
});

test('regression (fuzz): a target that is not a path (another host, an absolute URL) is a 400', () => {
  for (const url of ['//[', 'http://other/v1/status', '*'])
    assert.deepEqual(parseControlRequest('GET', url), { ok: false, status: 400, error: `malformed request target "${url}"` });
});

test('regression (fuzz): timeoutMs and bytes are whole non-negative counts within what a timer can wait', () => {
  assert.deepEqual(parseControlRequest('POST', '/v1/programs/app/stop?timeoutMs=-1'), { ok: false, status: 400, error: 'timeoutMs: expected milliseconds, got "-1"' });
  assert.deepEqual(parseControlRequest('POST', '/v1/programs/app/stop?timeoutMs=99999999999999'), {
    ok: true,
    route: { kind: 'action', action: 'stop', target: 'app', timeoutMs: MAX_TIMER_MS },
  });
  assert.deepEqual(parseControlRequest('GET', '/v1/programs/app/log?bytes=1e3'), { ok: false, status: 400, error: 'bytes: expected a byte count, got "1e3"' });
});

test('a known path with the wrong method is a 405', () => {
  assert.deepEqual(parseControlRequest('POST', '/v1/status'), { ok: false, status: 405, error: '/v1/status takes GET, not POST' });
  assert.deepEqual(parseControlRequest('GET', '/v1/programs/app/restart'), { ok: false, status: 405, error: '/v1/programs/app/restart takes POST, not GET' });
});

test('regression (fuzz): a program named "." or ".." is a name, not a step up the path', () => {
  assert.deepEqual(parseControlRequest('POST', '/v1/programs/../stop'), { ok: true, route: { kind: 'action', action: 'stop', target: '..', timeoutMs: 60_000 } });
});
