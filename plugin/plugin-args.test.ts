import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError, outputOf, parseCommand, parseDuration, positionalsAs } from './plugin-args.js';

const usage = (message: string) => (e: unknown) => e instanceof UsageError && e.message === message;

test("kubectl's global flags are taken anywhere on the line, short and long", () => {
  const { kube, positionals, values, help } = parseCommand(
    ['status', '-n', 'shop', 'web', '--context=kind', '--kubeconfig', '/k', '-o', 'wide', '--as', 'jane', '--as-group', 'a', '--as-group', 'b'],
    {
      output: { type: 'string', short: 'o' },
    },
  );
  assert.deepEqual(kube, { namespace: 'shop', context: 'kind', kubeconfig: '/k', as: 'jane', asGroups: ['a', 'b'] });
  assert.deepEqual(positionals, ['status', 'web']);
  assert.equal(values.output, 'wide');
  assert.equal(help, false);
  assert.equal(parseCommand(['--help'], {}).help, true);
  assert.equal(parseCommand(['-h'], {}).help, true);
});

test('an unknown option, a missing value or an empty one is a usage error naming it', () => {
  assert.throws(
    () => parseCommand(['--bogus'], {}),
    (e) => e instanceof UsageError && /'--bogus'/.test(e.message),
  );
  assert.throws(
    () => parseCommand(['-n'], {}),
    (e) => e instanceof UsageError && /-n, --namespace/.test(e.message),
  );
  assert.throws(() => parseCommand(['--namespace='], {}), usage('--namespace: expected a value'));
});

test('-o takes json, yaml or wide', () => {
  assert.equal(outputOf(undefined), undefined);
  for (const o of ['json', 'yaml', 'wide']) assert.equal(outputOf(o), o);
  assert.throws(() => outputOf('table'), usage('--output: expected json, yaml or wide, got "table"'));
});

test('durations as kubectl writes them; a bare number is seconds; anything else names the flag', () => {
  assert.equal(parseDuration('30s', '--since'), 30_000);
  assert.equal(parseDuration('5m', '--since'), 300_000);
  assert.equal(parseDuration('1h30m', '--since'), 5_400_000);
  assert.equal(parseDuration('500ms', '--timeout'), 500);
  assert.equal(parseDuration('90', '--timeout'), 90_000);
  for (const bad of ['', 'soon', '5x', '5m junk', '-1s'])
    assert.throws(
      () => parseDuration(bad, '--since'),
      (e) => e instanceof UsageError && e.message.startsWith('--since: expected a duration'),
    );
});

test('positional arguments are named: a missing one says which, an extra one is refused unless a list is allowed', () => {
  assert.deepEqual(positionalsAs(['shop', 'web'], ['NAME', 'PROGRAM']), { NAME: 'shop', PROGRAM: 'web', rest: [] });
  assert.throws(() => positionalsAs(['shop'], ['NAME', 'PROGRAM']), usage('missing PROGRAM'));
  assert.throws(() => positionalsAs([], ['NAME']), usage('missing NAME'));
  assert.throws(() => positionalsAs(['shop', 'x'], ['NAME']), usage('unexpected argument "x"'));
  assert.deepEqual(positionalsAs(['shop', 'a', 'b', 'c'], ['NAME', 'PROGRAM'], 'PROGRAM').rest, ['b', 'c']);
});
