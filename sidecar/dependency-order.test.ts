import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DependencyCondition } from '../crds/corepod-schema.js';
import { dependencyVerdict, startable, stopWaves, type DependencyFacts } from './dependency-order.js';

const p = (name: string, priority: number, dependsOn: string[] = []) => ({ name, priority, dependsOn: dependsOn.map((d) => ({ name: d, condition: 'Ready' as const })) });
const names = (list: { name: string }[]) => list.map((x) => x.name);

test('startable: programs without dependencies start at once, by ascending priority', () => {
  assert.deepEqual(names(startable([p('web', 30), p('auth', 10), p('user', 20)], () => false)), ['auth', 'user', 'web']);
});

test('startable: a program waits until every dependency is ready', () => {
  const waiting = [p('nginx', 30, ['auth', 'user']), p('user', 20, ['auth'])];
  assert.deepEqual(names(startable(waiting, () => false)), []);
  assert.deepEqual(names(startable(waiting, (d) => d.name === 'auth')), ['user']);
  assert.deepEqual(names(startable(waiting, () => true)), ['user', 'nginx']);
});

test('startable: priority is only a tiebreaker, it does not hold back a program whose dependencies are ready', () => {
  const waiting = [p('late', 1, ['slow']), p('free', 50)];
  assert.deepEqual(names(startable(waiting, () => false)), ['free']);
});

test('stopWaves: reverse priority, programs of equal priority together', () => {
  const waves = stopWaves([p('a', 10), p('b', 20), p('c', 20), p('d', 30)]);
  assert.deepEqual(waves.map(names), [['d'], ['b', 'c'], ['a']]);
});

test('stopWaves: dependents stop before their dependencies whatever their priority', () => {
  // db has the higher priority but web depends on it, so web stops first.
  const waves = stopWaves([p('db', 50), p('web', 10, ['db'])]);
  assert.deepEqual(waves.map(names), [['web'], ['db']]);
});

test('stopWaves: a cycle falls back to priority order instead of hanging', () => {
  const waves = stopWaves([p('x', 1, ['y']), p('y', 2, ['x'])]);
  assert.deepEqual(waves.map(names), [['y'], ['x']]);
});

const facts = (over: Partial<DependencyFacts> = {}): DependencyFacts => ({
  state: 'STOPPED',
  pid: undefined,
  healthy: undefined,
  hasHealthCheck: false,
  lastExit: undefined,
  exitCodes: [0],
  ...over,
});
const exited = (code: number | null, signal: string | null = null) => facts({ state: 'EXITED', lastExit: { code, signal } });

test('dependencyVerdict: each condition against each state of the program depended on', () => {
  const cases: [DependencyCondition, DependencyFacts, string][] = [
    ['Started', facts(), 'waiting'],
    ['Started', facts({ state: 'STARTING' }), 'waiting'],
    ['Started', facts({ state: 'STARTING', pid: 7 }), 'satisfied'],
    ['Started', facts({ state: 'RUNNING', pid: 7 }), 'satisfied'],
    ['Started', exited(1), 'satisfied'],
    ['Started', facts({ state: 'BACKOFF' }), 'waiting'],
    ['Ready', facts({ state: 'STARTING', pid: 7 }), 'waiting'],
    ['Ready', facts({ state: 'RUNNING', pid: 7 }), 'satisfied'],
    ['Ready', facts({ state: 'RUNNING', pid: 7, hasHealthCheck: true }), 'waiting'],
    ['Ready', facts({ state: 'RUNNING', pid: 7, hasHealthCheck: true, healthy: false }), 'waiting'],
    ['Ready', facts({ state: 'RUNNING', pid: 7, hasHealthCheck: true, healthy: true }), 'satisfied'],
    ['Ready', exited(0), 'failed: it exited with 0 and is not restarted'],
    ['Completed', facts({ state: 'RUNNING', pid: 7 }), 'waiting'],
    ['Completed', exited(3), 'satisfied'],
    ['Completed', exited(null, 'SIGKILL'), 'satisfied'],
    ['CompletedSuccessfully', facts({ state: 'RUNNING', pid: 7 }), 'waiting'],
    ['CompletedSuccessfully', facts({ state: 'BACKOFF' }), 'waiting'],
    ['CompletedSuccessfully', exited(0), 'satisfied'],
    ['CompletedSuccessfully', { ...exited(2), exitCodes: [0, 2] }, 'satisfied'],
    ['CompletedSuccessfully', exited(1), 'failed: it exited with 1, not an exit code in its exitCodes'],
    ['CompletedSuccessfully', exited(null, 'SIGTERM'), 'failed: it was killed by SIGTERM, not an exit code in its exitCodes'],
  ];
  for (const condition of ['Started', 'Ready', 'Completed', 'CompletedSuccessfully'] as const) cases.push([condition, facts({ state: 'FATAL' }), 'failed: it is FATAL']);
  for (const [condition, f, expected] of cases) {
    const v = dependencyVerdict(condition, f);
    assert.equal(v.verdict === 'failed' ? `failed: ${v.reason}` : v.verdict, expected, `${condition} on ${JSON.stringify(f)}`);
  }
});

test('startable: the predicate sees each dependency with its condition', () => {
  const web = {
    name: 'web',
    priority: 1,
    dependsOn: [
      { name: 'migrate', condition: 'CompletedSuccessfully' as const },
      { name: 'db', condition: 'Started' as const },
    ],
  };
  const seen: string[] = [];
  startable([web], (d) => {
    seen.push(`${d.name}:${d.condition}`);
    return true;
  });
  assert.deepEqual(seen, ['migrate:CompletedSuccessfully', 'db:Started']);
});
