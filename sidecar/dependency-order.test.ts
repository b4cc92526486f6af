import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startable, stopWaves } from './dependency-order.js';

const p = (name: string, priority: number, dependsOn: string[] = []) => ({ name, priority, dependsOn });
const names = (list: { name: string }[]) => list.map((x) => x.name);

test('startable: programs without dependencies start at once, by ascending priority', () => {
  assert.deepEqual(names(startable([p('web', 30), p('auth', 10), p('user', 20)], () => false)), ['auth', 'user', 'web']);
});

test('startable: a program waits until every dependency is ready', () => {
  const waiting = [p('nginx', 30, ['auth', 'user']), p('user', 20, ['auth'])];
  assert.deepEqual(names(startable(waiting, () => false)), []);
  assert.deepEqual(names(startable(waiting, (n) => n === 'auth')), ['user']);
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
