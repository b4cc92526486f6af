import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { RotatingFile, acquireRotatingFile, backupNames, releaseRotatingFile } from './rotating-file.js';
import { tempDir } from '../test-helpers.js';

const read = (file: string) => fs.readFileSync(file, 'utf8');

test('supervisord naming: file → file.1 → … → file.N, newest first, oldest deleted', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'app.log');
  const log = new RotatingFile({ path: file, maxBytes: 10, backups: 2 });
  for (const piece of ['AAAAAAAAAA', 'BBBBBBBBBB', 'CCCCCCCCCC', 'DDDDD']) log.write(Buffer.from(piece));
  await log.close();
  assert.deepEqual(fs.readdirSync(dir).sort(), ['app.log', 'app.log.1', 'app.log.2']);
  assert.equal(read(file), 'DDDDD');
  assert.equal(read(`${file}.1`), 'CCCCCCCCCC');
  assert.equal(read(`${file}.2`), 'BBBBBBBBBB');
  assert.deepEqual(log.stats(), { written: 35, dropped: 0, rotations: 3, rotating: true });
  assert.deepEqual(backupNames('/x/y.log', 3), ['/x/y.log.1', '/x/y.log.2', '/x/y.log.3']);
});

test('opening deletes what a killed supervisor left mid-rotation, and nothing else', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'app.log');
  const left = ['app.log.3.deleting.4242.7', 'app.log.10.deleting.1.0'];
  const kept = ['app.log', 'app.log.1', 'app.log.deleting.1.2', 'app.log.1.deleting', 'other.log.1.deleting.1.2', 'app.log.x.deleting.1.2'];
  for (const name of [...left, ...kept]) fs.writeFileSync(path.join(dir, name), name);
  const log = new RotatingFile({ path: file, maxBytes: 100, backups: 3 });
  log.write(Buffer.from('more\n'));
  await log.close();
  assert.deepEqual(fs.readdirSync(dir).sort(), [...kept].sort());
  assert.equal(read(file), 'app.logmore\n');

  // Not rotating (backups 0): nothing is looked for.
  fs.writeFileSync(path.join(dir, left[0]!), 'x');
  const truncating = new RotatingFile({ path: file, maxBytes: 100, backups: 0 });
  await truncating.open();
  await truncating.close();
  assert.ok(fs.existsSync(path.join(dir, left[0]!)));
});

test('a chunk straddling maxBytes is split: no file ever exceeds maxBytes', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'split.log');
  const log = new RotatingFile({ path: file, maxBytes: 8, backups: 5 });
  log.write(Buffer.from('0123456789abcdefghij'));
  await log.close();
  assert.equal(read(`${file}.2`), '01234567');
  assert.equal(read(`${file}.1`), '89abcdef');
  assert.equal(read(file), 'ghij');
});

test('appends to an existing file and rotates it first when it is already full', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'existing.log');
  fs.writeFileSync(file, 'old-content-longer-than-max');
  const log = new RotatingFile({ path: file, maxBytes: 10, backups: 1 });
  log.write(Buffer.from('new'));
  await log.close();
  assert.equal(read(`${file}.1`), 'old-content-longer-than-max');
  assert.equal(read(file), 'new');

  const partial = path.join(dir, 'partial.log');
  fs.writeFileSync(partial, 'abc');
  const appending = new RotatingFile({ path: partial, maxBytes: 10, backups: 1 });
  appending.write(Buffer.from('defghijkl'));
  await appending.close();
  assert.equal(read(`${partial}.1`), 'abcdefghij');
  assert.equal(read(partial), 'kl');
});

test('backups 0 truncates in place; maxBytes 0 never rotates', async (t) => {
  const dir = tempDir(t);
  const truncated = path.join(dir, 'truncated.log');
  const log = new RotatingFile({ path: truncated, maxBytes: 4, backups: 0 });
  log.write(Buffer.from('1111'));
  log.write(Buffer.from('2222'));
  log.write(Buffer.from('33'));
  await log.close();
  assert.deepEqual(fs.readdirSync(dir), ['truncated.log']);
  assert.equal(read(truncated), '33');
  assert.equal(log.stats().rotations, 2);

  const unbounded = path.join(dir, 'unbounded.log');
  const big = new RotatingFile({ path: unbounded, maxBytes: 0, backups: 3 });
  for (let i = 0; i < 100; i++) big.write(Buffer.from('0123456789'));
  await big.close();
  assert.equal(fs.statSync(unbounded).size, 1000);
  assert.equal(big.stats().rotations, 0);
  assert.equal(big.stats().rotating, false);
});

