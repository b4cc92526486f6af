import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { test, type TestContext } from 'node:test';
import { OutputPipePool, type OutputPipe } from './output-pipe.js';
import { pageAlignedBuffer, streamSource } from './output-source.js';
import { tempDir } from '../test-helpers.js';
import { createPipeSizer, GROWN_PIPE_BYTES, HOST_BUILT_PIPE_SIZE, type PipeSizer } from './pipe-sizer.js';

async function pipe(t: TestContext, sizer?: PipeSizer): Promise<OutputPipe> {
  const pool = new OutputPipePool({ dir: tempDir(t), size: 2, ...(sizer ? { sizer } : {}) });
  t.after(() => pool.close());
  await pool.ready();
  const taken = pool.take();
  assert.ok(taken, 'a FIFO is ready');
  return taken;
}

function writer(t: TestContext, target: OutputPipe, script: string) {
  const child = spawn('sh', ['-c', script], { stdio: ['ignore', target.writeFd, 'ignore'] });
  target.closeWriteEnd();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { child, exited };
}

test('a FIFO source hands over every byte in order, through one reused buffer, and ends once at EOF', async (t) => {
  const out = await pipe(t);
  const chunks: Buffer[] = [];
  const seen = new Set<ArrayBufferLike>();
  let ends = 0;
  const ended = new Promise<void>((resolve) =>
    out.source.start(
      (chunk) => {
        seen.add(chunk.buffer);
        chunks.push(Buffer.from(chunk));
      },
      () => {
        ends++;
        resolve();
      },
    ),
  );
  const { exited } = writer(t, out, 'i=0; while [ $i -lt 3000 ]; do echo "line $i"; i=$((i+1)); done; head -c 300000 /dev/zero | tr "\\0" z');
  assert.equal(await exited, 0);
  await ended;
  out.source.destroy();
  const text = Buffer.concat(chunks).toString();
  const expected = Array.from({ length: 3000 }, (_, i) => `line ${i}\n`).join('') + 'z'.repeat(300000);
  assert.equal(text, expected);
  assert.equal(ends, 1, 'onEnd once, also after destroy');
  assert.equal(seen.size, 1, 'every read lands in the same buffer');
});

test('a paused FIFO source stops reading (the writer blocks on the full pipe) and resume lets it finish', async (t) => {
  const out = await pipe(t);
  let bytes = 0;
  const ended = new Promise<void>((resolve) => out.source.start((chunk) => (bytes += chunk.length), resolve));
  out.source.pause();
  const { child, exited } = writer(t, out, 'head -c 1000000 /dev/zero');
  // A pipe holds 64 KiB: a million bytes cannot all be written while nobody reads.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(child.exitCode, null, 'the writer is blocked');
  assert.ok(bytes < 1_000_000);
  out.source.resume();
  assert.equal(await exited, 0);
  await ended;
  assert.equal(bytes, 1_000_000);
});

test('a busy FIFO is grown (a writer then fills 900 KB while nobody reads), loses nothing, and gives its capacity back at EOF', async (t) => {
  const dir = tempDir(t, 'corepod-source-gate-');
  const real = createPipeSizer({ helper: HOST_BUILT_PIPE_SIZE });
  let granted: (capacity: number | undefined) => void = () => {};
  const grown = new Promise<number | undefined>((resolve) => (granted = resolve));
  const sizer: PipeSizer = {
    ...real,
    grow: (fd, done) => real.grow(fd, (capacity) => (done(capacity), granted(capacity))),
  };
  const out = await pipe(t, sizer);
  const chunks: Buffer[] = [];
  const ended = new Promise<void>((resolve) => out.source.start((chunk) => chunks.push(Buffer.from(chunk)), resolve));
  const gate = path.join(dir, 'go');
  // 200 KB at once (a full pipe: busy), then, once the gate exists, 900 KB more.
  const { child, exited } = writer(t, out, `head -c 200000 /dev/zero | tr "\\0" a; while [ ! -e ${gate} ]; do sleep 0.01; done; head -c 900000 /dev/zero | tr "\\0" b`);
  assert.equal(await grown, GROWN_PIPE_BYTES);
  assert.equal(real.inUse(), GROWN_PIPE_BYTES);
  out.source.pause();
  fs.writeFileSync(gate, '');
  const exitedWhilePaused = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000))]);
  assert.ok(exitedWhilePaused, `the writer finished without a read (exit ${child.exitCode})`);
  out.source.resume();
  await ended;
  assert.equal(Buffer.concat(chunks).toString(), 'a'.repeat(200000) + 'b'.repeat(900000));
  assert.equal(real.inUse(), 0, 'capacity given back');
});

test('destroying a source that never started closes its read end: the writer gets EPIPE instead of blocking', async (t) => {
  const out = await pipe(t);
  out.source.destroy();
  const { exited } = writer(t, out, 'head -c 1000000 /dev/zero; echo "status $?" >&2');
  assert.notEqual(await exited, null);
});

test('the read buffer is WebAssembly memory of its own (page-aligned), and an ordinary buffer where WebAssembly is off', async () => {
  const buffer = pageAlignedBuffer(256 << 10);
  assert.equal(buffer.length, 256 << 10);
  assert.equal(buffer.byteOffset, 0);
  assert.equal(buffer.buffer.byteLength, 256 << 10, 'exactly four 64 KiB WebAssembly pages');
  buffer.fill(7);
  const jitless = spawn(
    process.execPath,
    [
      '--jitless',
      '--input-type=module',
      '-e',
      `import { pageAlignedBuffer } from ${JSON.stringify(new URL('./output-source.js', import.meta.url).href)}; process.stdout.write(String(pageAlignedBuffer(100).length));`,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  let out = '';
  jitless.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => jitless.once('close', resolve));
  assert.equal(code, 0);
  assert.equal(out, '100');
});

test('a stream source adapts a readable stream, string chunks included', async () => {
  const stream = new PassThrough();
  const chunks: string[] = [];
  const ended = new Promise<void>((resolve) => streamSource(stream).start((chunk) => chunks.push(chunk.toString()), resolve));
  stream.write('a');
  stream.write(Buffer.from('b'));
  stream.end('c');
  await ended;
  assert.equal(chunks.join(''), 'abc');
});
