import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FormatError, expandPercent } from './python-format.js';

const ex = { program_name: 'web', process_num: 3, ENV_HOME: '/root', here: '/etc/supervisor' };

test('named conversions, %% and text around them', () => {
  assert.equal(expandPercent('/var/log/%(program_name)s.log', ex), '/var/log/web.log');
  assert.equal(expandPercent('%(ENV_HOME)s/app %(here)s', ex), '/root/app /etc/supervisor');
  assert.equal(expandPercent('100%% sure, printf %%s', ex), '100% sure, printf %s');
  assert.equal(expandPercent('no specifiers', ex), 'no specifiers');
});

test('numbers with flags and width, like Python', () => {
  assert.equal(expandPercent('worker-%(process_num)02d', ex), 'worker-03');
  assert.equal(expandPercent('[%(process_num)-3d]', ex), '[3  ]');
  assert.equal(expandPercent('[%(process_num)3d]', ex), '[  3]');
  assert.equal(expandPercent('%(process_num)s', ex), '3');
  assert.equal(expandPercent('%(program_name)r', ex), "'web'");
});

test('errors: unknown names (listing the available ones), bare %s, incomplete, text as number', () => {
  assert.throws(
    () => expandPercent('%(ENV_NOPE)s', ex),
    (error: unknown) => error instanceof FormatError && /%\(ENV_NOPE\) cannot be expanded; available: ENV_HOME, here, process_num, program_name/.test(error.message),
  );
  assert.throws(() => expandPercent('printf %s', ex), /unnamed conversion "%s" \(write %% for a literal %\)/);
  assert.throws(() => expandPercent('50%', ex), /incomplete format "%"/);
  assert.throws(() => expandPercent('%(program_name)d', ex), /needs a number/);
});
