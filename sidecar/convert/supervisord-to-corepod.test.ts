import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateCorePod } from '../../crds/corepod-schema.js';
import { expandCommand, programEnvironment } from '../expand-references.js';
import { ConvertError, PLACEHOLDER_IMAGE, bytesToQuantity, convertSupervisord, programName, type ConfigSource, type ConvertOptions } from './supervisord-to-corepod.js';

/** An in-memory file tree for the converter's file access. */
function files(tree: Record<string, string>): ConfigSource {
  return {
    read(file) {
      const text = tree[file];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT', path: file });
      return text;
    },
    glob(pattern) {
      const regexp = new RegExp(
        `^${pattern
          .replace(/[.+^${}()|\\]/g, '\\$&')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]')}$`,
      );
      return Object.keys(tree)
        .filter((name) => regexp.test(name))
        .sort();
    },
  };
}

function convert(text: string, options: ConvertOptions = {}, extra: Record<string, string> = {}) {
  return convertSupervisord('/etc/supervisor/supervisord.conf', files({ '/etc/supervisor/supervisord.conf': text, ...extra }), {
    image: 'img:1',
    env: {},
    ...options,
  });
}

const program = (body: string, name = 'app') => `[program:${name}]\ncommand=/bin/app\n${body}\n`;
const warningsOf = (text: string, options?: ConvertOptions) => convert(text, options).warnings;

const SEED = `
[supervisord]
nodaemon=true
user=root
logfile=/var/log/supervisor/supervisord.log
pidfile=/var/run/supervisord.pid
childlogdir=/var/log/supervisor

[unix_http_server]
file=/var/run/supervisor.sock
chmod=0700

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[program:auth-service]
command=node dist/server.js
directory=/app/auth
user=nodejs
autostart=true
autorestart=true
priority=10
startsecs=10
startretries=3
stopwaitsecs=10
stopsignal=SIGTERM
environment=NODE_ENV=production,PORT=3001
stdout_logfile=/var/log/supervisor/%(program_name)s.log
stdout_logfile_maxbytes=50MB
stdout_logfile_backups=5
stderr_logfile_maxbytes=50MB
stderr_logfile_backups=5
redirect_stderr=true

[program:nginx]
command=nginx -g "daemon off;"
autostart=true
autorestart=true
priority=30
startsecs=5
startretries=3
stopwaitsecs=10
stopsignal=SIGQUIT
user=nginx
`;

test("the seed's programs convert completely into a valid CorePod", () => {
  const { document, warnings } = convert(SEED, { name: 'dreamscape', image: 'corepod/dreamscape:0.1.0' });
  assert.ok(validateCorePod(document).ok);
  assert.deepEqual(document.metadata, { name: 'dreamscape' });
  assert.deepEqual(document.spec.programs, [
    {
      name: 'auth-service',
      command: ['node', 'dist/server.js'],
      workingDir: '/app/auth',
      user: 'nodejs',
      env: [
        { name: 'NODE_ENV', value: 'production' },
        { name: 'PORT', value: '3001' },
      ],
      autostart: true,
      autorestart: true,
      priority: 10,
      startSeconds: 10,
      startRetries: 3,
      stopSignal: 'TERM',
      stopWaitSeconds: 10,
      logs: { stdoutFile: '/var/log/supervisor/auth-service.log', stderrFile: '/var/log/supervisor/auth-service.log', maxBytes: '50Mi', backups: 5 },
    },
    {
      name: 'nginx',
      command: ['nginx', '-g', 'daemon off;'],
      user: 'nginx',
      autostart: true,
      autorestart: true,
      priority: 30,
      startSeconds: 5,
      startRetries: 3,
      stopSignal: 'QUIT',
      stopWaitSeconds: 10,
    },
  ]);
  // No program option is left behind; only the supervisord-wide sections have no equivalent.
  assert.deepEqual(
    warnings.filter((w) => w.startsWith('[program:')),
    [
      "[program:auth-service] user=nodejs: CorePod sets HOME, USER, LOGNAME to the user's, where supervisord leaves its own (set them in environment= to keep them)",
      '[program:auth-service] stderr_logfile_maxbytes=50MB: no stderr log file (stderr goes to the JSON mirror); ignored',
      '[program:auth-service] stderr_logfile_backups=5: no stderr log file (stderr goes to the JSON mirror); ignored',
      "[program:nginx] user=nginx: CorePod sets HOME, USER, LOGNAME to the user's, where supervisord leaves its own (set them in environment= to keep them)",
    ],
  );
  assert.deepEqual(
    warnings.filter((w) => !w.startsWith('[program:')).map((w) => w.slice(0, w.indexOf(':', w.indexOf(']')))),
    [
      '[supervisord] user=root',
      '[supervisord] logfile=/var/log/supervisor/supervisord.log',
      '[supervisord] pidfile=/var/run/supervisord.pid',
      '[supervisord] childlogdir=/var/log/supervisor',
      '[unix_http_server] file=/var/run/supervisor.sock',
      '[unix_http_server] chmod=0700',
      '[rpcinterface:supervisor]',
    ],
  );
});

