// `corepod run` without a cluster on the machine's own Node (Debian's or the distribution's, >= 20),
// not the Node 24 that builds the code and ships in pods: the compiled output must run there, as
// the supervisor and as PID 1 (where an older Node without process.execve stays a shim in front
// of tini).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { StatusDocument } from '../control-server.js';
import { descendants, readProc } from '../../lib/procfs.js';
import { runCli, startCli, tempDir, waitFor } from '../test-helpers.js';

/** The first node on PATH that is not the one running the tests. */
function machineNode(): string {
  const ours = fs.realpathSync(process.execPath);
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = path.join(dir || '.', 'node');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.realpathSync(candidate) !== ours) return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`no node on PATH besides ${ours}: the machine's own Node (>= 20) is what this test runs corepod on`);
}

const NODE = machineNode();
const [VERSION = '', EXECVE] = execFileSync(NODE, ['-p', "process.versions.node + ' ' + typeof process.execve"], { encoding: 'utf8' }).trim().split(' ');

function setUp(t: Parameters<typeof tempDir>[0], programs: string) {
  const dir = tempDir(t);
  const file = path.join(dir, 'corepod.yaml');
  fs.writeFileSync(
    file,
    `apiVersion: dreamscape.io/v1alpha1\nkind: CorePod\nmetadata: { name: machine-node }\nspec:\n  image: test\n  terminationGracePeriodSeconds: 10\n  programs:\n${programs}`,
  );
  return { dir, file, env: { ...process.env, COREPOD_RUN_DIR: path.join(dir, 'run') } };
}

async function statusOf(env: NodeJS.ProcessEnv): Promise<StatusDocument | undefined> {
  const result = await runCli(['status', '--json'], env, 60_000, NODE);
  return result.code === 0 ? (JSON.parse(result.stdout) as StatusDocument) : undefined;
}

test(`corepod run -f on the machine's Node ${VERSION} (${NODE}): programs start, corepod status works, SIGTERM stops them`, async (t) => {
  assert.ok(Number(VERSION.split('.')[0]) >= 20, `the machine's Node ${VERSION} is older than 20`);
  const { file, env } = setUp(
    t,
    '    - name: ticker\n      command: [sh, -c, "while true; do echo tick; sleep 0.2; done"]\n      startSeconds: 0\n' +
      '    - name: sleeper\n      command: [sleep, "1000"]\n      startSeconds: 1\n      dependsOn: [ticker]\n',
  );
  const run = startCli(t, ['run', '-f', file, '--health-port', '0'], env, [], NODE);
  const status = await waitFor(
    'both programs RUNNING',
    async () => {
      const doc = await statusOf(env);
      return doc?.programs.length === 2 && doc.programs.every((p) => p.state === 'RUNNING') ? doc : undefined;
    },
    30_000,
    200,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\ncorepod run printed:\n${run.output().slice(-4000)}`);
  });
  assert.deepEqual(
    status.programs.map((p) => p.name),
    ['ticker', 'sleeper'],
  );
  assert.equal(fs.realpathSync(`/proc/${run.child.pid}/exe`), fs.realpathSync(NODE), 'the supervisor runs on the machine node');

  const table = await runCli(['status'], env, 60_000, NODE);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^ticker\s+RUNNING\s+pid \d+/m);
  assert.match(table.stdout, /^sleeper\s+RUNNING\s+pid \d+/m);

  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0);
  assert.match(run.output(), /"msg":"all programs stopped"/);
});

test(`corepod run as PID 1 on the machine's Node ${VERSION}: tini reaps the orphans, SIGTERM exits 0`, async (t) => {
  const { dir, file, env } = setUp(t, '');
  const done = path.join(dir, 'orphans-made');
  fs.appendFileSync(
    file,
    `    - name: orphans\n      command: [sh, -c, ${JSON.stringify(`for i in $(seq 1 20); do (sh -c 'exit 0' &); done; touch ${done}; exec sleep 1000`)}]\n      startSeconds: 0\n`,
  );
  const run = startCli(t, ['run', '-f', file, '--health-port', '0'], env, ['unshare', '--pid', '--fork', '--mount-proc'], NODE);
  await waitFor('the orphans made', () => fs.existsSync(done), 30_000);
  const status = await waitFor('status', () => statusOf(env), 30_000, 200);
  // Node < 22.15 has no process.execve: PID 1 stays a node shim and tini -s is the reaper under it.
  assert.equal(status.supervisor.reaper, EXECVE === 'function' ? 'tini (PID 1)' : 'tini (subreaper under a PID-1 shim)');
  assert.equal(status.programs[0]!.state, 'RUNNING');
  await waitFor('every orphan reaped', () => descendants(run.child.pid!).every((pid) => readProc(pid)?.state !== 'Z'), 30_000);
  process.kill(descendants(run.child.pid!)[0]!, 'SIGTERM'); // the namespace's PID 1
  assert.equal(await run.exited, 0);
  assert.match(run.output(), /"msg":"all programs stopped"/);
});
