// Fuzzing `corepod convert` through its public functions: any text through the INI reader, and
// supervisord configurations built from its real options with hostile values through the
// converter. The contract: a CorePod the schema accepts, or a ConvertError (exit 2) naming the
// file, line or section; never another exception.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { validateCorePod } from '../../crds/corepod-schema.js';
import { fuzzParameters } from '../../lib/fuzz-runs.js';
import { IniError, parseIni } from './ini.js';
import { ConvertError, convertSupervisord, type ConfigSource } from './supervisord-to-corepod.js';

const MAIN = '/etc/supervisor/supervisord.conf';

function source(tree: Record<string, string>): ConfigSource {
  return {
    read(file) {
      if (!Object.hasOwn(tree, file)) throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT', path: file });
      return tree[file]!;
    },
    glob: (pattern) => (Object.hasOwn(tree, pattern) ? [pattern] : []),
  };
}

const PROGRAM_OPTIONS = [
  'command',
  'process_name',
  'numprocs',
  'numprocs_start',
  'priority',
  'autostart',
  'autorestart',
  'startsecs',
  'startretries',
  'exitcodes',
  'stopsignal',
  'stopwaitsecs',
  'stopasgroup',
  'killasgroup',
  'user',
  'redirect_stderr',
  'stdout_logfile',
  'stdout_logfile_maxbytes',
  'stdout_logfile_backups',
  'stdout_syslog',
  'stderr_logfile',
  'stderr_logfile_maxbytes',
  'stderr_logfile_backups',
  'stderr_syslog',
  'environment',
  'directory',
  'umask',
  'serverurl',
];

const value = fc.oneof(
  fc.constantFrom(
    '',
    '0',
    '1',
    '-1',
    '999999999999999999999',
    '1.5',
    'true',
    'false',
    'unexpected',
    'TERM',
    'SIGKILL',
    '99',
    '0,2',
    '1,,2',
    '256',
    'none',
    'AUTO',
    '50MB',
    '1GB',
    '9999999999GB',
  ),
  fc.constantFrom(
    'node %(program_name)s %(process_num)02d',
    '%(ENV_HOME)s',
    '%(here)s',
    '%(',
    '%(x)d',
    '%%',
    '%(process_num)',
    "a='b",
    'A="1",B=2',
    'A=',
    '=x',
    '"unterminated',
    "'",
    '\\',
  ),
  fc.constantFrom('/bin/sleep 1', 'bash -c "echo hi"', 'a b c', '   '),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, ' ')),
);

// Mostly well-formed programs (a name and a command) with hostile options, so the converter's
// option handling is reached; now and then a hostile name or command.
const programSection = fc.record({
  name: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('app', 'web-1', 'A_B', 'x.y') },
    { weight: 1, arbitrary: fc.oneof(fc.constantFrom('', ' ', 'a:b', '%(here)s', 'a'.repeat(70)), fc.string({ maxLength: 12 })) },
  ),
  command: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('/bin/sleep 1', 'node dist/server.js', 'bash -c "echo %(program_name)s"') }, { weight: 1, arbitrary: value }),
  options: fc.array(fc.tuple(fc.constantFrom(...PROGRAM_OPTIONS), value), { maxLength: 8 }),
});

const otherSection = fc.oneof(
  fc.constant('[supervisord]\nnodaemon=true\n'),
  fc.constant('[unix_http_server]\nfile=/var/run/supervisor.sock\n'),
  fc
    .tuple(fc.constantFrom('app', 'app,web-1', 'web-1'), fc.option(value))
    .map(([programs, priority]) => `[group:g]\nprograms=${programs}\n${priority === null ? '' : `priority=${priority}\n`}`),
  value.map((v) => `[include]\nfiles=${v}\n`),
  fc.constant('[include]\nfiles=/etc/supervisor/conf.d/*.conf\n'),
  fc.constant('[eventlistener:e]\ncommand=x\n'),
);

const config = fc
  .tuple(fc.array(programSection, { minLength: 1, maxLength: 4 }), fc.array(otherSection, { maxLength: 3 }))
  .map(([programs, others]) => [...others, ...programs.map((p) => `[program:${p.name}]\ncommand=${p.command}\n${p.options.map(([k, v]) => `${k}=${v}`).join('\n')}\n`)].join('\n'));

/** The converter's contract for one configuration. */
export const outcomes = { converted: 0, refused: 0 };
function assertConvertedOrRefused(tree: Record<string, string>): void {
  let result: ReturnType<typeof convertSupervisord>;
  try {
    result = convertSupervisord(MAIN, source(tree), { image: 'img:1', env: { HOME: '/root' } });
  } catch (error) {
    if (error instanceof ConvertError) {
      assert.ok(error.message.length > 0);
      outcomes.refused++;
      return;
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // an include that is not there: the command's "cannot read"
    throw error;
  }
  outcomes.converted++;
  const validated = validateCorePod(result.document);
  assert.ok(validated.ok, `convert wrote a CorePod the schema refuses:\n${validated.ok ? '' : validated.errors.map((e) => `${e.path}: ${e.message}`).join('\n')}`);
}

test('fuzz: any text through the INI reader is sections or an IniError naming file and line', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.array(fc.constantFrom('[', ']', '[program:a]', '=', ':', ';', '#', ' ', '\t', '\n', 'x', '\r\n'), { maxLength: 60 }).map((p) => p.join('')),
      ),
      (text) => {
        try {
          parseIni(text, 'f.conf');
        } catch (error) {
          assert.ok(error instanceof IniError, `not an IniError: ${String(error)}`);
          assert.match(error.message, /^f\.conf:\d+: /);
        }
      },
    ),
    fuzzParameters(500),
  );
});

test('fuzz: supervisord configurations with hostile values convert into a valid CorePod or a ConvertError', () => {
  fc.assert(
    fc.property(config, fc.option(config), (main, included) =>
      assertConvertedOrRefused(included === null ? { [MAIN]: main } : { [MAIN]: main, '/etc/supervisor/conf.d/*.conf': included }),
    ),
    fuzzParameters(400),
  );
});

test('the fuzzed configurations reach both outcomes', () => {
  assert.ok(outcomes.converted > 0 && outcomes.refused > 0, JSON.stringify(outcomes));
});