test('each program option without an equivalent gets its own warning naming section and option', () => {
  const cases: [string, string][] = [
    ['numprocs_start=5', '[program:app] numprocs_start=5: only used with numprocs > 1; ignored'],
    [
      'process_name=%(program_name)s_%(process_num)02d',
      '[program:app] process_name=%(program_name)s_%(process_num)02d: not supported (the process is named after the program, "app"); ignored',
    ],
    ['numprocs=3\nprocess_name=w%(process_num)d', '[program:app] process_name=w%(process_num)d: the instances are named app:00, app:01, ...; ignored'],
    ['stopasgroup=false', '[program:app] stopasgroup=false: CorePod always signals the whole process group (each program is its own session); ignored'],
    ['killasgroup=false', '[program:app] killasgroup=false: CorePod always signals the whole process group (each program is its own session); ignored'],
    ['startretries=100000', '[program:app] startretries=100000: CorePod allows 0 to 1000 start retries; 1000 used (with the linear backoff, days of retrying)'],
    ['stdout_capture_maxbytes=1MB', '[program:app] stdout_capture_maxbytes=1MB: process communication events are not supported; ignored'],
    ['stderr_capture_maxbytes=1MB', '[program:app] stderr_capture_maxbytes=1MB: process communication events are not supported; ignored'],
    ['stdout_events_enabled=true', '[program:app] stdout_events_enabled=true: log events are not supported (output goes to the JSON mirror); ignored'],
    ['stderr_events_enabled=true', '[program:app] stderr_events_enabled=true: log events are not supported (output goes to the JSON mirror); ignored'],
    ['stdout_syslog=true', '[program:app] stdout_syslog=true: syslog is not supported (output goes to the JSON mirror); ignored'],
    ['stderr_syslog=true', '[program:app] stderr_syslog=true: syslog is not supported (output goes to the JSON mirror); ignored'],
    ['serverurl=AUTO', '[program:app] serverurl=AUTO: no XML-RPC server (programs can use the corepod CLI); ignored'],
    ['stopsignal=WINCH', '[program:app] stopsignal=WINCH: not supported (CorePod stops with TERM, INT, QUIT, HUP, KILL, USR1, USR2); TERM used'],
    [
      'stdout_logfile=AUTO',
      '[program:app] stdout_logfile=AUTO: AUTO log files are not kept: output goes to the JSON mirror on stdout (set logs.stdoutFile/stderrFile for files); ignored',
    ],
    ['stdout_logfile=syslog', '[program:app] stdout_logfile=syslog: syslog is not supported (output goes to the JSON mirror); ignored'],
    ['stdout_logfile_maxbytes=10MB', '[program:app] stdout_logfile_maxbytes=10MB: no stdout log file (stdout goes to the JSON mirror); ignored'],
    ['priority=-5', '[program:app] priority=-5: CorePod priorities range from 0 to 100000; 0 used'],
    ['colour=blue', '[program:app] colour=blue: unknown option; ignored'],
  ];
  for (const [option, expected] of cases) {
    const warnings = warningsOf(program(option));
    assert.deepEqual(warnings, [expected], option);
  }
});

