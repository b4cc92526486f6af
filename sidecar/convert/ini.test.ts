import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IniError, parseIni } from './ini.js';

const values = (text: string) =>
  Object.fromEntries([...parseIni(text, 'test.conf')].map(([name, section]) => [name, Object.fromEntries([...section.options].map(([k, o]) => [k, o.value]))]));

test('sections, "=" and ":" delimiters, lower-cased option names, trimmed values', () => {
  assert.deepEqual(values('[program:a]\nCommand = /bin/a  \nPriority: 5\nurl=http://x:80/y\n'), {
    'program:a': { command: '/bin/a', priority: '5', url: 'http://x:80/y' },
  });
});

test('full-line and inline comments (";" or "#" after whitespace), but not inside words', () => {
  assert.deepEqual(values('; header comment\n# another\n[s]\na=1 ; trailing\nb=x;y#z\nc=value # note\n  ; indented comment\nd=#kept\n'), {
    s: { a: '1', b: 'x;y#z', c: 'value', d: '#kept' },
  });
});

test('indented lines continue a value; trailing blank lines are dropped', () => {
  const parsed = values('[s]\nenvironment=A=1,\n  B=2,\n\n  C=3\n\nnext=ok\n');
  assert.equal(parsed.s!.environment, 'A=1,\nB=2,\n\nC=3');
  assert.equal(parsed.s!.next, 'ok');
});

test('a repeated section merges and a repeated option wins (strict=False); CRLF is fine', () => {
  assert.deepEqual(values('[s]\r\na=1\r\nb=1\r\n[t]\r\nx=1\r\n[s]\r\nb=2\r\n'), { s: { a: '1', b: '2' }, t: { x: '1' } });
});

test('keeps the file and line of every option and section', () => {
  const sections = parseIni('\n[program:x]\ncommand=y\n', '/etc/x.conf');
  const section = sections.get('program:x')!;
  assert.equal(section.line, 2);
  assert.deepEqual(section.options.get('command'), { key: 'command', value: 'y', file: '/etc/x.conf', line: 3 });
});

test('errors name the file and line', () => {
  assert.throws(
    () => parseIni('a=1\n', 'f.conf'),
    (error: unknown) => error instanceof IniError && /^f\.conf:1: a line outside any \[section\]/.test(error.message),
  );
  assert.throws(() => parseIni('[s]\nno delimiter here\n', 'f.conf'), /^Error: f\.conf:2: expected "name = value" in \[s\]|f\.conf:2: expected "name = value" in \[s\]/);
  assert.throws(() => parseIni('[s]\n=value\n', 'f.conf'), /f\.conf:2: an option without a name in \[s\]/);
});
