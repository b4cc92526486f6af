import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter, programLine } from './log-lines.js';

const line = (program: string, stream: string, msg: string) => JSON.stringify({ time: 1, program, stream, msg });

test("only the program's lines of the chosen stream are kept", () => {
  assert.deepEqual(programLine(line('web', 'stdout', 'hello'), 'web', 'stdout'), { time: 1, program: 'web', stream: 'stdout', msg: 'hello' });
  assert.equal(programLine(line('web', 'stderr', 'oops'), 'web', 'stdout'), undefined);
  assert.equal(programLine(line('web', 'stderr', 'oops'), 'web', 'stderr')?.msg, 'oops');
  assert.equal(programLine(line('webby', 'stdout', 'x'), 'web', 'stdout'), undefined);
  assert.equal(programLine(line('worker', 'stdout', '"program":"web"'), 'web', 'stdout'), undefined);
});

test("the supervisor's own records about a program, and lines that are not JSON, are not the program's output", () => {
  const record = JSON.stringify({ level: 30, time: 1, pid: 1, program: 'web', stream: 'stdout', msg: 'spawned' });
  assert.equal(programLine(record, 'web', 'stdout'), undefined);
  assert.equal(programLine('plain text "program":"web"', 'web', 'stdout'), undefined);
  assert.equal(programLine('{"program":"web", broken', 'web', 'stdout'), undefined);
});

test('lines split across chunks are joined; the unfinished end waits for the next chunk or the end', () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push('a\nb'), ['a']);
  assert.deepEqual(s.push('c\n'), ['bc']);
  assert.deepEqual(s.push('d'), []);
  assert.deepEqual(s.end(), ['d']);
  assert.deepEqual(s.end(), []);
});