test('sections without an equivalent warn; event listeners and fcgi programs are not converted', () => {
  const text = `${program('')}
[eventlistener:crashmail]
command=crashmail -a -m ops@example.com
events=PROCESS_STATE_EXITED

[fcgi-program:php]
socket=unix:///tmp/php.sock
command=php-cgi

[inet_http_server]
port=127.0.0.1:9001

[supervisorctl]
serverurl=unix:///tmp/supervisor.sock

[ctlplugin:extra]
supervisor.ctl_factory = x:y

[something]
a=b
`;
  const { document, warnings } = convert(text);
  assert.deepEqual(
    document.spec.programs.map((p) => p.name),
    ['app'],
  );
  assert.deepEqual(
    warnings.map((w) => w.slice(0, w.indexOf(']') + 1)),
    ['[eventlistener:crashmail]', '[fcgi-program:php]', '[inet_http_server]', '[supervisorctl]', '[ctlplugin:extra]', '[something]'],
  );
  assert.match(warnings[0]!, /event listeners are not supported; for notices of crashes use spec.alerts/);
  assert.match(
    warnings[1]!,
    /no shared FastCGI socket; make it a \[program\] that opens unix:\/\/\/tmp\/php.sock itself, e.g. command=spawn-fcgi -n -s \/tmp\/php.sock -- php-cgi/,
  );
});

test("groups: members become programs with the group's priority, group_name expands", () => {
  const text = `${program('environment=GROUP=%(group_name)s', 'web')}${program('', 'api')}${program('priority=7', 'own')}
[group:frontend]
programs=web,api,own
priority=5
`;
  const { document, warnings } = convert(text);
  assert.deepEqual(
    document.spec.programs.map((p) => [p.name, p.priority]),
    [
      ['web', 5],
      ['api', 5],
      ['own', 7],
    ],
  );
  assert.deepEqual(document.spec.programs[0]!.env, [{ name: 'GROUP', value: 'frontend' }]);
  assert.deepEqual(warnings, ['[program:own] priority=7: supervisord started [group:frontend] as a whole at its priority 5; CorePod orders each program by its own priority']);
  assert.throws(() => convert(`${program('')}\n[group:g]\nprograms=app,ghost\n`), /\[group:g\] names unknown program ghost/);
});

test('interpolation: %(ENV_X)s in command, environment, directory and log files becomes $(X); program_name, process_num, here expand now', () => {
  const text = `[supervisord]
environment=BASE=/srv

[program:app]
command=%(ENV_BASE)s/bin/app --name %(program_name)s --n %(process_num)02d --host %(host_node_name)s --env %(ENV_STAGE)s
environment=STAGE="prod",HOME_DIR=%(ENV_HOME)s
directory=%(ENV_BASE)s/work
stdout_logfile=%(ENV_BASE)s/log/%(program_name)s.log
stderr_logfile=%(here)s/err.log
`;
  const { document, warnings } = convert(text, { here: '/opt/app/conf' });
  const app = document.spec.programs[0]!;
  // The sidecar-init expands these from the program's environment when it starts it, as
  // supervisord did from its own at start-up.
  assert.deepEqual(app.command, ['$(BASE)/bin/app', '--name', 'app', '--n', '00', '--host', '$(HOSTNAME)', '--env', '$(STAGE)']);
  assert.equal(app.workingDir, '$(BASE)/work');
  assert.deepEqual(app.logs, { stdoutFile: '$(BASE)/log/app.log', stderrFile: '/opt/app/conf/err.log' });
  assert.deepEqual(app.env, [
    { name: 'BASE', value: '/srv' },
    { name: 'STAGE', value: 'prod' },
    { name: 'HOME_DIR', value: '$(HOME)' },
  ]);
  const env = programEnvironment({ HOME: '/home/app', HOSTNAME: 'pod-1' }, app.env as { name: string; value: string }[]);
  assert.equal(env.HOME_DIR, '/home/app');
  assert.deepEqual(expandCommand(app.command, env), ['/srv/bin/app', '--name', 'app', '--n', '00', '--host', 'pod-1', '--env', 'prod']);
  assert.deepEqual(warnings, [
    "[program:app] command=%(ENV_BASE)s/bin/app --name %(program_name)s --n %(proces...: %(host_node_name)s becomes $(HOSTNAME), the container's host name (the pod's name in Kubernetes)",
    '[program:app] command: %(ENV_BASE)s becomes $(BASE), expanded when the program starts within one argument (supervisord split the value into words)',
    '[program:app] command: %(ENV_STAGE)s becomes $(STAGE), expanded when the program starts within one argument (supervisord split the value into words)',
  ]);
  assert.deepEqual(convert(program('environment=A=%(ENV_MISSING)s')).document.spec.programs[0]!.env, [{ name: 'A', value: '$(MISSING)' }]);
  assert.throws(() => convert('[program:app]\ncommand=printf %s\n'), /command=printf %s: unnamed conversion "%s" \(write %% for a literal %\)/);
  assert.deepEqual(convert('[program:app]\ncommand=printf %%s\n').document.spec.programs[0]!.command, ['printf', '%s']);
});

