// What the fuzz tests of CorePod documents share: hostile values, random mutations of a document
// at any path, and the contract of a validation (a usable spec, or errors with paths). Test code.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { quantityToBytes, type validateCorePod, type validateSpec, type ValidationError } from './corepod-schema.js';

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
  const spec = 'spec' in result.value ? result.value.spec : result.value;
  spec.programs.forEach((program, i) => {
    assertByteCount(quantityToBytes(program.logs.maxBytes), `spec.programs[${i}].logs.maxBytes`);
    if (program.memory) assertByteCount(quantityToBytes(program.memory.limit), `spec.programs[${i}].memory.limit`);
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

export const mutation = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('set', 'delete', 'unknown-field', 'duplicate-entry', 'wrap'),
  value: hostileValue,
  key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'name', 'programs')),
});

/** Sets an own property, as a parsed document has it: `__proto__` too, which `=` would take for the prototype. */
function setOwn(target: object, key: Key, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
}

/**
 * The document with the mutations applied, to a copy: the generated values are copied too, since
 * fast-check reuses them while shrinking and a value mutated in place could come back inside itself.
 */
export function mutate(document: unknown, mutations: readonly { at: number; op: string; value: unknown; key: string }[]): unknown {
  let root = structuredClone(document);
  for (const m of mutations) {
    const value = structuredClone(m.value);
    const paths = pathsOf(root);
    const target = paths[m.at % paths.length]!;
    if (target.length === 0) {
      if (m.op === 'set') root = value;
      continue;
    }
    let parent = root as Record<Key, unknown>;
    for (const key of target.slice(0, -1)) parent = parent[key] as Record<Key, unknown>;
    const last = target[target.length - 1]!;
    const current = parent[last];
    if (m.op === 'set') setOwn(parent, last, value);
    else if (m.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (m.op === 'unknown-field' && typeof current === 'object' && current !== null && !Array.isArray(current)) setOwn(current, m.key, value);
    else if (m.op === 'duplicate-entry' && Array.isArray(parent)) parent.push(structuredClone(current));
    else if (m.op === 'wrap') setOwn(parent, last, [current]);
  }
  return root;
}
