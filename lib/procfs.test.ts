import assert from 'node:assert/strict';
import { test } from 'node:test';
import { descendants, parseStat, type ProcInfo } from './procfs.js';

test('parseStat copes with spaces and parentheses in the command name', () => {
  const info = parseStat(42, '42 (tricky (name) x) Z 7 42 42 0 -1 4194564 0 0 0 0 0 0 0 0 20 0 1 0 123 0 0');
  assert.deepEqual(info, { pid: 42, comm: 'tricky (name) x', state: 'Z', ppid: 7 });
});

test('descendants walks the whole tree below a root, not its siblings', () => {
  const rows: [number, number][] = [
    [1, 0],
    [10, 1],
    [11, 10],
    [12, 11],
    [13, 10],
    [20, 1],
  ];
  const table = new Map<number, ProcInfo>(rows.map(([pid, ppid]) => [pid, { pid, ppid, state: 'S', comm: 'x' }]));
  assert.deepEqual(descendants(10, table), [11, 13, 12]);
  assert.deepEqual(descendants(12, table), []);
});