test('values needed when converting take --env, else the error names the variable and the flag', () => {
  const text = program('numprocs=%(ENV_WORKERS)s\nautostart=%(ENV_ON)s\nuser=%(ENV_RUN_AS)s');
  assert.throws(
    () => convert(text),
    (error: unknown) =>
      error instanceof ConvertError &&
      error.message ===
        '/etc/supervisor/supervisord.conf:3: [program:app] numprocs=%(ENV_WORKERS)s: %(ENV_WORKERS)s must be known when converting (supervisord takes it from its environment at start-up); pass --env WORKERS=VALUE',
  );
  const app = convert(text, { env: { WORKERS: '3', ON: 'no', RUN_AS: 'www-data' } }).document.spec.programs[0]!;
  assert.deepEqual([app.instances, app.autostart, app.user], [3, false, 'www-data']);
  // A value the configuration itself defines is known.
  const own = convert('[supervisord]\nenvironment=N=2\n[program:app]\ncommand=/bin/app\nnumprocs=%(ENV_N)s\n').document.spec.programs[0]!;
  assert.equal(own.instances, 2);
  assert.throws(
    () => convert(program('priority=%(host_node_name)s')),
    /priority=%\(host_node_name\)s: %\(host_node_name\)s must be known when converting .*; pass --env HOSTNAME=VALUE/,
  );
  assert.throws(() => convert('[include]\nfiles=%(ENV_CONF)s/*.conf\n[program:a]\ncommand=/a\n'), /\[include\] files=%\(ENV_CONF\)s\/\*.conf: .*pass --env CONF=VALUE/);
  // %(host_node_name)s is known from --env HOSTNAME wherever a value is needed now, through an environment= too.
  const via = '[supervisord]\nenvironment=WHO="%(host_node_name)s"\n[program:app]\ncommand=/bin/app\nuser=%(ENV_WHO)s\npriority=%(host_node_name)s\n';
  const host = convert(via, { env: { HOSTNAME: '7' } }).document.spec.programs[0]!;
  assert.deepEqual([host.user, host.priority], ['7', 7]);
});

test("nothing of the converting machine's environment reaches the output, the warnings or the errors", () => {
  const poison = { CONVERT_POISON_NAME: 'poison-value-1', HOME: '/poison/home', USER: 'poison-user', HOSTNAME: 'poison-host', BASE: '/poison/base' };
  const saved = { ...process.env };
  Object.assign(process.env, poison);
  try {
    const seen: string[] = [];
    const text = `[supervisord]
environment=X=%(ENV_HOME)s
[program:app]
command=%(ENV_BASE)s/app %(ENV_HOME)s %(host_node_name)s
directory=%(ENV_HOME)s
environment=U=%(ENV_USER)s
stdout_logfile=%(ENV_BASE)s/out.log
`;
    const result = convert(text);
    seen.push(JSON.stringify(result.document), ...result.warnings);
    for (const bad of [program('numprocs=%(ENV_HOME)s'), program('autostart=%(ENV_USER)s'), program('priority=%(nope)s'), program('user=%(host_node_name)s')]) {
      try {
        convert(bad);
        assert.fail(`converted: ${bad}`);
      } catch (error) {
        assert.ok(error instanceof ConvertError, String(error));
        seen.push(error.message);
      }
    }
    for (const text of seen) {
      for (const value of Object.values(poison)) assert.ok(!text.includes(value), `${value} in ${text}`);
      assert.ok(!text.includes('CONVERT_POISON_NAME'), text);
    }
  } finally {
    for (const key of Object.keys(poison)) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  }
});

