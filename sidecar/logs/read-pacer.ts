// When to read a program's output pipe. Read as soon as it is readable, a chatty program wakes the
// supervisor for every few lines, and each of its writes wakes the supervisor back: both pay a
// context switch per line or two. A pipe that is read that often (or that was found full) is busy:
// it is worth growing (pipe-sizer.ts), and once it has room for some milliseconds of output, reading
// it at most every PACE_MS lets the program write into it without ever waking anyone.
// Pure: the caller passes the time.

/** Default pipe capacity on Linux: a read this big found the pipe full (its writer was blocked). */
export const DEFAULT_PIPE_BYTES = 64 << 10;
/** Reads per BUSY_WINDOW_MS that make a pipe busy (1,000 reads a second). */
export const BUSY_READS = 100;
export const BUSY_WINDOW_MS = 100;
/** Pause after a small read of a grown pipe: at 500 MB/s this still leaves half of a 1 MiB pipe free. */
export const PACE_MS = 1;
/** A read below capacity / PACE_FRACTION is small: the program trickles, so waiting costs it nothing. */
export const PACE_FRACTION = 32;

export class ReadPacer {
  private windowStart = Number.NEGATIVE_INFINITY;
  private reads = 0;
  private capacity: number | undefined;

  /** Records a read of `bytes` at `nowMs`; true the first time the pipe turns out busy. */
  busy(bytes: number, nowMs: number): boolean {
    if (this.capacity !== undefined) return false;
    if (bytes >= DEFAULT_PIPE_BYTES) return this.markBusy();
    if (nowMs - this.windowStart >= BUSY_WINDOW_MS) {
      this.windowStart = nowMs;
      this.reads = 0;
    }
    return ++this.reads >= BUSY_READS && this.markBusy();
  }

  /** The pipe now holds `bytes` (undefined: it could not be grown, so it is never paced). */
  grown(bytes: number | undefined): void {
    this.capacity = bytes !== undefined && bytes > DEFAULT_PIPE_BYTES ? bytes : 0;
  }

  /** Milliseconds to wait before reading again after a read of `bytes` (0: read on). */
  pauseAfter(bytes: number): number {
    return this.capacity && bytes < this.capacity / PACE_FRACTION ? PACE_MS : 0;
  }

  private markBusy(): boolean {
    // Asked once: from now on the answer is what `grown` says.
    this.capacity = 0;
    return true;
  }
}
