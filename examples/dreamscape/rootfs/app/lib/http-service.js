// A tiny JSON HTTP service on plain node:http, shared by the DreamScape services: /health,
// routes, a JSON access log on stdout, and a graceful stop on SIGTERM/SIGINT (stop accepting,
// let requests in flight finish, exit 0; exit 1 if that takes longer than STOP_TIMEOUT_MS).
import http from 'node:http';

const STOP_TIMEOUT_MS = Number(process.env.STOP_TIMEOUT_MS ?? 5000);

/** Reads a small JSON body (at most 64 KiB). */
export async function readJson(request) {
  let body = '';
  for await (const chunk of request) {
    body += chunk;
    if (body.length > 65_536) throw Object.assign(new Error('body too large'), { status: 413 });
  }
  try {
    return body === '' ? {} : JSON.parse(body);
  } catch {
    throw Object.assign(new Error('body is not JSON'), { status: 400 });
  }
}

function send(response, status, value) {
  const body = JSON.stringify(value);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

/**
 * Starts the service. `routes` maps "METHOD /path" (a trailing "/*" matches any rest) to
 * async (request, match) => [status, body].
 */
export function serve({ name, port, routes }) {
  const startedAt = Date.now();
  const table = Object.entries({
    'GET /health': async () => [200, { status: 'ok', service: name, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) }],
    ...routes,
  }).map(([key, handler]) => {
    const [method, pattern] = key.split(' ');
    return { method, prefix: pattern.endsWith('/*') ? pattern.slice(0, -1) : undefined, pattern, handler };
  });

  const server = http.createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const route = table.find((r) => r.method === request.method && (r.prefix ? url.pathname.startsWith(r.prefix) : url.pathname === r.pattern));
    let status = 404;
    try {
      if (route) {
        const [code, body] = await route.handler(request, { url, rest: route.prefix ? url.pathname.slice(route.prefix.length) : '' });
        status = code;
        send(response, code, body);
      } else {
        send(response, 404, { error: `no route for ${request.method} ${url.pathname}` });
      }
    } catch (error) {
      status = error.status ?? 500;
      send(response, status, { error: error.message });
    }
    if (url.pathname !== '/health') {
      process.stdout.write(`${JSON.stringify({ service: name, method: request.method, path: url.pathname, status })}\n`);
    }
  });

  server.listen(port, process.env.HOST ?? '127.0.0.1', () => {
    process.stdout.write(`${name} listening on ${server.address().address}:${server.address().port}\n`);
  });

  const stop = (signal) => {
    process.stdout.write(`${name}: ${signal}, stopping\n`);
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => {
      process.stderr.write(`${name}: requests still running after ${STOP_TIMEOUT_MS} ms, exiting\n`);
      process.exit(1);
    }, STOP_TIMEOUT_MS).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return server;
}