test("%(here)s is the directory in the image (--here), per file; without --here, a warning and the file's own directory", () => {
  const extra = { '/build/conf/conf.d/w.conf': '[program:w]\ncommand=%(here)s/w\ndirectory=data\n' };
  const main = '[include]\nfiles=conf.d/*.conf /etc/app/extra/*.conf\n[program:m]\ncommand=%(here)s/bin/m\n';
  const source = files({ '/build/conf/supervisord.conf': main, ...extra, '/build/conf/extra/x.conf': '[program:x]\ncommand=/x\n' });
  const inImage = convertSupervisord('/build/conf/supervisord.conf', source, { image: 'i', here: '/etc/app' });
  assert.deepEqual(
    inImage.document.spec.programs.map((p) => [p.name, p.command[0], p.workingDir]),
    [
      ['m', '/etc/app/bin/m', undefined],
      ['w', '/etc/app/conf.d/w', '/etc/app/conf.d/data'],
      ['x', '/x', undefined],
    ],
  );
  assert.deepEqual(inImage.warnings, ['[program:w] directory=data: a relative path; resolved against the config file\'s directory to "/etc/app/conf.d/data"']);
  const here = convertSupervisord('/build/conf/supervisord.conf', source, { image: 'i' });
  assert.equal(here.document.spec.programs[0]!.command[0], '/build/conf/bin/m');
  assert.ok(here.warnings.includes('%(here)s: no --here given, so it is the configuration\'s directory here, "/build/conf"; pass --here with its directory in the image'));
  assert.ok(here.warnings.includes('[include] files: no file matches "/etc/app/extra/*.conf"; skipped'));
});

test('numprocs becomes instances; %(process_num)d becomes $(COREPOD_INSTANCE), exactly where it can', () => {
  const text = `[program:worker]
command=celery -A proj worker -n worker%(process_num)d@%%h --port 80%(process_num)02d
process_name=%(program_name)s_%(process_num)02d
numprocs=4
environment=SLOT="%(process_num)s"
stdout_logfile=/var/log/worker-%(process_num)d.log
`;
  const { document, warnings } = convert(text);
  const worker = document.spec.programs[0]!;
  assert.equal(worker.instances, 4);
  assert.deepEqual(worker.command, ['celery', '-A', 'proj', 'worker', '-n', 'worker$(COREPOD_INSTANCE)@%h', '--port', '800$(COREPOD_INSTANCE)']);
  assert.deepEqual(worker.env, [{ name: 'SLOT', value: '$(COREPOD_INSTANCE)' }]);
  assert.equal(worker.logs?.stdoutFile, '/var/log/worker-$(COREPOD_INSTANCE).log');
  assert.deepEqual(warnings, []);
  const wide = convert(program('numprocs=12\nnumprocs_start=1\nprocess_name=%(program_name)s-%(process_num)d\ncommand=/bin/app --port 90%(process_num)02d'));
  assert.deepEqual(wide.document.spec.programs[0]!.command, ['/bin/app', '--port', '90$(COREPOD_INSTANCE)']);
  assert.deepEqual(wide.warnings, [
    '[program:app] command=/bin/app --port 90%(process_num)02d: %(process_num)s becomes $(COREPOD_INSTANCE), but CorePod counts instances from 0, supervisord from numprocs_start=1; $(COREPOD_INSTANCE) is not padded to 2 digits',
  ]);
  assert.equal(convert(program('numprocs=2')).document.spec.programs[0]!.instances, 2);
  assert.throws(() => convert(program('numprocs=2\nprocess_name=w')), /process_name=w: with numprocs > 1 it must contain %\(process_num\)s, as supervisord requires/);
  assert.throws(() => convert(program('numprocs=101\nprocess_name=%(process_num)d')), /numprocs=101: CorePod runs 1 to 100 instances of a program/);
});

test('umask: per program, else from [supervisord]', () => {
  const text = `[supervisord]\numask=002\n${program('umask=27', 'own')}${program('', 'inherits')}`;
  assert.deepEqual(
    convert(text).document.spec.programs.map((p) => [p.name, p.umask]),
    [
      ['own', '027'],
      ['inherits', '002'],
    ],
  );
  assert.throws(() => convert(program('umask=999')), /umask=999: not an octal umask/);
});

