import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandCommand, expandReferences, joinReferences, lookupIn, programEnvironment } from './expand-references.js';

// The cases of k8s.io/kubernetes third_party/forked/golang/expansion/expand_test.go (v1.37.2),
// doExpansionTest, in its order.
const CASES: [name: string, input: string, expected: string][] = [
  ['whole string', '$(VAR_A)', 'A'],
  ['repeat', '$(VAR_A)-$(VAR_A)', 'A-A'],
  ['beginning', '$(VAR_A)-1', 'A-1'],
  ['middle', '___$(VAR_B)___', '___B___'],
  ['end', '___$(VAR_C)', '___C'],
  ['compound', '$(VAR_A)_$(VAR_B)_$(VAR_C)', 'A_B_C'],
  ['escape & expand', '$$(VAR_B)_$(VAR_A)', '$(VAR_B)_A'],
  ['compound escape', '$$(VAR_A)_$$(VAR_B)', '$(VAR_A)_$(VAR_B)'],
  ['mixed in escapes', 'f000-$$VAR_A', 'f000-$VAR_A'],
  ['backslash escape ignored', 'foo\\$(VAR_C)bar', 'foo\\Cbar'],
  ['backslash escape ignored', 'foo\\\\$(VAR_C)bar', 'foo\\\\Cbar'],
  ['lots of backslashes', 'foo\\\\\\\\$(VAR_A)bar', 'foo\\\\\\\\Abar'],
  ['nested var references', '$(VAR_A$(VAR_B))', '$(VAR_A$(VAR_B))'],
  ['nested var references second type', '$(VAR_A$(VAR_B)', '$(VAR_A$(VAR_B)'],
  ['value is a reference', '$(VAR_REF)', '$(VAR_A)'],
  ['value is a reference x 2', '%%$(VAR_REF)--$(VAR_REF)%%', '%%$(VAR_A)--$(VAR_A)%%'],
  ['empty var', 'foo$(VAR_EMPTY)bar', 'foobar'],
  ['unterminated expression', 'foo$(VAR_Awhoops!', 'foo$(VAR_Awhoops!'],
  ['expression without operator', 'f00__(VAR_A)__', 'f00__(VAR_A)__'],
  ['shell special vars pass through', '$?_boo_$!', '$?_boo_$!'],
  ['bare operators are ignored', '$VAR_A', '$VAR_A'],
  ['undefined vars are passed through', '$(VAR_DNE)', '$(VAR_DNE)'],
  ['multiple (even) operators, var undefined', '$$$$$$(BIG_MONEY)', '$$$(BIG_MONEY)'],
  ['multiple (even) operators, var defined', '$$$$$$(VAR_A)', '$$$(VAR_A)'],
  ['multiple (odd) operators, var undefined', '$$$$$$$(GOOD_ODDS)', '$$$$(GOOD_ODDS)'],
  ['multiple (odd) operators, var defined', '$$$$$$$(VAR_A)', '$$$A'],
  ['missing open expression', '$VAR_A)', '$VAR_A)'],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, which the expansion leaves alone
  ['shell syntax ignored', '${VAR_A}', '${VAR_A}'],
  ['trailing incomplete expression not consumed', '$(VAR_B)_______$(A', 'B_______$(A'],
  ['trailing incomplete expression, no content, is not consumed', '$(VAR_C)_______$(', 'C_______$('],
  ['operator at end of input string is preserved', '$(VAR_A)foobarzab$', 'Afoobarzab$'],
  ['shell escaped incomplete expr', 'foo-\\$(VAR_A', 'foo-\\$(VAR_A'],
  ['lots of $( in middle', '--$($($($($--', '--$($($($($--'],
  ['lots of $( in beginning', '$($($($($--foo$(', '$($($($($--foo$('],
  ['lots of $( at end', 'foo0--$($($($(', 'foo0--$($($($('],
  ['escaped operators in variable names are not escaped', '$(foo$$var)', '$(foo$$var)'],
  ['newline not expanded', '\n', '\n'],
  ['dollar sign followed by non-ASCII UTF-8 character', '$£FOO', '$£FOO'],
  ['dollar sign followed by multi-byte UTF-8 character in middle', 'prefix-$€-suffix', 'prefix-$€-suffix'],
  ['dollar sign followed by Chinese character', '$中文', '$中文'],
];

test('the Kubernetes expansion cases, with one environment (TestMapping)', () => {
  const lookup = lookupIn({ VAR_A: 'A', VAR_B: 'B', VAR_C: 'C', VAR_REF: '$(VAR_A)', VAR_EMPTY: '' });
  for (const [name, input, expected] of CASES) assert.equal(expandReferences(input, lookup), expected, name);
});