test('creates the directory; a character device is written but never rotated', async (t) => {
  const dir = tempDir(t);
  const nested = path.join(dir, 'a', 'b', 'c.log');
  const log = new RotatingFile({ path: nested, maxBytes: 100, backups: 1 });
  log.write(Buffer.from('x'));
  await log.close();
  assert.equal(read(nested), 'x');

  const devnull = new RotatingFile({ path: '/dev/null', maxBytes: 4, backups: 2 });
  for (let i = 0; i < 10; i++) devnull.write(Buffer.from('0123456789'));
  await devnull.close();
  assert.deepEqual(devnull.stats(), { written: 100, dropped: 0, rotations: 0, rotating: false });
  assert.equal(fs.existsSync('/dev/null.1'), false);
});

test('write returns false past the bound and whenDrained fires once the file caught up', async (t) => {
  const dir = tempDir(t);
  const log = new RotatingFile({ path: path.join(dir, 'bp.log'), maxBytes: 0, backups: 0, maxPendingBytes: 1000 });
  await log.open();
  let accepted = true;
  for (let i = 0; i < 20 && accepted; i++) accepted = log.write(Buffer.alloc(200, 0x61));
  assert.equal(accepted, false);
  const drained = await new Promise<boolean>((resolve) => log.whenDrained(() => resolve(true)));
  assert.ok(drained);
  assert.ok(log.pendingBytes() <= 500);
  await log.close();
  assert.equal(log.stats().dropped, 0);
});

test('shared by path: stdout and stderr naming one file get one writer, closed with its last user', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'shared.log');
  const a = acquireRotatingFile({ path: file, maxBytes: 0, backups: 0 });
  const b = acquireRotatingFile({ path: path.join(dir, '.', 'shared.log'), maxBytes: 0, backups: 0 });
  assert.equal(a, b);
  a.write(Buffer.from('one\n'));
  await releaseRotatingFile(a);
  b.write(Buffer.from('two\n'));
  await releaseRotatingFile(b);
  assert.equal(read(file), 'one\ntwo\n');
  const c = acquireRotatingFile({ path: file, maxBytes: 0, backups: 0 });
  assert.notEqual(c, a, 'a new writer after the last release');
  await releaseRotatingFile(c);
});

test('writeNow: the caller reuses its buffer at once; inline or queued (after a slow write), the files hold every chunk as written', async (t) => {
  const dir = tempDir(t);
  for (const inlineSlowMs of [1000, -1]) {
    const file = path.join(dir, `reused-${inlineSlowMs}.log`);
    const log = new RotatingFile({ path: file, maxBytes: 1000, backups: 10, inlineSlowMs });
    await log.open();
    const buffer = Buffer.alloc(64);
    let expected = '';
    let queuedAfterWrite = 0;
    for (let i = 0; i < 100; i++) {
      const record = `record ${String(i).padStart(4, '0')} ${'x'.repeat(i % 40)}\n`;
      const length = buffer.write(record);
      log.writeNow(buffer.subarray(0, length));
      if (log.pendingBytes() > 0) queuedAfterWrite++;
      buffer.fill('#');
      expected += record;
    }
    await log.close();
    const files = [...backupNames(file, 10).reverse(), file].filter((f) => fs.existsSync(f));
    assert.equal(files.map(read).join(''), expected, `inlineSlowMs ${inlineSlowMs}`);
    for (const f of files) assert.ok(fs.statSync(f).size <= 1000);
    assert.ok(log.stats().rotations >= 3);
    // A write slower than inlineSlowMs (every write, at -1) sends the following ones through the thread pool.
    if (inlineSlowMs === -1) assert.ok(queuedAfterWrite > 0, 'writes were queued after a slow inline write');
    else assert.equal(queuedAfterWrite, 0, 'a file that keeps up is written inline');
  }
});

test('an I/O error drops what it hit and what follows for a second; the first write after that reopens the file', async (t) => {
  const dir = tempDir(t);
  const blocker = path.join(dir, 'blocker');
  fs.writeFileSync(blocker, 'a file where the log directory should be');
  const errors: string[] = [];
  const log = new RotatingFile({
    path: path.join(blocker, 'app.log'),
    maxBytes: 100,
    backups: 1,
    onError: (error) => errors.push((error as NodeJS.ErrnoException).code ?? error.message),
  });
  log.write(Buffer.from('lost\n'));
  await log.flush();
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /^E(EXIST|NOTDIR)$/, 'mkdir through a file');
  log.write(Buffer.from('dropped\n'));
  log.writeNow(Buffer.from('dropped too\n'));
  assert.equal(log.pendingBytes(), 0);
  fs.rmSync(blocker);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  log.write(Buffer.from('kept\n'));
  await log.close();
  assert.equal(read(path.join(blocker, 'app.log')), 'kept\n');
  assert.deepEqual(log.stats(), { written: 5, dropped: 5 + 8 + 12, rotations: 0, rotating: true });
  assert.equal(errors.length, 1, 'one error, one report');
});
