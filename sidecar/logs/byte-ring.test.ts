import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteRing } from './byte-ring.js';

const bytes = (text: string) => Buffer.from(text);

test('keeps everything while under capacity', () => {
  const ring = new ByteRing(16);
  ring.push(bytes('hello '));
  ring.push(bytes('world'));
  assert.equal(ring.tail().toString(), 'hello world');
  assert.equal(ring.tail(5).toString(), 'world');
  assert.equal(ring.length, 11);
});

test('keeps only the last capacity bytes across wrap-around', () => {
  const ring = new ByteRing(8);
  let all = '';
  for (let i = 0; i < 50; i++) {
    const piece = `${i},`;
    all += piece;
    ring.push(bytes(piece));
    assert.equal(ring.tail().toString(), all.slice(-8), `after ${i}`);
  }
  assert.equal(ring.tail(3).toString(), all.slice(-3));
});

test('a chunk larger than the capacity leaves its own last bytes', () => {
  const ring = new ByteRing(4);
  ring.push(bytes('ab'));
  ring.push(bytes('0123456789'));
  assert.equal(ring.tail().toString(), '6789');
});

test('tail asks clamp to what is held; tail returns a copy', () => {
  const ring = new ByteRing(8);
  assert.equal(ring.tail().length, 0);
  ring.push(bytes('abc'));
  assert.equal(ring.tail(100).toString(), 'abc');
  assert.equal(ring.tail(0).length, 0);
  assert.equal(ring.tail(-5).length, 0);
  const copy = ring.tail();
  ring.push(bytes('zzzzzzzz'));
  assert.equal(copy.toString(), 'abc');
});

test('capacity 0 holds nothing; clear empties', () => {
  const none = new ByteRing(0);
  none.push(bytes('abc'));
  assert.equal(none.tail().length, 0);
  const ring = new ByteRing(4);
  ring.push(bytes('abc'));
  ring.clear();
  assert.equal(ring.tail().length, 0);
  ring.push(bytes('xy'));
  assert.equal(ring.tail().toString(), 'xy');
  assert.throws(() => new ByteRing(-1), /non-negative integer/);
});