test('an event listener that only ends supervisord on PROCESS_STATE_FATAL becomes critical: true', () => {
  const all = convert(`${program('', 'web')}${program('', 'api')}
[eventlistener:fatal]
command=/usr/local/bin/kill_supervisor.py
events=PROCESS_STATE_FATAL
`);
  assert.deepEqual(
    all.document.spec.programs.map((p) => [p.name, p.critical]),
    [
      ['web', true],
      ['api', true],
    ],
  );
  assert.deepEqual(all.warnings, [
    '[eventlistener:fatal]: ends supervisord when a program goes FATAL: converted to critical: true on web, api (the container exits and Kubernetes restarts the pod)',
  ]);
  const some = convert(`${program('', 'web')}${program('', 'api')}
[eventlistener:watch]
command=python3 /opt/stop-supervisor.py -p api
events=PROCESS_STATE_FATAL
`);
  assert.deepEqual(
    some.document.spec.programs.map((p) => p.critical),
    [undefined, true],
  );
  const exited = convert(`${program('', 'web')}
[eventlistener:exit]
command=bash -c 'kill -TERM 1'
events=PROCESS_STATE_EXITED,PROCESS_STATE_FATAL
`);
  assert.equal(exited.document.spec.programs[0]!.critical, undefined);
  assert.match(
    exited.warnings[0]!,
    /\[eventlistener:exit\]: event listeners are not supported; it ends supervisord when a program exits: give those programs exitContainerOnExit: true/,
  );
  const memmon = convert(`${program('', 'web')}
[eventlistener:memmon]
command=memmon -a 200MB
events=TICK_60
`);
  assert.match(memmon.warnings[0]!, /use memory: \{limit, action: restart\}/);
});

test('a literal $ in command= and environment= is escaped where the sidecar-init would read a reference', () => {
  const converted = convert(`[program:app]
command=sh -c 'echo $$ $(date) a$%(ENV_X)s $HOME' %%(ENV_X)s
environment=PATH="%(ENV_PATH)s:/opt/bin",PRICE="5$",SUB="$(id -u)"
`).document.spec.programs[0]!;
  assert.deepEqual(converted.command, ['sh', '-c', 'echo $$$ $$(date) a$$$(X) $HOME', '%(ENV_X)s']);
  assert.deepEqual(converted.env, [
    { name: 'PATH', value: '$(PATH):/opt/bin' },
    { name: 'PRICE', value: '5$' },
    { name: 'SUB', value: '$$(id -u)' },
  ]);
  const env = programEnvironment({ PATH: '/usr/bin', X: 'x', date: 'not a command' }, converted.env as { name: string; value: string }[]);
  assert.deepEqual([env.PATH, env.PRICE, env.SUB], ['/usr/bin:/opt/bin', '5$', '$(id -u)']);
  assert.deepEqual(expandCommand(converted.command, env), ['sh', '-c', 'echo $$ $(date) a$x $HOME', '%(ENV_X)s']);
});

test('environment= quoting: commas and spaces inside quotes, program values override [supervisord]', () => {
  const text = `[supervisord]
environment=SHARED=global,LEVEL=info

[program:app]
command=/bin/app
environment=LEVEL="debug",GREETING="hello, world",QUOTED='single quoted',URL=http://127.0.0.1:3001/health
`;
  assert.deepEqual(convert(text).document.spec.programs[0]!.env, [
    { name: 'SHARED', value: 'global' },
    { name: 'LEVEL', value: 'debug' },
    { name: 'GREETING', value: 'hello, world' },
    { name: 'QUOTED', value: 'single quoted' },
    { name: 'URL', value: 'http://127.0.0.1:3001/health' },
  ]);
  assert.throws(() => convert(program('environment=A=hello world,B=2')), /environment=A=hello world,B=2: unexpected end of KEY=value pairs/);
  // supervisord's own quirk, kept: a single unquoted pair with a space keeps the first word.
  const quirk = convert(program('environment=A=two words'));
  assert.deepEqual(quirk.document.spec.programs[0]!.env, [{ name: 'A', value: 'two' }]);
  assert.deepEqual(quirk.warnings, ['[program:app] environment=A=two words: "words" stands where a "," belongs and is skipped, as supervisord does (quote values holding spaces)']);
});

