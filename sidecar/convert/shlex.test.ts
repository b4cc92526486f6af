import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShlexError, keyValuePairs, nonPosixTokens, shellSplit } from './shlex.js';

test('shellSplit follows shlex.split: quotes, backslashes, no expansion', () => {
  assert.deepEqual(shellSplit('nginx -g "daemon off;"'), ['nginx', '-g', 'daemon off;']);
  assert.deepEqual(shellSplit(`sh -c 'echo "$HOME" && exit 3'`), ['sh', '-c', 'echo "$HOME" && exit 3']);
  assert.deepEqual(shellSplit('a\\ b "c\\"d" "e\\f" "g\\\\h" i\'\'j'), ['a b', 'c"d', 'e\\f', 'g\\h', 'ij']);
  assert.deepEqual(shellSplit(`x '' ""`), ['x', '', '']);
  assert.deepEqual(shellSplit('  node\tdist/server.js\n --port=3001  '), ['node', 'dist/server.js', '--port=3001']);
  assert.deepEqual(shellSplit('pre"quoted part"post'), ['prequoted partpost']);
  assert.deepEqual(shellSplit('# not a comment'), ['#', 'not', 'a', 'comment']);
});

test('shellSplit errors like shlex', () => {
  assert.throws(
    () => shellSplit('echo "open'),
    (error: unknown) => error instanceof ShlexError && /no closing quotation/.test(error.message),
  );
  assert.throws(() => shellSplit("echo 'open"), /no closing quotation/);
  assert.throws(() => shellSplit('echo trailing\\'), /no escaped character/);
});

test('non-POSIX tokens keep quotes and treat other punctuation as single tokens', () => {
  assert.deepEqual(nonPosixTokens('A=1,B="x, y"'), ['A', '=', '1', ',', 'B', '=', '"x, y"']);
  assert.deepEqual(nonPosixTokens('URL=http://h:80/p+q-(r)'), ['URL', '=', 'http://h:80/p+q-(r)']);
  assert.deepEqual(nonPosixTokens('A=a@b # comment'), ['A', '=', 'a', '@', 'b']);
});

test('keyValuePairs: supervisord environment= syntax', () => {
  assert.deepEqual(keyValuePairs('NODE_ENV=production,PORT=3001'), [
    ['NODE_ENV', 'production'],
    ['PORT', '3001'],
  ]);
  assert.deepEqual(keyValuePairs(`GREETING="hello, world",PATH='/usr/bin:/bin', EMPTY=""`), [
    ['GREETING', 'hello, world'],
    ['PATH', '/usr/bin:/bin'],
    ['EMPTY', ''],
  ]);
  assert.deepEqual(keyValuePairs('A=1,\nB=2'), [
    ['A', '1'],
    ['B', '2'],
  ]);
  assert.deepEqual(keyValuePairs('A=1,A=2'), [['A', '2']]);
  assert.deepEqual(keyValuePairs('A=1;B=2').skipped, [';']);
  assert.deepEqual(keyValuePairs('A=1,B=2').skipped, []);
  assert.deepEqual(keyValuePairs(''), []);
});

test('keyValuePairs errors where supervisord does (unquoted spaces or punctuation)', () => {
  assert.throws(
    () => keyValuePairs('A=hello world,B=2'),
    (error: unknown) => error instanceof ShlexError && /unexpected end of KEY=value pairs/.test(error.message),
  );
  assert.throws(() => keyValuePairs('A'), /unexpected end/);
  assert.throws(() => keyValuePairs('A="open'), /no closing quotation/);
});
