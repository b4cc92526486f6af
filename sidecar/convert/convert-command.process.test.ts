import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { validateCorePod } from '../../crds/corepod-schema.js';
import { tempDir } from '../test-helpers.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = path.join(REPO, 'bin', 'corepod.js');
const SEED = path.join(REPO, 'examples', 'supervisord', 'supervisord.conf');

function corepod(args: string[], options: { cwd?: string; input?: string } = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: options.cwd ?? os.tmpdir(), input: options.input ?? '', encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test("corepod convert: the seed's supervisord.conf converts completely into a valid CorePod", () => {
  const { code, stdout, stderr } = corepod(['convert', SEED, '--name', 'dreamscape', '--image', 'corepod/dreamscape:0.1.0']);
  assert.equal(code, 0, stderr);
  const document = parse(stdout) as unknown;
  const validated = validateCorePod(document);
  assert.ok(validated.ok, JSON.stringify(!validated.ok && validated.errors));
  const spec = validated.value.spec;
  assert.deepEqual(
    spec.programs.map((p) => [p.name, p.priority, p.command.join(' '), p.workingDir, p.user, p.stopSignal, p.startSeconds, p.startRetries, p.stopWaitSeconds, p.autorestart]),
    [
      ['auth-service', 10, 'node dist/server.js', '/app/auth', 'nodejs', 'TERM', 10, 3, 10, true],
      ['user-service', 20, 'node dist/server.js', '/app/user', 'nodejs', 'TERM', 10, 3, 10, true],
      ['nginx', 30, 'nginx -g daemon off;', undefined, 'nginx', 'QUIT', 5, 3, 10, true],
    ],
  );
  assert.deepEqual(spec.programs[0]!.env, [
    { name: 'NODE_ENV', value: 'production' },
    { name: 'PORT', value: '3001' },
  ]);
  for (const p of spec.programs) {
    assert.deepEqual(p.logs, {
      mirror: true,
      stdoutFile: `/var/log/supervisor/${p.name}.log`,
      stderrFile: `/var/log/supervisor/${p.name}-error.log`,
      maxBytes: '50Mi',
      backups: 5,
    });
  }
  // Every program option converted: warnings for the supervisord-wide sections, and the one
  // difference of user= (HOME, USER and LOGNAME become the user's).
  const warnings = stderr.trim().split('\n');
  assert.ok(
    warnings.every((w) => /^warning: \[(supervisord|unix_http_server|rpcinterface:supervisor)\]|^warning: \[program:[a-z-]+\] user=\w+: CorePod sets HOME, USER, LOGNAME/.test(w)),
    stderr,
  );
  assert.equal(warnings.length, 10);
  assert.match(stdout, /^# Converted from supervisord\.conf by `corepod convert`\./);
  assert.match(stdout, /command: \[nginx, -g, daemon off;\]/);
});

test('corepod convert -o FILE writes the YAML, which corepod validate accepts', (t) => {
  const dir = tempDir(t);
  const out = path.join(dir, 'corepod.yaml');
  const { code, stdout, stderr } = corepod(['convert', '-o', out, '--image', 'img:1', SEED]);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, '');
  assert.match(stderr, /wrote .*corepod\.yaml \(3 programs, 10 warnings\)/);
  const validate = corepod(['validate', out]);
  assert.equal(validate.code, 0, validate.stderr);
  assert.equal((parse(fs.readFileSync(out, 'utf8')) as { metadata: { name: string } }).metadata.name, 'supervisord');
});

test("includes are read relative to the config; %(ENV_X)s becomes $(X); nothing of this command's environment is read", (t) => {
  const dir = tempDir(t);
  fs.mkdirSync(path.join(dir, 'conf.d'));
  fs.writeFileSync(path.join(dir, 'main.conf'), '[supervisord]\nnodaemon=true\n[include]\nfiles=conf.d/*.ini\n');
  fs.writeFileSync(
    path.join(dir, 'conf.d', 'web.ini'),
    '[program:web]\ncommand=/usr/bin/web --root %(ENV_WEB_ROOT)s\ndirectory=%(ENV_WEB_ROOT)s\nnumprocs=%(ENV_WORKERS)s\nprocess_name=%(program_name)s_%(process_num)d\nuser=%(ENV_USER)s\n',
  );
  const poisoned = { ...process.env, WEB_ROOT: '/poison/www', WORKERS: '7', USER: 'poison-user', CONVERT_POISON: 'poison-value' };
  const run = (...extra: string[]) =>
    spawnSync(process.execPath, [CLI, 'convert', path.join(dir, 'main.conf'), '--image', 'img:1', ...extra], { encoding: 'utf8', env: poisoned, timeout: 30_000 });
  const refused = run();
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, /web\.ini:4: \[program:web\] numprocs=%\(ENV_WORKERS\)s: %\(ENV_WORKERS\)s must be known when converting .*; pass --env WORKERS=VALUE/);
  const result = run('--env', 'WORKERS=2', '--env', 'USER=www-data', '--here', '/etc/supervisor');
  assert.equal(result.status, 0, result.stderr);
  const document = parse(result.stdout) as { spec: { programs: { name: string; command: string[] }[] } };
  assert.deepEqual(document.spec.programs, [
    { name: 'web', command: ['/usr/bin/web', '--root', '$(WEB_ROOT)'], instances: 2, workingDir: '$(WEB_ROOT)', user: 'www-data', autorestart: 'unexpected' },
  ]);
  assert.match(result.stderr, /warning: \[program:web\] command: %\(ENV_WEB_ROOT\)s becomes \$\(WEB_ROOT\)/);
  for (const text of [refused.stderr, result.stdout, result.stderr]) assert.doesNotMatch(text, /poison|CONVERT_POISON/);
  assert.equal(run('--env', 'WORKERS').status, 2, 'an --env without =VALUE is a usage error');
});

test('bad input exits 2 with a message naming the problem; nothing on stdout', (t) => {
  const dir = tempDir(t);
  const missing = corepod(['convert', path.join(dir, 'nope.conf')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /corepod convert: cannot read .*nope\.conf: ENOENT/);
  assert.equal(missing.stdout, '');

  const broken = path.join(dir, 'broken.conf');
  fs.writeFileSync(broken, '[program:a]\ncommand=/bin/a\nstartsecs=soon\n');
  const invalid = corepod(['convert', broken]);
  assert.equal(invalid.code, 2);
  assert.match(invalid.stderr, /corepod convert: .*broken\.conf:3: \[program:a\] startsecs=soon: not an integer/);
  assert.equal(invalid.stdout, '');

  assert.equal(corepod(['convert', dir]).code, 2, 'a directory is not readable as a file');
  const usage = corepod(['convert']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /expected exactly one SUPERVISORD\.CONF/);
  assert.equal(corepod(['convert', '--bogus', broken]).code, 2);
  const help = corepod(['convert', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: corepod convert/);
});

test('reads the configuration from stdin with "-"', () => {
  const { code, stdout, stderr } = corepod(['convert', '-', '--image', 'img:1', '--name', 'piped'], { input: '[program:echo]\ncommand=/bin/echo hi\n' });
  assert.equal(code, 0, stderr);
  assert.equal((parse(stdout) as { spec: { programs: { command: string[] }[] } }).spec.programs[0]!.command.join(' '), '/bin/echo hi');
});
