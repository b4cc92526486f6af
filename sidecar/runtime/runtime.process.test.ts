// The built runtime in a root filesystem holding nothing but Debian's static busybox: no libc, no
// node, no loader. corepod-install copies it in (as the init container does), corepod-init starts
// it as PID 1 of a new PID namespace (as the app container does): tini in front, orphans reaped,
// the CLI works, SIGTERM stops cleanly with 0, a critical FATAL exits non-zero.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { descendants, processTable, type ProcInfo } from '../../lib/procfs.js';
import { collectJsonLines, REPO, waitFor } from '../test-helpers.js';

const exec = promisify(execFile);
let runtimeRoot: string;

before(async () => {
  const { stdout } = await exec(path.join(REPO, 'sidecar/runtime/build-runtime'), [], { maxBuffer: 16 * 1024 * 1024, timeout: 600_000 });
  runtimeRoot = stdout.trim().split('\n').pop()!;
});

interface Container {
  root: string;
  child: ChildProcess;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
  /** Host pid of the namespace's PID 1. */
  initPid(): number;
  stderr(): string;
}

/** A busybox-only rootfs with the runtime installed and the config; corepod-init as PID 1 (on the host's network: a free health port). */
async function startContainer(t: { after(fn: () => unknown): void }, config: string): Promise<Container> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'corepod-rootfs-'));
  fs.chmodSync(root, 0o755); // other users (a program's `user`) must reach /bin
  for (const dir of ['bin', 'proc', 'dev', 'tmp', 'etc', 'run']) fs.mkdirSync(path.join(root, dir));
  fs.copyFileSync('/bin/busybox', path.join(root, 'bin/busybox'));
  fs.chmodSync(path.join(root, 'bin/busybox'), 0o755);
  for (const applet of ['sh', 'sleep', 'echo', 'ps', 'cat', 'id']) fs.symlinkSync('busybox', path.join(root, 'bin', applet));
  fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  fs.writeFileSync(path.join(root, 'etc/corepod.yaml'), config);
  const install = await exec(path.join(runtimeRoot, 'opt/corepod/bin/corepod-install'), [path.join(root, 'corepod')]);
  assert.match(install.stdout, /^corepod-install: \d+ files/);

  const child = spawn(
    'unshare',
    [
      '--pid',
      '--fork',
      '--mount',
      '--kill-child',
      'sh',
      '-c',
      `mount -t proc proc "${root}/proc" && mount --rbind /dev "${root}/dev" && exec chroot "${root}" /corepod/bin/corepod-init -f /etc/corepod.yaml --health-port 0`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines = collectJsonLines(child.stdout!);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    fs.rmSync(root, { recursive: true, force: true });
  });
  const initPid = () => {
    const children = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    assert.equal(children.length, 1, 'unshare has one child: the namespace PID 1');
    return children[0]!;
  };
  return { root, child, lines, exited, initPid, stderr: () => stderr };
}

/** Host view: every descendant of `pid` with its state and command name. */
function descendantsOf(pid: number): ProcInfo[] {
  const table = processTable();
  return descendants(pid, table).map((child) => table.get(child)!);
}

const corePod = (programs: string) => `apiVersion: dreamscape.io/v1alpha1
kind: CorePod
metadata: { name: t }
spec:
  image: test
  terminationGracePeriodSeconds: 20
  programs:
${programs}`;

