// The CLI side of the control API: HTTP over the supervisor's unix socket.
import { http } from '../../lib/node-http.js';
import { socketPath } from '../run-dir.js';
import { CannotConnect } from './args.js';

export interface Reply {
  status: number;
  body: unknown;
}

function target(): string {
  return socketPath();
}

function connectError(socket: string, error: NodeJS.ErrnoException): CannotConnect {
  const why =
    error.code === 'ENOENT'
      ? 'no supervisor is running'
      : error.code === 'EACCES'
        ? 'permission denied'
        : error.code === 'ECONNREFUSED'
          ? 'nothing listens (stale socket)'
          : error.message;
  return new CannotConnect(`cannot connect to ${socket}: ${why} (is "corepod run" running with the same COREPOD_RUN_DIR?)`);
}

function errorOf(text: string): string {
  try {
    return String((JSON.parse(text) as { error: unknown }).error);
  } catch {
    return text.trim();
  }
}

export function call(method: 'GET' | 'POST', path: string, timeoutMs = 120_000): Promise<Reply> {
  const socket = target();
  return new Promise((resolve, reject) => {
    const request = http.request({ socketPath: socket, method, path, timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        // Refused before any request was read: not our uid, or too many connections at once.
        if (response.statusCode === 403 || response.statusCode === 503) {
          reject(new CannotConnect(`${socket}: refused: ${errorOf(text)}`));
          return;
        }
        try {
          resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
        } catch {
          resolve({ status: response.statusCode ?? 0, body: text });
        }
      });
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer from ${socket} within ${timeoutMs / 1000}s`)));
    request.on('error', (error: NodeJS.ErrnoException) => reject(error.code ? connectError(socket, error) : error));
    request.end();
  });
}

/** Streams a response body to `onChunk` until the supervisor ends it; resolves with the HTTP status. */
export function stream(path: string, onChunk: (chunk: Buffer) => void): Promise<number> {
  const socket = target();
  return new Promise((resolve, reject) => {
    const request = http.request({ socketPath: socket, method: 'GET', path }, (response) => {
      response.on('data', onChunk);
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    });
    request.on('error', (error: NodeJS.ErrnoException) => reject(error.code ? connectError(socket, error) : error));
    request.end();
  });
}
