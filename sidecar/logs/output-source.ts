// Where a program's output is read from. A FIFO's read end is read into one reusable buffer
// (net.Socket's `onread`): no allocation per read, and what goes straight to a log file is never
// copied in between. A busy FIFO is grown and then read at a pace (read-pacer.ts). Any other
// stream (Node's stdio pipes, a test's PassThrough) is adapted.
import fs from 'node:fs';
import net from 'node:net';
import type { PipeSizer } from './pipe-sizer.js';
import { ReadPacer } from './read-pacer.js';

/** A chunk handler. The buffer is only valid during the call (it is reused): copy what you keep. */
export type ChunkHandler = (chunk: Buffer) => void;

export interface OutputSource {
  /** Starts reading; `onEnd` is called once, at EOF, on a read error or after destroy. */
  start(onChunk: ChunkHandler, onEnd: () => void): void;
  pause(): void;
  resume(): void;
  /** Stops reading and closes the read end. */
  destroy(): void;
}

/** One read takes at most this much: a quarter of a grown pipe, so a busy one is emptied in a few reads. */
const READ_BUFFER_BYTES = 256 << 10;
const WASM_PAGE_BYTES = 64 << 10;
let sharedReadBuffer: Buffer | undefined;

/**
 * A page-aligned buffer. The kernel copies pipe pages into a destination that is not 64-byte
 * aligned markedly slower (measured here: a C reader of a 1 MiB pipe uses 1.5x the CPU reading
 * into page + 16 bytes, where malloc puts Node's big buffers). WebAssembly memory starts on a page;
 * where WebAssembly is off (--jitless) an ordinary buffer does.
 */
export function pageAlignedBuffer(bytes: number): Buffer {
  const pages = Math.ceil(bytes / WASM_PAGE_BYTES);
  try {
    const { WebAssembly } = globalThis as unknown as { WebAssembly: { Memory: new (size: { initial: number; maximum: number }) => { buffer: ArrayBuffer } } };
    return Buffer.from(new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer, 0, bytes);
  } catch {
    return Buffer.allocUnsafeSlow(bytes);
  }
}

/** Calls the end handler once, whichever of end, close, error (a read error must not crash the supervisor) or destroy comes first. */
class Ending {
  ended = false;
  handler: () => void = () => {};
  readonly fire = () => {
    if (this.ended) return;
    this.ended = true;
    this.handler();
  };
  watch(stream: NodeJS.EventEmitter): void {
    stream.once('end', this.fire);
    stream.once('close', this.fire);
    stream.on('error', this.fire);
  }
}

/**
 * Reads a non-blocking pipe fd. All sources share one read buffer: each read is handed to its
 * handler synchronously, so the next read (of any pipe) cannot overwrite it before the handler returns.
 */
export function fdSource(fd: number, options: { sizer?: PipeSizer } = {}): OutputSource {
  const { sizer } = options;
  let socket: net.Socket | undefined;
  let paused = false;
  const pacer = new ReadPacer();
  let pacing: NodeJS.Timeout | undefined;
  let grownBy = 0;
  const ending = new Ending();
  const readOn = () => {
    pacing = undefined;
    if (!paused && !ending.ended) socket?.resume();
  };
  const grow = (sizer: PipeSizer) => {
    const asked = sizer.grow(fd, (capacity) => {
      if (ending.ended) {
        if (capacity !== undefined) sizer.release(capacity);
        return;
      }
      grownBy = capacity ?? 0;
      pacer.grown(capacity);
    });
    if (!asked) pacer.grown(undefined);
  };
  return {
    start(onChunk, onEnd) {
      if (socket || ending.ended) throw new Error('output source already started');
      ending.handler = () => {
        if (pacing) clearTimeout(pacing);
        if (grownBy > 0) sizer?.release(grownBy);
        grownBy = 0;
        onEnd();
      };
      const buffer = (sharedReadBuffer ??= pageAlignedBuffer(READ_BUFFER_BYTES));
      const onread = {
        buffer,
        callback: (bytes: number) => {
          onChunk(buffer.subarray(0, bytes));
          if (sizer && pacer.busy(bytes, performance.now())) grow(sizer);
          if (paused) return false;
          const wait = pacer.pauseAfter(bytes);
          if (wait === 0) return true;
          pacing = setTimeout(readOn, wait);
          return false;
        },
      };
      socket = new net.Socket({ fd, readable: true, writable: false, onread } as net.SocketConstructorOpts);
      ending.watch(socket);
      if (!paused) socket.resume();
    },
    pause() {
      paused = true;
      socket?.pause();
    },
    resume() {
      paused = false;
      if (!pacing) socket?.resume();
    },
    destroy() {
      if (socket) socket.destroy();
      else if (!ending.ended) fs.close(fd, () => {});
      ending.fire();
    },
  };
}

/** Adapts a readable stream (its chunks are not reused, which is also fine for a ChunkHandler). */
export function streamSource(stream: NodeJS.ReadableStream): OutputSource {
  const ending = new Ending();
  return {
    start(onChunk, onEnd) {
      ending.handler = onEnd;
      stream.on('data', (chunk: Buffer | string) => onChunk(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
      ending.watch(stream);
      stream.resume();
    },
    pause: () => stream.pause(),
    resume: () => stream.resume(),
    destroy() {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      ending.fire();
    },
  };
}

export function isOutputSource(value: OutputSource | NodeJS.ReadableStream): value is OutputSource {
  return typeof (value as OutputSource).start === 'function';
}
