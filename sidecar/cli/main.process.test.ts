// The corepod CLI against a real `corepod run`: commands, output, exit codes 0/1/2/3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { StatusDocument } from '../control-server.js';
import { CLI, freePort, runCli, startCli, tempDir, waitFor } from '../test-helpers.js';

function httpGet(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, timeout: 5000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

test('the CLI against a running supervisor: status, start, stop, restart, signal, tail, health and exit codes', async (t) => {
  const dir = tempDir(t);
  const env = { ...process.env, COREPOD_RUN_DIR: path.join(dir, 'run') };
  const port = await freePort();
  const server = `require('http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`;
  fs.writeFileSync(
    path.join(dir, 'corepod.yaml'),
    `apiVersion: dreamscape.io/v1alpha1
kind: CorePod
metadata: { name: cli-test }
spec:
  image: test
  terminationGracePeriodSeconds: 10
  programs:
    - name: web
      command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(server)}]
      priority: 10
      healthCheck: { httpGet: { port: ${port}, path: /health }, periodSeconds: 1 }
    - name: worker
      command: [sh, -c, 'echo to-stderr >&2; while true; do echo tick; sleep 0.1; done']
      priority: 20
      startSeconds: 0
      dependsOn: [web]
    - name: oneshot
      command: [sh, -c, 'echo once']
      autostart: false
`,
  );
  const run = startCli(t, ['run', '-f', path.join(dir, 'corepod.yaml'), '--health-port', '0'], env);
  const status = async () => {
    const result = await runCli(['status', '--json'], env);
    return result.code === 3 ? undefined : (JSON.parse(result.stdout) as StatusDocument);
  };
  let seen: StatusDocument | undefined;
  const up = await waitFor(
    'web and worker RUNNING',
    async () => {
      const document = (seen = await status());
      const running = document?.programs.filter((p) => p.state === 'RUNNING') ?? [];
      return running.length === 2 && running[0]!.healthy === true ? document : undefined;
    },
    30_000,
    200,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\nlast status: ${JSON.stringify(seen?.programs ?? 'no supervisor')}\ncorepod run printed:\n${run.output().slice(-6000)}`);
  });
  // Named after its executable in ps and top, not Node 24's "MainThread" (process-name.ts).
  assert.equal(fs.readFileSync(`/proc/${run.child.pid}/comm`, 'utf8').trim(), path.basename(process.execPath));

  // status --json: the contract other parts rely on.
  const web = up.programs.find((p) => p.name === 'web')!;
  assert.equal(web.state, 'RUNNING');
  assert.equal(typeof web.pid, 'number');
  assert.equal(web.restarts, 0);
  assert.equal(web.healthy, true);
  assert.match(web.since, /^\d{4}-\d\d-\d\dT/);
  assert.deepEqual(
    up.programs.map((p) => p.name),
    ['web', 'worker', 'oneshot'],
  );
  assert.equal(up.programs[2]!.state, 'STOPPED');
  assert.equal(up.supervisor.runDir, env.COREPOD_RUN_DIR);
  const healthPort = up.supervisor.healthPort!;

  // The control socket and its directory are private.
  assert.equal(fs.statSync(path.join(env.COREPOD_RUN_DIR, 'corepod.sock')).mode & 0o777, 0o700);
  assert.equal(fs.statSync(env.COREPOD_RUN_DIR).mode & 0o777, 0o700);

  // status: supervisorctl columns; 1 because oneshot is not RUNNING, 0 for the running ones.
  const all = await runCli(['status'], env);
  assert.equal(all.code, 1);
  assert.match(all.stdout, /^web {30}RUNNING {3}pid \d+, uptime \d+:\d\d:\d\d, healthy/m);
  assert.match(all.stdout, /^oneshot {26}STOPPED {3}Not started$/m);
  assert.equal((await runCli(['status', 'web', 'worker'], env)).code, 0);

  // health and the HTTP endpoint (oneshot never meant to run does not count against readiness).
  const health = await runCli(['health'], env);
  assert.equal(health.code, 0, health.stdout);
  assert.match(health.stdout, /^ready: yes$/m);
  assert.equal(await httpGet(healthPort, '/readyz'), 200);
  assert.equal(await httpGet(healthPort, '/livez'), 200);

  // stop / stop again / start.
  assert.deepEqual(await runCli(['stop', 'worker'], env), { code: 0, stdout: 'worker: stopped\n', stderr: '' });
  const again = await runCli(['stop', 'worker'], env);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /worker: ERROR \(not running\)/);
  assert.equal((await runCli(['status', 'worker'], env)).code, 1);
  assert.equal(await httpGet(healthPort, '/readyz'), 503);
  assert.deepEqual(await runCli(['start', 'worker'], env), { code: 0, stdout: 'worker: started\n', stderr: '' });

  // restart gives a new pid.
  const restarted = await runCli(['restart', 'web'], env);
  assert.equal(restarted.code, 0, restarted.stderr);
  const afterRestart = (await status())!.programs.find((p) => p.name === 'web')!;
  assert.notEqual(afterRestart.pid, web.pid);
  assert.equal(afterRestart.restarts, 1);

  // signal: HUP ends the worker's shell, which autorestart brings back.
  const workerPid = (await status())!.programs.find((p) => p.name === 'worker')!.pid;
  assert.deepEqual(await runCli(['signal', 'HUP', 'worker'], env), { code: 0, stdout: 'worker: signalled HUP\n', stderr: '' });
  await waitFor(
    'worker restarted',
    async () => {
      const worker = (await status())!.programs.find((p) => p.name === 'worker')!;
      return worker.state === 'RUNNING' && worker.pid !== workerPid && worker.lastSignal === 'SIGHUP';
    },
    20_000,
    200,
  );

  // tail, tail --stderr, tail -f.
  const tail = await runCli(['tail', 'worker'], env);
  assert.equal(tail.code, 0);
  assert.match(tail.stdout, /tick\n/);
  assert.match((await runCli(['tail', 'worker', '--stderr'], env)).stdout, /to-stderr/);
  const follower = spawn(process.execPath, [CLI, 'tail', '-f', 'worker', '-c', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => follower.kill('SIGKILL'));
  let followed = '';
  follower.stdout.on('data', (chunk: Buffer) => (followed += chunk.toString()));
  await waitFor('followed lines', () => followed.split('tick').length > 3);
  follower.kill('SIGTERM');

  // A program that cannot stay up: start fails with exit 1.
  const oneshot = await runCli(['start', 'oneshot'], env);
  assert.equal(oneshot.code, 1);
  assert.match(oneshot.stderr, /oneshot: ERROR \(abnormal termination\)/);
  // It keeps retrying (backoff 1 s, 2 s, 3 s) until FATAL; stop all below must find it FATAL.
  await waitFor('oneshot FATAL', async () => (await status())?.programs.find((p) => p.name === 'oneshot')?.state === 'FATAL', 30_000, 200);

  // Bad usage: exit 2.
  for (const args of [['start', 'nope'], ['frobnicate'], ['status', '--bogus'], ['signal', 'NOPE', 'worker'], ['stop'], ['tail', 'nope'], ['status', 'nope']]) {
    const result = await runCli(args, env);
    assert.equal(result.code, 2, `corepod ${args.join(' ')}: ${result.stderr}`);
  }
  for (const command of ['run', 'status', 'start', 'stop', 'restart', 'signal', 'tail', 'health', 'validate']) {
    const help = await runCli([command, '--help'], env);
    assert.equal(help.code, 0);
    assert.match(help.stdout, new RegExp(`^Usage: corepod ${command}`));
  }

  // stop all: reverse order (worker depends on web); start all: dependencies first.
  const stopAll = await runCli(['stop', 'all'], env);
  assert.equal(stopAll.code, 0, stopAll.stderr);
  assert.equal(stopAll.stdout, 'web: stopped\nworker: stopped\noneshot: not running\n');
  const startAll = await runCli(['start', 'all'], env);
  assert.equal(startAll.code, 1, 'oneshot cannot stay up');
  assert.match(startAll.stdout, /^web: started\nworker: started\n$/);
  const starts = (await status())!.programs;
  assert.deepEqual(
    starts.slice(0, 2).map((p) => p.state),
    ['RUNNING', 'RUNNING'],
  );

  // SIGTERM: orderly stop, exit 0, socket removed; afterwards the CLI cannot connect (3).
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0);
  assert.ok(!fs.existsSync(path.join(env.COREPOD_RUN_DIR, 'corepod.sock')));
  assert.match(run.output(), /"program":"worker","stream":"stdout","msg":"tick"/);
  const gone = await runCli(['status'], env);
  assert.equal(gone.code, 3);
  assert.match(gone.stderr, /cannot connect to .*corepod\.sock: no supervisor is running/);
});

const INVALID: { name: string; spec: string; expect: RegExp[] }[] = [
  {
    name: 'bad stopSignal',
    spec: 'programs: [{ name: a, command: [x], stopSignal: TERMINATE }]',
    expect: [/^spec\.programs\[0\]\.stopSignal: expected one of TERM, INT, QUIT, HUP, KILL, USR1, USR2$/m],
  },
  { name: 'no command', spec: 'programs: [{ name: a }]', expect: [/^spec\.programs\[0\]\.command: /m] },
  { name: 'empty command', spec: 'programs: [{ name: a, command: [] }]', expect: [/^spec\.programs\[0\]\.command: /m] },
  { name: 'bad name', spec: 'programs: [{ name: Auth_Service, command: [x] }]', expect: [/^spec\.programs\[0\]\.name: expected a DNS label/m] },
  { name: 'duplicate name', spec: 'programs: [{ name: a, command: [x] }, { name: a, command: [y] }]', expect: [/^spec\.programs\[1\]\.name: duplicate program name "a"$/m] },
  { name: 'unknown dependency', spec: 'programs: [{ name: a, command: [x], dependsOn: [ghost] }]', expect: [/^spec\.programs\[0\]\.dependsOn\[0\]: no program named "ghost"$/m] },
  {
    name: 'dependency cycle',
    spec: 'programs: [{ name: a, command: [x], dependsOn: [b] }, { name: b, command: [y], dependsOn: [a] }]',
    expect: [/^spec\.programs\[\d\]\.dependsOn: dependency cycle: /m],
  },
  { name: 'self dependency', spec: 'programs: [{ name: a, command: [x], dependsOn: [a] }]', expect: [/^spec\.programs\[0\]\.dependsOn\[0\]: a program cannot depend on itself$/m] },
  {
    name: 'bad autorestart',
    spec: 'programs: [{ name: a, command: [x], autorestart: sometimes }]',
    expect: [/^spec\.programs\[0\]\.autorestart: expected true, false or "unexpected"$/m],
  },
  { name: 'exit code out of range', spec: 'programs: [{ name: a, command: [x], exitCodes: [0, 256] }]', expect: [/^spec\.programs\[0\]\.exitCodes\[1\]: /m] },
  { name: 'negative priority', spec: 'programs: [{ name: a, command: [x], priority: -1 }]', expect: [/^spec\.programs\[0\]\.priority: /m] },
  { name: 'startSeconds not a number', spec: 'programs: [{ name: a, command: [x], startSeconds: soon }]', expect: [/^spec\.programs\[0\]\.startSeconds: /m] },
  { name: 'supervisord option name', spec: 'programs: [{ name: a, command: [x], stopwaitsecs: 5 }]', expect: [/^spec\.programs\[0\]\.stopwaitsecs: unknown field$/m] },
  {
    name: 'two probes',
    spec: 'programs: [{ name: a, command: [x], healthCheck: { httpGet: { port: 80 }, tcpSocket: { port: 80 } } }]',
    expect: [/^spec\.programs\[0\]\.healthCheck: exactly one of httpGet, tcpSocket or exec must be set$/m],
  },
  {
    name: 'probe port out of range',
    spec: 'programs: [{ name: a, command: [x], healthCheck: { httpGet: { port: 70000 } } }]',
    expect: [/^spec\.programs\[0\]\.healthCheck\.httpGet\.port: /m],
  },
  {
    name: 'bad memory quantity',
    spec: 'programs: [{ name: a, command: [x], memory: { limit: 200MB } }]',
    expect: [/^spec\.programs\[0\]\.memory\.limit: expected a byte quantity/m],
  },
  {
    name: 'warning above critical',
    spec: 'memory: { warningPercent: 96, criticalPercent: 95 }\n  programs: [{ name: a, command: [x] }]',
    expect: [/^spec\.memory\.warningPercent: warningPercent must be below criticalPercent$/m],
  },
  { name: 'no programs', spec: 'programs: []', expect: [/^spec\.programs: /m] },
  {
    name: 'bad env name',
    spec: 'programs: [{ name: a, command: [x], env: [{ name: 1BAD, value: v }] }]',
    expect: [/^spec\.programs\[0\]\.env\[0\]\.name: expected an environment variable name$/m],
  },
  { name: 'relative workingDir', spec: 'programs: [{ name: a, command: [x], workingDir: app }]', expect: [/^spec\.programs\[0\]\.workingDir: /m] },
  { name: 'too many log backups', spec: 'programs: [{ name: a, command: [x], logs: { backups: 1000 } }]', expect: [/^spec\.programs\[0\]\.logs\.backups: /m] },
  {
    name: 'several errors at once',
    spec: 'programs: [{ name: a, command: [x], stopSignal: NOPE }, { name: b, command: [y], priority: fast }]',
    expect: [/^spec\.programs\[0\]\.stopSignal: /m, /^spec\.programs\[1\]\.priority: /m],
  },
  {
    name: 'unknown user',
    spec: 'programs: [{ name: a, command: [x], user: ghost-user-4242 }]',
    expect: [/^spec\.programs\[0\]\.user: no user named "ghost-user-4242" in \/etc\/passwd$/m],
  },
];

test('invalid configs: every error with its path on stderr, exit 2, nothing started', async (t) => {
  const dir = tempDir(t);
  const env = { ...process.env, COREPOD_RUN_DIR: path.join(dir, 'run') };
  const marker = path.join(dir, 'started');
  const cases = [
    ...INVALID.map((c) => ({
      name: c.name,
      // Every program that would start leaves the marker: none must.
      text: `apiVersion: dreamscape.io/v1alpha1\nkind: CorePod\nmetadata: { name: bad }\nspec:\n  image: test\n  ${c.spec.replace(/command: \[[xy]\]/g, `command: [touch, ${marker}]`)}\n`,
      expect: c.expect,
    })),
    {
      name: 'wrong apiVersion',
      text: `apiVersion: v1\nkind: CorePod\nmetadata: { name: bad }\nspec: { image: t, programs: [{ name: a, command: [touch, ${marker}] }] }\n`,
      expect: [/^apiVersion: expected dreamscape\.io\/v1alpha1$/m],
    },
    { name: 'YAML syntax error', text: `spec:\n  programs: [{ name: a, command: [touch, ${marker}]\n  image: : x\n`, expect: [/^line \d+, column \d+: /m] },
  ];
  assert.ok(cases.length >= 20);
  for (const c of cases) {
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, c.text);
    const result = await runCli(['run', '-f', file, '--health-port', '0'], env);
    assert.equal(result.code, 2, `${c.name}: exit ${result.code}\n${result.stderr}`);
    for (const pattern of c.expect) assert.match(result.stderr, pattern, `${c.name}:\n${result.stderr}`);
    assert.match(result.stderr, /nothing started/, c.name);
    assert.equal(result.stdout, '', c.name);
  }
  const missing = await runCli(['run', '-f', path.join(dir, 'absent.yaml')], env);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /absent\.yaml: cannot read: ENOENT/);
  assert.equal((await runCli(['run'], { ...env, COREPOD_CONFIG: '' })).code, 2);
  const noRoot = await runCli(['run', '-f', path.join(dir, 'absent.yaml'), '--root', path.join(dir, 'no-such-root')], env);
  assert.equal(noRoot.code, 2);
  assert.match(noRoot.stderr, /^corepod: --root .*no-such-root: no such directory\nUsage: corepod run/);
  assert.ok(!fs.existsSync(marker), 'no program was started');
  assert.ok(!fs.existsSync(path.join(env.COREPOD_RUN_DIR, 'corepod.sock')));
});

test('a second supervisor on the same socket or health port refuses to start, exit 1, nothing started', async (t) => {
  const dir = tempDir(t);
  const env = { ...process.env, COREPOD_RUN_DIR: path.join(dir, 'run') };
  const port = await freePort();
  const marker = path.join(dir, 'second-started');
  fs.writeFileSync(path.join(dir, 'first.yaml'), `# a bare spec is accepted too\nimage: t\nprograms: [{ name: a, command: [sleep, "1000"], startSeconds: 0 }]\n`);
  fs.writeFileSync(path.join(dir, 'second.yaml'), `image: t\nprograms: [{ name: b, command: [touch, ${marker}] }]\n`);
  const first = startCli(t, ['run', '-f', path.join(dir, 'first.yaml'), '--health-port', String(port)], env);
  await waitFor('first up', async () => (await runCli(['status', 'a'], env)).code === 0, 20_000, 200);
  const sameSocket = await runCli(['run', '-f', path.join(dir, 'second.yaml'), '--health-port', '0'], env);
  assert.equal(sameSocket.code, 1);
  assert.match(sameSocket.stdout, /another corepod supervisor is listening on .*corepod\.sock/);
  const samePort = await runCli(['run', '-f', path.join(dir, 'second.yaml'), '--health-port', String(port)], { ...env, COREPOD_RUN_DIR: path.join(dir, 'run2') });
  assert.equal(samePort.code, 1);
  assert.match(samePort.stdout, /EADDRINUSE/);
  assert.ok(!fs.existsSync(marker));
  // The refused supervisors left the first one alone.
  assert.equal((await runCli(['status', 'a'], env)).code, 0);
  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0);
});

test('not root: a program with "user" is refused up front with the path of the field, exit 2', async (t) => {
  const dir = tempDir(t);
  fs.chmodSync(dir, 0o755);
  const marker = path.join(dir, 'started');
  const file = path.join(dir, 'user.yaml');
  fs.writeFileSync(file, `image: t\nprograms:\n  - { name: a, command: [touch, ${marker}] }\n  - { name: b, command: [touch, ${marker}], user: daemon }\n`, { mode: 0o644 });
  // Run the CLI itself as nobody.
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'run', '-f', file, '--health-port', '0'], {
      env: { ...process.env, COREPOD_RUN_DIR: path.join(dir, 'run') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('close', (code) => resolve({ code, stderr }));
  });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /^spec\.programs\[1\]\.user: running as uid 1 needs the supervisor to run as root \(it runs as uid 65534\)$/m);
  assert.ok(!fs.existsSync(marker));
});
