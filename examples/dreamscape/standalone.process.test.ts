// The DreamScape example run standalone from the checkout exactly as README.md says:
// `corepod run -f examples/dreamscape/corepod.yaml --root examples/dreamscape/rootfs`, the file as it
// is (ports 80, 3001 and 3002, nginx.conf's files in /tmp). So that it runs next to anything else,
// the run gets its own network namespace and its own /tmp (a directory of the test, bind-mounted);
// the test reaches the programs' /health from inside that namespace with nsenter.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { StatusDocument } from '../../sidecar/control-server.js';
import { REPO, runCli, startCli, tempDir, waitFor } from '../../sidecar/test-helpers.js';

const EXAMPLE = path.join(REPO, 'examples', 'dreamscape');

/** GET url from inside the network namespace of `pid`: the status code and the body. */
function getInside(pid: number, url: string, env: NodeJS.ProcessEnv = process.env): Promise<{ status: number; body: unknown }> {
  const script = `const r = await fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(5000) }); process.stdout.write(JSON.stringify({ status: r.status, body: await r.json() }));`;
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', [`--net=/proc/${pid}/ns/net`, '--', process.execPath, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(JSON.parse(out) as { status: number; body: unknown }) : reject(new Error(`GET ${url} inside: exit ${code}: ${err}`))));
  });
}

test('corepod run -f examples/dreamscape/corepod.yaml --root examples/dreamscape/rootfs: 3 programs RUNNING and healthy, each /health answers, nginx proxies on 80 and on 443', async (t) => {
  const home = tempDir(t, 'dreamscape-standalone-');
  const privateTmp = path.join(home, 'tmp');
  fs.mkdirSync(privateTmp, { mode: 0o1777 });
  fs.chmodSync(privateTmp, 0o1777);
  const env = { ...process.env, COREPOD_RUN_DIR: '/tmp/corepod-run' };
  const outside = { ...process.env, COREPOD_RUN_DIR: path.join(privateTmp, 'corepod-run') };
  // A checkout under /tmp (a CI clone) stays visible through the private /tmp: bound into it first.
  const underTmp = path.relative('/tmp', REPO);
  const keepCheckout = underTmp.startsWith('..') || path.isAbsolute(underTmp) ? '' : `mkdir -p "$0/${underTmp}" && mount --bind "${REPO}" "$0/${underTmp}" && `;
  const namespaces = ['unshare', '--net', '--mount', '--fork', '--', 'sh', '-c', `ip link set lo up && ${keepCheckout}mount --rbind "$0" /tmp && exec "$@"`, privateTmp];
  const run = startCli(t, ['run', '-f', path.join(EXAMPLE, 'corepod.yaml'), '--root', path.join(EXAMPLE, 'rootfs'), '--health-port', '0'], env, namespaces);

  const status = await waitFor(
    'all three RUNNING and healthy',
    async () => {
      if (run.child.exitCode !== null) throw new Error(`corepod run exited with ${run.child.exitCode}:\n${run.output()}`);
      const answer = await runCli(['status', '--json'], outside);
      if (answer.code !== 0) return undefined;
      const document = JSON.parse(answer.stdout) as StatusDocument;
      return document.programs.length === 3 && document.programs.every((p) => p.state === 'RUNNING' && p.healthy === true) ? document : undefined;
    },
    90_000,
  );
  assert.deepEqual(
    status.programs.map((p) => p.name),
    ['auth-service', 'user-service', 'nginx'],
  );
  assert.equal(status.supervisor.configFile, path.join(EXAMPLE, 'corepod.yaml'));

  // The services run from the image's paths under the root: /app/auth is rootfs/app/auth.
  for (const [name, dir] of [
    ['auth-service', 'auth'],
    ['user-service', 'user'],
  ] as const) {
    const pid = status.programs.find((p) => p.name === name)!.pid!;
    assert.equal(fs.readlinkSync(`/proc/${pid}/cwd`), path.join(EXAMPLE, 'rootfs', 'app', dir));
    assert.deepEqual(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(1, -1), ['dist/server.js']);
  }
  const nginxPid = status.programs.find((p) => p.name === 'nginx')!.pid!;
  // nginx rewrites its command line as its title: "nginx: master process nginx -e stderr -c …".
  assert.ok(fs.readFileSync(`/proc/${nginxPid}/cmdline`, 'utf8').includes(`-c ${path.join(EXAMPLE, 'rootfs', 'app', 'nginx', 'nginx.conf')}`));

  const inside = status.supervisor.pid;
  assert.deepEqual((await getInside(inside, 'http://127.0.0.1:80/health')).body, { status: 'ok', service: 'nginx' });
  for (const [port, service] of [
    [3001, 'auth-service'],
    [3002, 'user-service'],
  ] as const) {
    const answer = await getInside(inside, `http://127.0.0.1:${port}/health`);
    assert.equal(answer.status, 200);
    assert.equal((answer.body as { service: string }).service, service);
  }
  assert.equal((await getInside(inside, 'http://127.0.0.1/users/grace')).status, 200);
  // Port 443 with the development certificate next to nginx.conf (for localhost and 127.0.0.1).
  const trustDevCertificate = { ...process.env, NODE_EXTRA_CA_CERTS: path.join(EXAMPLE, 'rootfs', 'app', 'nginx', 'tls', 'tls.crt') };
  assert.deepEqual((await getInside(inside, 'https://127.0.0.1/health', trustDevCertificate)).body, { status: 'ok', service: 'nginx' });
  assert.equal((await getInside(inside, 'https://localhost/users/grace', trustDevCertificate)).status, 200);

  process.kill(inside, 'SIGTERM');
  assert.equal(await run.exited, 0, run.output());
  assert.deepEqual(
    fs.readdirSync(privateTmp).filter((name) => name.startsWith('corepod-run')),
    ['corepod-run'],
  );
  assert.deepEqual(fs.readdirSync(path.join(privateTmp, 'corepod-run')), []);
});
