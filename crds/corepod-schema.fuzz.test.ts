// Fuzzing the CorePod validator: any JSON value, and valid documents mutated at random paths, get
// either a validated spec whose quantities are byte counts, or errors that each name a path and
// say what is wrong; never an exception.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { parse } from 'yaml';
import { fuzzParameters } from '../lib/fuzz-runs.js';
import { validateCorePod, validateSpec } from './corepod-schema.js';
import { assertValidated, hostileValue, mutate, mutation } from './fuzz-documents.js';

const DREAMSCAPE = parse(fs.readFileSync(new URL('../../examples/dreamscape/corepod.yaml', import.meta.url), 'utf8')) as unknown;

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

test('regression (fuzz): a mutation copies its value and sets own keys, so shrinking cannot build a cycle and __proto__ is a key as in parsed JSON', () => {
  const value = { name: [{ d: { '': null } }] };
  const document = mutate({ spec: { programs: [] } }, [
    { at: 0, op: 'set', value, key: '__proto__' },
    { at: 1, op: 'wrap', value: null, key: '' },
  ]) as Record<string, unknown>;
  assert.notEqual(document, value, 'the root set is a copy');
  assert.deepEqual(value, { name: [{ d: { '': null } }] }, 'the generated value is left as it was');
  const keyed = mutate({ spec: {} }, [{ at: 1, op: 'unknown-field', value: { x: 1 }, key: '__proto__' }]) as { spec: object };
  assert.ok(Object.hasOwn(keyed.spec, '__proto__'));
  assert.equal(Object.getPrototypeOf(keyed.spec), Object.prototype);
  assertValidated(validateCorePod(keyed));
});

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
