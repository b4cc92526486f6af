import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sequenceBytes } from './fixtures/sequence.js';
import { ProgramLog, StdoutMirror, createStdoutMirror } from './program-log.js';
import { tempDir } from '../test-helpers.js';

const WRITER = fileURLToPath(new URL('./fixtures/sequence-writer.js', import.meta.url));

/** Spawns a child with piped stdout/stderr, killed at the end of the test if still running. */
function child(t: TestContext, command: string, args: string[]): ChildProcess & { done: Promise<number | null> } {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const done = new Promise<number | null>((resolve) => proc.once('close', (code) => resolve(code)));
  t.after(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  return Object.assign(proc, { done });
}

function sequenceWriter(t: TestContext, totalBytes: number, target: 'stdout' | 'stderr' | 'both' = 'stdout', width = 16) {
  return child(t, process.execPath, [WRITER, String(totalBytes), String(width), target]);
}

/** A sink that keeps what the mirror writes, parsed back into records. */
function memorySink() {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  const records = () =>
    Buffer.concat(chunks)
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { time: number; program: string; stream: string; msg: string });
  return { stream, records };
}

/** The retained files oldest first, and their concatenation. */
function retained(file: string, backups: number): { names: string[]; content: Buffer } {
  const names = [...Array.from({ length: backups }, (_, i) => `${file}.${backups - i}`), file].filter((name) => fs.existsSync(name));
  return { names, content: Buffer.concat(names.map((name) => fs.readFileSync(name))) };
}

function firstDifference(a: Buffer, b: Buffer): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : length;
}

test('a child writing 200 MB with rotation: nothing lost inside the retained window, exact rotation', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'big.log');
  const total = 200_000_000;
  const maxBytes = 16 << 20;
  const backups = 3;
  const log = new ProgramLog({ program: 'big', stdoutFile: file, maxBytes, backups });
  t.after(() => log.close());
  const writer = sequenceWriter(t, total);
  log.attach('stdout', writer.stdout!);
  log.attach('stderr', writer.stderr!);
  assert.equal(await writer.done, 0, 'the writer ran to completion');
  await log.flush();

  const stats = log.stats();
  assert.equal(stats.bytes.stdout, total);
  assert.equal(stats.fileDroppedBytes, 0);
  assert.equal(stats.rotations, Math.ceil(total / maxBytes) - 1);
  const { names, content } = retained(file, backups);
  assert.deepEqual(
    names.map((name) => path.basename(name)),
    ['big.log.3', 'big.log.2', 'big.log.1', 'big.log'],
  );
  assert.equal(fs.existsSync(`${file}.4`), false, 'no more backups than asked');
  for (const name of names.slice(0, -1)) assert.equal(fs.statSync(name).size, maxBytes, `${name} is exactly maxBytes`);
  assert.equal(content.length, backups * maxBytes + (total % maxBytes));
  const expected = sequenceBytes(total - content.length, content.length);
  assert.equal(firstDifference(content, expected), -1, 'the retained files are exactly the last bytes of the output');
  assert.deepEqual(log.tail('stdout', 32), sequenceBytes(total - 32, 32));
});

test('partial lines are joined across writes and the last unterminated line is mirrored at exit', async (t) => {
  const sink = memorySink();
  const mirror = createStdoutMirror(sink.stream);
  const log = new ProgramLog({ program: 'partial', mirror, maxBytes: 0, backups: 0 });
  const proc = child(t, 'sh', ['-c', `printf 'abc'; sleep 0.3; printf 'def\\r\\nghi'; printf 'err-' >&2; sleep 0.3; printf 'line\\n' >&2; printf 'tail-no-newline' >&2`]);
  log.attach('stdout', proc.stdout!);
  log.attach('stderr', proc.stderr!);
  assert.equal(await proc.done, 0);
  await log.close();
  mirror.flush();
  await new Promise((resolve) => setImmediate(resolve));
  const records = sink.records();
  const of = (stream: string) => records.filter((r) => r.program === 'partial' && r.stream === stream).map((r) => r.msg);
  assert.deepEqual(of('stdout'), ['abcdef', 'ghi']);
  assert.deepEqual(of('stderr'), ['err-line', 'tail-no-newline']);
  assert.equal(records.length, 4);
  for (const record of records) assert.equal(typeof record.time, 'number');
});

test('every line of a fast child reaches an able sink as one JSON line, in order', async (t) => {
  const sink = memorySink();
  // No bound on the sink and no CPU budget: this checks that nothing is lost or reordered.
  const mirror = createStdoutMirror(sink.stream, { maxPendingBytes: 1 << 30, cpuShare: 1e9 });
  const log = new ProgramLog({ program: 'lines', mirror, maxBytes: 0, backups: 0 });
  const width = 100;
  const lines = 50_000;
  const writer = sequenceWriter(t, lines * width, 'stdout', width);
  log.attach('stdout', writer.stdout!);
  assert.equal(await writer.done, 0);
  await log.close();
  mirror.flush();
  await new Promise((resolve) => setImmediate(resolve));
  const records = sink.records();
  assert.equal(mirror.dropped(), 0);
  assert.equal(records.length, lines);
  records.forEach((record, i) => {
    if (record.msg !== String(i).padStart(width - 1, '0')) assert.fail(`line ${i}: ${JSON.stringify(record)}`);
  });
});

