// node:http loaded with require, not imported as an ES module: an ES import evaluates every export
// for the module namespace, and since Node 22 http.WebSocket, CloseEvent and MessageEvent are lazy
// getters that load undici (and with it tls, http2, zlib, worker_threads) — about 8 MiB more
// resident memory in every sidecar-init, which never uses them. Import its types with `import type`.
import { createRequire } from 'node:module';
import type * as Http from 'node:http';

export const http = createRequire(import.meta.url)('node:http') as typeof Http;

/** A request that brings a body (chunked, or longer than limit): our servers read none. */
export function bodyTooLarge(req: Http.IncomingMessage, limit: number): boolean {
  const length = Number(req.headers['content-length'] ?? 0);
  return req.headers['transfer-encoding'] !== undefined || !Number.isFinite(length) || length > limit;
}
