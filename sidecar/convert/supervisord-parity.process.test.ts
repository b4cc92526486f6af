// The same supervisord configuration run by Debian's supervisord and, converted, by `corepod run`:
// for each process, the environment it started with, its user, working directory, umask, command
// line and the stop signal it received must be the same.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { alive, killTree } from '../../lib/procfs.js';
import { startCli, tempDir, waitFor } from '../test-helpers.js';
import { fileSource, toYaml } from './convert-command.js';
import { convertSupervisord } from './supervisord-to-corepod.js';

const SUPERVISORD = '/usr/bin/supervisord';

// Writes its pid once its traps are set; on a stop signal writes the signal's name and exits.
const RECORD = `#!/bin/sh
dir=$1 name=$2
for sig in TERM INT QUIT HUP USR1 USR2; do
  trap "echo $sig > '$dir/$name.signal'; exit 0" "$sig"
done
echo $$ > "$dir/$name.pid.tmp" && mv "$dir/$name.pid.tmp" "$dir/$name.pid"
while :; do sleep 1 & wait $!; done
`;

interface Observed {
  environ: Record<string, string>;
  cmdline: string[];
  uid: string;
  gid: string;
  groups: string;
  umask: string;
  cwd: string;
  signal: string;
}

/** Supervisor-specific variables: supervisord's SUPERVISOR_*, CorePod's COREPOD_PROGRAM. */
const OWN = /^(SUPERVISOR_|COREPOD_PROGRAM$|COREPOD_INSTANCE$)/;

function statusField(status: string, field: string): string {
  return new RegExp(`^${field}:[ \\t]*(.*)$`, 'm').exec(status)?.[1]?.trim() ?? '';
}

/** Waits for every named process, reads what it runs with, stops the supervisor and reads the signal each got. */
async function observe(out: string, names: string[], stop: () => unknown): Promise<Map<string, Observed>> {
  const pids = new Map<string, number>();
  for (const name of names) {
    const file = path.join(out, `${name}.pid`);
    pids.set(name, await waitFor(`${name} started`, () => fs.existsSync(file) && Number(fs.readFileSync(file, 'utf8'))));
  }
  const seen = new Map<string, Omit<Observed, 'signal'>>();
  for (const [name, pid] of pids) {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const environ = Object.fromEntries(
      fs
        .readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
    );
    seen.set(name, {
      environ,
      cmdline: fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1),
      uid: statusField(status, 'Uid'),
      gid: statusField(status, 'Gid'),
      groups: statusField(status, 'Groups'),
      umask: statusField(status, 'Umask'),
      cwd: fs.readlinkSync(`/proc/${pid}/cwd`),
    });
  }
  stop();
  const result = new Map<string, Observed>();
  for (const [name, pid] of pids) {
    const file = path.join(out, `${name}.signal`);
    const signal = await waitFor(`${name} got its stop signal`, () => fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim());
    await waitFor(`${name} exited`, () => !alive(pid));
    result.set(name, { ...seen.get(name)!, signal });
  }
  return result;
}

function layout(t: TestContext, config: (dir: string) => string): { dir: string; out: string; conf: string; env: NodeJS.ProcessEnv } {
  const dir = tempDir(t, 'corepod-parity-');
  fs.chmodSync(dir, 0o755);
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.writeFileSync(path.join(dir, 'bin', 'record.sh'), RECORD, { mode: 0o755 });
  fs.mkdirSync(path.join(dir, 'www'));
  const out = path.join(dir, 'out');
  const conf = path.join(dir, 'supervisord.conf');
  fs.writeFileSync(conf, config(dir));
  // The container's environment, the same for both supervisors.
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', LANG: 'C.UTF-8', APP_ENV: 'staging', DATA_ROOT: dir, COREPOD_RUN_DIR: path.join(dir, 'run') };
  return { dir, out, conf, env };
}

function freshOut(out: string): void {
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { mode: 0o777 });
  fs.chmodSync(out, 0o777);
}

interface Run {
  observed: Map<string, Observed>;
  /** The supervisor's exit code. */
  code: number | null;
}

/** byItself: the supervisor is not sent SIGTERM; something in the configuration must end it. */
async function underSupervisord(t: TestContext, conf: string, out: string, env: NodeJS.ProcessEnv, names: string[], byItself = false): Promise<Run> {
  freshOut(out);
  const child = spawn(SUPERVISORD, ['-n', '-c', conf], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      killTree(child.pid);
      await exited;
    }
  });
  try {
    const observed = await observe(out, names, () => byItself || child.kill('SIGTERM'));
    return { observed, code: await exited };
  } catch (error) {
    throw new Error(`${(error as Error).message}\nsupervisord said:\n${output}`);
  }
}

