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
  private fd: number | undefined;
  private opening: Promise<void> | undefined;
  private size = 0;
  private regular = false;
  private queue: Buffer[] = [];
  private queued = 0;
  private pumping = false;
  private closed = false;
  /** Closed and flushed: nothing is opened or written any more. */
  private finished = false;
  private failed = false;
  /** After an I/O error the file is reopened on the first write after this time (ms). */
  private retryAt = 0;
  private idleWaiters: (() => void)[] = [];
  private gatherTimer: NodeJS.Timeout | undefined;
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
    // Once closed, never again: a late open must not recreate a directory someone removed.
    if (this.finished) return Promise.resolve();
    this.opening ??= (async () => {
      try {
        await fs.promises.mkdir(path.dirname(this.path), { recursive: true });
        this.fd = await openAsync(this.path, 'a');
        const stats = await fstatAsync(this.fd);
        this.regular = stats.isFile();
        this.size = this.regular ? stats.size : 0;
        if (this.regular && this.maxBytes > 0 && this.backups > 0) this.track(removeLeftBehind(this.path));
      } catch (error) {
        this.fail(error);
      }
    })();
    return this.opening;
  }

  /**
   * Queues a chunk (the buffer must not be modified afterwards); never waits. Returns false when
   * the caller should pause its source until `whenDrained` (see maxPendingBytes).
   */
  write(chunk: Buffer): boolean {
    if (chunk.length === 0) return true;
    if (this.failed && !this.closed && Date.now() >= this.retryAt) this.failed = false;
    if (this.closed || this.failed) {
      this.counters.dropped += chunk.length;
      return true;
    }
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (!this.pumping) {
      // Small writes are gathered for a moment: a program writing line by line would otherwise
      // cost a thread-pool round trip per line.
      if (this.queued >= GATHER_BYTES) this.startPump();
      else this.gatherTimer ??= setTimeout(this.startPumpBound, GATHER_MS);
    }
    if (this.queued <= this.maxPending) return true;
    if (this.fd === undefined || this.regular) return false;
    this.shed();
    return true;
  }

  /**
   * Writes a chunk whose buffer the caller is about to reuse: at once when the file is a regular
   * file with nothing waiting and recent writes were quick, else queued as a copy. Returns what
   * `write` returns.
   */
  writeNow(chunk: Buffer): boolean {
    if (
      this.fd === undefined ||
      !this.regular ||
      this.pumping ||
      this.queue.length > 0 ||
      this.closed ||
      this.failed ||
      (this.inlineAfter !== 0 && Date.now() < this.inlineAfter)
    ) {
      return this.write(Buffer.from(chunk));
    }
    const started = performance.now();
    let rest = chunk;
    try {
      while (rest.length > 0) {
        if (this.maxBytes > 0 && this.size >= this.maxBytes) this.rotate();
        const room = this.maxBytes > 0 ? this.maxBytes - this.size : rest.length;
        const written = fs.writeSync(this.fd!, rest, 0, Math.min(room, rest.length));
        this.counters.written += written;
        this.size += written;
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
    if (this.queued <= this.maxPending / 2 || this.failed || this.closed) queueMicrotask(callback);
    else this.drainWaiters.push(callback);
  }

  /** Resolves once everything queued so far is written (or dropped). */
  flush(): Promise<void> {
    if (!this.pumping && this.queue.length === 0) return Promise.resolve();
    if (!this.pumping) this.startPump();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    if (this.closed) return this.flush();
    this.closed = true;
    await this.flush();
    await this.opening;
    this.finished = true;
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) await closeAsync(fd);
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
    if (this.queued > this.maxPending / 2 && !this.failed && !this.closed) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const callback of waiters) callback();
  }

  private startPump(): void {
    if (this.gatherTimer !== undefined) {
      clearTimeout(this.gatherTimer);
      this.gatherTimer = undefined;
    }
    if (!this.pumping) void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      await this.open();
      if (this.fd === undefined && !this.failed) this.discardQueue();
      while (this.queue.length > 0 && !this.failed) {
        const rotating = this.regular && this.maxBytes > 0;
        if (rotating && this.size >= this.maxBytes) {
          try {
            this.rotate();
          } catch (error) {
            this.fail(error);
            break;
          }
        }
        const room = rotating ? this.maxBytes - this.size : Number.POSITIVE_INFINITY;
        const batch = this.take(Math.min(room, MAX_BATCH_BYTES));
        this.notifyDrained();
        await this.writeAll(batch);
      }
      if (this.failed) this.discardQueue();
    } finally {
      this.pumping = false;
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

  private async writeAll(batch: Buffer[]): Promise<void> {
    let buffers = batch;
    while (buffers.length > 0) {
      let written: number;
      try {
        written = await writevAsync(this.fd!, buffers);
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
      this.size += written;
      buffers = skipBytes(buffers, written);
    }
  }

  /**
   * Inline: a few renames cost microseconds, and the writes around them wait for them anyway. The
   * oldest backup is not renamed over (that would free its pages inline: ~15 ms for 16 MiB) but
   * moved aside and deleted in the thread pool.
   */
  private rotate(): void {
    if (this.fd === undefined) return;
    if (this.backups === 0) {
      fs.ftruncateSync(this.fd, 0);
    } else {
      const fd = this.fd;
      this.fd = undefined;
      fs.closeSync(fd);
      const names = backupNames(this.path, this.backups);
      const doomed = `${names[names.length - 1]!}.deleting.${process.pid}.${this.counters.rotations}`;
      if (renameIfExists(names[names.length - 1]!, doomed)) this.track(fs.promises.unlink(doomed).catch(() => {}));
      for (let i = names.length - 1; i > 0; i--) renameIfExists(names[i - 1]!, names[i]!);
      renameIfExists(this.path, names[0]!);
      this.fd = fs.openSync(this.path, 'a', 0o644);
    }
    this.size = 0;
    this.counters.rotations++;
  }

  /** A deletion in the thread pool, which close() waits for. */
  private track(deletion: Promise<void>): void {
    this.deletions.add(deletion);
    void deletion.then(() => this.deletions.delete(deletion));
  }

  private fail(error: unknown): void {
    this.failed = true;
    this.retryAt = Date.now() + RETRY_MS;
    this.discardQueue();
    const fd = this.fd;
    this.fd = undefined;
    this.opening = undefined;
    if (fd !== undefined) fs.close(fd, () => {});
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
