// The DreamScape example as a user runs it: `kubectl apply -f examples/dreamscape/corepod.yaml`
// with the operator running → Pod Running → status lists auth-service, user-service and nginx
// RUNNING and healthy, READY 3/3; nginx reaches both services, also on 443 with the certificate of
// the Secret dreamscape-tls; auth-service alone holds dreamscape-auth's key and signs with it;
// kill -9 auth-service → restarted with Events. Figures (apply → READY, kill → restarted / Event visible, sidecar RSS) are printed
// as test diagnostics, not asserted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { netnsRun } from '../cluster/cluster.js';
import { buildImages, processNamed, Stage, waitFor } from '../support/corepod-stage.js';
import { repoRoot } from '../support/cluster-env.js';

let stage: Stage;
let pod: string;
let podIp: string;

before(async () => {
  await buildImages(['sidecar', 'dreamscape']);
  stage = await Stage.open('cp-dreamscape');
});
after(async () => stage?.close());

const curl = async (args: string[]) => (await netnsRun('curl', ['-sS', '--max-time', '10', ...args])).stdout;

test('apply → Pod Running → auth-service, user-service, nginx RUNNING and healthy, READY 3/3', async (t) => {
  const applied = Date.now();
  await stage.createDreamscapeSecrets();
  await stage.applyFile(`${repoRoot}examples/dreamscape/corepod.yaml`);
  const cp = await stage.waitForCorePod('dreamscape', 'READY 3/3 Running', (c) => (c.status?.readyProcesses === '3/3' && c.status.phase === 'Running' ? c : undefined), 300_000);
  t.diagnostic(`apply → READY 3/3: ${((Date.now() - applied) / 1000).toFixed(1)} s`);
  const processes = cp.status!.pods![0]!.processes;
  assert.deepEqual(
    processes.map((p) => p.name),
    ['auth-service', 'user-service', 'nginx'],
  );
  for (const p of processes) {
    assert.equal(p.state, 'RUNNING', p.name);
    assert.equal(p.healthy, true, p.name);
    assert.equal(p.restarts, 0, p.name);
    assert.ok(p.pid! > 1, p.name);
  }
  assert.equal(cp.status!.conditions!.find((c) => c.type === 'Ready')!.status, 'True');
  const { stdout } = await stage.kubectl(['get', 'corepods']);
  assert.match(stdout, /^dreamscape\s+3\/3\s+Running\s+0\s+/m);
  const running = await stage.readyPod('dreamscape');
  pod = running.metadata.name;
  podIp = running.status.podIP;
  const ps = (await stage.exec(pod, ['ps', '-eo', 'pid,rss,args'])).stdout;
  const supervisor = ps.split('\n').find((l) => /^\s*\d+\s+\d+\s+\/corepod\/node \/corepod\/app\/bin\/corepod\.js run$/.test(l));
  assert.ok(supervisor, ps);
  t.diagnostic(`sidecar-init (supervisor) RSS in the pod: ${(Number(supervisor.trim().split(/\s+/)[1]) / 1024).toFixed(1)} MiB`);
  assert.match(ps, /^\s*1\s+\d+\s+\/corepod\/tini-static -- /m, 'tini is PID 1');
  // Without -c, kubectl exec and logs take the app container, not the init container, and say nothing about it.
  const status = await stage.kubectl(['exec', pod, '--', '/corepod/bin/corepod', 'status']);
  assert.match(status.stdout, /^auth-service\s+RUNNING/m);
  assert.doesNotMatch(status.stderr, /Defaulted container/);
  assert.match((await stage.kubectl(['logs', pod, '--tail', '50'])).stdout, /"msg":/);
});

test('curl through nginx reaches both services', async () => {
  assert.equal(JSON.parse(await curl([`http://${podIp}/health`])).status, 'ok');
  const { token } = JSON.parse(await curl(['-X', 'POST', '-H', 'content-type: application/json', '-d', '{"username":"ada"}', `http://${podIp}/auth/login`])) as { token: string };
  assert.ok(token);
  const me = JSON.parse(await curl(['-H', `authorization: Bearer ${token}`, `http://${podIp}/users/me`])) as { username: string; name: string };
  assert.deepEqual(me, { username: 'ada', name: 'Ada Lovelace' });
  const users = JSON.parse(await curl([`http://${podIp}/users`])) as unknown[];
  assert.equal(users.length, 2);
});

