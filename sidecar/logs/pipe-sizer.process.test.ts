import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { tempDir } from '../test-helpers.js';
import { createPipeSizer, GROWN_PIPE_BYTES, HOST_BUILT_PIPE_SIZE, type PipeSizer } from './pipe-sizer.js';

/** A FIFO opened at both ends, non-blocking; closed after the test. */
function fifo(t: TestContext): { readFd: number; writeFd: number } {
  const file = path.join(tempDir(t, 'corepod-pipe-size-'), 'p');
  execFileSync('mkfifo', [file]);
  const readFd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const writeFd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  t.after(() => {
    fs.closeSync(readFd);
    fs.closeSync(writeFd);
  });
  return { readFd, writeFd };
}

/** How many bytes the pipe takes before a non-blocking write gets EAGAIN. */
function fill(writeFd: number): number {
  const block = Buffer.alloc(4096);
  let total = 0;
  for (;;) {
    try {
      total += fs.writeSync(writeFd, block);
    } catch (error) {
      assert.equal((error as NodeJS.ErrnoException).code, 'EAGAIN');
      return total;
    }
  }
}

const grow = (sizer: PipeSizer, fd: number) => new Promise<number | undefined>((resolve) => assert.equal(sizer.grow(fd, resolve), true, 'within the budget'));

test('grows a real pipe to the capacity asked: the writer can then put that much in without waiting', async (t) => {
  assert.ok(fs.existsSync(HOST_BUILT_PIPE_SIZE), `${HOST_BUILT_PIPE_SIZE} is built by npm run build (needs a C compiler)`);
  const before = fifo(t);
  assert.equal(fill(before.writeFd), 64 << 10, 'the kernel default');

  const { readFd, writeFd } = fifo(t);
  const sizer = createPipeSizer({ helper: HOST_BUILT_PIPE_SIZE });
  assert.equal(await grow(sizer, readFd), GROWN_PIPE_BYTES);
  assert.equal(sizer.inUse(), GROWN_PIPE_BYTES);
  assert.equal(fill(writeFd), GROWN_PIPE_BYTES);
  sizer.release(GROWN_PIPE_BYTES);
  assert.equal(sizer.inUse(), 0);
});

test('never grants more than the budget; released capacity can be granted again', async (t) => {
  const pipes = [fifo(t), fifo(t), fifo(t)];
  const sizer = createPipeSizer({ helper: HOST_BUILT_PIPE_SIZE, pipeBytes: 256 << 10, budgetBytes: 512 << 10 });
  assert.equal(await grow(sizer, pipes[0]!.readFd), 256 << 10);
  assert.equal(await grow(sizer, pipes[1]!.readFd), 256 << 10);
  assert.equal(
    sizer.grow(pipes[2]!.readFd, () => assert.fail('not called when refused')),
    false,
  );
  assert.equal(fill(pipes[2]!.writeFd), 64 << 10, 'the refused pipe keeps the default');
  sizer.release(256 << 10);
  assert.equal(await grow(sizer, pipes[2]!.readFd), 256 << 10);
  assert.equal(fill(pipes[2]!.writeFd), (256 << 10) - (64 << 10), 'room for 256 KiB, 64 KiB of it already taken');
});

test('a helper failure or a missing helper: undefined, the reason reported, the budget given back', async (t) => {
  const dir = tempDir(t, 'corepod-pipe-size-');
  const notAPipe = fs.openSync(path.join(dir, 'file'), 'w');
  t.after(() => fs.closeSync(notAPipe));
  const errors: string[] = [];
  const sizer = createPipeSizer({ helper: HOST_BUILT_PIPE_SIZE, onError: (message) => errors.push(message) });
  assert.equal(await grow(sizer, notAPipe), undefined);
  assert.match(errors[0]!, /pipe-size: Bad file descriptor/);
  assert.equal(sizer.inUse(), 0);

  const missing = createPipeSizer({ helper: path.join(dir, 'no-such-helper'), onError: (message) => errors.push(message) });
  assert.equal(await grow(missing, fifo(t).readFd), undefined);
  assert.match(errors[1]!, /no-such-helper: spawn .*ENOENT/);
  assert.equal(missing.inUse(), 0);
});