test('a sink that cannot keep up (a pipe nobody reads): mirror lines dropped and counted, the reader never stalls, files complete', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'out.log');
  // The container's stdout stand-in: a pipe into a process that never reads it.
  const stuck = spawn('sleep', ['300'], { stdio: ['pipe', 'ignore', 'ignore'] });
  t.after(() => stuck.kill('SIGKILL'));
  const mirror = new StdoutMirror(stuck.stdin!, { maxPendingBytes: 64 << 10 });
  const log = new ProgramLog({ program: 'chatty', mirror, stdoutFile: file, maxBytes: 0, backups: 0 });
  t.after(() => log.close());
  const width = 100;
  const total = 200_000 * width;
  const writer = sequenceWriter(t, total, 'stdout', width);
  log.attach('stdout', writer.stdout!);
  assert.equal(await writer.done, 0, 'the child finished although nothing reads the mirror');
  await log.flush();
  const stats = log.stats();
  assert.ok(stats.mirrorDropped > 0, 'lines were dropped');
  assert.equal(stats.mirrorDropped, mirror.dropped(), 'the program counts what the mirror dropped');
  assert.ok(mirror.pendingBytes() <= (64 << 10) + 256 * 1024, `bounded: ${mirror.pendingBytes()} bytes waiting`);
  assert.equal(stats.fileDroppedBytes, 0);
  assert.equal(firstDifference(fs.readFileSync(file), sequenceBytes(0, total, width)), -1, 'the file lost nothing');
});

test('tail reads the in-memory ring; follow sees every chunk until unsubscribed', async (t) => {
  const log = new ProgramLog({ program: 'tailed', maxBytes: 0, backups: 0, tailBytes: 1000 });
  t.after(() => log.close());
  const followed: Buffer[] = [];
  const unsubscribe = log.follow('stdout', (chunk) => followed.push(chunk));
  const errors: Buffer[] = [];
  log.follow('stderr', (chunk) => errors.push(chunk));
  const width = 10;
  const total = 100_000;
  const first = sequenceWriter(t, total, 'stdout', width);
  log.attach('stdout', first.stdout!);
  log.attach('stderr', first.stderr!);
  assert.equal(await first.done, 0);
  assert.deepEqual(Buffer.concat(followed), sequenceBytes(0, total, width));
  assert.deepEqual(log.tail('stdout'), sequenceBytes(total - 1000, 1000, width));
  assert.deepEqual(log.tail('stdout', 25), sequenceBytes(total - 25, 25, width));
  assert.equal(log.tail('stderr').length, 0);
  unsubscribe();
  // A second run of the program (a restart) is attached to the same log.
  const second = child(t, 'sh', ['-c', 'echo restarted; echo oops >&2']);
  log.attach('stdout', second.stdout!);
  log.attach('stderr', second.stderr!);
  assert.equal(await second.done, 0);
  assert.equal(Buffer.concat(followed).length, total, 'nothing after unsubscribing');
  assert.equal(log.tail('stdout', 10).toString(), 'restarted\n');
  assert.equal(Buffer.concat(errors).toString(), 'oops\n');
  assert.deepEqual(log.stats().bytes, { stdout: total + 10, stderr: 5 });
});

test('stdout and stderr may share one file: one writer, both streams complete', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'both.log');
  const width = 16;
  const total = 4_000_000;
  const log = new ProgramLog({ program: 'both', stdoutFile: file, stderrFile: file, maxBytes: 1 << 20, backups: 20 });
  const writer = sequenceWriter(t, total, 'both', width);
  log.attach('stdout', writer.stdout!);
  log.attach('stderr', writer.stderr!);
  assert.equal(await writer.done, 0);
  await log.close();
  const { names, content } = retained(file, 20);
  assert.equal(content.length, 2 * total);
  assert.equal(log.stats().rotations, names.length - 1);
  assert.equal(names.length, Math.ceil((2 * total) / (1 << 20)));
  // Chunks of the two streams interleave; every line must be there twice, none torn.
  const seen = new Uint8Array(total / width);
  const text = content.toString('latin1');
  let torn = 0;
  for (let at = 0; at < text.length; at += width) {
    const line = text.slice(at, at + width);
    if (!/^\d{15}\n$/.test(line)) torn++;
    else seen[Number(line.slice(0, 15))]!++;
  }
  // Interleaving happens at chunk boundaries, which fall on line boundaries for this writer.
  assert.equal(torn, 0);
  assert.ok(seen.every((count) => count === 2));
});

