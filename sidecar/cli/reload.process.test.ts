// `corepod reload` and SIGHUP against a real `corepod run`: the file is read again and only what
// changed is touched (supervisorctl reread + update), on real processes.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { StatusDocument } from '../control-server.js';
import { runCli, startCli, tempDir, waitFor } from '../test-helpers.js';

type Program = Record<string, unknown>;

const loop = (body = '') => ['sh', '-c', `${body} while true; do sleep 0.1; done`];

function writeConfig(file: string, programs: Program[]): void {
  fs.writeFileSync(file, JSON.stringify({ apiVersion: 'dreamscape.io/v1alpha1', kind: 'CorePod', metadata: { name: 'reload-test' }, spec: { image: 'test', programs } }));
}

async function start(t: TestContext, programsIn: (dir: string) => Program[]) {
  const dir = tempDir(t);
  const programs = programsIn(dir);
  const env = { ...process.env, COREPOD_RUN_DIR: path.join(dir, 'run') };
  const file = path.join(dir, 'corepod.json');
  writeConfig(file, programs);
  const run = startCli(t, ['run', '-f', file, '--health-port', '0'], env);
  const status = async () => {
    const result = await runCli(['status', '--json'], env);
    return result.code === 3 ? undefined : (JSON.parse(result.stdout) as StatusDocument);
  };
  const running = (names: string[]) =>
    waitFor(`${names.join(', ')} RUNNING`, async () => {
      const document = await status();
      const ok = document && names.every((name) => document.programs.find((p) => p.name === name)?.state === 'RUNNING');
      return ok ? document : undefined;
    });
  const pids = (document: StatusDocument) => Object.fromEntries(document.programs.map((p) => [p.name, p.pid]));
  return { dir, env, file, run, status, running, pids };
}

test('reload: added start, removed stop, edited restart, reloadSignal instead of a restart, settings in place, the rest keep their pid', async (t) => {
  let hups = '';
  let versions = '';
  const programs = (dir: string): Program[] => {
    hups = path.join(dir, 'hups');
    versions = path.join(dir, 'versions');
    return [
      { name: 'keep', command: loop(), startSeconds: 0 },
      { name: 'edit', command: loop(`echo "$VERSION" >> ${versions};`), env: [{ name: 'VERSION', value: '1' }], startSeconds: 0 },
      { name: 'gone', command: loop(), startSeconds: 0 },
      { name: 'web', command: loop(`trap 'echo hup >> ${hups}' HUP;`), env: [{ name: 'MODE', value: 'a' }], reloadSignal: 'HUP', startSeconds: 0 },
      { name: 'tuned', command: loop(), startSeconds: 0, startRetries: 3 },
    ];
  };
  const s = await start(t, programs);
  const before = s.pids(await s.running(['keep', 'edit', 'gone', 'web', 'tuned']));

  const next = programs(s.dir);
  next[1]!.env = [{ name: 'VERSION', value: '2' }];
  next.splice(2, 1);
  next[2]!.env = [{ name: 'MODE', value: 'b' }];
  next[3]!.startRetries = 9;
  next.push({ name: 'fresh', command: loop(), startSeconds: 0 });
  writeConfig(s.file, next);

  const dry = await runCli(['reload', '--dry-run'], s.env);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(
    dry.stdout,
    'dry run, nothing changed:\nadded: fresh\nremoved: gone\nrestarted: edit (env)\nreloaded: web (env)\nupdated in place: tuned (startRetries)\nkept: keep\n',
  );
  assert.deepEqual(s.pids((await s.status())!), before, 'a dry run changes nothing');

  const applied = await runCli(['reload'], s.env);
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal(applied.stdout, 'added: fresh\nremoved: gone\nrestarted: edit (env)\nreloaded: web (env)\nupdated in place: tuned (startRetries)\nkept: keep\n');
  const after = await s.running(['keep', 'edit', 'web', 'tuned', 'fresh']);
  const pids = s.pids(after);
  assert.deepEqual(
    after.programs.map((p) => p.name),
    ['keep', 'edit', 'web', 'tuned', 'fresh'],
  );
  assert.equal(pids.keep, before.keep, 'unchanged: same process');
  assert.equal(pids.tuned, before.tuned, 'a supervision setting is taken over in place');
  assert.equal(pids.web, before.web, 'reloadSignal: the same process, signalled');
  assert.notEqual(pids.edit, before.edit, 'edited: a new process');
  assert.ok(!fs.existsSync(`/proc/${before.gone}`) || fs.readFileSync(`/proc/${before.gone}/stat`, 'utf8').includes(') Z'), 'the removed program was stopped');
  await waitFor('the edited program runs its new environment', () => fs.readFileSync(versions, 'utf8') === '1\n2\n');
  await waitFor('web got SIGHUP', () => fs.existsSync(hups) && fs.readFileSync(hups, 'utf8') === 'hup\n');

  const again = await runCli(['reload'], s.env);
  assert.equal(again.stdout, 'kept: keep, edit, web, tuned, fresh\n', 'reading the same file again changes nothing');
});

