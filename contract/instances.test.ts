import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateSpec, type ProgramSpec } from '../crds/corepod-schema.js';
import { INSTANCE_ENV, expandInstances, instanceName, processCount, programOfEntry } from './instances.js';

function programs(input: object[]): ProgramSpec[] {
  const result = validateSpec({ image: 'img:1', programs: input });
  assert.ok(result.ok, JSON.stringify(result));
  return result.value.programs;
}

test('a program with instances: N becomes N entries name:00, name:01, … in its place, each knowing where it comes from', () => {
  const expanded = expandInstances(
    programs([
      { name: 'db', command: ['db'] },
      { name: 'worker', command: ['w', `$(${INSTANCE_ENV})`], instances: 3 },
      { name: 'web', command: ['web'] },
    ]),
  );
  assert.deepEqual(
    expanded.map((p) => [p.name, p.source]),
    [
      ['db', { program: 'db', index: 0 }],
      ['worker:00', { program: 'worker', index: 1, instance: 0 }],
      ['worker:01', { program: 'worker', index: 1, instance: 1 }],
      ['worker:02', { program: 'worker', index: 1, instance: 2 }],
      ['web', { program: 'web', index: 2 }],
    ],
  );
  assert.ok(expanded.every((p) => !('instances' in p)));
  assert.deepEqual(expanded[2]!.command, ['w', '$(COREPOD_INSTANCE)'], 'the reference is resolved per process when it starts');
  assert.equal(
    processCount(
      programs([
        { name: 'a', command: ['a'], instances: 4 },
        { name: 'b', command: ['b'] },
      ]),
    ),
    5,
  );
  assert.deepEqual([instanceName('w', 7), instanceName('w', 42), programOfEntry('w:07'), programOfEntry('web')], ['w:07', 'w:42', 'w', 'web']);
});

test('without instances a program is itself; instances: 1 is name:00 (so a change of the number renames nothing); a dependency on a program with instances waits for each of them', () => {
  const expanded = expandInstances(
    programs([
      { name: 'one', command: ['x'], instances: 1 },
      { name: 'queue', command: ['q'], instances: 2, autorestart: 'unexpected' },
      { name: 'api', command: ['api'], dependsOn: ['one', { name: 'queue', condition: 'Started' }] },
    ]),
  );
  assert.deepEqual(
    expanded.map((p) => p.name),
    ['one:00', 'queue:00', 'queue:01', 'api'],
  );
  assert.deepEqual(expanded[3]!.dependsOn, [
    { name: 'one:00', condition: 'Ready' },
    { name: 'queue:00', condition: 'Started' },
    { name: 'queue:01', condition: 'Started' },
  ]);
});

test('a pure function of the spec: changing N in place keeps the entries below the smaller N identical, so a diff starts or stops only the difference', () => {
  const spec = (n: number) =>
    programs([
      { name: 'web', command: ['web'] },
      { name: 'worker', command: ['w'], instances: n, env: [{ name: 'A', value: '1' }] },
    ]);
  const before = expandInstances(spec(3));
  assert.deepEqual(expandInstances(spec(3)), before, 'the same spec gives the same entries');
  const grown = expandInstances(spec(5));
  const shrunk = expandInstances(spec(2));
  const byName = (entries: typeof before) => new Map(entries.map((e) => [e.name, JSON.stringify(e)]));
  const diff = (a: typeof before, b: typeof before) => {
    const [x, y] = [byName(a), byName(b)];
    return {
      added: [...y.keys()].filter((k) => !x.has(k)),
      removed: [...x.keys()].filter((k) => !y.has(k)),
      changed: [...y.keys()].filter((k) => x.has(k) && x.get(k) !== y.get(k)),
    };
  };
  assert.deepEqual(diff(before, grown), { added: ['worker:03', 'worker:04'], removed: [], changed: [] });
  assert.deepEqual(diff(before, shrunk), { added: [], removed: ['worker:02'], changed: [] });
});

test('the schema: instances from 1 to 100, and at most 100 processes in all (each has a status entry)', () => {
  const check = (input: object[]) => validateSpec({ image: 'img:1', programs: input });
  assert.equal(check([{ name: 'w', command: ['w'], instances: 100 }]).ok, true);
  const tooMany = check([{ name: 'w', command: ['w'], instances: 101 }]);
  assert.ok(!tooMany.ok && tooMany.errors.some((e) => e.path === 'spec.programs[0].instances'), JSON.stringify(tooMany));
  const zero = check([{ name: 'w', command: ['w'], instances: 0 }]);
  assert.ok(!zero.ok && zero.errors.some((e) => e.path === 'spec.programs[0].instances'));
  const total = check([
    { name: 'a', command: ['a'], instances: 60 },
    { name: 'b', command: ['b'], instances: 41 },
  ]);
  assert.ok(!total.ok, 'more than 100 processes');
  assert.deepEqual(total.errors, [{ path: 'spec.programs', message: 'the programs run 101 processes (instances included); at most 100' }]);
});