test("the Secrets reach their program only: nginx serves dreamscape-tls's certificate on 443, auth-service signs with dreamscape-auth's key", async (t) => {
  const secret = async (name: string, key: string) =>
    Buffer.from((await stage.kubectl(['get', 'secret', name, '-o', `jsonpath={.data.${key.replace(/\./g, '\\.')}}`])).stdout, 'base64').toString('utf8');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corepod-dreamscape-tls-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(`${dir}/ca.crt`, await secret('dreamscape-tls', 'tls.crt'));
  // The certificate is for the name "dreamscape": curl checks it against the Secret's own copy.
  const https = (args: string[]) => curl(['--cacert', `${dir}/ca.crt`, '--resolve', `dreamscape:443:${podIp}`, ...args]);
  assert.equal(JSON.parse(await https(['https://dreamscape/health'])).status, 'ok');
  const { token } = JSON.parse(await https(['-X', 'POST', '-H', 'content-type: application/json', '-d', '{"username":"ada"}', 'https://dreamscape/auth/login'])) as {
    token: string;
  };
  const [payload, signature] = token.split('.');
  assert.equal(
    signature,
    createHmac('sha256', await secret('dreamscape-auth', 'token-signing-key'))
      .update(payload!)
      .digest('base64url'),
    "signed with the Secret's key",
  );
  assert.deepEqual(JSON.parse(await https(['-H', `authorization: Bearer ${token}`, 'https://dreamscape/users/me'])), { username: 'ada', name: 'Ada Lovelace' });

  const environ = async (program: string) => {
    const pid = processNamed(await stage.processes('dreamscape'), program)!.pid!;
    return (await stage.exec(pod, ['sh', '-c', `tr '\\0' '\\n' < /proc/${pid}/environ`])).stdout.split('\n');
  };
  assert.ok((await environ('auth-service')).includes(`TOKEN_SIGNING_KEY=${await secret('dreamscape-auth', 'token-signing-key')}`));
  // nginx writes its process title over its environment's memory, so user-service speaks for the others.
  const variables = await environ('user-service');
  assert.ok(variables.includes('COREPOD_PROGRAM=user-service'), variables.join(' '));
  assert.deepEqual(
    variables.filter((v) => /^(TOKEN_SIGNING_KEY|COREPOD_P\d+_)/.test(v)),
    [],
    "user-service sees none of auth-service's variables",
  );
});
test('kill -9 auth-service inside the container → restarted, restarts=1, ProcessExited and ProcessRestarted in kubectl get events', async (t) => {
  const before = processNamed(await stage.processes('dreamscape'), 'auth-service')!;
  const killedAt = Date.now();
  await stage.exec(pod, ['kill', '-9', String(before.pid)]);
  const [restarted, eventSeen] = await Promise.all([
    stage.waitForCorePod('dreamscape', 'auth-service restarted', (c) => {
      const p = processNamed(c.status?.pods?.[0]?.processes, 'auth-service');
      return p && p.restarts === 1 && p.pid !== before.pid && p.state !== 'EXITED' ? { p, at: Date.now() } : undefined;
    }),
    waitFor('ProcessExited visible', async () => ((await stage.events('dreamscape')).some((e) => e.reason === 'ProcessExited') ? Date.now() : undefined), 60_000, 100),
  ]);
  t.diagnostic(`kill → restart in status: ${restarted.at - killedAt} ms; kill → ProcessExited visible: ${eventSeen - killedAt} ms`);
  assert.equal(restarted.p.lastSignal, 'SIGKILL');
  const { stdout } = await waitFor('both in kubectl get events', async () => {
    const out = await stage.kubectl(['get', 'events']);
    return /ProcessRestarted/.test(out.stdout) && /ProcessExited/.test(out.stdout) ? out : undefined;
  });
  assert.match(stdout, /Warning\s+ProcessExited\s+corepod\/dreamscape\s+auth-service was killed by signal SIGKILL/);
  assert.match(stdout, /Normal\s+ProcessRestarted\s+corepod\/dreamscape\s+auth-service restarted \(autorestart\)/);
  await stage.waitForCorePod('dreamscape', 'READY 3/3 again, RESTARTS 1', (c) => c.status?.readyProcesses === '3/3' && c.status.restarts === 1);
  // The other programs were not touched.
  const processes = (await stage.processes('dreamscape'))!;
  assert.deepEqual(
    processes.map((p) => p.restarts),
    [1, 0, 0],
  );
  assert.equal(JSON.parse(await curl([`http://${podIp}/users/ada`])).name, 'Ada Lovelace');
});

test('delete the pod → nginx, user-service, auth-service stop in that order with their stop signals; the container exits 0', async (t) => {
  const { lines, exitCode } = await stage.deleteAndFollow(pod);
  assert.deepEqual(
    lines.filter((l) => l.to === 'STOPPING').map((l) => l.program),
    ['nginx', 'user-service', 'auth-service'],
  );
  const stopped = lines.filter((l) => l.to === 'STOPPED');
  assert.deepEqual(
    stopped.map((l) => l.program),
    ['nginx', 'user-service', 'auth-service'],
  );
  // nginx on QUIT, the services on TERM: each exits by itself, well within stopWaitSeconds (10 s).
  for (const l of stopped) assert.equal(l.exitCode, 0, JSON.stringify(l));
  assert.equal(
    lines.some((l) => l.msg === 'killing with SIGKILL'),
    false,
  );
  const started = lines.find((l) => l.msg === 'stopping all programs')!;
  const exiting = lines.find((l) => l.msg === 'supervisor exiting')!;
  t.diagnostic(`SIGTERM → all three stopped: ${Number(exiting.time) - Number(started.time)} ms`);
  assert.equal(exiting.exitCode, 0);
  assert.equal(exitCode, 0);
});
