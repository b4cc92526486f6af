// The control API: HTTP/JSON on a unix socket that only the supervisor's user can reach: socket
// mode 0700 inside a 0700 run directory, and the peer's uid (SO_PEERCRED, through the peer-uid
// helper) must be the supervisor's, since root passes any file mode. The `corepod` CLI is its client.
//   GET  /v1/status                          supervisor facts and every program (ProgramDetail)
//   GET  /v1/health                          the health report (same as the health endpoint)
//   POST /v1/programs/{name|all}/{start|stop|restart}[?timeoutMs=N]
//   POST /v1/programs/{name|all}/signal?signal=HUP
//   GET  /v1/programs/{name}/log?stream=stdout|stderr&bytes=N[&follow=1]
//   GET  /v1/events                          one JSON line per supervisor event, as they happen
//   POST /v1/reload[?dryRun=1]               read the config file again and apply it in place
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bodyTooLarge, http } from '../lib/node-http.js';
import net from 'node:net';
import path from 'node:path';
import { systemClock } from '../lib/clock.js';
import { connectionBudget } from './connection-budget.js';
import { parseControlRequest } from './control-request.js';
import { peerCredentials } from './peer-credentials.js';
import type { Action, Supervisor } from './supervisor.js';

/** What one client can make the control server hold; a request takes no body. */
export const CONTROL_LIMITS = {
  /** Request line and headers together (Node answers 431 past it). */
  maxHeaderBytes: 8 * 1024,
  /** A body (none is read) past this is refused with 413. */
  maxBodyBytes: 1024,
  /** Open connections, streams included; the kernel's backlog holds more, then refuses. */
  maxConnections: 64,
  /** Connections whose peer is being checked at once (one peer-uid helper each); more get 503. */
  maxPeerChecks: 8,
  /** Time to send the request's head. */
  headersTimeoutMs: 5000,
  /** New connections per second past a burst; more are closed unread. */
  connectionsPerSecond: 50,
  connectionBurst: 20,
} as const;

export interface ControlServerOptions {
  /** The peer-uid helper; without it the socket's file modes alone keep other users out. */
  peerUidHelper?: string | undefined;
  /** The uid a peer must have (default: ours). */
  uid?: number;
  /** Told of each refused connection. */
  onRefused?: (why: string) => void;
}

export interface SupervisorFacts {
  pid: number;
  /** Who reaps orphans: "tini (PID 1)", "tini (subreaper under a PID-1 shim)", "host init", "none". */
  reaper: string;
  /** Whether corepod is the container's init (PID 1 itself, or behind tini as PID 1). */
  pid1: boolean;
  healthPort: number | undefined;
  runDir: string;
  configFile: string | undefined;
}

export interface StatusDocument {
  supervisor: SupervisorFacts & {
    startedAt: string;
    uptimeSeconds: number;
    stopping: boolean;
    version: 1;
    /** The supervisor's own memory (process.memoryUsage()). */
    memory: { rssBytes: number; heapUsedBytes: number; heapTotalBytes: number; externalBytes: number };
  };
  programs: ReturnType<Supervisor['details']>;
}

export type ReloadHandler = (dryRun: boolean) => Promise<{ outcome: string; lines: string[] }>;

