import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHUNK_BYTES, LINE_BYTES, chunkChecker, chunkTemplate, lineChecker, lineTemplate, stampChunk, stampLine } from './log-format.js';

function chunks(from: number, to: number): Buffer {
  const template = chunkTemplate();
  const out: Buffer[] = [];
  for (let i = from; i < to; i++) {
    stampChunk(template, i);
    out.push(Buffer.from(template));
  }
  return Buffer.concat(out);
}

test('a chunk is 64 KiB of newline-terminated text lines starting with its number', () => {
  const buffer = chunkTemplate();
  stampChunk(buffer, 1234);
  assert.equal(buffer.length, CHUNK_BYTES);
  assert.equal(buffer.toString('latin1', 0, 19), 'chunk 000000001234\n');
  const lines = buffer.toString('latin1').split('\n');
  assert.equal(lines.at(-1), '');
  assert.ok(lines.every((line) => line.length <= LINE_BYTES));
});

test('a line is 100 bytes starting with its number', () => {
  const buffer = lineTemplate();
  stampLine(buffer, 42);
  assert.equal(buffer.length, LINE_BYTES);
  assert.match(buffer.toString('latin1'), /^000000000042 y+\n$/);
});

test('the checker accepts a complete stream split anywhere (rotation boundaries)', () => {
  const stream = chunks(0, 5);
  const checker = chunkChecker();
  for (const [a, b] of [
    [0, 1000],
    [1000, 70_000],
    [70_000, stream.length],
  ] as const)
    checker.feed(stream.subarray(a, b));
  assert.deepEqual(checker.finish(5), { records: 5, first: 0, missing: 0, outOfOrder: 0, bytes: 5 * CHUNK_BYTES });
});

test('the checker counts a lost head, a gap and a torn tail', () => {
  const head = chunkChecker();
  head.feed(chunks(2, 5));
  assert.equal(head.finish(5).missing, 5);
  const gap = chunkChecker();
  gap.feed(Buffer.concat([chunks(0, 2), chunks(3, 5)]));
  assert.equal(gap.finish(5).outOfOrder, 1);
  assert.ok(gap.finish(5).missing > 0);
  const torn = lineChecker();
  const lines = Buffer.concat(
    [0, 1, 2].map((i) => {
      const b = lineTemplate();
      stampLine(b, i);
      return b;
    }),
  );
  torn.feed(lines.subarray(0, 250));
  assert.equal(torn.finish(3).missing, 2);
});