test('the runtime needs nothing from the image: tini is PID 1, programs run, orphans are reaped, SIGTERM exits 0', async (t) => {
  const c = await startContainer(
    t,
    corePod(`    - { name: hello, command: ["/bin/sh", "-c", "echo hello from busybox; exec sleep 1000"], startSeconds: 0, priority: 1 }
    - { name: nobody, user: nobody, command: ["/bin/sh", "-c", "id; exec sleep 1000"], startSeconds: 0, priority: 3 }
    - { name: notifier, notify: true, command: ["/bin/sh", "-c", "/corepod/bin/notify-socket --send READY=1; exec sleep 1000"], priority: 4 }
    - name: storm
      priority: 2
      startSeconds: 0
      command: ["/bin/sh", "-c", "i=0; while [ $i -lt 200 ]; do (sleep 0.05 &); i=$((i+1)); done; exec sleep 1000"]
`),
  );
  for (const name of ['lib', 'lib64', 'usr']) assert.equal(fs.existsSync(path.join(c.root, name)), false, `no /${name} in the image`);
  const started = await waitFor('supervisor started', () => c.lines.find((l) => l.msg === 'supervisor started'), 60_000).catch((error: Error) => {
    throw new Error(`${error.message}\nstdout: ${JSON.stringify(c.lines.slice(-5))}\nstderr: ${c.stderr()}`);
  });
  assert.equal(started.reaper, 'tini (PID 1)');
  // The static pipe-size helper works without a libc, and the supervisor found it.
  const { stdout: grown } = await exec('chroot', [c.root, '/bin/sh', '-c', 'echo | /corepod/bin/pipe-size 1048576']);
  assert.equal(grown.trim(), '1048576');
  assert.equal(
    c.lines.find((l) => String(l.msg).startsWith('pipe-size helper not found')),
    undefined,
  );
  await waitFor('hello on stdout', () => c.lines.find((l) => l.program === 'hello' && l.msg === 'hello from busybox'));
  const init = c.initPid();
  assert.equal(fs.readFileSync(`/proc/${init}/comm`, 'utf8').trim(), 'tini-static');

  let lastStatus = '';
  // The CLI from the runtime, as `kubectl exec ... /corepod/bin/corepod status --json` would run it.
  const status = await waitFor(
    'both RUNNING',
    async () => {
      // Exit code 1 while a program is not RUNNING yet (supervisorctl's convention): look at the JSON anyway.
      const { stdout } = await exec('chroot', [c.root, '/corepod/bin/corepod', 'status', '--json']).catch((error: { stdout?: string; stderr?: string }) => {
        if (!error.stdout) throw new Error(`corepod status: ${error.stderr}`);
        return { stdout: error.stdout };
      });
      const programs = JSON.parse(stdout) as { name: string; state: string }[] | { programs: { name: string; state: string }[] };
      const list = Array.isArray(programs) ? programs : programs.programs;
      lastStatus = JSON.stringify(list.map((p) => [p.name, p.state]));
      return list.every((p) => p.state === 'RUNNING') ? list : undefined;
    },
    30_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}: ${lastStatus}\n${JSON.stringify(c.lines.filter((l) => l.program === 'nobody').slice(-10))}`);
  });
  assert.deepEqual(
    status.map((p) => p.name),
    ['hello', 'nobody', 'notifier', 'storm'],
  );
  // READY=1 through the runtime's static notify-socket helper, both ends.
  assert.ok(c.lines.find((l) => l.program === 'notifier' && l.msg === 'STARTING -> RUNNING' && l.reason === 'said it is ready'));
  // `user` through the runtime's own static setpriv (busybox's has not the options, the image may have none).
  const id = await waitFor('id of the nobody program', () => c.lines.find((l) => l.program === 'nobody' && l.stream === 'stdout'));
  assert.equal(id.msg, 'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)');

  // 200 orphaned grandchildren, each exiting after 50 ms: none may stay a zombie.
  await waitFor(
    'the storm is over and no zombie is left',
    () => {
      const procs = descendantsOf(init);
      return procs.filter((p) => p.comm === 'sleep').length === 4 && procs.every((p) => p.state !== 'Z') ? true : undefined;
    },
    30_000,
  );

  process.kill(init, 'SIGTERM');
  assert.equal(await c.exited, 0);
  assert.ok(c.lines.find((l) => l.msg === 'all programs stopped'));
});

test("the runtime's modules load compiled from its own cache, none compiled anew, as root and as another user", async (t) => {
  const c = await startContainer(t, corePod('    - { name: idle, command: ["/bin/sleep", "1000"] }\n'));
  await waitFor('supervisor started', () => c.lines.find((l) => l.msg === 'supervisor started'), 60_000);
  fs.chmodSync(path.join(c.root, 'tmp'), 0o1777);
  // The validating child of every start and reload: zod, yaml and the schema (the file is YAML).
  for (const userspec of ['0:0', '65534:65534']) {
    const { stderr } = await exec('chroot', [`--userspec=${userspec}`, c.root, '/corepod/bin/corepod', 'validate', '--json', '-f', '/etc/corepod.yaml'], {
      env: { ...process.env, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' },
    });
    const accepted = [...stderr.matchAll(/V8 code cache for \w+ (?:file:\/\/)?(\S+) was accepted/g)].map((m) => m[1]!);
    for (const module of ['/corepod/app/dist/crds/corepod-schema.js', '/corepod/app/node_modules/zod/v4/core/schemas.js', '/corepod/app/dist/sidecar/cli/validate-command.js']) {
      assert.ok(accepted.includes(module), `${userspec}: ${module} from the cache (accepted: ${accepted.length})`);
    }
    assert.ok(
      accepted.some((m) => m.startsWith('/corepod/app/node_modules/yaml/')),
      `${userspec}: yaml from the cache`,
    );
    assert.deepEqual(
      stderr.split('\n').filter((line) => /was not initialized|mismatch|rejected|Cannot/.test(line)),
      [],
    );
  }
  // The other user's link to it, in its own run directory.
  assert.equal(fs.statSync(path.join(c.root, 'tmp/corepod-65534/compile-cache')).mode & 0o777, 0o700);
});

test("the validating child starts from the runtime's V8 snapshot and says what `corepod validate` says, valid or not", async (t) => {
  const c = await startContainer(t, corePod('    - { name: idle, command: ["/bin/sleep", "1000"] }\n'));
  await waitFor('supervisor started', () => c.lines.find((l) => l.msg === 'supervisor started'), 60_000);
  fs.writeFileSync(path.join(c.root, 'etc/bad.yaml'), corePod('    - { name: x, command: [], stopSignal: NOPE }\n'));
  fs.writeFileSync(path.join(c.root, 'etc/broken.yaml'), 'spec: [\n');
  const outcome = (argv: string[]) =>
    exec('chroot', ['--userspec=65534:65534', c.root, ...argv]).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );
  for (const file of ['/etc/corepod.yaml', '/etc/bad.yaml', '/etc/broken.yaml']) {
    const loaded = await outcome(['/corepod/bin/corepod', 'validate', '--json', '-f', file]);
    const snapshot = await outcome(['/corepod/node', '--snapshot-blob', '/corepod/app/validate.blob', 'validate', '--json', '-f', file]);
    assert.deepEqual(snapshot, loaded, file);
    assert.equal(loaded.code, file === '/etc/corepod.yaml' ? 0 : 2, `${file}: ${loaded.stderr}`);
  }
  assert.match((await outcome(['/corepod/bin/corepod', 'validate', '-f', '/etc/bad.yaml'])).stderr, /spec\.programs\[0\]\.stopSignal/);
});

test('a critical program going FATAL ends the container with a non-zero code', async (t) => {
  const c = await startContainer(
    t,
    corePod(`    - { name: broken, command: ["/bin/sh", "-c", "exit 3"], critical: true, startRetries: 1, startSeconds: 1 }
`),
  );
  const code = await c.exited;
  assert.notEqual(code, 0);
  assert.ok(
    c.lines.find((l) => l.program === 'broken' && l.to === 'FATAL'),
    'FATAL was logged',
  );
});

test('corepod-install wants one absolute destination', async () => {
  const installer = path.join(runtimeRoot, 'opt/corepod/bin/corepod-install');
  await assert.rejects(exec(installer, []), (error: { code?: number; stderr?: string }) => error.code === 2 && /usage: corepod-install DEST/.test(error.stderr ?? ''));
  await assert.rejects(exec(installer, ['relative/dir']), (error: { code?: number }) => error.code === 2);
});

after(() => undefined);
