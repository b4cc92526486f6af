// Fuzzing the CorePod validator: any JSON value, and valid documents mutated at random paths, get
// either a validated spec whose quantities are byte counts, or errors that each name a path and
// say what is wrong; never an exception.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { parse } from 'yaml';
import { fuzzParameters } from '../lib/fuzz-runs.js';
import { resolveQuantities } from '../sidecar/config-loader.js';
import { validateCorePod, validateSpec, type ValidationError } from './corepod-schema.js';

const DREAMSCAPE = parse(fs.readFileSync(new URL('../../examples/dreamscape/corepod.yaml', import.meta.url), 'utf8')) as unknown;

export function assertClearErrors(errors: readonly ValidationError[]): void {
  assert.ok(errors.length > 0, 'a refusal has at least one error');
  for (const error of errors) {
    assert.equal(typeof error.path, 'string');
    assert.ok(error.path.length > 0, `an error without a path: ${JSON.stringify(error)}`);
    assert.ok(typeof error.message === 'string' && error.message.length > 0, `an error without a message: ${JSON.stringify(error)}`);
    assert.doesNotMatch(error.message, /\n\s+at /, 'a stack trace in a message');
  }
}

function assertByteCount(value: unknown, what: string): void {
  assert.ok(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0, `${what}: ${String(value)} is not a byte count`);
}

/** The contract of a validation: a usable spec, or clear errors. */
export function assertValidated(result: ReturnType<typeof validateCorePod> | ReturnType<typeof validateSpec>): void {
  if (!result.ok) {
    assertClearErrors(result.errors);
    return;
  }
  const spec = resolveQuantities('spec' in result.value ? result.value.spec : result.value);
  spec.programs.forEach((program, i) => {
    assertByteCount(program.logs.maxBytes, `spec.programs[${i}].logs.maxBytes`);
    if (program.memory) assertByteCount(program.memory.limit, `spec.programs[${i}].memory.limit`);
  });
}

type Key = string | number;

/** Every path to a value inside a JSON document. */
function pathsOf(value: unknown, prefix: Key[] = []): Key[][] {
  const here = [prefix];
  if (Array.isArray(value)) return here.concat(value.flatMap((item, i) => pathsOf(item, [...prefix, i])));
  if (typeof value === 'object' && value !== null) return here.concat(Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...prefix, k])));
  return here;
}

/** Values a hand-written or hostile document is likely to hold where another was expected. */
export const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(0, -1, 1.5, 2 ** 31, 2 ** 53, -(2 ** 53), 1e308, '', ' ', '0', '-1', '1e400', `${'9'.repeat(400)}Gi`, '999999999999999999999Ti', 'TERM', 'SIGTERM'),
  fc.constantFrom(null, true, false, [], {}, [null], { name: '' }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty').map((k) => ({ [k]: 1 })),
);

const mutation = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('set', 'delete', 'unknown-field', 'duplicate-entry', 'wrap'),
  value: hostileValue,
  key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'name', 'programs')),
});

export function mutate(document: unknown, mutations: readonly { at: number; op: string; value: unknown; key: string }[]): unknown {
  let root = structuredClone(document);
  for (const m of mutations) {
    const paths = pathsOf(root);
    const target = paths[m.at % paths.length]!;
    if (target.length === 0) {
      if (m.op === 'set') root = m.value;
      continue;
    }
    let parent = root as Record<Key, unknown>;
    for (const key of target.slice(0, -1)) parent = parent[key] as Record<Key, unknown>;
    const last = target[target.length - 1]!;
    const current = parent[last];
    if (m.op === 'set') parent[last] = m.value;
    else if (m.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (m.op === 'unknown-field' && typeof current === 'object' && current !== null && !Array.isArray(current)) {
      Object.defineProperty(current, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
    } else if (m.op === 'duplicate-entry' && Array.isArray(parent)) parent.push(structuredClone(current));
    else if (m.op === 'wrap') parent[last] = [current];
  }
  return root;
}

test('fuzz: any JSON value as a CorePod or a spec is validated or refused with paths, never thrown', () => {
  fc.assert(
    fc.property(fc.oneof(fc.jsonValue(), hostileValue), (value) => {
      assertValidated(validateCorePod(value));
      assertValidated(validateSpec(value));
    }),
    fuzzParameters(300),
  );
});

test('fuzz: the DreamScape CorePod mutated at random paths is validated or refused with paths', () => {
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
      const document = mutate(DREAMSCAPE, mutations);
      assertValidated(validateCorePod(document));
      const spec = (document as { spec?: unknown } | null)?.spec;
      if (spec !== undefined) assertValidated(validateSpec(spec));
    }),
    fuzzParameters(400),
  );
});

// Crashes the fuzzer found, kept as regression tests.

test('regression (fuzz): a document that is not an object is refused at "(document)", not at an empty path', () => {
  const result = validateCorePod('');
  assert.deepEqual(result.ok ? [] : result.errors, [{ path: '(document)', message: 'Invalid input: expected object, received string' }]);
});

test('regression (fuzz): an unknown field with an empty or spaced name is quoted in its path', () => {
  const result = validateCorePod({ '': null, 'a b': 1 });
  assert.ok(!result.ok);
  assert.deepEqual(
    result.errors.filter((e) => e.message === 'unknown field').map((e) => e.path),
    ['[""]', '["a b"]'],
  );
});

test('regression (fuzz): a byte quantity beyond 2^53 bytes is refused, not turned into Infinity', () => {
  const huge = structuredClone(DREAMSCAPE) as { spec: { programs: { memory?: { limit: unknown } }[] } };
  huge.spec.programs[0]!.memory = { limit: '999999999999999999999Ti' };
  const result = validateCorePod(huge);
  assert.deepEqual(result.ok ? [] : result.errors, [{ path: 'spec.programs[0].memory.limit', message: 'expected a byte quantity of at most 8Pi (2^53 bytes)' }]);
});
