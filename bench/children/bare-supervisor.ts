// `node bare-supervisor.js COUNT SOCKET`: the least any Node supervisor of COUNT programs does, and
// nothing more: spawn `sleep 86400` COUNT times with stdout and stderr piped (read and dropped),
// respawn on exit, answer on a unix socket and on an HTTP port (loopback). No config, no state
// machine, no logs, no health checks. bench/rss.ts measures it as the floor under CorePod's RSS.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';

const count = Number(process.argv[2]);
const socket = process.argv[3]!;

let stopping = false;
const children = new Set<ReturnType<typeof spawn>>();

function run(): void {
  const child = spawn('sleep', ['86400'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.resume();
  child.stderr.resume();
  children.add(child);
  child.once('exit', () => {
    children.delete(child);
    if (!stopping) run();
  });
}

for (let i = 0; i < count; i++) run();
fs.rmSync(socket, { force: true });
const control = net.createServer((connection) => connection.end(`${children.size}\n`)).listen(socket);
const health = http.createServer((_req, res) => res.end('ok\n')).listen(0, '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    stopping = true;
    for (const child of children) child.kill('SIGTERM');
    control.close();
    health.close();
    process.exit(0);
  });
}