test('a pipe target is written without rotation (no "Illegal seek"); /dev/null too', async (t) => {
  const dir = tempDir(t);
  const fifo = path.join(dir, 'stdout.fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const received = path.join(dir, 'received');
  const reader = spawn('sh', ['-c', `cat "${fifo}" > "${received}"`], { stdio: 'ignore' });
  const readerDone = new Promise((resolve) => reader.once('close', resolve));
  t.after(() => reader.kill('SIGKILL'));
  const errors: Error[] = [];
  const log = new ProgramLog({
    program: 'piped',
    stdoutFile: fifo,
    stderrFile: '/dev/null',
    maxBytes: 4096,
    backups: 3,
    onFileError: (error) => errors.push(error),
  });
  const width = 16;
  const total = 1_000_000;
  const writer = sequenceWriter(t, total, 'both', width);
  log.attach('stdout', writer.stdout!);
  log.attach('stderr', writer.stderr!);
  assert.equal(await writer.done, 0);
  await log.close();
  await readerDone;
  assert.deepEqual(errors, []);
  const stats = log.stats();
  assert.equal(stats.rotations, 0);
  assert.equal(stats.fileDroppedBytes, 0);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['received', 'stdout.fifo']);
  assert.equal(firstDifference(fs.readFileSync(received), sequenceBytes(0, total, width)), -1);
});

test('a log file that cannot be opened is reported; capture, tail and the mirror go on', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'not-a-dir'), '');
  const errors: string[] = [];
  const sink = memorySink();
  const mirror = createStdoutMirror(sink.stream);
  const log = new ProgramLog({
    program: 'broken',
    mirror,
    stdoutFile: path.join(dir, 'not-a-dir', 'out.log'),
    maxBytes: 1024,
    backups: 1,
    onFileError: (error, file) => errors.push(`${file}: ${(error as NodeJS.ErrnoException).code}`),
  });
  const proc = child(t, 'sh', ['-c', 'echo hello; echo world']);
  log.attach('stdout', proc.stdout!);
  assert.equal(await proc.done, 0);
  await log.close();
  mirror.flush();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(errors.length, 1);
  // mkdir -p over a regular file fails with EEXIST, an open below it with ENOTDIR.
  assert.match(errors[0]!, new RegExp(`^${path.join(dir, 'not-a-dir', 'out.log')}: (EEXIST|ENOTDIR)$`));
  assert.equal(log.tail('stdout').toString(), 'hello\nworld\n');
  assert.deepEqual(
    sink.records().map((r) => r.msg),
    ['hello', 'world'],
  );
  assert.equal(log.stats().fileDroppedBytes, 12);
});

test('after close, a child that keeps writing is drained, never blocked', async (t) => {
  const log = new ProgramLog({ program: 'late', maxBytes: 0, backups: 0 });
  const writer = sequenceWriter(t, 20_000_000);
  log.attach('stdout', writer.stdout!);
  await new Promise((resolve) => writer.stdout!.once('data', resolve));
  await log.close();
  assert.equal(await writer.done, 0);
  assert.ok(log.stats().bytes.stdout < 20_000_000);
});

test('a source that reuses one buffer (as FIFO reads do): files, tail and mirror get every chunk as it was, also while the mirror saturates', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'reused.log');
  const seen: string[] = [];
  let dropped = 0;
  let accepting = true;
  const mirror = {
    line: (_program: string, _stream: string, msg: string) => seen.push(msg),
    dropped: () => dropped,
    accepting: () => accepting,
    drop: (lines: number) => (dropped += lines),
  };
  const log = new ProgramLog({ program: 'reused', mirror, stdoutFile: file, maxBytes: 4096, backups: 100 });
  t.after(() => log.close());
  let deliver!: (chunk: Buffer) => void;
  let end!: () => void;
  log.attach('stdout', { start: (onChunk, onEnd) => ((deliver = onChunk), (end = onEnd)), pause() {}, resume() {}, destroy() {} });
  const buffer = Buffer.alloc(64 << 10);
  let written = '';
  const lines: string[] = [];
  const send = (text: string) => {
    const length = buffer.write(text);
    deliver(buffer.subarray(0, length));
    buffer.fill('#');
    written += text;
  };
  // Small reads (batched for the mirror), a big one (split at once), partial lines across reads.
  for (let i = 0; i < 50; i++) {
    lines.push(`small ${i}`);
    send(`small ${i}\n`);
  }
  const big = Array.from({ length: 1000 }, (_, i) => `big ${i} ${'b'.repeat(30)}`);
  lines.push(...big);
  send(`${big.join('\n')}\n`);
  send('a partial ');
  send('line\n');
  // Still waiting in the batch when the mirror saturates: split then, so counted as well.
  accepting = false;
  send('counted 1\ncounted 2\nhalf of ');
  accepting = true;
  send('a line\n');
  send('unterminated');
  end();
  await log.flush();
  assert.equal(retained(file, 100).content.toString(), written);
  assert.equal(log.tail('stdout', 20).toString(), written.slice(-20));
  assert.equal(dropped, 3, 'the lines split while saturated are counted');
  assert.deepEqual(seen, [...lines, 'half of a line', 'unterminated']);
});