async function underCorepod(t: TestContext, dir: string, conf: string, out: string, env: NodeJS.ProcessEnv, names: string[], byItself = false): Promise<Run> {
  freshOut(out);
  const converted = convertSupervisord(conf, fileSource, { image: 'img:1', here: dir });
  const file = path.join(dir, 'corepod.yaml');
  fs.writeFileSync(file, toYaml(converted, 'supervisord.conf'));
  const run = startCli(t, ['run', '-f', file, '--health-port', '0'], env);
  try {
    const observed = await observe(out, names, () => byItself || run.child.kill('SIGTERM'));
    return { observed, code: await run.exited };
  } catch (error) {
    throw new Error(`${(error as Error).message}\ncorepod run said:\n${run.output()}`);
  }
}

/**
 * The one known difference (a warning of the converter): for a program with user=, CorePod sets
 * HOME, USER and LOGNAME to the user's; supervisord changes only the uid and keeps its own.
 */
const USER_ENV = ['HOME', 'USER', 'LOGNAME'];

function assertSame(supervisord: Map<string, Observed>, corepod: Map<string, Observed>, names: string[], switched: string[] = []): void {
  for (const name of names) {
    const a = supervisord.get(name)!;
    const b = corepod.get(name)!;
    const ignored = (key: string) => OWN.test(key) || (switched.includes(name) && USER_ENV.includes(key));
    const strip = (environ: Record<string, string>) => Object.fromEntries(Object.entries(environ).filter(([key]) => !ignored(key)));
    assert.deepEqual(strip(b.environ), strip(a.environ), `${name}: environment`);
    assert.deepEqual(
      { cmdline: b.cmdline, uid: b.uid, gid: b.gid, groups: b.groups, umask: b.umask, cwd: b.cwd, signal: b.signal },
      { cmdline: a.cmdline, uid: a.uid, gid: a.gid, groups: a.groups, umask: a.umask, cwd: a.cwd, signal: a.signal },
      name,
    );
  }
}

test('a web stack: environment (with %(ENV_X)s from the container), user, directory, umask and stop signals as under supervisord', async (t) => {
  const { dir, out, conf, env } = layout(
    t,
    (dir) => `[supervisord]
nodaemon=true
user=root
logfile=${dir}/supervisord.log
pidfile=${dir}/supervisord.pid
childlogdir=${dir}
environment=SHARED="from [supervisord]",APP_MODE="%(ENV_APP_ENV)s"

[program:web]
command=/bin/sh %(here)s/bin/record.sh %(ENV_DATA_ROOT)s/out %(program_name)s --mode %(ENV_APP_ENV)s
directory=%(here)s/www
environment=PORT="8080",GREETING="hello, world",HOME_DIR="%(ENV_DATA_ROOT)s/home"
stopsignal=INT
priority=10
stdout_logfile=%(ENV_DATA_ROOT)s/%(program_name)s.log
redirect_stderr=true

[program:worker]
command=/bin/sh %(here)s/bin/record.sh %(ENV_DATA_ROOT)s/out worker
user=nobody
directory=/tmp
stopsignal=3
priority=20

[program:reloader]
command = /bin/sh %(here)s/bin/record.sh %(ENV_DATA_ROOT)s/out reloader   ; inline comment
stopsignal = SIGHUP
umask = 077
stopasgroup = true
`,
  );
  const names = ['web', 'worker', 'reloader'];
  const { observed: supervisord, code: supervisordCode } = await underSupervisord(t, conf, out, env, names);
  const { observed: corepod, code } = await underCorepod(t, dir, conf, out, env, names);
  assert.deepEqual([supervisordCode, code], [0, 0]);
  assertSame(supervisord, corepod, names, ['worker']);
  assert.deepEqual(
    USER_ENV.map((key) => [supervisord.get('worker')!.environ[key], corepod.get('worker')!.environ[key]]),
    [
      [undefined, '/nonexistent'],
      [undefined, 'nobody'],
      [undefined, 'nobody'],
    ],
  );
  // What the comparison stands on: the values are what the configuration says.
  assert.deepEqual(
    names.map((name) => corepod.get(name)!.signal),
    ['INT', 'QUIT', 'HUP'],
  );
  assert.equal(corepod.get('web')!.environ.APP_MODE, 'staging');
  assert.equal(corepod.get('web')!.cwd, path.join(dir, 'www'));
  assert.equal(corepod.get('worker')!.uid.split(/\s+/)[0], '65534');
  assert.equal(corepod.get('reloader')!.umask, '0077');
  assert.equal(corepod.get('web')!.environ.COREPOD_PROGRAM, 'web');
  assert.equal(supervisord.get('web')!.environ.SUPERVISOR_PROCESS_NAME, 'web');
});

