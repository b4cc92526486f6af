// Does a request flood on the control socket and the health port slow supervision? A program exits
// every runSeconds and is respawned; its crash→respawn latency (bench/respawn.ts's measure, from
// the program's own $EPOCHREALTIME lines) is taken idle, then while clients hammer both endpoints
// with new connections (each one a peer-uid check on the control socket), well-formed requests,
// refused ones (a body, a big head) and junk. Target: flood median and p90 within 2× of idle.
//   node dist/bench/control-flood.js [--crashes N] [--clients N]
// Loopback and a unix socket only; bounded by the number of crashes.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startCorepod } from './lib/corepod-runner.js';
import { withScope } from './lib/scope.js';
import { summarize, type Summary } from './lib/stats.js';
import { collect, crasher } from './respawn.js';

const REQUESTS = [
  'GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /v1/programs/crasher/log?bytes=4096 HTTP/1.1\r\nHost: x\r\n\r\n',
  'POST /v1/programs/%E0/start HTTP/1.1\r\nHost: x\r\n\r\n',
  `GET /v1/status HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(9000)}\r\n\r\n`,
  `POST /v1/programs/none/stop HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n${'b'.repeat(4000)}`,
  'NOT HTTP AT ALL\r\n\r\n',
];
const HEALTH_REQUESTS = [
  'GET /health HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /livez HTTP/1.1\r\nHost: x\r\n\r\n',
  REQUESTS[4]!,
  REQUESTS[5]!,
];

/** One request on a new connection; resolves when the server closed it (or after 5 s). */
function once(connect: () => net.Socket, bytes: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect();
    let answered = false;
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.on('data', () => (answered = true));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answered);
    });
    socket.on('connect', () => {
      // A server that has already closed (a refused request) can make the write throw EPIPE here.
      try {
        socket.end(bytes);
      } catch {
        socket.destroy();
      }
    });
  });
}

interface Flood {
  stop(): Promise<{ requests: number; answered: number; seconds: number }>;
}

function flood(clients: number, socketPath: string, healthPort: number): Flood {
  let running = true;
  let requests = 0;
  let answered = 0;
  const started = performance.now();
  const loop = async (i: number) => {
    const toHealth = i % 2 === 1;
    const list = toHealth ? HEALTH_REQUESTS : REQUESTS;
    for (let n = 0; running; n++) {
      requests++;
      if (await once(() => (toHealth ? net.connect(healthPort, '127.0.0.1') : net.connect(socketPath)), list[n % list.length]!)) answered++;
    }
  };
  const loops = Array.from({ length: clients }, (_, i) => loop(i));
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { requests, answered, seconds: (performance.now() - started) / 1000 };
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { crashes: { type: 'string', default: '40' }, clients: { type: 'string', default: '32' }, 'run-seconds': { type: 'string', default: '0.2' } },
  });
  const crashes = Number(values.crashes);
  const clients = Number(values.clients);
  const runSeconds = Number(values['run-seconds']);
  await withScope(async (scope) => {
    const dir = scope.tempDir('control-flood');
    const { program, log } = crasher(dir, { runSeconds });
    const corepod = startCorepod(scope, { programs: [program] });
    const up = await corepod.waitStates((doc) => doc.programs[0]?.state === 'RUNNING', 'crasher RUNNING', 30_000);
    const socketPath = path.join(corepod.runDir, 'corepod.sock');
    const phase = async (): Promise<number[]> => {
      fs.writeFileSync(log, '');
      return collect(log, crashes, crashes * (runSeconds * 1000 + 3000) + 30_000);
    };
    const idle = summarize(await phase());
    const flooding = flood(clients, socketPath, up.supervisor.healthPort!);
    const busy = summarize(await phase());
    const load = await flooding.stop();
    const after = await corepod.waitStates(() => true, 'its status once the flood stopped', 30_000, 200);
    await corepod.stop();
    const row = (name: string, s: Summary) => `| ${name} | ${s.median.toFixed(2)} | ${s.p90.toFixed(2)} | ${s.max.toFixed(2)} |`;
    process.stdout.write(
      [
        `control-flood: ${crashes} respawns per phase, the program runs ${runSeconds} s then exits 3; ${clients} clients (half on the control socket, half on the health port), a new connection per request`,
        '',
        '| phase | respawn median (ms) | p90 (ms) | max (ms) |',
        '|---|---|---|---|',
        row('idle', idle),
        row('flood', busy),
        '',
        `flood/idle: median ${(busy.median / idle.median).toFixed(2)}×, p90 ${(busy.p90 / idle.p90).toFixed(2)}× (target ≤ 2×)`,
        `flood: ${load.requests} requests in ${load.seconds.toFixed(1)} s (${(load.requests / load.seconds).toFixed(0)}/s), ${load.answered} answered; supervisor rss after: ${(after.supervisor.memory.rssBytes / 2 ** 20).toFixed(1)} MiB`,
        '',
      ].join('\n'),
    );
  });
}

await main();
