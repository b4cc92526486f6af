// Fuzzing the CorePod reader: any text, and the DreamScape YAML damaged at random, is parsed and
// validated into a spec or clear errors (a path and a message each); never an exception.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { assertClearErrors, mutate, mutation } from '../crds/fuzz-documents.js';
import { fuzzParameters } from '../lib/fuzz-runs.js';
import { stringify } from 'yaml';
import { parseConfig, resolveQuantities, validateConfig } from './config-loader.js';

const DREAMSCAPE_TEXT = fs.readFileSync(new URL('../../examples/dreamscape/corepod.yaml', import.meta.url), 'utf8');

/** What the contract asks of reading a text: a spec with byte counts, or clear errors. */
function assertReadOrRefused(text: string): void {
  const parsed = parseConfig(text);
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

test('fuzz: any text is read or refused with paths', () => {
  fc.assert(
    fc.property(
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

test('fuzz: the DreamScape YAML damaged at random is read or refused with paths', () => {
  fc.assert(
    fc.property(fc.array(damage, { minLength: 1, maxLength: 5 }), (edits) => assertReadOrRefused(damaged(DREAMSCAPE_TEXT, edits))),
    fuzzParameters(300),
  );
});

test('fuzz: the DreamScape CorePod with hostile values, written as YAML, is read or refused with paths', () => {
  const document = parseConfig(DREAMSCAPE_TEXT);
  assert.ok(document.ok);
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => assertReadOrRefused(stringify(mutate(document.value, mutations)))),
    fuzzParameters(200),
  );
});

// Crashes the fuzzer found, kept as regression tests.

test('regression (fuzz): an alias without its anchor is a clear error, not an exception', () => {
  assert.deepEqual(parseConfig('spec:\n  <<: *base\n'), {
    ok: false,
    errors: [{ path: '(document)', message: 'Unresolved alias (the anchor must be set before the alias): base' }],
  });
});

test('regression (fuzz): a billion-laughs document of aliases is refused, not expanded', () => {
  const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (const [i, name] of ['b', 'c', 'd', 'e'].entries()) levels.push(`${name}: &${name} [${Array(9).fill(`*${'abcd'[i]}`).join(', ')}]`);
  const result = parseConfig(`${levels.join('\n')}\n`);
  assert.deepEqual(result, { ok: false, errors: [{ path: '(document)', message: 'Excessive alias count indicates a resource exhaustion attack' }] });
});

test('regression (fuzz): a collection as a key prints no process warning and is refused as an unknown field', async () => {
  const warnings: string[] = [];
  const listener = (warning: Error) => warnings.push(warning.message);
  process.on('warning', listener);
  const parsed = parseConfig(`${DREAMSCAPE_TEXT}? [a, b]\n: 1\n`);
  await new Promise((resolve) => setImmediate(resolve)); // process warnings are emitted on the next tick
  process.off('warning', listener);
  assert.ok(parsed.ok);
  const result = validateConfig(parsed.value);
  assert.deepEqual(result.ok ? [] : result.errors, [{ path: '["[ a, b ]"]', message: 'unknown field' }]);
  assert.deepEqual(warnings, []);
});
