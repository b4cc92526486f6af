// Real pipes for a program's stdout and stderr. Node's stdio 'pipe' gives the child a unix
// socketpair, and a socket cannot be reopened through /dev/stdout (open() fails with ENXIO), which
// breaks the container idiom of logging to /dev/stdout (nginx's `access_log /dev/stdout`,
// supervisord's `stdout_logfile=/dev/stdout`). A pipe also buffers small writes better (64 KiB of
// lines instead of a few hundred socket buffers), so a line-writing program blocks less.
// Node cannot make an anonymous pipe, so this one is a FIFO, made ahead of time with mkfifo(1)
// in a private directory, opened at both ends and unlinked.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fdSource, type OutputSource } from './output-source.js';
import type { PipeSizer } from './pipe-sizer.js';

export interface OutputPipe {
  /** The write end, for the child's stdio array. */
  writeFd: number;
  /** The read end, for ProgramLog.attach. */
  source: OutputSource;
  /** Closes the parent's copy of the write end (after spawn), so that EOF comes when the child exits. */
  closeWriteEnd(): void;
}

export interface OutputPipePoolOptions {
  /** Where the FIFOs are made (a private directory is created inside). Default: os.tmpdir(). */
  dir?: string;
  /** FIFOs kept ready. Default 8. */
  size?: number;
  /** The mkfifo program. Default "mkfifo" on PATH. */
  mkfifo?: string;
  /** Grows the pipes that turn out busy (none without). */
  sizer?: PipeSizer;
}

/**
 * A pool of ready FIFOs, so that `take()` is synchronous (spawning is) and cheap: one mkfifo
 * process makes many. When none is ready (or mkfifo is missing), `take()` returns undefined and
 * the caller falls back to stdio 'pipe'.
 */
export class OutputPipePool {
  private readonly size: number;
  private readonly mkfifo: string;
  private readonly base: string;
  private readonly sizer: PipeSizer | undefined;
  private dir: string | undefined;
  private readyPaths: string[] = [];
  private filling: Promise<void> | undefined;
  private counter = 0;
  private broken = false;
  private closed = false;

  constructor(options: OutputPipePoolOptions = {}) {
    this.size = options.size ?? 8;
    this.mkfifo = options.mkfifo ?? 'mkfifo';
    this.base = options.dir ?? os.tmpdir();
    this.sizer = options.sizer;
  }

  /** Resolves once the pool has been filled (or found that it cannot be). */
  ready(): Promise<void> {
    this.refill();
    return this.filling ?? Promise.resolve();
  }

  /** Whether FIFOs can be made here (false after mkfifo failed). */
  usable(): boolean {
    return !this.broken;
  }

  take(): OutputPipe | undefined {
    let pipe: OutputPipe | undefined;
    while (!pipe && this.readyPaths.length > 0) {
      const fifo = this.readyPaths.pop()!;
      pipe = openFifo(fifo, this.sizer);
    }
    this.refill();
    return pipe;
  }

  close(): void {
    this.closed = true;
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
    this.readyPaths = [];
  }

  private refill(): void {
    if (this.closed || this.broken || this.filling || this.readyPaths.length > this.size / 2) return;
    this.filling = this.make(this.size - this.readyPaths.length).finally(() => {
      this.filling = undefined;
    });
  }

  private async make(count: number): Promise<void> {
    try {
      this.dir ??= fs.mkdtempSync(path.join(this.base, 'corepod-pipes-'));
      const names = Array.from({ length: count }, () => path.join(this.dir!, `p${this.counter++}`));
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(this.mkfifo, ['-m', '600', ...names], { stdio: 'ignore' });
        child.once('error', () => resolve(null));
        child.once('close', (exit) => resolve(exit));
      });
      if (code !== 0) throw new Error(`${this.mkfifo} failed`);
      if (this.closed) return;
      this.readyPaths.push(...names);
    } catch {
      this.broken = true;
    }
  }
}

function openFifo(fifo: string, sizer: PipeSizer | undefined): OutputPipe | undefined {
  let readFd: number | undefined;
  try {
    // The read end first, non-blocking, so that opening the write end does not wait.
    readFd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    // The write end stays blocking: the child inherits this open file description.
    const writeFd = fs.openSync(fifo, fs.constants.O_WRONLY);
    fs.unlinkSync(fifo);
    let open = true;
    return {
      writeFd,
      source: fdSource(readFd, sizer ? { sizer } : {}),
      closeWriteEnd() {
        if (open) fs.closeSync(writeFd);
        open = false;
      },
    };
  } catch {
    if (readFd !== undefined) fs.closeSync(readFd);
    fs.rmSync(fifo, { force: true });
    return undefined;
  }
}
