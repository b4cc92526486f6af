// `corepod run` brings up the DreamScape reference layout (examples/dreamscape): all three
// programs healthy, each started only once what it depends on is healthy, traffic through nginx,
// then an orderly stop in reverse. A copy of the example's rootfs (`--root`) runs on free loopback
// ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO, freePort, runCli, startCli, tempDir, waitFor } from './test-helpers.js';

const EXAMPLE = path.join(REPO, 'examples', 'dreamscape');

interface Program {
  name: string;
  env: { name: string; value: string }[];
  healthCheck: { httpGet: { port: number } };
  ports: { containerPort: number }[];
}

test('corepod run brings the DreamScape example up healthy, in dependency order, and stops it in reverse', async (t) => {
  const home = tempDir(t, 'dreamscape-');
  fs.chmodSync(home, 0o755);
  const root = path.join(home, 'rootfs');
  fs.cpSync(path.join(EXAMPLE, 'rootfs'), root, { recursive: true });
  const ports = { auth: await freePort(), user: await freePort(), nginx: await freePort(), https: await freePort() };
  // nginx.conf: the test's ports, pid and temp files in the copy.
  const nginxConf = path.join(root, 'app', 'nginx', 'nginx.conf');
  let nginx = fs.readFileSync(nginxConf, 'utf8');
  const swap = (from: string, to: string) => {
    assert.ok(nginx.includes(from), `nginx.conf has ${from}`);
    nginx = nginx.replaceAll(from, to);
  };
  swap('listen 80;', `listen 127.0.0.1:${ports.nginx};`);
  swap('listen 443 ssl;', `listen 127.0.0.1:${ports.https} ssl;`);
  swap('server 127.0.0.1:3001;', `server 127.0.0.1:${ports.auth};`);
  swap('server 127.0.0.1:3002;', `server 127.0.0.1:${ports.user};`);
  swap('/tmp/dreamscape-nginx', path.join(home, 'nginx-run'));
  fs.writeFileSync(nginxConf, nginx);
  // corepod.yaml: the same programs on the test's ports.
  const document = parse(fs.readFileSync(path.join(EXAMPLE, 'corepod.yaml'), 'utf8')) as { spec: { programs: Program[] } };
  const portOf: Record<string, number> = { 'auth-service': ports.auth, 'user-service': ports.user, nginx: ports.nginx };
  for (const program of document.spec.programs) {
    program.healthCheck.httpGet.port = portOf[program.name]!;
    program.ports = program.ports.map((p) => ({ ...p, containerPort: portOf[program.name]! }));
    for (const variable of program.env ?? []) {
      if (variable.name === 'PORT') variable.value = String(portOf[program.name]);
      if (variable.name === 'AUTH_URL') variable.value = `http://127.0.0.1:${ports.auth}`;
    }
  }
  const config = path.join(home, 'corepod.json');
  fs.writeFileSync(config, JSON.stringify(document));

  const env = { ...process.env, COREPOD_RUN_DIR: path.join(home, 'run') };
  const run = startCli(t, ['run', '-f', config, '--root', root, '--health-port', '0'], env);
  await waitFor('all healthy', async () => (await runCli(['health'], env)).code === 0, 60_000);

  const records = () =>
    run
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg?: string; program?: string; stream?: string; to?: string });
  const events = records().flatMap((r) => (r.msg === 'STOPPED -> STARTING' ? [`${r.program}:start`] : r.msg === 'health check passed' ? [`${r.program}:healthy`] : []));
  assert.deepEqual(events, ['auth-service:start', 'auth-service:healthy', 'user-service:start', 'user-service:healthy', 'nginx:start', 'nginx:healthy']);

  // Traffic through nginx reaches both services.
  const base = `http://127.0.0.1:${ports.nginx}`;
  const login = await fetch(`${base}/auth/login`, {
    method: 'POST',
    body: JSON.stringify({ username: 'ada' }),
    headers: { 'content-type': 'application/json' },
    signal: AbortSignal.timeout(5000),
  });
  assert.equal(login.status, 200);
  const { token } = (await login.json()) as { token: string };
  const me = await fetch(`${base}/users/me`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });
  assert.equal(me.status, 200);
  // nginx writes its access log to /dev/stdout: it reaches the JSON mirror through a real pipe.
  await waitFor('access log mirrored', () => records().some((r) => r.program === 'nginx' && r.stream === 'stdout' && /GET \/users\/me/.test(String((r as { msg?: string }).msg))));

  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0);
  const stops = records().flatMap((r) => (r.msg?.endsWith('-> STOPPING') ? [r.program] : []));
  assert.deepEqual(stops, ['nginx', 'user-service', 'auth-service']);
});
