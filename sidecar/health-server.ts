// The global health endpoint for kubelet probes: the contract's /livez and /readyz (aliases /live, /ready), and
// /health with the whole report. Answers come from the supervisor's cached state, never from a
// probe run on demand, so they are immediate even while a program's own check hangs. /metrics
// (when given) serves the Prometheus metrics, read from the same cached state.
// A client gets no more than HEALTH_LIMITS: no body is read, heads are small, connections few.
import { bodyTooLarge, http } from '../lib/node-http.js';
import type { AddressInfo } from 'node:net';
import type { HealthReport } from './supervisor-views.js';
import { LIVENESS_PATH, READINESS_PATH } from '../contract/sidecar-contract.js';

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

/** One scrape of /metrics in the format the Accept header asks for. */
export type MetricsScrape = (accept: string | undefined) => Promise<{ contentType: string; body: string }>;

/** What a client can make the health endpoint hold: small heads, no bodies, few connections. */
export const HEALTH_LIMITS = {
  maxHeaderBytes: 8 * 1024,
  maxBodyBytes: 1024,
  maxConnections: 128,
  timeoutMs: 5000,
} as const;

export async function startHealthServer(report: () => HealthReport, port: number, host: string, metrics?: MetricsScrape): Promise<HealthServer> {
  const server = http.createServer({ maxHeaderSize: HEALTH_LIMITS.maxHeaderBytes }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (metrics && path === '/metrics' && (req.method === 'GET' || req.method === 'HEAD')) {
      metrics(req.headers.accept).then(
        ({ contentType, body }) => {
          res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), connection: 'close' });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (error: Error) => {
          const text = `${error.message}\n`;
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), connection: 'close' });
          res.end(text);
        },
      );
      return;
    }
    let status = 404;
    let body: unknown = { error: `not found; try ${LIVENESS_PATH}, ${READINESS_PATH} or /health` };
    if (bodyTooLarge(req, HEALTH_LIMITS.maxBodyBytes)) {
      // The body is never read; the connection closes after this answer.
      status = 413;
      body = { error: `a health request takes no body (at most ${HEALTH_LIMITS.maxBodyBytes} bytes are tolerated)` };
    } else if (req.method === 'GET' || req.method === 'HEAD') {
      const current = report();
      if (path === LIVENESS_PATH || path === '/live' || path === '/healthz') {
        status = current.live ? 200 : 503;
        body = { live: current.live };
      } else if (path === READINESS_PATH || path === '/ready') {
        status = current.ready ? 200 : 503;
        body = { ready: current.ready, notReady: current.programs.filter((p) => !p.ready).map((p) => ({ name: p.name, state: p.state, reason: p.reason })) };
      } else if (path === '/health') {
        status = current.live && current.ready ? 200 : 503;
        body = current;
      }
    }
    const text = `${JSON.stringify(body)}\n`;
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), connection: 'close' });
    res.end(req.method === 'HEAD' ? undefined : text);
  });
  server.requestTimeout = HEALTH_LIMITS.timeoutMs;
  server.headersTimeout = HEALTH_LIMITS.timeoutMs;
  server.maxConnections = HEALTH_LIMITS.maxConnections;
  // No connection budget here, unlike the control socket: a flood must not make the kubelet's own
  // probes fail (and restart the container); an answer costs well under a millisecond.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}
