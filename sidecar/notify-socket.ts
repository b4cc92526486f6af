// A program's NOTIFY_SOCKET (sd_notify): a unix datagram socket, which Node cannot open (dgram is
// UDP only, and reading SOCK_DGRAM needs a native addon). The runtime's static notify-socket helper
// (sidecar/runtime/notify-socket.c) binds it and hands every datagram over its stdout, each
// followed by a NUL byte; one helper per program with `notify: true`, for the supervisor's life.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The helper `npm run build` compiles with the host's C compiler (sidecar/runtime/build-host-helpers). */
export const HOST_BUILT_NOTIFY_SOCKET = fileURLToPath(new URL('./runtime/notify-socket', import.meta.url));

export interface NotifyChannel {
  /** What the program gets as NOTIFY_SOCKET. */
  readonly path: string;
  /** Every datagram from now on, as text. */
  onMessage(listener: (datagram: string) => void): void;
  /** Stops the helper, which removes the socket. */
  close(): Promise<void>;
}

/** Binds `path` through `helper`; resolves once the socket exists (the helper's first NUL). */
export function openNotifySocket(helper: string, path: string, timeoutMs = 5000): Promise<NotifyChannel> {
  return new Promise((resolve, reject) => {
    const child = spawn(helper, [path], { stdio: ['ignore', 'pipe', 'pipe'] });
    const listeners: ((datagram: string) => void)[] = [];
    let buffer = '';
    let bound = false;
    let stderr = '';
    const exited = new Promise<void>((done) => child.once('close', () => done()));
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`notify-socket ${path}: ${why}`));
    };
    const timer = setTimeout(() => fail(`not bound within ${timeoutMs} ms`), timeoutMs);
    child.once('error', (error) => fail(error.message));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('exit', (code) => {
      if (!bound) fail(stderr.trim() || `exited with ${code}`);
    });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\0')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        if (!bound) {
          bound = true;
          clearTimeout(timer);
          resolve({
            path,
            onMessage: (listener) => void listeners.push(listener),
            close: async () => {
              if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
              await exited;
            },
          });
          continue;
        }
        for (const listener of listeners) listener(frame);
      }
    });
  });
}
