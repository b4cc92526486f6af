// The corpus (sidecar/convert/corpus/*.conf): every configuration converts into a CorePod the
// schema accepts, with the meaning checked per file; the warnings of each file are reported.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { validateCorePod, type CorePodSpecInput } from '../../crds/corepod-schema.js';
import { fileSource, parseEnvFlags } from './convert-command.js';
import { convertSupervisord, type ConvertOptions } from './supervisord-to-corepod.js';

export const CORPUS = fileURLToPath(new URL('../../../sidecar/convert/corpus/', import.meta.url));

/** The options of the file's first line, `; corepod convert: --here DIR --env A=B`. */
export function corpusOptions(text: string): ConvertOptions {
  const header = /^; corepod convert:(.*)$/m.exec(text.split('\n')[0] ?? '');
  const words = (header?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
  const env: string[] = [];
  const options: ConvertOptions = { image: 'registry.example/app:1' };
  for (let i = 0; i < words.length; i += 2) {
    if (words[i] === '--here') options.here = words[i + 1]!;
    else if (words[i] === '--env') env.push(words[i + 1]!);
    else throw new Error(`unknown corpus flag ${words[i]}`);
  }
  return { ...options, env: parseEnvFlags(env) };
}

type Program = CorePodSpecInput['programs'][number];
const byName = (spec: CorePodSpecInput) => new Map(spec.programs.map((p) => [p.name, p]));

/** What each file must mean once converted, beyond being valid. */
const EXPECTED: Record<string, (programs: Map<string, Program>, warnings: string[]) => void> = {
  '01-nginx-php-fpm.conf': (p) => {
    assert.deepEqual([...p.keys()], ['php-fpm', 'nginx']);
    assert.deepEqual(p.get('nginx')!.command, ['nginx', '-g', 'daemon off;']);
    assert.equal(p.get('nginx')!.logs, undefined, '/dev/stdout is the mirror');
  },
  '02-laravel-queue.conf': (p) => {
    assert.equal(p.get('laravel-worker')!.instances, 8);
    assert.deepEqual(p.get('laravel-worker')!.logs, { stdoutFile: '/var/www/html/storage/logs/worker.log', stderrFile: '/var/www/html/storage/logs/worker.log' });
  },
  '03-django-gunicorn-celery.conf': (p) => {
    const celery = p.get('celery')!;
    assert.equal(celery.instances, 3);
    assert.ok(celery.command.includes('worker$(COREPOD_INSTANCE)@%h'));
    assert.equal(celery.logs!.stdoutFile, '/var/log/celery/celery_0$(COREPOD_INSTANCE).log');
    assert.equal(p.get('gunicorn')!.command.length, 8, 'continuation lines are words of the command');
    assert.deepEqual(p.get('gunicorn')!.env, [
      { name: 'DJANGO_SETTINGS_MODULE', value: 'config.settings.production' },
      { name: 'PYTHONUNBUFFERED', value: '1' },
    ]);
  },
  '04-includes.conf': (p) => assert.deepEqual([...p.keys()], ['api', 'worker']),
  '05-relative-includes.conf': (p, w) => {
    assert.deepEqual([...p.keys()].sort(), ['cron', 'web']);
    assert.equal(p.get('web')!.command[0], '/app/deploy/05-relative-includes.d/../bin/web');
    assert.ok(w.includes('[include] files: no file matches "05-relative-includes.d/optional/*.ini"; skipped'));
  },
  '06-env-references.conf': (p) => {
    const sidekiq = p.get('sidekiq')!;
    assert.deepEqual([sidekiq.instances, sidekiq.user, sidekiq.workingDir], [2, 'app', '$(APP_ROOT)']);
    assert.deepEqual(p.get('puma')!.command.slice(-1), ['$(PORT)']);
    assert.ok(p.get('puma')!.env!.some((v) => v.name === 'PATH' && v.value === '/usr/local/bundle/bin:$(PATH)'));
    assert.deepEqual(p.get('puma')!.env![0], { name: 'APP_ROOT', value: '$(HOME)/app' });
  },
  '07-fatal-listener.conf': (p) => assert.deepEqual([p.get('app')!.critical, p.get('metrics')!.critical], [true, true]),
  '08-exit-listener.conf': (p, w) => {
    assert.equal(p.get('app')!.critical, undefined);
    assert.ok(w.some((x) => x.includes('exitContainerOnExit: true')));
  },
  '09-superlance.conf': (_p, w) => assert.equal(w.filter((x) => x.startsWith('[eventlistener:')).length, 3),
  '10-odd-whitespace.conf': (p) => {
    const web = p.get('web-server')!;
    assert.deepEqual(web.command, ['/usr/sbin/apache2ctl', '-DFOREGROUND']);
    assert.deepEqual([web.autorestart, web.exitCodes, web.startSeconds, web.stopWaitSeconds, web.stopSignal], ['unexpected', [0, 2], 3, 20, undefined]);
  },
  '11-continuation-lines.conf': (p) => {
    assert.equal(p.get('uwsgi')!.command.length, 9);
    assert.deepEqual(p.get('uwsgi')!.env, [
      { name: 'PYTHONPATH', value: '/srv/app' },
      { name: 'UWSGI_CHEAPER', value: '2' },
    ]);
  },
  '12-duplicate-keys.conf': (p) => assert.deepEqual([p.get('app')!.command, p.get('app')!.priority], [['/usr/bin/app', '--new'], 50]),
  '13-groups.conf': (p) =>
    assert.deepEqual(
      [...p.values()].map((x) => [x.name, x.priority]),
      [
        ['backend-api', 100],
        ['backend-jobs', 10],
        ['frontend', 20],
      ],
    ),
  '14-fcgi-program.conf': (p) => assert.deepEqual([...p.keys()], ['lighttpd']),
  '15-umask.conf': (p) => assert.deepEqual([p.get('uploads')!.umask, p.get('reports')!.umask], ['002', '077']),
  '16-retry-forever.conf': (p) => assert.deepEqual([p.get('tunnel')!.startRetries, p.get('consumer')!.startRetries, p.get('consumer')!.stopSignal], [1000, 1000, 'KILL']),
  '17-numeric-signals.conf': (p) => assert.deepEqual([p.get('haproxy')!.stopSignal, p.get('nginx')!.stopSignal, p.get('unicorn')!.stopSignal], ['USR1', 'QUIT', 'QUIT']),
  '18-here-paths.conf': (p) => {
    assert.equal(p.get('grafana')!.workingDir, '/opt/stack/etc/..');
    assert.equal(p.get('prometheus')!.command[1], '--config.file=/opt/stack/etc/prometheus.yml');
  },
  '19-host-node-name.conf': (p) => assert.ok(p.get('consul-agent')!.command.includes('-node=$(HOSTNAME)')),
  '21-node-pm2-style.conf': (p) => {
    assert.deepEqual(p.get('node-cluster')!.command.slice(-1), ['300$(COREPOD_INSTANCE)']);
    assert.equal(p.get('node-cluster')!.instances, 4);
  },
  '24-oneshot-and-priorities.conf': (p) => assert.deepEqual([p.get('migrate')!.autorestart, p.get('worker')!.autostart], [false, false]),
  '27-defaults-section.conf': (p) => assert.deepEqual([p.get('one')!.stopWaitSeconds, p.get('two')!.stopWaitSeconds, p.get('one')!.autorestart], [15, 5, true]),
  '28-daphne-channels.conf': (p, w) => {
    assert.equal(p.get('channels-worker')!.instances, 2);
    assert.ok(w.some((x) => x.startsWith('[fcgi-program:asgi]')));
  },
};

const files = fs
  .readdirSync(CORPUS)
  .filter((name) => name.endsWith('.conf'))
  .sort();

test('the corpus has at least 25 configurations', () => {
  assert.ok(files.length >= 25, `${files.length} files`);
});

test('every configuration of the corpus converts into a CorePod the schema accepts, meaning what it meant', (t) => {
  const converted: { file: string; programs: number; warnings: string[] }[] = [];
  const failed: string[] = [];
  for (const file of files) {
    const full = path.join(CORPUS, file);
    try {
      const result = convertSupervisord(full, fileSource, corpusOptions(fs.readFileSync(full, 'utf8')));
      const validated = validateCorePod(result.document);
      assert.ok(validated.ok, `${file}: ${JSON.stringify(validated)}`);
      EXPECTED[file]?.(byName(result.document.spec), result.warnings);
      converted.push({ file, programs: result.document.spec.programs.length, warnings: result.warnings });
    } catch (error) {
      failed.push(`${file}: ${(error as Error).message}`);
    }
  }
  t.diagnostic(`converted ${converted.length}/${files.length}`);
  for (const { file, programs, warnings } of converted) t.diagnostic(`${file}: ${programs} programs, ${warnings.length} warnings`);
  assert.deepEqual(failed, []);
  assert.equal(converted.length, files.length);
});
