// Grows busy output pipes with the runtime's pipe-size helper (sidecar/runtime/pipe-size.c; Node
// cannot call fcntl). Within a budget: the kernel counts pipe capacity per user across the whole
// node, and past pipe-user-pages-soft (64 MiB) it gives that user's new pipes two pages, so growing
// every pipe of 50 programs could starve other containers that run as the same uid. Only busy pipes
// are grown, and never more than `budgetBytes` of capacity at a time.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface PipeSizer {
  /**
   * Asks for the pipe on `fd` to hold `pipeBytes`. Returns false when the budget is spent (nothing
   * is done); otherwise `done` is called once with the capacity the pipe got, or undefined when it
   * could not be grown. A grown pipe's capacity must be given back with `release` when it closes.
   */
  grow(fd: number, done: (capacity: number | undefined) => void): boolean;
  release(capacity: number): void;
  /** Capacity granted and not yet released. */
  inUse(): number;
}

export interface PipeSizerOptions {
  /** The pipe-size helper. */
  helper: string;
  /** Capacity asked for a busy pipe. Default 1 MiB (the unprivileged maximum, /proc/sys/fs/pipe-max-size). */
  pipeBytes?: number;
  /** Most capacity granted at once. Default 8 MiB. */
  budgetBytes?: number;
  /** Called once per failed attempt with the helper's message. */
  onError?: (message: string) => void;
}

/** The helper `npm run build` compiles with the host's cc (sidecar/runtime/build-host-helpers). */
export const HOST_BUILT_PIPE_SIZE = fileURLToPath(new URL('../runtime/pipe-size', import.meta.url));
export const GROWN_PIPE_BYTES = 1 << 20;
const PIPE_BUDGET_BYTES = 8 << 20;

export function createPipeSizer(options: PipeSizerOptions): PipeSizer {
  const pipeBytes = options.pipeBytes ?? GROWN_PIPE_BYTES;
  const budget = options.budgetBytes ?? PIPE_BUDGET_BYTES;
  let used = 0;
  return {
    grow(fd, done) {
      if (used + pipeBytes > budget) return false;
      used += pipeBytes;
      let finished = false;
      const finish = (capacity: number | undefined, error?: string) => {
        if (finished) return;
        finished = true;
        // The reservation becomes what the pipe got (released later by its owner), or is returned.
        used += (capacity ?? 0) - pipeBytes;
        if (error) options.onError?.(error);
        done(capacity);
      };
      let output = '';
      const child = spawn(options.helper, [String(pipeBytes)], { stdio: [fd, 'pipe', 'pipe'] });
      child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('error', (error) => finish(undefined, `${options.helper}: ${error.message}`));
      child.once('close', (code) => {
        const capacity = Number(output.trim());
        if (code === 0 && Number.isInteger(capacity) && capacity > 0) finish(capacity);
        else finish(undefined, output.trim() || `${options.helper} exited with ${code}`);
      });
      return true;
    },
    release(capacity) {
      used = Math.max(0, used - capacity);
    },
    inUse: () => used,
  };
}
