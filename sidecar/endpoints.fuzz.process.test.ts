// Fuzzing the two endpoints of a real `corepod run` with raw bytes: random request lines, headers
// and bodies on the control socket and on the health port. Each request gets an HTTP answer that
// is not a 500 (or the connection is closed on bytes that are no HTTP), and the supervised program
// is never touched: same pid, still RUNNING, after every case.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { fuzzParameters } from '../lib/fuzz-runs.js';
import type { StatusDocument } from './control-server.js';
import { parseControlRequest } from './control-request.js';
import { runCli, startCli, tempDir, waitFor } from './test-helpers.js';

/** Sends raw bytes, half-closes, and returns what came back until the server closed or 3 s passed. */
function exchange(connect: () => net.Socket, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect();
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, 3000);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // A stream (events, a followed log) never ends: its head is the answer.
      if (Buffer.concat(chunks).includes('\r\n\r\n')) done();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.on('connect', () => socket.end(bytes));
  });
}

const token = fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'CONNECT', 'PRI', 'get', 'G\u00e9T', '');
const targets = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '/v1/status',
      '/v1/health',
      '/livez',
      '/readyz',
      '/health',
      '/v1/programs/app/log?bytes=99999999999999999999',
      '/v1/programs/%E0/log',
      '/v1/programs/app/start?timeoutMs=x',
    ),
  },
  fc.constantFrom(
    '/v1/status',
    '/v1/health',
    '/v1/programs/nope/log?bytes=10',
    '/livez',
    '/readyz',
    '/health',
    '/ready',
    '/v1/programs/%E0/start',
    '//x',
    '*',
    `/${'a'.repeat(9000)}`,
  ),
  fc.string({ maxLength: 60 }).map((s) => `/${encodeURI(s)}`),
  fc.string({ unit: 'binary', maxLength: 60 }),
);
const header = fc.oneof(
  fc.constantFrom(
    'Host: x',
    'Content-Length: 5',
    'Content-Length: -1',
    'Content-Length: 99999999999',
    'Transfer-Encoding: chunked',
    'Expect: 100-continue',
    'Connection: upgrade',
    'Upgrade: h2c',
    `X-Big: ${'b'.repeat(20_000)}`,
  ),
  fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 30 })).map(([k, v]) => `${k}: ${v}`),
);
const wellFormed = fc.tuple(
  fc.constantFrom('GET', 'POST', 'HEAD'),
  targets,
  fc.constant('HTTP/1.1'),
  fc.array(header, { maxLength: 2 }).map((h) => ['Host: x', ...h]),
  fc.constant(''),
  fc.constant('\r\n'),
);
const anyForm = fc.tuple(
  token,
  targets,
  fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 extra', ''),
  fc.array(header, { maxLength: 6 }),
  fc.string({ maxLength: 40 }),
  fc.constantFrom('\r\n', '\n'),
);
const request = fc.oneof(wellFormed, anyForm).map(([method, target, version, headers, body, eol]) => ({
  method,
  target,
  bytes: Buffer.from(`${method} ${target} ${version}${eol}${headers.join(eol)}${eol}${eol}${body}`, 'latin1'),
}));

test('fuzz: raw requests on the control socket and the health port get answers, never a 500, and leave the program alone', async (t) => {
  const dir = tempDir(t);
  const env = { ...process.env, COREPOD_RUN_DIR: path.join(dir, 'run') };
  const file = path.join(dir, 'corepod.yaml');
  fs.writeFileSync(file, 'image: test\nprograms:\n  - { name: app, command: [sleep, "1000"], startSeconds: 0 }\n');
  startCli(t, ['run', '-f', file, '--health-port', '0'], env);
  const status = async () => {
    const result = await runCli(['status', '--json'], env);
    return result.code === 0 ? (JSON.parse(result.stdout) as StatusDocument) : undefined;
  };
  const before = await waitFor('app RUNNING', status);
  const pid = before.programs[0]!.pid;
  const healthPort = before.supervisor.healthPort!;
  const socket = path.join(env.COREPOD_RUN_DIR, 'corepod.sock');
  const statuses = new Map<string, number>();

  await fc.assert(
    fc.asyncProperty(request, fc.boolean(), async ({ method, target, bytes }, toHealth) => {
      // Actions on the real program are the CLI's to test; here they would only stop it.
      const parsed = parseControlRequest(method, target);
      fc.pre(toHealth || !parsed.ok || (parsed.route.kind !== 'action' && parsed.route.kind !== 'signal'));
      const answer = await exchange(() => (toHealth ? net.connect(healthPort, '127.0.0.1') : net.connect(socket)), bytes);
      const code = /^HTTP\/1\.[01] (\d{3}) /.exec(answer)?.[1];
      statuses.set(code ?? 'closed', (statuses.get(code ?? 'closed') ?? 0) + 1);
      assert.notEqual(code, '500', `a 500 for ${JSON.stringify(bytes.toString('latin1').slice(0, 200))}:\n${answer.slice(0, 500)}`);
      assert.ok(code !== undefined || answer === '', `not HTTP: ${answer.slice(0, 200)}`);
    }),
    fuzzParameters(150),
  );
  const after = await status();
  assert.ok(after, 'the supervisor still answers');
  assert.deepEqual({ state: after.programs[0]!.state, pid: after.programs[0]!.pid, restarts: after.programs[0]!.restarts }, { state: 'RUNNING', pid, restarts: 0 });
  t.diagnostic(`answers by status: ${JSON.stringify(Object.fromEntries(statuses))}`);
});
