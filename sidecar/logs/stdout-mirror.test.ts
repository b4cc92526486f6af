import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { MIRROR_NOTICE_PROGRAM, StdoutMirror, createStdoutMirror, formatMirrorLine } from './stdout-mirror.js';

/** An in-memory sink; with `hold`, writes complete only when released. */
function sink(hold = false) {
  const chunks: string[] = [];
  const pending: (() => void)[] = [];
  const stream = new Writable({
    highWaterMark: 1 << 30,
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      if (hold) pending.push(() => done());
      else done();
    },
  });
  return {
    stream,
    text: () => chunks.join(''),
    records: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    /** Completes held writes (the stream hands them over one at a time) until none is left. */
    releaseAll: async () => {
      for (let round = 0; round < 1000 && pending.length > 0; round++) {
        pending.splice(0).forEach((done) => done());
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

test('one JSON line per line in pino shape: time, program, stream, msg', async () => {
  const out = sink();
  const mirror = createStdoutMirror(out.stream, { now: () => 1700000000123 });
  mirror.line('auth-service', 'stdout', 'listening on 3001');
  mirror.line('nginx', 'stderr', 'warn "quoted" \\ back\ttab');
  mirror.flush();
  await settle();
  assert.deepEqual(out.records(), [
    { time: 1700000000123, program: 'auth-service', stream: 'stdout', msg: 'listening on 3001' },
    { time: 1700000000123, program: 'nginx', stream: 'stderr', msg: 'warn "quoted" \\ back\ttab' },
  ]);
  assert.equal(Object.keys(out.records()[0]!).join(','), 'time,program,stream,msg');
  assert.equal(`${out.text().split('\n')[0]}\n`, formatMirrorLine(1700000000123, 'auth-service', 'stdout', 'listening on 3001'));
});

test('a block of lines becomes one JSON line each, escaped or not', async () => {
  const out = sink();
  const mirror = new StdoutMirror(out.stream, { now: () => 5 });
  mirror.lines('p', 'stdout', 'plain one\nplain two\nüñí©ødé 🚀', 3);
  mirror.lines('p', 'stderr', 'needs "escaping"\nctl\u0001char\n', 3);
  mirror.lines('p', 'stdout', 'single', 1);
  mirror.flush();
  await settle();
  assert.deepEqual(
    out.records().map((r) => [r.stream, r.msg]),
    [
      ['stdout', 'plain one'],
      ['stdout', 'plain two'],
      ['stdout', 'üñí©ødé 🚀'],
      ['stderr', 'needs "escaping"'],
      ['stderr', 'ctl\u0001char'],
      ['stderr', ''],
      ['stdout', 'single'],
    ],
  );
});

test('lines are batched: one sink write per batch, flushed by the timer', async () => {
  const out = sink();
  let writes = 0;
  const original = out.stream.write.bind(out.stream);
  out.stream.write = ((...args: Parameters<typeof original>) => {
    writes++;
    return original(...args);
  }) as typeof out.stream.write;
  const mirror = new StdoutMirror(out.stream, { batchMs: 5 });
  for (let i = 0; i < 100; i++) mirror.line('p', 'stdout', `line ${i}`);
  assert.equal(writes, 0);
  await settle();
  assert.equal(writes, 1);
  assert.equal(out.records().length, 100);
});

test('a sink that does not keep up: lines past the bound are dropped and counted, then one notice', async () => {
  const out = sink(true);
  const mirror = new StdoutMirror(out.stream, { maxPendingBytes: 4096, batchBytes: 1024, now: () => 1 });
  const line = 'x'.repeat(100);
  for (let i = 0; i < 1000; i++) mirror.line('p', 'stdout', line);
  mirror.flush();
  const dropped = mirror.dropped();
  assert.ok(dropped > 900, `dropped ${dropped}`);
  assert.equal(mirror.accepting(), false);
  // Only what fitted the bound was handed over.
  assert.ok(out.text().length <= 4096 + 1024 + 200, `handed over ${out.text().length}`);
  mirror.drop(5);
  assert.equal(mirror.dropped(), dropped + 5);
  // The sink catches up: the mirror accepts again and says what was lost.
  await out.releaseAll();
  await settle();
  await out.releaseAll();
  assert.equal(mirror.accepting(), true);
  const notices = out.records().filter((r) => r.program === MIRROR_NOTICE_PROGRAM);
  assert.equal(notices.length, 1);
  assert.match(String(notices[0]!.msg), new RegExp(`${dropped + 5} line\\(s\\) dropped`));
  const kept = out.records().filter((r) => r.program === 'p').length;
  assert.equal(kept + dropped, 1000);
});

test('a broken sink (EPIPE) never throws: everything is dropped and counted', async () => {
  const stream = new Writable({
    write(_chunk, _encoding, done) {
      done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    },
  });
  const mirror = new StdoutMirror(stream);
  mirror.line('p', 'stdout', 'first');
  mirror.flush();
  await settle();
  mirror.line('p', 'stdout', 'second');
  mirror.lines('p', 'stdout', 'a\nb', 2);
  assert.equal(mirror.accepting(), false);
  assert.equal(mirror.dropped(), 3);
});

test('a CPU budget per window: past it lines are dropped and counted until the next window', async () => {
  const out = sink();
  let clock = 0;
  const mirror = new StdoutMirror(out.stream, { cpuShare: 0.1, budgetWindowMs: 100, monotonic: () => clock, now: () => 1 });
  mirror.lines('p', 'stdout', 'a\nb', 2);
  mirror.charge(6); // 6 ms of work in this window: over the 10 % of 100 ms? not yet
  assert.equal(mirror.accepting(), true);
  mirror.charge(5);
  assert.equal(mirror.accepting(), false);
  mirror.lines('p', 'stdout', 'c\nd\ne', 3);
  mirror.line('p', 'stdout', 'f');
  assert.equal(mirror.dropped(), 4);
  clock += 100; // the next window
  assert.equal(mirror.accepting(), true);
  mirror.lines('p', 'stdout', 'g', 1);
  mirror.flush();
  await settle();
  assert.deepEqual(
    out.records().map((r) => r.msg),
    ['a', 'b', 'g', "log mirror: 4 line(s) dropped (stdout too slow, or more lines than the mirror's CPU budget)"],
  );
});
