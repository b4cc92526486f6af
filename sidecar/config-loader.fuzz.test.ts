// Fuzzing the CorePod reader: any text, and the DreamScape YAML damaged at random, is parsed and
// validated into a spec or clear errors (a path and a message each); never an exception.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { assertClearErrors, mutate, mutation } from '../crds/fuzz-documents.js';
import { fuzzParameters } from '../lib/fuzz-runs.js';
import { stringify } from 'yaml';
import { hasRepeatedKey, parseConfig, parseJsonConfig, resolveQuantities, validateConfig } from './config-loader.js';
import { parseYamlConfig } from './config-yaml.js';

const DREAMSCAPE_TEXT = fs.readFileSync(new URL('../../examples/dreamscape/corepod.yaml', import.meta.url), 'utf8');

/** What the contract asks of reading a text: a spec with byte counts, or clear errors. */
async function assertReadOrRefused(text: string): Promise<void> {
  const parsed = await parseConfig(text);
  if (!parsed.ok) {
    assertClearErrors(parsed.errors);
    return;
  }
  const result = validateConfig(parsed.value);
  if (!result.ok) {
    assertClearErrors(result.errors);
    return;
  }
  for (const program of resolveQuantities(result.config.spec).programs) assert.ok(Number.isSafeInteger(program.logs.maxBytes));
}

/** YAML's own syntax, where a damaged file is likely to go wrong. */
const yamlPiece = fc.constantFrom(
  ':',
  ': ',
  '- ',
  '\n',
  '\n  ',
  '\t',
  '&a ',
  '*a',
  '<<: *a\n',
  '!!binary ',
  '!!set ',
  '!!timestamp ',
  '? ',
  '[',
  ']',
  '{',
  '}',
  '"',
  "'",
  '|',
  '>',
  '#',
  '---\n',
  '...\n',
  '%YAML 1.1\n',
  '\u0000',
  '\uFEFF',
  '\r',
);

const damage = fc.record({ at: fc.nat(), cut: fc.nat({ max: 40 }), insert: fc.oneof(yamlPiece, fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 })) });

function damaged(text: string, edits: readonly { at: number; cut: number; insert: string }[]): string {
  let out = text;
  for (const edit of edits) {
    const at = edit.at % (out.length + 1);
    out = out.slice(0, at) + edit.insert + out.slice(at + edit.cut);
  }
  return out;
}

test('fuzz: any text is read or refused with paths', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.array(yamlPiece, { maxLength: 30 }).map((p) => p.join('')),
      ),
      assertReadOrRefused,
    ),
    fuzzParameters(300),
  );
});

test('fuzz: the DreamScape YAML damaged at random is read or refused with paths', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(damage, { minLength: 1, maxLength: 5 }), (edits) => assertReadOrRefused(damaged(DREAMSCAPE_TEXT, edits))),
    fuzzParameters(300),
  );
});

test('fuzz: the DreamScape CorePod with hostile values, written as YAML and as JSON, is read or refused with paths', async () => {
  const document = parseYamlConfig(DREAMSCAPE_TEXT);
  assert.ok(document.ok);
  await fc.assert(
    fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), (mutations, json) => {
      const value = mutate(document.value, mutations);
      return assertReadOrRefused(json ? JSON.stringify(value) : stringify(value));
    }),
    fuzzParameters(200),
  );
});

/** JSON text of any value, at times with a key written twice somewhere (as hand-edited JSON may). */
const jsonText = fc.tuple(fc.jsonValue(), fc.nat(), fc.boolean(), fc.boolean()).map(([value, at, repeat, spaced]) => {
  const text = JSON.stringify(value, null, spaced ? 2 : undefined);
  if (!repeat) return text;
  // Repeat the first key of the at-th object that has one.
  const objects = [...text.matchAll(/\{\s*("(?:[^"\\]|\\.)*")\s*:/g)];
  if (objects.length === 0) return text;
  const match = objects[at % objects.length]!;
  const open = match.index + 1;
  return `${text.slice(0, open)}${match[1]}:0,${text.slice(open)}`;
});

test('fuzz: JSON is read as the YAML parser reads it, and a key written twice is refused as YAML refuses it', () => {
  fc.assert(
    fc.property(jsonText, (text) => {
      const yaml = parseYamlConfig(text);
      const json = parseJsonConfig(text);
      if (json === undefined) {
        // Left to the YAML parser: only for a repeated key, which it refuses.
        assert.ok(hasRepeatedKey(text), text);
        assert.equal(yaml.ok, false, text);
        assert.match(yaml.ok ? '' : yaml.errors[0]!.message, /Map keys must be unique/);
      } else {
        assert.deepEqual(json, yaml, text);
      }
    }),
    fuzzParameters(500),
  );
});

test('a key repeated anywhere in JSON is found, escapes decoded; a repeated array entry or value is no key', () => {
  assert.equal(hasRepeatedKey('{"a":1,"b":{"a":2}}'), false);
  assert.equal(hasRepeatedKey('{"a":1,"b":{"c":2,"c":3}}'), true);
  assert.equal(hasRepeatedKey('{"a":"x","\\u0061":2}'), true);
  assert.equal(hasRepeatedKey('{"a":["a","a"],"b":"a"}'), false);
  assert.equal(hasRepeatedKey('[{"a":1},{"a":1}]'), false);
  assert.equal(hasRepeatedKey('{"k\\"":1,"k\\"" : 2}'), true);
  assert.equal(hasRepeatedKey('{"{":"[","a":1,"}":"]","b":{"a":1}}'), false);
});

// Crashes the fuzzer found, kept as regression tests.

test('regression (fuzz): an alias without its anchor is a clear error, not an exception', () => {
  assert.deepEqual(parseYamlConfig('spec:\n  <<: *base\n'), {
    ok: false,
    errors: [{ path: '(document)', message: 'Unresolved alias (the anchor must be set before the alias): base' }],
  });
});

test('regression (fuzz): a billion-laughs document of aliases is refused, not expanded', () => {
  const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (const [i, name] of ['b', 'c', 'd', 'e'].entries()) levels.push(`${name}: &${name} [${Array(9).fill(`*${'abcd'[i]}`).join(', ')}]`);
  const result = parseYamlConfig(`${levels.join('\n')}\n`);
  assert.deepEqual(result, { ok: false, errors: [{ path: '(document)', message: 'Excessive alias count indicates a resource exhaustion attack' }] });
});

test('regression (fuzz): a collection as a key prints no process warning and is refused as an unknown field', async () => {
  const warnings: string[] = [];
  const listener = (warning: Error) => warnings.push(warning.message);
  process.on('warning', listener);
  const parsed = parseYamlConfig(`${DREAMSCAPE_TEXT}? [a, b]\n: 1\n`);
  await new Promise((resolve) => setImmediate(resolve)); // process warnings are emitted on the next tick
  process.off('warning', listener);
  assert.ok(parsed.ok);
  const result = validateConfig(parsed.value);
  assert.deepEqual(result.ok ? [] : result.errors, [{ path: '["[ a, b ]"]', message: 'unknown field' }]);
  assert.deepEqual(warnings, []);
});
