import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_REQUESTS,
  REQUEST_MAX_AGE_MS,
  RequestProblem,
  addRequest,
  formatRequests,
  outcomes,
  parseRequests,
  pendingFor,
  recordHandled,
  settled,
  type ControlRequest,
} from './control-request.js';

const T0 = Date.parse('2026-12-03T12:00:00Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const request = (id: string, extra: Partial<ControlRequest> = {}): ControlRequest => ({
  id,
  action: 'restart',
  programs: ['web'],
  pods: ['shop-1'],
  createdAt: at(0),
  ...extra,
});

test('a list of requests survives format and parse unchanged', () => {
  const list = [request('a'), request('b', { action: 'signal', signal: 'HUP', programs: ['all'], pods: ['shop-1', 'shop-2'] })];
  assert.deepEqual(parseRequests(formatRequests(list)), { requests: list, problems: [] });
});

test('no annotation, or an empty one, is no request', () => {
  assert.deepEqual(parseRequests(undefined), { requests: [], problems: [] });
  assert.deepEqual(parseRequests('  '), { requests: [], problems: [] });
});

test('bad entries are left out, each problem naming the exact field; the good ones stay', () => {
  const text = JSON.stringify([
    request('good'),
    { ...request('x'), action: 'reload' },
    { ...request('y'), programs: ['web', 'Bad_Name'] },
    { ...request('z'), action: 'signal' },
    { ...request('w'), signal: 'HUP' },
    { ...request('v'), pods: [] },
    { ...request('u'), programs: ['all', 'web'] },
    { ...request('good') },
    { ...request('t'), extra: 1 },
    { ...request('s'), createdAt: 'yesterday' },
    { ...request('UPPER') },
  ]);
  const { requests, problems } = parseRequests(text);
  assert.deepEqual(
    requests.map((r) => r.id),
    ['good'],
  );
  const p = "metadata.annotations['corepod.dreamscape.io/requests']";
  assert.deepEqual(problems, [
    `${p}[1].action: expected one of start, stop, restart, signal`,
    `${p}[2].programs[1]: expected a program name`,
    `${p}[3].signal: expected a signal name such as HUP`,
    `${p}[4].signal: only for action signal`,
    `${p}[5].pods: expected a non-empty list of pod names`,
    `${p}[6].programs: "all" stands alone`,
    `${p}[7].id: "good" is used twice`,
    `${p}[8].extra: unknown field`,
    `${p}[9].createdAt: expected an RFC 3339 time`,
    `${p}[10].id: expected lower-case letters, digits and dashes (at most 64)`,
  ]);
});

test('an annotation that is not a JSON array is one problem at the annotation', () => {
  assert.match(parseRequests('{').problems[0]!, /^metadata\.annotations\['corepod\.dreamscape\.io\/requests'\]: not JSON/);
  assert.deepEqual(parseRequests('{"id":"a"}').problems, ["metadata.annotations['corepod.dreamscape.io/requests']: expected a JSON array"]);
});

test('adding drops requests older than the maximum age, then the oldest beyond the maximum count', () => {
  const old = request('old', { createdAt: at(0) });
  const recent = request('recent', { createdAt: at(REQUEST_MAX_AGE_MS) });
  const added = addRequest([old, recent], request('new', { createdAt: at(REQUEST_MAX_AGE_MS + 1) }), T0 + REQUEST_MAX_AGE_MS + 1);
  assert.deepEqual(
    added.map((r) => r.id),
    ['recent', 'new'],
  );
  const many = Array.from({ length: MAX_REQUESTS }, (_, i) => request(`r${i}`));
  const capped = addRequest(many, request('last'), T0);
  assert.equal(capped.length, MAX_REQUESTS);
  assert.deepEqual(
    capped.slice(-2).map((r) => r.id),
    [`r${MAX_REQUESTS - 1}`, 'last'],
  );
  assert.equal(capped[0]!.id, 'r1');
});

test('adding refuses an invalid request or a used id, naming the field', () => {
  assert.throws(
    () => addRequest([], request('a', { programs: [] }), T0),
    (e) => e instanceof RequestProblem && /^request\.programs:/.test(e.message),
  );
  assert.throws(() => addRequest([request('a')], request('a'), T0), /request\.id: "a" is already used/);
});

test('a pod acts on the requests that name it and that it has not handled, in order', () => {
  const list = [request('a'), request('b', { pods: ['shop-2'] }), request('c', { pods: ['shop-1', 'shop-2'] })];
  assert.deepEqual(
    pendingFor('shop-1', list, new Set()).map((r) => r.id),
    ['a', 'c'],
  );
  assert.deepEqual(
    pendingFor('shop-1', list, new Set(['a'])).map((r) => r.id),
    ['c'],
  );
  assert.deepEqual(pendingFor('shop-3', list, new Set()), []);
});

test('the handled list keeps the newest entries, one per id', () => {
  let handled = recordHandled([], { id: 'a', completedAt: at(0), results: [] });
  handled = recordHandled(handled, { id: 'a', completedAt: at(1), results: [] });
  assert.deepEqual(
    handled.map((h) => h.completedAt),
    [at(1)],
  );
  for (let i = 0; i < MAX_REQUESTS + 3; i++) handled = recordHandled(handled, { id: `h${i}`, completedAt: at(i), results: [] });
  assert.equal(handled.length, MAX_REQUESTS);
  assert.equal(handled.at(-1)!.id, `h${MAX_REQUESTS + 2}`);
});

test('outcomes: done per pod that reported the id, pending while its entry exists, gone once it left status.pods', () => {
  const r = { id: 'a', pods: ['p1', 'p2', 'p3'] };
  const handled = { id: 'a', completedAt: at(0), results: [{ name: 'web', ok: true, state: 'RUNNING' }] };
  const found = outcomes(r, [
    { name: 'p1', handledRequests: [handled] },
    { name: 'p2', handledRequests: [{ ...handled, id: 'other' }] },
  ]);
  assert.deepEqual(found, [
    { pod: 'p1', done: true, handled },
    { pod: 'p2', done: false, gone: false },
    { pod: 'p3', done: false, gone: true },
  ]);
  assert.equal(settled(found), false);
  assert.equal(settled(found.filter((o) => o.pod !== 'p2')), true);
});
