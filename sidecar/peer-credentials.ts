// Who is at the other end of a unix socket the control server accepted. Node has no SO_PEERCRED,
// so the static peer-uid helper (sidecar/runtime/peer-uid.c) reads it with the accepted socket as
// its standard input. The kernel records the credentials at connect(): a client cannot forge them.
import { spawn } from 'node:child_process';
import type net from 'node:net';
import { fileURLToPath } from 'node:url';

/** The helper `npm run build` compiles with the host's C compiler (sidecar/runtime/build-host-helpers). */
export const HOST_BUILT_PEER_UID = fileURLToPath(new URL('./runtime/peer-uid', import.meta.url));

export interface PeerCredentials {
  uid: number;
  pid: number;
}

/** The peer's uid and pid; rejects when the helper fails or does not answer within timeoutMs. */
export function peerCredentials(helper: string, socket: net.Socket, timeoutMs = 2000): Promise<PeerCredentials> {
  return new Promise((resolve, reject) => {
    const child = spawn(helper, [], { stdio: [socket, 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const match = /^(\d+) (-?\d+)\n$/.exec(stdout);
      if (code === 0 && match) resolve({ uid: Number(match[1]), pid: Number(match[2]) });
      else reject(new Error(`peer-uid: ${stderr.trim() || (signal ? `killed by ${signal}` : `exited with ${code}`)}`));
    });
  });
}