export interface ControlServer {
  close(): Promise<void>;
  /** What POST /v1/reload does (until set: 503). */
  onReload(handler: ReloadHandler): void;
  readonly socketPath: string;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function ownMemory(): StatusDocument['supervisor']['memory'] {
  const usage = process.memoryUsage();
  return { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed, heapTotalBytes: usage.heapTotal, externalBytes: usage.external };
}

/** Whether something answers on the socket (a live supervisor) or it is a stale leftover. */
export function socketAlive(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A short HTTP answer on a raw socket, for a connection refused before the HTTP server sees it. */
function refuse(socket: net.Socket, status: number, error: string): void {
  const body = `${JSON.stringify({ error })}\n`;
  socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

export async function startControlServer(supervisor: Supervisor, socketPath: string, facts: () => SupervisorFacts, options: ControlServerOptions = {}): Promise<ControlServer> {
  fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 });
  fs.chmodSync(path.dirname(socketPath), 0o700);
  if (fs.existsSync(socketPath)) {
    if (await socketAlive(socketPath)) throw new Error(`another corepod supervisor is listening on ${socketPath}`);
    fs.unlinkSync(socketPath);
  }
  const streams = new Set<ServerResponse>();
  const reload: { handler?: ReloadHandler } = {};
  const httpServer = http.createServer({ maxHeaderSize: CONTROL_LIMITS.maxHeaderBytes }, (req, res) => {
    // A body over the limit: 413, and the connection goes (its body is never read).
    if (bodyTooLarge(req, CONTROL_LIMITS.maxBodyBytes)) {
      res.setHeader('connection', 'close');
      send(res, 413, { error: `a control request takes no body (at most ${CONTROL_LIMITS.maxBodyBytes} bytes are tolerated)` });
      return;
    }
    handle(supervisor, facts, req, res, streams, reload).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: String(error) });
      else res.destroy();
    });
  });
  httpServer.keepAliveTimeout = 1000;
  httpServer.headersTimeout = CONTROL_LIMITS.headersTimeoutMs;
  const uid = options.uid ?? process.getuid?.() ?? 0;
  let checking = 0;
  const admit = (socket: net.Socket) => {
    httpServer.emit('connection', socket);
    socket.resume();
  };
  // Accepted paused: nothing is read from a peer before its uid is known.
  const budget = connectionBudget(systemClock, CONTROL_LIMITS.connectionsPerSecond, CONTROL_LIMITS.connectionBurst);
  const server = net.createServer({ pauseOnConnect: true }, (socket) => {
    socket.on('error', () => socket.destroy());
    if (!budget.take()) {
      socket.destroy();
      return;
    }
    const helper = options.peerUidHelper;
    if (!helper) {
      admit(socket);
      return;
    }
    if (checking >= CONTROL_LIMITS.maxPeerChecks) {
      options.onRefused?.('too many connections at once');
      refuse(socket, 503, 'too many connections at once; try again');
      return;
    }
    checking++;
    peerCredentials(helper, socket)
      .then(
        (peer) => {
          if (peer.uid === uid) admit(socket);
          else {
            options.onRefused?.(`uid ${peer.uid} (pid ${peer.pid}) is not the supervisor's uid ${uid}`);
            refuse(socket, 403, `uid ${peer.uid} may not use this supervisor's control socket (only uid ${uid})`);
          }
        },
        (error: Error) => {
          options.onRefused?.(`cannot check the peer: ${error.message}`);
          refuse(socket, 503, `cannot check who is connecting: ${error.message}`);
        },
      )
      .finally(() => checking--);
  });
  server.maxConnections = CONTROL_LIMITS.maxConnections;
  const umask = process.umask(0o077);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(umask);
  }
  fs.chmodSync(socketPath, 0o700);
  return {
    socketPath,
    onReload: (handler) => {
      reload.handler = handler;
    },
    close: async () => {
      for (const res of streams) res.end();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      httpServer.closeAllConnections();
      await closed;
      fs.rmSync(socketPath, { force: true });
    },
  };
}

async function handle(
  supervisor: Supervisor,
  facts: () => SupervisorFacts,
  req: IncomingMessage,
  res: ServerResponse,
  streams: Set<ServerResponse>,
  reload: { handler?: ReloadHandler },
): Promise<void> {
  const parsed = parseControlRequest(req.method ?? 'GET', req.url ?? '/');
  if (!parsed.ok) {
    send(res, parsed.status, { error: parsed.error });
    return;
  }
  const route = parsed.route;
  switch (route.kind) {
    case 'status': {
      const base = facts();
      const document: StatusDocument = {
        supervisor: {
          ...base,
          version: 1,
          startedAt: new Date(supervisor.startedAt).toISOString(),
          uptimeSeconds: Math.floor((Date.now() - supervisor.startedAt) / 1000),
          stopping: supervisor.isStopping(),
          memory: ownMemory(),
        },
        programs: supervisor.details(),
      };
      send(res, 200, document);
      return;
    }
    case 'health':
      send(res, 200, supervisor.health());
      return;
    case 'reload':
      if (!reload.handler) {
        send(res, 503, { error: 'not ready to reload yet' });
        return;
      }
      send(res, 200, await reload.handler(route.dryRun));
      return;
    case 'events': {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      streams.add(res);
      const subscription = supervisor.subscribe({ deliver: (event) => void res.write(`${JSON.stringify(event)}\n`) }, { maxQueue: 10_000 });
      res.on('close', () => {
        subscription.unsubscribe();
        streams.delete(res);
      });
      return;
    }
    case 'action':
      send(res, 200, { results: await supervisor.command(route.action as Action, route.target, route.timeoutMs) });
      return;
    case 'signal':
      send(res, 200, { results: supervisor.signal(route.target, route.signal) });
      return;
    case 'log': {
      const log = supervisor.log(route.name);
      if (!log) {
        send(res, 404, { error: `no program named "${route.name}"` });
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(log.tail(route.stream, route.bytes));
      if (!route.follow) {
        res.end();
        return;
      }
      streams.add(res);
      // A follower that cannot keep up loses chunks rather than buffering without bound.
      const stop = log.follow(route.stream, (chunk) => {
        if (res.writableLength < 1 << 20) res.write(chunk);
      });
      res.on('close', () => {
        stop();
        streams.delete(res);
      });
      return;
    }
  }
}
