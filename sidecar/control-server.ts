// The control API: HTTP/JSON on a unix socket that only the supervisor's user can reach (socket
// mode 0700 inside a 0700 run directory). The `corepod` CLI is its client.
//   GET  /v1/status                          supervisor facts and every program (ProgramDetail)
//   GET  /v1/health                          the health report (same as the health endpoint)
//   POST /v1/programs/{name|all}/{start|stop|restart}[?timeoutMs=N]
//   POST /v1/programs/{name|all}/signal?signal=HUP
//   GET  /v1/programs/{name}/log?stream=stdout|stderr&bytes=N[&follow=1]
//   GET  /v1/events                          one JSON line per supervisor event, as they happen
//   POST /v1/reload[?dryRun=1]               read the config file again and apply it in place
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { http } from '../lib/node-http.js';
import net from 'node:net';
import path from 'node:path';
import type { SignalName } from './process-state-machine.js';
import { signalNumber } from './process-runner.js';
import type { Action, Supervisor } from './supervisor.js';

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

export async function startControlServer(supervisor: Supervisor, socketPath: string, facts: () => SupervisorFacts): Promise<ControlServer> {
  fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 });
  fs.chmodSync(path.dirname(socketPath), 0o700);
  if (fs.existsSync(socketPath)) {
    if (await socketAlive(socketPath)) throw new Error(`another corepod supervisor is listening on ${socketPath}`);
    fs.unlinkSync(socketPath);
  }
  const streams = new Set<ServerResponse>();
  const reload: { handler?: ReloadHandler } = {};
  const server = http.createServer((req, res) => {
    handle(supervisor, facts, req, res, streams, reload).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: String(error) });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 1000;
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
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
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
  const url = new URL(req.url ?? '/', 'http://corepod');
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const method = req.method ?? 'GET';
  if (method === 'POST' && url.pathname === '/v1/reload') {
    if (!reload.handler) {
      send(res, 503, { error: 'not ready to reload yet' });
      return;
    }
    send(res, 200, await reload.handler(url.searchParams.get('dryRun') === '1'));
    return;
  }
  if (method === 'GET' && url.pathname === '/v1/status') {
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
  if (method === 'GET' && url.pathname === '/v1/health') {
    const report = supervisor.health();
    send(res, 200, report);
    return;
  }
  if (method === 'GET' && url.pathname === '/v1/events') {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    streams.add(res);
    const subscription = supervisor.subscribe({ deliver: (event) => void res.write(`${JSON.stringify(event)}\n`) }, { maxQueue: 10_000 });
    res.on('close', () => {
      subscription.unsubscribe();
      streams.delete(res);
    });
    return;
  }
  if (parts[0] === 'v1' && parts[1] === 'programs' && parts.length === 4) {
    const [, , name, verb] = parts as [string, string, string, string];
    if (method === 'POST' && (verb === 'start' || verb === 'stop' || verb === 'restart')) {
      const timeoutMs = Number(url.searchParams.get('timeoutMs') ?? 60_000);
      const results = await supervisor.command(verb as Action, name, Number.isFinite(timeoutMs) ? timeoutMs : 60_000);
      send(res, 200, { results });
      return;
    }
    if (method === 'POST' && verb === 'signal') {
      const signal = normalizeSignal(url.searchParams.get('signal') ?? '');
      if (!signal) {
        send(res, 400, { error: `unknown signal "${url.searchParams.get('signal') ?? ''}"` });
        return;
      }
      send(res, 200, { results: supervisor.signal(name, signal) });
      return;
    }
    if (method === 'GET' && verb === 'log') {
      const log = supervisor.log(name);
      if (!log) {
        send(res, 404, { error: `no program named "${name}"` });
        return;
      }
      const stream = url.searchParams.get('stream') === 'stderr' ? 'stderr' : 'stdout';
      const bytes = Number(url.searchParams.get('bytes') ?? 1600);
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(log.tail(stream, Number.isFinite(bytes) && bytes >= 0 ? bytes : 1600));
      if (url.searchParams.get('follow') !== '1') {
        res.end();
        return;
      }
      streams.add(res);
      // A follower that cannot keep up loses chunks rather than buffering without bound.
      const stop = log.follow(stream, (chunk) => {
        if (res.writableLength < 1 << 20) res.write(chunk);
      });
      res.on('close', () => {
        stop();
        streams.delete(res);
      });
      return;
    }
  }
  send(res, 404, { error: `no such endpoint: ${method} ${url.pathname}` });
}

/** "hup", "SIGHUP" or "1" → "HUP"; undefined if not a signal. */
export function normalizeSignal(input: string): SignalName | undefined {
  const trimmed = input.trim().toUpperCase();
  if (/^\d+$/.test(trimmed)) {
    const number = Number(trimmed);
    for (const name of SIGNAL_NAMES) if (signalNumber(name) === number) return name;
    return undefined;
  }
  const name = trimmed.startsWith('SIG') ? trimmed.slice(3) : trimmed;
  return (SIGNAL_NAMES as readonly string[]).includes(name) ? (name as SignalName) : undefined;
}

const SIGNAL_NAMES: readonly SignalName[] = ['TERM', 'INT', 'QUIT', 'HUP', 'KILL', 'USR1', 'USR2', 'CONT', 'STOP', 'WINCH', 'ALRM', 'PIPE', 'TSTP', 'TTIN', 'TTOU'];
