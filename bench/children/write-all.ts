// Blocking write of a whole buffer to fd 1, whatever kind of file it is (a pipe, a socket, a file).
import fs from 'node:fs';

export function writeAll(buffer: Buffer): void {
  let offset = 0;
  while (offset < buffer.length) {
    try {
      offset += fs.writeSync(1, buffer, offset, buffer.length - offset);
    } catch (error) {
      // A non-blocking stdout (inherited O_NONBLOCK) is full: wait for it rather than lose data.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

/** Wall-clock ms with sub-ms resolution, comparable across processes. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}
