import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { HealthCheckSpec } from '../crds/corepod-schema.js';
import { networkProbe } from './health-probe.js';
import { alive } from '../lib/procfs.js';
import { tempDir, waitFor } from './test-helpers.js';

const check = (probe: Partial<HealthCheckSpec>, timeoutSeconds = 2): HealthCheckSpec => ({
  initialDelaySeconds: 0,
  periodSeconds: 10,
  timeoutSeconds,
  failureThreshold: 3,
  required: true,
  ...probe,
});
const exec = { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } };

async function listen(t: TestContext, server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as net.AddressInfo).port;
}

test('httpGet: 2xx and 3xx are healthy, 5xx is not; the status is reported', async (t) => {
  const server = http.createServer((req, res) => {
    res.writeHead(req.url === '/ok' ? 200 : req.url === '/moved' ? 302 : 503, { connection: 'close' });
    res.end();
  });
  const port = await listen(t, server);
  const get = (p: string) => networkProbe.run(check({ httpGet: { path: p, port, host: '127.0.0.1' } }), exec);
  assert.deepEqual([(await get('/ok')).ok, (await get('/moved')).ok], [true, true]);
  const bad = await get('/down');
  assert.equal(bad.ok, false);
  assert.equal(bad.message, 'HTTP 503');
});

test('httpGet: a server that never answers fails at timeoutSeconds; abort ends it at once', async (t) => {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => sockets.add(socket));
  t.after(() => sockets.forEach((s) => s.destroy()));
  const port = await listen(t, server);
  const timedOut = await networkProbe.run(check({ httpGet: { path: '/', port, host: '127.0.0.1' } }, 1), exec);
  assert.deepEqual([timedOut.ok, timedOut.message], [false, 'timed out after 1s']);
  const controller = new AbortController();
  const pending = networkProbe.run(check({ httpGet: { path: '/', port, host: '127.0.0.1' } }, 3600), exec, controller.signal);
  await waitFor('connection', () => sockets.size >= 2);
  controller.abort();
  assert.deepEqual(await pending, { ok: false, latencyMs: (await pending).latencyMs, message: 'aborted' });
});

test('tcpSocket: a listening port is healthy, a closed one is not', async (t) => {
  const server = net.createServer((socket) => socket.end());
  const port = await listen(t, server);
  assert.equal((await networkProbe.run(check({ tcpSocket: { port, host: '127.0.0.1' } }), exec)).ok, true);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const refused = await networkProbe.run(check({ tcpSocket: { port, host: '127.0.0.1' } }), exec);
  assert.equal(refused.ok, false);
  assert.match(refused.message ?? '', /ECONNREFUSED/);
});

test('exec: exit 0 is healthy; otherwise the exit status and first stderr line are reported', async () => {
  assert.equal((await networkProbe.run(check({ exec: { command: ['true'] } }), exec)).ok, true);
  const failed = await networkProbe.run(check({ exec: { command: ['sh', '-c', 'echo broken >&2; exit 7'] } }), exec);
  assert.deepEqual([failed.ok, failed.message], [false, 'exit 7: broken']);
});

test('exec: an overrunning check has its whole process group killed', async (t) => {
  const pidFile = path.join(tempDir(t), 'pid');
  const result = await networkProbe.run(check({ exec: { command: ['sh', '-c', `sleep 1000 & echo $! > ${pidFile}; wait`] } }, 1), exec);
  assert.deepEqual([result.ok, result.message], [false, 'timed out after 1s']);
  const grandchild = Number(fs.readFileSync(pidFile, 'utf8'));
  await waitFor('grandchild killed', () => !alive(grandchild) || fs.readFileSync(`/proc/${grandchild}/stat`, 'utf8').includes(') Z'));
});
