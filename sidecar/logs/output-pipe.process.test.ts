import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { OutputPipePool } from './output-pipe.js';
import type { OutputSource } from './output-source.js';
import { ProgramLog } from './program-log.js';
import { tempDir } from '../test-helpers.js';

/** The source, and a promise for its end (EOF once every write end is closed). */
function observed(source: OutputSource): { source: OutputSource; ended: Promise<void> } {
  let ended!: () => void;
  const promise = new Promise<void>((resolve) => (ended = resolve));
  return {
    source: { ...source, start: (onChunk, onEnd) => source.start(onChunk, () => (onEnd(), ended())) },
    ended: promise,
  };
}

function pool(t: TestContext, options: ConstructorParameters<typeof OutputPipePool>[0] = {}) {
  const dir = tempDir(t);
  const pipes = new OutputPipePool({ dir, size: 4, ...options });
  t.after(() => pipes.close());
  return { pipes, dir };
}

test('a child gets real pipes: /dev/stdout can be reopened (nginx access_log style) and EOF comes at exit', async (t) => {
  const { pipes } = pool(t);
  await pipes.ready();
  const out = pipes.take();
  const err = pipes.take();
  assert.ok(out && err, 'pipes are ready');
  const log = new ProgramLog({ program: 'piped', maxBytes: 0, backups: 0 });
  t.after(() => log.close());
  const stdout = observed(out.source);
  const stderr = observed(err.source);
  log.attach('stdout', stdout.source);
  log.attach('stderr', stderr.source);
  // The socketpair that stdio 'pipe' gives fails here with ENXIO; a pipe does not.
  const child = spawn('sh', ['-c', '[ -p /dev/stdout ] && echo "stdout is a pipe" > /dev/stdout; echo "to stderr" > /dev/stderr; echo direct'], {
    stdio: ['ignore', out.writeFd, err.writeFd],
  });
  out.closeWriteEnd();
  err.closeWriteEnd();
  const code = await new Promise((resolve) => child.once('close', resolve));
  assert.equal(code, 0);
  await Promise.all([stdout.ended, stderr.ended]);
  assert.equal(log.tail('stdout').toString(), 'stdout is a pipe\ndirect\n');
  assert.equal(log.tail('stderr').toString(), 'to stderr\n');
});

test('the pool refills in the background and leaves no FIFO behind', async (t) => {
  const { pipes, dir } = pool(t);
  await pipes.ready();
  const taken = [];
  for (let i = 0; i < 10; i++) {
    await pipes.ready();
    const pipe = pipes.take();
    assert.ok(pipe, `pipe ${i}`);
    taken.push(pipe);
  }
  for (const pipe of taken) {
    pipe.closeWriteEnd();
    pipe.source.destroy();
  }
  const [privateDir] = fs.readdirSync(dir);
  await pipes.ready();
  // Only unopened FIFOs wait in the private directory; opened ones were unlinked.
  const left = fs.readdirSync(path.join(dir, privateDir!));
  assert.ok(left.length <= 4);
  for (const name of left) assert.ok(fs.statSync(path.join(dir, privateDir!, name)).isFIFO());
  pipes.close();
  assert.equal(fs.existsSync(path.join(dir, privateDir!)), false);
});

test('without mkfifo the pool says so and take() returns undefined (fall back to stdio "pipe")', async (t) => {
  const { pipes } = pool(t, { mkfifo: '/nonexistent/mkfifo' });
  await pipes.ready();
  assert.equal(pipes.usable(), false);
  assert.equal(pipes.take(), undefined);
});
