import fs from 'node:fs';
import path from 'node:path';

export interface RotatingFileOptions {
  path: string;
  /** Size at which the file is rotated; 0 = never rotate. */
  maxBytes: number;
  /** Rotated files kept (path.1 … path.N); 0 = truncate in place when full. */
  backups: number;
  /**
   * Bytes that may wait for the target (default 1 MiB). Past it, for a regular file, `write`
   * returns false and the caller should pause its source until `whenDrained`: a log file loses
   * nothing, so a disk slower than the program slows the program to disk speed, as `cat > file`
   * would. A target that is not a regular file (a pipe such as /dev/stdout, a tty) is not
   * retained: past the bound its oldest waiting bytes are dropped and counted, so a stuck reader
   * never stalls the program. The bound is kept small on purpose: written while still in the CPU
   * cache, chunks go to the page cache markedly faster than from a deep queue.
   */
  maxPendingBytes?: number;
  /**
   * An inline write (writeNow) slower than this (ms, default 10: a page-cache write takes microseconds, and a preempted one on a busy machine a few ms; writeback throttling takes tens) hands the file to the thread pool
   * for a second: the disk is behind, and the event loop must not keep waiting for it.
   */
  inlineSlowMs?: number;
  /**
   * Called for an I/O error (open, write, rotate); the data concerned is dropped and counted, and
   * the file is reopened on the first write a second later.
   */
  onError?: (error: Error) => void;
}

export interface RotatingFileStats {
  /** Bytes written to the file(s). */
  written: number;
  /** Bytes dropped: waiting for a stuck non-file target, or hit by an I/O error. */
  dropped: number;
  rotations: number;
  /** Whether the target is a regular file, i.e. rotated; pipes, ttys and devices never are. */
  rotating: boolean;
}

/** Most buffers one writev takes (IOV_MAX on Linux is 1024). */
const MAX_IOV = 1024;
/** Most bytes one writev takes. */
const MAX_BATCH_BYTES = 1 << 20;
const DEFAULT_MAX_PENDING = 1 << 20;
const RETRY_MS = 1000;
const DEFAULT_INLINE_SLOW_MS = 10;
const INLINE_BACKOFF_MS = 1000;
/** Below this many waiting bytes an idle pump waits GATHER_MS for more before writing. */
const GATHER_BYTES = 64 << 10;
const GATHER_MS = 2;

