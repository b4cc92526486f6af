// /healthz and /readyz for the kubelet, /metrics for Prometheus (one server when the ports match).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface Endpoints {
  healthy(): boolean;
  ready(): boolean;
  registry: Registry;
}

export interface Listening {
  healthPort: number;
  metricsPort: number;
  close(): Promise<void>;
}

function handler(endpoints: Endpoints, serve: { probes: boolean; metrics: boolean }): http.RequestListener {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (serve.probes && path === '/healthz') return send(endpoints.healthy() ? 200 : 500, endpoints.healthy() ? 'ok\n' : 'unhealthy\n');
    if (serve.probes && path === '/readyz') return send(endpoints.ready() ? 200 : 503, endpoints.ready() ? 'ok\n' : 'caches not synced\n');
    if (serve.metrics && path === '/metrics') {
      endpoints.registry.metrics().then(
        (text) => send(200, text, endpoints.registry.contentType),
        (error: Error) => send(500, `${error.message}\n`),
      );
      return;
    }
    send(404, 'not found\n');
  };
}

async function listen(server: http.Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Port 0 picks a free port; the bound ports are returned. */
export async function startServers(endpoints: Endpoints, ports: { health: number; metrics: number }, host = '0.0.0.0'): Promise<Listening> {
  const servers: http.Server[] = [];
  let healthPort: number;
  let metricsPort: number;
  if (ports.health !== 0 && ports.health === ports.metrics) {
    const server = http.createServer(handler(endpoints, { probes: true, metrics: true }));
    servers.push(server);
    healthPort = metricsPort = await listen(server, ports.health, host);
  } else {
    const probes = http.createServer(handler(endpoints, { probes: true, metrics: false }));
    const metrics = http.createServer(handler(endpoints, { probes: false, metrics: true }));
    servers.push(probes, metrics);
    healthPort = await listen(probes, ports.health, host);
    metricsPort = await listen(metrics, ports.metrics, host);
  }
  return {
    healthPort,
    metricsPort,
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
