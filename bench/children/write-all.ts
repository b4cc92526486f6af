// Blocking write of a whole buffer to fd 1, whatever kind of file it is (a pipe, a socket, a
// file), and the start gate and result file of the log writers.
import fs from 'node:fs';
import { systemClock } from '../../lib/clock.js';

const pause = new Int32Array(new SharedArrayBuffer(4));

export function writeAll(buffer: Buffer): void {
  let offset = 0;
  while (offset < buffer.length) {
    try {
      offset += fs.writeSync(1, buffer, offset, buffer.length - offset);
    } catch (error) {
      // A non-blocking stdout (inherited O_NONBLOCK) is full: wait for it rather than lose data.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

/** Waits (at most a minute) until the file `gate` exists: the harness says when to start. */
export function waitForGate(gate: string | undefined): void {
  if (!gate) return;
  const deadline = Date.now() + 60_000;
  while (!fs.existsSync(gate) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 1);
}

export interface WriterResult {
  first: number;
  last: number;
  /** CPU seconds (user + system) the writer spent writing. */
  cpuSeconds: number;
}

export function measured(write: () => void): WriterResult {
  const cpu = process.cpuUsage();
  const first = systemClock.now();
  write();
  const last = systemClock.now();
  const used = process.cpuUsage(cpu);
  return { first, last, cpuSeconds: (used.user + used.system) / 1e6 };
}