function openAsync(file: string, flags: string): Promise<number> {
  return new Promise((resolve, reject) => fs.open(file, flags, 0o644, (error, fd) => (error ? reject(error) : resolve(fd))));
}
function fstatAsync(fd: number): Promise<fs.Stats> {
  return new Promise((resolve, reject) => fs.fstat(fd, (error, stats) => (error ? reject(error) : resolve(stats))));
}
function closeAsync(fd: number): Promise<void> {
  return new Promise((resolve) => fs.close(fd, () => resolve()));
}
function writevAsync(fd: number, buffers: Buffer[]): Promise<number> {
  return new Promise((resolve, reject) => fs.writev(fd, buffers, (error, written) => (error ? reject(error) : resolve(written))));
}
/** Whether `from` existed (and was renamed). */
function renameIfExists(from: string, to: string): boolean {
  try {
    fs.renameSync(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return false;
  }
}
/**
 * Deletes what a supervisor killed between rotate's rename and its unlink left behind:
 * file.N.deleting.<pid>.<n>. Never fails (someone else may be deleting them too).
 */
async function removeLeftBehind(file: string): Promise<void> {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.`;
  const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
  const doomed = names.filter((name) => name.startsWith(prefix) && /^\d+\.deleting\.\d+\.\d+$/.test(name.slice(prefix.length)));
  await Promise.all(doomed.map((name) => fs.promises.unlink(path.join(dir, name)).catch(() => {})));
}
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Names of the rotated files, newest first: file.1 … file.N (supervisord's scheme). */
export function backupNames(file: string, backups: number): string[] {
  return Array.from({ length: backups }, (_, i) => `${file}.${i + 1}`);
}

/**
 * The file's life: opened on demand; after an I/O error 'failed', every chunk dropped until
 * retryAt, after which the next write reopens it; once close() is done, 'closed' for good (a late
 * open must not recreate a directory someone removed).
 */
type FileLife =
  | { state: 'unopened' }
  | { state: 'opening'; opened: Promise<void> }
  | { state: 'open'; fd: number; size: number }
  | { state: 'failed'; retryAt: number }
  | { state: 'closed' };

type OpenFile = Extract<FileLife, { state: 'open' }>;

/**
 * The writer's mode: how a chunk reaches the file. 'idle': nothing waits, so writeNow may write
 * inline; 'gathering': small chunks wait GATHER_MS for more before the pump starts; 'pumping': the
 * pump writes the queue in the thread pool and owns the file meanwhile; 'draining': close() was
 * called while the pump ran, which writes what was queued while new chunks are dropped;
 * 'closed': close() was called, every chunk is dropped.
 */
type WriterMode = { mode: 'idle' } | { mode: 'gathering'; timer: NodeJS.Timeout } | { mode: 'pumping' } | { mode: 'draining' } | { mode: 'closed' };

const IDLE: WriterMode = { mode: 'idle' };
const PUMPING: WriterMode = { mode: 'pumping' };
const DRAINING: WriterMode = { mode: 'draining' };
const CLOSED: WriterMode = { mode: 'closed' };

/**
 * An append-only log file with supervisord's size rotation (file → file.1 → … → file.N, the
 * oldest deleted). A regular file that keeps up is written at once, on this thread (writeNow: a
 * write into the page cache costs microseconds, less than a hand-off to another thread); other
 * chunks are queued and written, coalesced with writev, by one asynchronous pump in libuv's thread
 * pool, which also takes over for a while when an inline write was slow, so the event loop never
 * keeps waiting for a disk that is behind. Rotation (a few renames) is done inline. A file never
 * grows past maxBytes: a chunk that straddles the limit is split, so the retained window is
 * exactly the last bytes of the stream, up to (backups + 1) × maxBytes. A target that is not a
 * regular file (a pipe such as /dev/stdout, a tty, /dev/null) is written without rotation.
 */
export class RotatingFile {
  readonly path: string;
  private readonly maxBytes: number;
  private readonly backups: number;
  private readonly maxPending: number;
  private readonly inlineSlowMs: number;
  private readonly onError: (error: Error) => void;
  private life: FileLife = { state: 'unopened' };
  private writer: WriterMode = IDLE;
  /** What the target was when last opened: a regular file (rotated, never shed) or not. */
  private regular = false;
  private queue: Buffer[] = [];
  private queued = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly startPumpBound = () => this.startPump();
  private drainWaiters: (() => void)[] = [];
  /** Until this time (Date.now() ms) writes are queued rather than inline: an inline write was slow. */
  private inlineAfter = 0;
  private readonly counters = { written: 0, dropped: 0, rotations: 0 };
  /** Rotated-out files being deleted in the thread pool. */
  private readonly deletions = new Set<Promise<void>>();

  constructor(options: RotatingFileOptions) {
    if (!Number.isInteger(options.maxBytes) || options.maxBytes < 0) throw new RangeError(`maxBytes must be a non-negative integer, got ${options.maxBytes}`);
    if (!Number.isInteger(options.backups) || options.backups < 0) throw new RangeError(`backups must be a non-negative integer, got ${options.backups}`);
    this.path = options.path;
    this.maxBytes = options.maxBytes;
    this.backups = options.backups;
    this.maxPending = options.maxPendingBytes ?? DEFAULT_MAX_PENDING;
    this.inlineSlowMs = options.inlineSlowMs ?? DEFAULT_INLINE_SLOW_MS;
    this.onError = options.onError ?? (() => {});
  }

  /** Opens (creating the directory if needed) and learns whether the target can be rotated. */
  open(): Promise<void> {
    if (this.life.state === 'opening') return this.life.opened;
    // Open already; failed, until a write after retryAt; closed, never again.
    if (this.life.state !== 'unopened') return Promise.resolve();
    const opened = (async () => {
      let fd: number | undefined;
      try {
        await fs.promises.mkdir(path.dirname(this.path), { recursive: true });
        fd = await openAsync(this.path, 'a');
        const stats = await fstatAsync(fd);
        this.regular = stats.isFile();
        this.life = { state: 'open', fd, size: this.regular ? stats.size : 0 };
        if (this.regular && this.maxBytes > 0 && this.backups > 0) this.track(removeLeftBehind(this.path));
      } catch (error) {
        if (fd !== undefined) fs.close(fd, () => {});
        this.fail(error);
      }
    })();
    this.life = { state: 'opening', opened };
    return opened;
  }

  /**
   * Queues a chunk (the buffer must not be modified afterwards); never waits. Returns false when
   * the caller should pause its source until `whenDrained` (see maxPendingBytes).
   */
  write(chunk: Buffer): boolean {
    if (chunk.length === 0) return true;
    if (this.life.state === 'failed' && !this.closing && Date.now() >= this.life.retryAt) this.life = { state: 'unopened' };
    if (this.closing || this.life.state === 'failed') {
      this.counters.dropped += chunk.length;
      return true;
    }
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (this.writer.mode === 'idle' || this.writer.mode === 'gathering') {
      // Small writes are gathered for a moment: a program writing line by line would otherwise
      // cost a thread-pool round trip per line.
      if (this.queued >= GATHER_BYTES) this.startPump();
      else if (this.writer.mode === 'idle') this.writer = { mode: 'gathering', timer: setTimeout(this.startPumpBound, GATHER_MS) };
    }
    if (this.queued <= this.maxPending) return true;
    if (this.life.state !== 'open' || this.regular) return false;
    this.shed();
    return true;
  }

  /**
   * Writes a chunk whose buffer the caller is about to reuse: at once when the file is a regular
   * file with nothing waiting and recent writes were quick, else queued as a copy. Returns what
   * `write` returns.
   */
  writeNow(chunk: Buffer): boolean {
    let file = this.openFile();
    if (!file || !this.regular || this.writer.mode !== 'idle' || (this.inlineAfter !== 0 && Date.now() < this.inlineAfter)) {
      return this.write(Buffer.from(chunk));
    }
    const started = performance.now();
    let rest = chunk;
    try {
      while (rest.length > 0) {
        if (this.maxBytes > 0 && file.size >= this.maxBytes) file = this.rotate(file);
        const room = this.maxBytes > 0 ? this.maxBytes - file.size : rest.length;
        const written = fs.writeSync(file.fd, rest, 0, Math.min(room, rest.length));
        this.counters.written += written;
        file.size += written;
        rest = rest.subarray(written);
      }
    } catch (error) {
      this.counters.dropped += rest.length;
      this.fail(error);
    }
    this.inlineAfter = performance.now() - started > this.inlineSlowMs ? Date.now() + INLINE_BACKOFF_MS : 0;
    return true;
  }

  /** Calls `callback` once the waiting bytes are down to half the bound. */
  whenDrained(callback: () => void): void {
    if (this.queued <= this.maxPending / 2 || this.life.state === 'failed' || this.closing) queueMicrotask(callback);
    else this.drainWaiters.push(callback);
  }

  /** Resolves once everything queued so far is written (or dropped). */
  flush(): Promise<void> {
    if (this.writer.mode === 'gathering') this.startPump();
    else if (this.writer.mode !== 'pumping' && this.writer.mode !== 'draining') return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    if (this.closing) return this.flush();
    if (this.writer.mode === 'gathering') this.startPump();
    this.writer = this.writer.mode === 'pumping' ? DRAINING : CLOSED;
    await this.flush();
    if (this.life.state === 'opening') await this.life.opened;
    const life = this.life;
    this.life = { state: 'closed' };
    if (life.state === 'open') await closeAsync(life.fd);
    await Promise.all(this.deletions);
    this.notifyDrained();
  }

  stats(): RotatingFileStats {
    return { ...this.counters, rotating: this.regular && this.maxBytes > 0 };
  }

  /** Bytes waiting to be written. */
  pendingBytes(): number {
    return this.queued;
  }

  /** close() was called: chunks are dropped (the pump may still be writing what was queued). */
  private get closing(): boolean {
    return this.writer.mode === 'draining' || this.writer.mode === 'closed';
  }

  private openFile(): OpenFile | undefined {
    return this.life.state === 'open' ? this.life : undefined;
  }

  /** A pipe or tty that does not keep up: drop the oldest waiting output, keep the newest. */
  private shed(): void {
    while (this.queued > this.maxPending && this.queue.length > 1) {
      const oldest = this.queue.shift()!;
      this.queued -= oldest.length;
      this.counters.dropped += oldest.length;
    }
  }

  private notifyDrained(): void {
    if (this.drainWaiters.length === 0) return;
    if (this.queued > this.maxPending / 2 && this.life.state !== 'failed' && !this.closing) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const callback of waiters) callback();
  }

  private startPump(): void {
    if (this.writer.mode === 'gathering') clearTimeout(this.writer.timer);
    else if (this.writer.mode !== 'idle') return;
    this.writer = PUMPING;
    void this.pump();
  }

  private async pump(): Promise<void> {
    try {
      await this.open();
      if (this.life.state === 'closed') this.discardQueue();
      let file = this.openFile();
      while (file && this.queue.length > 0) {
        const rotating = this.regular && this.maxBytes > 0;
        if (rotating && file.size >= this.maxBytes) {
          try {
            file = this.rotate(file);
          } catch (error) {
            this.fail(error);
            break;
          }
        }
        const room = rotating ? this.maxBytes - file.size : Number.POSITIVE_INFINITY;
        const batch = this.take(Math.min(room, MAX_BATCH_BYTES));
        this.notifyDrained();
        await this.writeAll(file, batch);
        file = this.openFile();
      }
      if (this.life.state === 'failed') this.discardQueue();
    } finally {
      this.writer = this.writer.mode === 'draining' ? CLOSED : IDLE;
      this.notifyDrained();
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Takes queued chunks up to `room` bytes, splitting the last one if it straddles the limit. */
  private take(room: number): Buffer[] {
    const batch: Buffer[] = [];
    let taken = 0;
    while (this.queue.length > 0 && batch.length < MAX_IOV && taken < room) {
      const chunk = this.queue[0]!;
      if (taken + chunk.length <= room) {
        this.queue.shift();
        batch.push(chunk);
        taken += chunk.length;
      } else {
        const fits = room - taken;
        batch.push(chunk.subarray(0, fits));
        this.queue[0] = chunk.subarray(fits);
        taken += fits;
      }
    }
    this.queued -= taken;
    return batch;
  }

  /** The pump's write of one batch; the pump owns the file meanwhile, so `file` stays the open one. */
  private async writeAll(file: OpenFile, batch: Buffer[]): Promise<void> {
    let buffers = batch;
    while (buffers.length > 0) {
      let written: number;
      try {
        written = await writevAsync(file.fd, buffers);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
          // A non-blocking pipe that is full: wait a little rather than spin.
          await delay(5);
          continue;
        }
        this.counters.dropped += buffers.reduce((sum, b) => sum + b.length, 0);
        this.fail(error);
        return;
      }
      this.counters.written += written;
      file.size += written;
      buffers = skipBytes(buffers, written);
    }
  }

  /**
   * Inline: a few renames cost microseconds, and the writes around them wait for them anyway. The
   * oldest backup is not renamed over (that would free its pages inline: ~15 ms for 16 MiB) but
   * moved aside and deleted in the thread pool. Returns the file open now.
   */
  private rotate(file: OpenFile): OpenFile {
    if (this.backups === 0) {
      fs.ftruncateSync(file.fd, 0);
      file.size = 0;
    } else {
      // Between the two files none is open: a rename or reopen that throws leaves nothing to close.
      this.life = { state: 'unopened' };
      fs.closeSync(file.fd);
      const names = backupNames(this.path, this.backups);
      const doomed = `${names[names.length - 1]!}.deleting.${process.pid}.${this.counters.rotations}`;
      if (renameIfExists(names[names.length - 1]!, doomed)) this.track(fs.promises.unlink(doomed).catch(() => {}));
      for (let i = names.length - 1; i > 0; i--) renameIfExists(names[i - 1]!, names[i]!);
      renameIfExists(this.path, names[0]!);
      this.life = { state: 'open', fd: fs.openSync(this.path, 'a', 0o644), size: 0 };
    }
    this.counters.rotations++;
    return this.openFile()!;
  }

  /** A deletion in the thread pool, which close() waits for. */
  private track(deletion: Promise<void>): void {
    this.deletions.add(deletion);
    void deletion.then(() => this.deletions.delete(deletion));
  }

  private fail(error: unknown): void {
    const life = this.life;
    this.life = { state: 'failed', retryAt: Date.now() + RETRY_MS };
    this.discardQueue();
    if (life.state === 'open') fs.close(life.fd, () => {});
    this.onError(error instanceof Error ? error : new Error(String(error)));
  }

  private discardQueue(): void {
    this.counters.dropped += this.queued;
    this.queue = [];
    this.queued = 0;
  }
}

function skipBytes(buffers: Buffer[], count: number): Buffer[] {
  let skip = count;
  let index = 0;
  while (index < buffers.length && skip >= buffers[index]!.length) skip -= buffers[index++]!.length;
  if (index === buffers.length) return [];
  const rest = buffers.slice(index);
  rest[0] = rest[0]!.subarray(skip);
  return rest;
}

/**
 * Open log files by path, shared: stdout and stderr of a program may name the same file, and it
 * must then be one writer (one offset, one rotation). Released when the last user closes it.
 */
const shared = new Map<string, { file: RotatingFile; users: number }>();

export function acquireRotatingFile(options: RotatingFileOptions): RotatingFile {
  const key = path.resolve(options.path);
  const entry = shared.get(key);
  if (entry) {
    entry.users++;
    return entry.file;
  }
  const file = new RotatingFile({ ...options, path: key });
  shared.set(key, { file, users: 1 });
  void file.open();
  return file;
}

export async function releaseRotatingFile(file: RotatingFile): Promise<void> {
  const entry = shared.get(file.path);
  if (entry && entry.file === file && --entry.users > 0) return file.flush();
  if (entry?.file === file) shared.delete(file.path);
  await file.close();
}
