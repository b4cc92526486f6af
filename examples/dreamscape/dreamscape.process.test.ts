// The DreamScape example without the supervisor: the three commands of corepod.yaml, started
// directly from the checkout's rootfs (with its paths mapped as `corepod run --root` maps them),
// answer /health, and nginx routes /auth/ and /users/ to the two services. Ports are free ones
// (the services take PORT; nginx gets a copy of the rootfs with its ports swapped in nginx.conf),
// so the test runs next to anything, as any user.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { validateCorePod, type CorePodSpec, type ProgramSpec } from '../../crds/corepod-schema.js';
import { readImageRoot, specUnderRoot } from '../../sidecar/image-root.js';
import { OutputPipePool } from '../../sidecar/logs/output-pipe.js';
import { ProgramLog } from '../../sidecar/logs/program-log.js';
import { freePort, waitFor } from '../../sidecar/test-helpers.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const EXAMPLE = path.join(REPO, 'examples', 'dreamscape');

async function get(port: number, urlPath: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${port}${urlPath}`, { ...init, signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: await response.json() };
}

interface Started {
  child: ChildProcess;
  log: ProgramLog;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a program of corepod.yaml the way the supervisor would: its command, env and real pipes. */
function start(t: TestContext, pipes: OutputPipePool, program: ProgramSpec, env: Record<string, string | undefined>): Started {
  const out = pipes.take();
  const err = pipes.take();
  assert.ok(out && err, 'pipes for stdout and stderr');
  const programEnv = Object.fromEntries(program.env.map((v) => [v.name, v.value]));
  const child = spawn(program.command[0]!, program.command.slice(1), {
    cwd: program.workingDir ?? REPO,
    env: { PATH: process.env.PATH, ...programEnv, ...env },
    stdio: ['ignore', out.writeFd, err.writeFd],
    detached: true,
  });
  out.closeWriteEnd();
  err.closeWriteEnd();
  const log = new ProgramLog({ program: program.name, maxBytes: 0, backups: 0 });
  log.attach('stdout', out.source);
  log.attach('stderr', err.source);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    await exited;
    await log.close();
  });
  return { child, log, exited };
}

/** A copy of the rootfs whose nginx.conf has the test's ports and a private directory for pid and temp files. */
function nginxRoot(t: TestContext, ports: { nginx: number; https: number; auth: number; user: number }): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dreamscape-'));
  fs.chmodSync(home, 0o755);
  t.after(() => fs.rmSync(home, { recursive: true, force: true }));
  fs.cpSync(path.join(EXAMPLE, 'rootfs'), path.join(home, 'rootfs'), { recursive: true });
  const file = path.join(home, 'rootfs', 'app', 'nginx', 'nginx.conf');
  let config = fs.readFileSync(file, 'utf8');
  const swap = (from: string, to: string, count: number) => {
    assert.equal(config.split(from).length - 1, count, `nginx.conf has ${count} × ${from}`);
    config = config.replaceAll(from, to);
  };
  swap('listen 80;', `listen 127.0.0.1:${ports.nginx};`, 1);
  swap('listen 443 ssl;', `listen 127.0.0.1:${ports.https} ssl;`, 1);
  swap('server 127.0.0.1:3001;', `server 127.0.0.1:${ports.auth};`, 1);
  swap('server 127.0.0.1:3002;', `server 127.0.0.1:${ports.user};`, 1);
  swap('/tmp/dreamscape-nginx', path.join(home, 'run'), 6);
  fs.writeFileSync(file, config);
  return path.join(home, 'rootfs');
}

const under = (spec: CorePodSpec, root: string) => (name: string) => specUnderRoot(spec, readImageRoot(root)).programs.find((p) => p.name === name)!;

test('the three DreamScape programs answer /health and nginx proxies to both services', async (t) => {
  const loaded = validateCorePod(parse(fs.readFileSync(path.join(EXAMPLE, 'corepod.yaml'), 'utf8')));
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.errors));
  const spec = loaded.value.spec;
  const program = (name: string) => spec.programs.find((p) => p.name === name)!;
  assert.deepEqual(
    spec.programs.map((p) => [p.name, p.priority, p.dependsOn.map((d) => d.name)]),
    [
      ['auth-service', 10, []],
      ['user-service', 20, ['auth-service']],
      ['nginx', 30, ['auth-service', 'user-service']],
    ],
  );
  assert.equal(program('nginx').stopSignal, 'QUIT');
  assert.deepEqual(
    spec.programs.map((p) => p.healthCheck?.httpGet),
    [
      { path: '/health', port: 3001, host: '127.0.0.1' },
      { path: '/health', port: 3002, host: '127.0.0.1' },
      { path: '/health', port: 80, host: '127.0.0.1' },
    ],
  );

  const pipes = new OutputPipePool({ size: 6 });
  t.after(() => pipes.close());
  await pipes.ready();
  const ports = { auth: await freePort(), user: await freePort(), nginx: await freePort(), https: await freePort() };

  // The image's layout: `node dist/server.js` in /app/auth and /app/user, nginx with /app/nginx/nginx.conf.
  assert.deepEqual(
    spec.programs.map((p) => [p.command, p.workingDir]),
    [
      [['node', 'dist/server.js'], '/app/auth'],
      [['node', 'dist/server.js'], '/app/user'],
      [['nginx', '-e', 'stderr', '-c', '/app/nginx/nginx.conf', '-g', 'daemon off;'], undefined],
    ],
  );

  // The services from the checkout's rootfs.
  const checkout = under(spec, path.join(EXAMPLE, 'rootfs'));
  const auth = start(t, pipes, checkout('auth-service'), { PORT: String(ports.auth) });
  await waitFor('auth-service /health', async () => ((await get(ports.auth, '/health')).status === 200 ? true : undefined));
  const user = start(t, pipes, checkout('user-service'), { PORT: String(ports.user), AUTH_URL: `http://127.0.0.1:${ports.auth}` });
  await waitFor('user-service /health', async () => ((await get(ports.user, '/health')).status === 200 ? true : undefined));
  // nginx from a copy of the rootfs, holding the config with the test's ports.
  const nginx = start(t, pipes, under(spec, nginxRoot(t, ports))('nginx'), {});
  const health = await waitFor('nginx /health', async () => {
    const answer = await get(ports.nginx, '/health');
    return answer.status === 200 ? answer.body : undefined;
  });

  assert.deepEqual(health, { status: 'ok', service: 'nginx' });
  assert.equal(((await get(ports.auth, '/health')).body as { service: string }).service, 'auth-service');
  assert.equal(((await get(ports.user, '/health')).body as { service: string }).service, 'user-service');

  // Through nginx: /auth/ to auth-service, /users/ to user-service (which asks auth-service).
  const login = await get(ports.nginx, '/auth/login', { method: 'POST', body: JSON.stringify({ username: 'ada' }), headers: { 'content-type': 'application/json' } });
  assert.equal(login.status, 200);
  const token = (login.body as { token: string }).token;
  // payload.signature, both base64url: HMAC-SHA256 over the payload with the signing key.
  assert.match(token, /^[\w-]{20,}\.[\w-]{43}$/);
  const [payload, signature] = token.split('.') as [string, string];
  const forged = `${Buffer.from(JSON.stringify({ sub: 'grace', exp: 4102444800 })).toString('base64url')}.${signature}`;
  assert.equal((await get(ports.nginx, '/users/me', { headers: { authorization: `Bearer ${forged}` } })).status, 401, 'a payload signed by another key');
  assert.ok(payload);
  assert.deepEqual(await get(ports.nginx, '/users/me', { headers: { authorization: `Bearer ${token}` } }), { status: 200, body: { username: 'ada', name: 'Ada Lovelace' } });
  assert.equal((await get(ports.nginx, '/users/me', { headers: { authorization: 'Bearer wrong' } })).status, 401);
  assert.equal((await get(ports.nginx, '/users')).status, 200);
  assert.deepEqual((await get(ports.nginx, '/users/grace')).body, { username: 'grace', name: 'Grace Hopper' });
  assert.equal((await get(ports.nginx, '/elsewhere')).status, 404);

  // nginx's access log goes to its stdout (a real pipe here), its errors to stderr.
  await waitFor('the access log line', async () => (nginx.log.tail('stdout').toString().includes('"GET /users/grace HTTP/1.1" 200') ? true : undefined));
  assert.match(auth.log.tail('stdout').toString(), /auth-service listening on 127\.0\.0\.1:\d+\n/);
  assert.match(user.log.tail('stdout').toString(), /"path":"\/users\/me","status":200/);

  // Graceful stops: TERM for the services, QUIT for nginx, each exits 0.
  process.kill(nginx.child.pid!, 'SIGQUIT');
  process.kill(user.child.pid!, 'SIGTERM');
  process.kill(auth.child.pid!, 'SIGTERM');
  assert.deepEqual(await nginx.exited, { code: 0, signal: null });
  assert.deepEqual(await user.exited, { code: 0, signal: null });
  assert.deepEqual(await auth.exited, { code: 0, signal: null });
  await waitFor('the stop message', async () => (/auth-service: SIGTERM, stopping\n$/.test(auth.log.tail('stdout').toString()) ? true : undefined));
});