test('queue workers: numprocs from an [include]d file become instances with the same numbers, environment and stop signal', async (t) => {
  const { dir, out, conf, env } = layout(
    t,
    (dir) => `[supervisord]
nodaemon=true
user=root
logfile=${dir}/supervisord.log
pidfile=${dir}/supervisord.pid
childlogdir=${dir}

[include]
files = conf.d/*.conf
`,
  );
  fs.mkdirSync(path.join(dir, 'conf.d'));
  fs.writeFileSync(
    path.join(dir, 'conf.d', 'workers.conf'),
    `[program:worker]
command=/bin/sh %(here)s/../bin/record.sh %(ENV_DATA_ROOT)s/out worker-%(process_num)d
process_name=%(program_name)s_%(process_num)02d
numprocs=3
environment=SLOT="%(process_num)d",QUEUE="jobs-%(ENV_APP_ENV)s"
directory=%(here)s
stopsignal=TERM

[program:scheduler]
command=/bin/sh %(here)s/../bin/record.sh %(ENV_DATA_ROOT)s/out scheduler
stopsignal=USR1

[group:jobs]
programs=worker,scheduler
priority=50
`,
  );
  const names = ['worker-0', 'worker-1', 'worker-2', 'scheduler'];
  const { observed: supervisord, code: supervisordCode } = await underSupervisord(t, conf, out, env, names);
  const { observed: corepod, code } = await underCorepod(t, dir, conf, out, env, names);
  assert.deepEqual([supervisordCode, code], [0, 0]);
  assertSame(supervisord, corepod, names);
  assert.deepEqual(
    names.map((name) => [corepod.get(name)!.environ.SLOT, corepod.get(name)!.environ.COREPOD_INSTANCE, corepod.get(name)!.signal]),
    [
      ['0', '0', 'TERM'],
      ['1', '1', 'TERM'],
      ['2', '2', 'TERM'],
      [undefined, undefined, 'USR1'],
    ],
  );
  assert.equal(supervisord.get('worker-1')!.environ.SUPERVISOR_PROCESS_NAME, 'worker_01');
  assert.equal(corepod.get('worker-1')!.environ.QUEUE, 'jobs-staging');
});

// A listener that ends supervisord when a program goes FATAL (the eventlistener protocol: READY,
// then for each event its header and payload, answered RESULT 2 OK).
const KILL_SUPERVISORD = `#!/bin/sh
printf 'READY\\n'
while read -r header; do
  len=$(echo "$header" | sed -n 's/.*len:\\([0-9]*\\).*/\\1/p')
  head -c "$len" > /dev/null
  printf 'RESULT 2\\nOK'
  kill -TERM "$PPID"
done
`;

test('a listener that ends supervisord on PROCESS_STATE_FATAL and critical: true end the same way: every program is stopped', async (t) => {
  const { dir, out, conf, env } = layout(
    t,
    (dir) => `[supervisord]
nodaemon=true
user=root
logfile=${dir}/supervisord.log
pidfile=${dir}/supervisord.pid
childlogdir=${dir}

[program:steady]
command=/bin/sh %(here)s/bin/record.sh %(ENV_DATA_ROOT)s/out steady
priority=1

[program:flaky]
command=/bin/sh -c 'sleep 2; exit 3'
startsecs=5
startretries=0
priority=2

[eventlistener:fatal]
command=/bin/sh %(here)s/bin/kill-supervisord.sh
events=PROCESS_STATE_FATAL
`,
  );
  fs.writeFileSync(path.join(dir, 'bin', 'kill-supervisord.sh'), KILL_SUPERVISORD, { mode: 0o755 });
  const converted = convertSupervisord(conf, fileSource, { image: 'img:1', here: dir });
  assert.deepEqual(
    converted.document.spec.programs.map((p) => [p.name, p.critical]),
    [
      ['steady', true],
      ['flaky', true],
    ],
  );
  const names = ['steady'];
  const supervisord = await underSupervisord(t, conf, out, env, names, true);
  const corepod = await underCorepod(t, dir, conf, out, env, names, true);
  assertSame(supervisord.observed, corepod.observed, names);
  assert.equal(corepod.observed.get('steady')!.signal, 'TERM');
  // supervisord, killed by its listener, exits 0; the CorePod container exits non-zero, so that
  // Kubernetes restarts the pod.
  assert.deepEqual([supervisord.code, corepod.code], [0, 1]);
});