test('the Kubernetes expansion cases, with two environments searched in order (TestMappingDual)', () => {
  const lookup = lookupIn({ VAR_A: 'A', VAR_EMPTY: '' }, { VAR_B: 'B', VAR_C: 'C', VAR_REF: '$(VAR_A)' });
  for (const [name, input, expected] of CASES) assert.equal(expandReferences(input, lookup), expected, name);
});

test('beyond the Go cases: a character outside the BMP after $, an empty name, $ alone, the first environment wins', () => {
  const lookup = lookupIn({ A: 'first', '': 'empty name' }, { A: 'second' });
  assert.equal(expandReferences('$😀$(A)', lookup), '$😀first');
  assert.equal(expandReferences('$()', lookup), 'empty name');
  assert.equal(expandReferences('$()', lookupIn({})), '$()');
  assert.equal(expandReferences('$', lookup), '$');
  assert.equal(expandReferences('', lookup), '');
  assert.equal(expandReferences('$(toString)$(constructor)', lookupIn({})), '$(toString)$(constructor)');
});

test("a program's variables reference the environment it inherits and the variables before them (TestMapReference)", () => {
  const env = programEnvironment({ HOME: '/home/app', FOO: 'inherited' }, [
    { name: 'FOO', value: 'bar' },
    { name: 'ZOO', value: '$(FOO)-1' },
    { name: 'BLU', value: '$(ZOO)-2' },
    { name: 'LATER', value: '$(AFTER)' },
    { name: 'AFTER', value: 'x' },
    { name: 'CONF', value: '$(HOME)/app.conf' },
    { name: 'LITERAL', value: '$$(FOO)' },
    { name: '__proto__', value: '$(FOO)' },
  ]);
  assert.deepEqual(
    { ...env },
    { HOME: '/home/app', FOO: 'bar', ZOO: 'bar-1', BLU: 'bar-1-2', LATER: '$(AFTER)', AFTER: 'x', CONF: '/home/app/app.conf', LITERAL: '$(FOO)', ['__proto__']: 'bar' },
  );
  assert.equal(Object.getPrototypeOf(env), Object.prototype);
  assert.deepEqual(
    programEnvironment({ A: '1' }, [
      { name: 'A', value: '$(A)2' },
      { name: 'A', value: '$(A)3' },
    ]),
    { A: '123' },
  );
});

test('a value the kubelet resolved (valueFrom, envFrom) is taken as it is; a later literal value may reference it', () => {
  const env = programEnvironment({ HOST: 'db' }, [
    { name: 'PASSWORD', value: 'p$(HOST)$$', literal: false },
    { name: 'URL', value: 'postgres://app:$(PASSWORD)@$(HOST)', literal: true },
  ]);
  assert.deepEqual({ ...env }, { HOST: 'db', PASSWORD: 'p$(HOST)$$', URL: 'postgres://app:p$(HOST)$$@db' });
});

test('a command is expanded element by element from the final environment, each element once', () => {
  const env = { PORT: '3001', ARGS: '--a --b', REF: '$(PORT)' };
  assert.deepEqual(expandCommand(['node', 'server.js', '--port=$(PORT)', '$(ARGS)', '$$(PORT)', '$(REF)', '$(NOPE)'], env), [
    'node',
    'server.js',
    '--port=3001',
    '--a --b',
    '$(PORT)',
    '$(PORT)',
    '$(NOPE)',
  ]);
});

test('joinReferences: the joined text expands back to its literal parts and the referenced values, for every short text over $ ( ) a', () => {
  const alphabet = ['$', '(', ')', 'a'];
  const texts = [''];
  for (let length = 1; length <= 5; length++) {
    for (const text of texts.filter((t) => t.length === length - 1)) for (const char of alphabet) texts.push(text + char);
  }
  const values: Record<string, string> = { X: '$(a)', Y: '' };
  const lookup = lookupIn(values);
  let checked = 0;
  for (const before of texts) {
    assert.equal(expandReferences(joinReferences([before]), lookup), before, JSON.stringify(before));
    for (const after of texts.filter((t) => t.length <= 3)) {
      for (const reference of ['X', 'Y']) {
        const joined = joinReferences([before, { reference }, after]);
        assert.equal(expandReferences(joined, lookup), before + values[reference] + after, JSON.stringify([before, reference, after, joined]));
        checked++;
      }
    }
  }
  assert.ok(checked > 10_000, `${checked} cases`);
  assert.equal(joinReferences(['a$', { reference: 'X' }, '$$(b)$']), 'a$$$(X)$$$$(b)$');
  assert.equal(joinReferences(['$HOME and $?']), '$HOME and $?');
  assert.throws(() => joinReferences([{ reference: 'a)b' }]), /cannot hold "\)"/);
});