test('SIGHUP reloads; edited programs restart in dependency order; an edit that cannot be applied is refused and nothing changes', async (t) => {
  const s = await start(t, () => [
    { name: 'db', command: loop(), startSeconds: 1 },
    { name: 'api', command: loop(), startSeconds: 0, dependsOn: ['db'] },
    { name: 'side', command: loop(), startSeconds: 0 },
  ]);
  const before = s.pids(await s.running(['db', 'api', 'side']));
  writeConfig(s.file, [
    { name: 'db', command: loop('true;'), startSeconds: 1 },
    { name: 'api', command: loop('true;'), startSeconds: 0, dependsOn: ['db'] },
    { name: 'side', command: loop(), startSeconds: 0 },
  ]);
  const mark = s.run.output().length;
  s.run.child.kill('SIGHUP');
  const after = await waitFor('db and api restarted', async () => {
    const document = await s.running(['db', 'api', 'side']);
    const pids = s.pids(document);
    return pids.db !== before.db && pids.api !== before.api ? pids : undefined;
  });
  assert.equal(after.side, before.side);
  const log = s.run
    .output()
    .slice(mark)
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg: string; program?: string });
  const at = (msg: string, program: string) => log.findIndex((l) => l.msg === msg && l.program === program);
  assert.ok(at('RUNNING -> STOPPING', 'api') >= 0 && at('STOPPING -> STOPPED', 'api') < at('RUNNING -> STOPPING', 'db'), 'the dependent is down before its dependency stops');
  assert.ok(at('STARTING -> RUNNING', 'db') >= 0 && at('STARTING -> RUNNING', 'db') < at('spawned', 'api'), 'api starts once db is RUNNING again');
  assert.ok(log.some((l) => l.msg === 'reload: applied'));

  writeConfig(s.file, [
    { name: 'db', command: loop(), startSeconds: 1, dependsOn: ['api'] },
    { name: 'api', command: loop(), startSeconds: 0, dependsOn: ['db'] },
    { name: 'side', command: ['other'] },
  ]);
  const refused = await runCli(['reload'], s.env);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /spec\.programs\[\d\]\.dependsOn.*cycle|dependency cycle/);
  assert.match(refused.stderr, /the programs keep running as they were/);
  assert.deepEqual(s.pids((await s.status())!), after, 'nothing was touched');
  assert.equal((await s.status())!.programs.length, 3);
});

test('reload: a change of instances starts or stops only the difference; the other instances keep their pids', async (t) => {
  const s = await start(t, () => [
    { name: 'worker', command: loop(), startSeconds: 0, instances: 2 },
    { name: 'other', command: loop(), startSeconds: 0 },
  ]);
  const before = s.pids(await s.running(['worker:00', 'worker:01', 'other']));
  writeConfig(s.file, [
    { name: 'worker', command: loop(), startSeconds: 0, instances: 4 },
    { name: 'other', command: loop(), startSeconds: 0 },
  ]);
  const grown = await runCli(['reload'], s.env);
  assert.equal(grown.code, 0, grown.stderr);
  assert.equal(grown.stdout, 'updated in place: worker (instances)\nkept: other\n');
  const four = s.pids(await s.running(['worker:00', 'worker:01', 'worker:02', 'worker:03', 'other']));
  assert.deepEqual([four['worker:00'], four['worker:01'], four.other], [before['worker:00'], before['worker:01'], before.other]);

  writeConfig(s.file, [
    { name: 'worker', command: loop(), startSeconds: 0, instances: 1 },
    { name: 'other', command: loop(), startSeconds: 0 },
  ]);
  assert.equal((await runCli(['reload'], s.env)).code, 0);
  const one = await waitFor('three instances stopped', async () => {
    const document = await s.status();
    return document && document.programs.length === 2 ? document : undefined;
  });
  assert.deepEqual(
    one.programs.map((p) => [p.name, p.pid]),
    [
      ['worker:00', before['worker:00']],
      ['other', before.other],
    ],
  );
  for (const gone of ['worker:01', 'worker:02', 'worker:03']) {
    const pid = four[gone]!;
    assert.ok(!fs.existsSync(`/proc/${pid}`) || fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z'), `${gone} was stopped`);
  }
});
