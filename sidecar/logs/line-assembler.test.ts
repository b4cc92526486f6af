import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineAssembler, countNewlines, utf8Cut } from './line-assembler.js';

/** Feeds chunks and returns the lines seen (blocks split back into lines) and the drop count. */
function run(chunks: (string | Buffer)[], options: { max?: number; accepting?: () => boolean; end?: boolean } = {}) {
  const assembler = new LineAssembler(options.max ?? 64);
  const lines: string[] = [];
  const blocks: number[] = [];
  const sink = (text: string, count: number) => {
    const split = text.split('\n');
    assert.equal(split.length, count, `block count for ${JSON.stringify(text)}`);
    blocks.push(count);
    lines.push(...split);
  };
  const accepting = options.accepting ?? (() => true);
  let dropped = 0;
  for (const chunk of chunks) dropped += assembler.feed(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk), sink, accepting);
  if (options.end !== false) dropped += assembler.flush(sink, accepting);
  return { lines, blocks, dropped, pending: assembler.pendingBytes };
}

test('splits on newlines and hands the complete lines of a chunk over as one block', () => {
  const { lines, blocks } = run(['a\nbb\nccc\n']);
  assert.deepEqual(lines, ['a', 'bb', 'ccc']);
  assert.deepEqual(blocks, [3]);
});

test('a partial line waits for its end across chunks', () => {
  const { lines } = run(['abc', 'def\ngh', 'i\n', 'j', 'k', '\n']);
  assert.deepEqual(lines, ['abcdef', 'ghi', 'jk']);
});

test('the unterminated last line is emitted at the end of the stream, and only then', () => {
  assert.deepEqual(run(['one\ntwo'], { end: false }).lines, ['one']);
  assert.equal(run(['one\ntwo'], { end: false }).pending, 3);
  assert.deepEqual(run(['one\ntwo']).lines, ['one', 'two']);
});

test('empty lines are lines; CRLF loses its CR', () => {
  assert.deepEqual(run(['\n\nx\n']).lines, ['', '', 'x']);
  assert.deepEqual(run(['dos\r\nline\r\n', 'par', 'tial\r\n']).lines, ['dos', 'line', 'partial']);
});

test('a long line is emitted in pieces of at most maxLineBytes, also when it arrives in parts', () => {
  const long = 'x'.repeat(40);
  assert.deepEqual(run([`${long}\nshort\n`], { max: 16 }).lines, ['x'.repeat(16), 'x'.repeat(16), 'x'.repeat(8), 'short']);
  const parts = run(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(10), '\n'], { max: 16 });
  assert.deepEqual(parts.lines, ['x'.repeat(16), 'x'.repeat(14)]);
  // Holding a partial never grows past the limit.
  const growing = run(
    Array.from({ length: 100 }, () => 'y'.repeat(7)),
    { max: 16, end: false },
  );
  assert.ok(growing.pending < 16);
  assert.ok(growing.lines.every((line) => line.length === 16));
});

test('pieces are cut on UTF-8 character boundaries', () => {
  const euro = '€'; // 3 bytes
  const text = euro.repeat(10); // 30 bytes
  const { lines } = run([`${text}\n`], { max: 16 });
  assert.deepEqual(lines, [euro.repeat(5), euro.repeat(5)]);
  assert.ok(lines.every((line) => !line.includes('\uFFFD')));
  assert.equal(utf8Cut(Buffer.from(text), 16), 15);
  assert.equal(utf8Cut(Buffer.from('abc'), 16), 3);
});

test('multi-byte text in the fast path stays intact', () => {
  const lines = ['héllo wörld', '日本語のログ', 'emoji 🚀 ok'];
  assert.deepEqual(run([`${lines.join('\n')}\n`]).lines, lines);
  // A character split across two chunks is reassembled.
  const bytes = Buffer.from('a€b\n');
  assert.deepEqual(run([bytes.subarray(0, 2), bytes.subarray(2)]).lines, ['a€b']);
});

test('while not accepting, every line is counted as dropped and none is emitted', () => {
  const closed = run(['a\nb\nc\n', 'part', 'ial'], { accepting: () => false });
  assert.deepEqual(closed.lines, []);
  assert.equal(closed.dropped, 4); // a, b, c and the unterminated "partial"
  const longDropped = run(['z'.repeat(40), '\n'], { max: 16, accepting: () => false });
  assert.equal(longDropped.dropped, 3); // two full pieces while holding, then the 8-byte rest
});

test('saturation mid-stream: the lines of the saturated chunks are dropped, the rest kept', () => {
  const assembler = new LineAssembler(64);
  const seen: string[] = [];
  const sink = (text: string) => seen.push(...text.split('\n'));
  let open = true;
  let dropped = assembler.feed(Buffer.from('keep1\nkeep2\nhal'), sink, () => open);
  open = false;
  dropped += assembler.feed(Buffer.from('f1\nlost1\nlost2\nhalf2'), sink, () => open);
  open = true;
  dropped += assembler.feed(Buffer.from('-end\nkeep3\n'), sink, () => open);
  assert.deepEqual(seen, ['keep1', 'keep2', 'half2-end', 'keep3']);
  assert.equal(dropped, 3); // half1, lost1, lost2
});

test('countNewlines counts within a range', () => {
  const buffer = Buffer.from('a\nb\nc\nd');
  assert.equal(countNewlines(buffer), 3);
  assert.equal(countNewlines(buffer, 2), 2);
  assert.equal(countNewlines(buffer, 0, 3), 1);
});