test('command= splitting with quotes, over several lines', () => {
  const text = `[program:app]
command=/bin/sh -c 'exec node server.js --greeting "hi there"'
    --verbose
`;
  assert.deepEqual(convert(text).document.spec.programs[0]!.command, ['/bin/sh', '-c', 'exec node server.js --greeting "hi there"', '--verbose']);
  assert.throws(() => convert('[program:app]\ncommand=echo "unbalanced\n'), /command=echo "unbalanced: cannot split the command: no closing quotation/);
});

test('value mapping: booleans, autorestart default, exit codes, signals, sizes', () => {
  const converted = (body: string) => convert(program(body)).document.spec.programs[0]!;
  assert.equal(converted('').autorestart, 'unexpected', "supervisord's default is spelled out (CorePod's is true)");
  assert.equal(converted('autorestart=TRUE').autorestart, true);
  assert.equal(converted('autorestart=off').autorestart, false);
  assert.equal(converted('autostart=no').autostart, false);
  assert.deepEqual(converted('exitcodes=0, 2,143').exitCodes, [0, 2, 143]);
  assert.equal(converted('stopsignal=INT').stopSignal, 'INT');
  assert.equal(converted('stopsignal=sigusr2').stopSignal, 'USR2');
  assert.equal(converted('stopsignal=9').stopSignal, 'KILL');
  assert.equal(converted('stopsignal=1').stopSignal, 'HUP');
  const logs = converted('stdout_logfile=/var/log/app.log\nstdout_logfile_maxbytes=1GB\nstdout_logfile_backups=0').logs!;
  assert.deepEqual(logs, { stdoutFile: '/var/log/app.log', maxBytes: '1Gi', backups: 0 });
  assert.equal(converted('stdout_logfile=/l\nstdout_logfile_maxbytes=512KB').logs!.maxBytes, '512Ki');
  assert.equal(converted('stdout_logfile=/l\nstdout_logfile_maxbytes=1000').logs!.maxBytes, 1000);
  assert.equal(converted('stdout_logfile=/l\nstdout_logfile_maxbytes=0').logs!.maxBytes, 0);
  assert.deepEqual([bytesToQuantity(50 * 2 ** 20), bytesToQuantity(3 * 2 ** 30), bytesToQuantity(1536), bytesToQuantity(7)], ['50Mi', '3Gi', 1536, 7]);
});

test('log targets: files, redirect_stderr, /dev/stdout, NONE, different sizes per stream', () => {
  const logs = (body: string) => convert(program(body)).document.spec.programs[0]!.logs;
  assert.deepEqual(logs('stdout_logfile=/var/log/a.log\nredirect_stderr=true'), { stdoutFile: '/var/log/a.log', stderrFile: '/var/log/a.log' });
  assert.deepEqual(logs('stdout_logfile=NONE\nstderr_logfile=none'), { mirror: false });
  assert.equal(logs('stdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\nredirect_stderr=true'), undefined);
  const devStdout = warningsOf(program('stdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0'));
  assert.equal(devStdout.length, 1, 'maxbytes=0 is what supervisord needs with /dev/stdout: no second warning');
  assert.match(devStdout[0]!, /^\[program:app\] stdout_logfile=\/dev\/stdout: the container's stdout gets the JSON mirror/);
  assert.match(warningsOf(program('stdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=5MB'))[1]!, /^\[program:app\] stdout_logfile_maxbytes=5MB: no stdout log file/);
  assert.deepEqual(warningsOf(program('stdout_logfile=NONE')), ['[program:app]: stdout_logfile=NONE: CorePod mirrors both streams or neither; stdout is still mirrored to stdout']);
  const both = convert(program('stdout_logfile=/o.log\nstderr_logfile=/e.log\nstdout_logfile_maxbytes=10MB\nstderr_logfile_maxbytes=20MB'));
  assert.deepEqual(both.document.spec.programs[0]!.logs, { stdoutFile: '/o.log', stderrFile: '/e.log', maxBytes: '10Mi' });
  assert.deepEqual(both.warnings, ["[program:app] stderr_logfile_maxbytes=20MB: CorePod has one logs.maxBytes for both files; stdout's 10MB used"]);
  assert.deepEqual(warningsOf(program('stdout_logfile=/o.log\nredirect_stderr=true\nstderr_logfile=/e.log')), [
    '[program:app] stderr_logfile=/e.log: redirect_stderr=true sends stderr to the stdout log (as in supervisord); ignored',
  ]);
});

test('names become DNS labels (with a warning); clashes and bad names are errors', () => {
  const { document, warnings } = convert('[program:Auth_Service]\ncommand=/bin/a\n');
  assert.equal(document.spec.programs[0]!.name, 'auth-service');
  assert.deepEqual(warnings, ['[program:Auth_Service]: renamed "auth-service" (CorePod program names are DNS labels)']);
  assert.equal(programName('--Web.Server_01--'), 'web-server-01');
  assert.throws(() => convert('[program:a_b]\ncommand=/x\n[program:a-b]\ncommand=/y\n'), /\[program:a-b\] and \[program:a_b\] both become the CorePod program "a-b"/);
  assert.throws(() => convert('[program:bad name]\ncommand=/x\n'), /\[program:bad name\]: invalid program name/);
});

test('paths: relative directory and log files resolve against the config file (with a warning)', () => {
  const { document, warnings } = convert(program('directory=srv\nstdout_logfile=logs/app.log'));
  assert.equal(document.spec.programs[0]!.workingDir, '/etc/supervisor/srv');
  assert.equal(document.spec.programs[0]!.logs?.stdoutFile, '/etc/supervisor/logs/app.log');
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /directory=srv: a relative path; resolved against the config file's directory to "\/etc\/supervisor\/srv"/);
});

test('[include] files= globs relative to the main file; nested includes are not followed', () => {
  const extra = {
    '/etc/supervisor/conf.d/a.conf': program('priority=1', 'alpha'),
    '/etc/supervisor/conf.d/b.conf': `${program('priority=2', 'beta')}\n[include]\nfiles=never/*.conf\n`,
    '/etc/supervisor/conf.d/readme.txt': 'not ini',
  };
  const { document, warnings } = convert(`[include]\nfiles = conf.d/*.conf missing/*.conf\n${program('', 'main')}`, {}, extra);
  assert.deepEqual(
    document.spec.programs.map((p) => [p.name, p.priority]),
    [
      ['main', undefined],
      ['alpha', 1],
      ['beta', 2],
    ],
  );
  assert.deepEqual(warnings, [
    '/etc/supervisor/conf.d/b.conf: a nested [include] is not processed (as in supervisord)',
    '[include] files: no file matches "missing/*.conf"; skipped',
  ]);
});

test('bad input: errors name the file, line, section and option', () => {
  const cases: [string, RegExp][] = [
    [program('startsecs=ten'), /supervisord\.conf:3: \[program:app\] startsecs=ten: not an integer/],
    [program('autostart=maybe'), /supervisord\.conf:3: \[program:app\] autostart=maybe: not a boolean/],
    [program('autorestart=sometimes'), /autorestart=sometimes: expected true, false or unexpected/],
    [program('exitcodes=0,256'), /exitcodes=0,256: "256" is not an exit code/],
    [program('stdout_logfile=/x\nstdout_logfile_maxbytes=5TB'), /stdout_logfile_maxbytes=5TB: not a byte size/],
    ['[program:app]\nuser=x\n', /supervisord\.conf:1: \[program:app\] has no command= option/],
    ['[supervisord]\nnodaemon=true\n', /no \[program:x\] section to convert/],
    ['command=/bin/x\n', /supervisord\.conf:1: a line outside any \[section\]/],
    [program('startsecs=100000'), /the converted CorePod is not valid:\n {2}spec\.programs\[0\]\.startSeconds: /],
    [program('environment=1BAD=x'), /spec\.programs\[0\]\.env\[0\]\.name: expected an environment variable name/],
  ];
  for (const [text, expected] of cases)
    assert.throws(
      () => convert(text),
      (error: unknown) => error instanceof ConvertError && expected.test(error.message),
      String(expected),
    );
});

test('name and image: from options, else from the file name and a placeholder (with a warning)', () => {
  const { document, warnings } = convertSupervisord('/x/My_Services.conf', files({ '/x/My_Services.conf': program('') }), { env: {} });
  assert.equal(document.metadata.name, 'my-services');
  assert.equal(document.spec.image, PLACEHOLDER_IMAGE);
  assert.deepEqual(warnings, [`no --image given: spec.image is ${PLACEHOLDER_IMAGE}; replace it`]);
});

test('terminationGracePeriodSeconds covers supervisord stopping programs one after another', () => {
  const text = [1, 2, 3, 4].map((i) => program('stopwaitsecs=20', `p${i}`)).join('');
  assert.equal(convert(text).document.spec.terminationGracePeriodSeconds, 80);
  assert.equal(convert(program('')).document.spec.terminationGracePeriodSeconds, undefined);
});
