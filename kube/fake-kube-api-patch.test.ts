import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonPatch, leafPaths, mergePatch, PatchError, removeAt, type Json } from './fake-kube-api-patch.js';
import { fieldSelector, labelSelector, SelectorError } from './fake-kube-api-selector.js';

test('merge patch: the examples of RFC 7386 appendix A', () => {
  const cases: [Json, Json, Json][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, result] of cases) assert.deepEqual(mergePatch(target, patch), result, JSON.stringify([target, patch]));
});

test('JSON patch: each operation of RFC 6902, all or nothing', () => {
  const doc = { a: { b: [1, 2, 3] }, 'x/y': 1, 'm~n': 2 };
  const cases: [unknown[], Json][] = [
    [[{ op: 'add', path: '/a/c', value: 4 }], { a: { b: [1, 2, 3], c: 4 }, 'x/y': 1, 'm~n': 2 }],
    [[{ op: 'add', path: '/a/b/1', value: 9 }], { a: { b: [1, 9, 2, 3] }, 'x/y': 1, 'm~n': 2 }],
    [[{ op: 'add', path: '/a/b/-', value: 9 }], { a: { b: [1, 2, 3, 9] }, 'x/y': 1, 'm~n': 2 }],
    [[{ op: 'remove', path: '/a/b/0' }], { a: { b: [2, 3] }, 'x/y': 1, 'm~n': 2 }],
    [[{ op: 'replace', path: '/x~1y', value: 5 }], { a: { b: [1, 2, 3] }, 'x/y': 5, 'm~n': 2 }],
    [[{ op: 'move', from: '/m~0n', path: '/z' }], { a: { b: [1, 2, 3] }, 'x/y': 1, z: 2 }],
    [[{ op: 'copy', from: '/a/b/2', path: '/a/b/0' }], { a: { b: [3, 1, 2, 3] }, 'x/y': 1, 'm~n': 2 }],
    [
      [
        { op: 'test', path: '/a/b/1', value: 2 },
        { op: 'remove', path: '/a/b/1' },
      ],
      { a: { b: [1, 3] }, 'x/y': 1, 'm~n': 2 },
    ],
  ];
  for (const [ops, result] of cases) assert.deepEqual(jsonPatch(doc, ops), result, JSON.stringify(ops));
  const failing: unknown[][] = [
    [{ op: 'test', path: '/a/b/1', value: 3 }],
    [{ op: 'remove', path: '/a/b/3' }],
    [{ op: 'replace', path: '/nope', value: 1 }],
    [{ op: 'add', path: '/nope/deeper', value: 1 }],
    [
      { op: 'remove', path: '/a/b/0' },
      { op: 'test', path: '/a/b/0', value: 1 },
    ],
    [{ op: 'frobnicate', path: '/a' }],
    [{ op: 'move', from: '/a', path: '/a/b/c' }],
  ];
  for (const ops of failing) assert.throws(() => jsonPatch(doc, ops), PatchError, JSON.stringify(ops));
  assert.deepEqual(doc, { a: { b: [1, 2, 3] }, 'x/y': 1, 'm~n': 2 }, 'the document itself is untouched');
});

test('leaf paths and their removal (what an applier gives up)', () => {
  assert.deepEqual(leafPaths({ a: { b: 1, c: [1] }, d: {} }), [['a', 'b'], ['a', 'c'], ['d']]);
  const value = { a: { b: 1 }, c: 2 };
  removeAt(value, ['a', 'b']);
  assert.deepEqual(value, { c: 2 }, 'an object left empty goes too');
});

test('label selectors: every form the apiserver parses', () => {
  const labels = { app: 'web', tier: 'front', 'app.kubernetes.io/managed-by': 'corepod-operator' };
  const cases: [string, boolean][] = [
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['app!=web', false],
    ['missing!=x', true],
    ['app in (web, db)', true],
    ['app in (db)', false],
    ['app notin (db)', true],
    ['missing notin (db)', true],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['app=web,tier=front', true],
    ['app=web,tier=back', false],
    ['app in (web,db),tier', true],
    ['app.kubernetes.io/managed-by=corepod-operator', true],
  ];
  for (const [selector, expected] of cases) assert.equal(labelSelector(selector)({ labels }), expected, selector);
  for (const bad of ['app=(web', 'app in web', '=web', 'app=we b']) assert.throws(() => labelSelector(bad), SelectorError, bad);
});

test('field selectors: metadata.name and metadata.namespace only', () => {
  const meta = { name: 'web', namespace: 'shop' };
  assert.equal(fieldSelector('metadata.name=web')(meta), true);
  assert.equal(fieldSelector('metadata.name!=web')(meta), false);
  assert.equal(fieldSelector('metadata.namespace==shop,metadata.name=db')(meta), false);
  assert.throws(() => fieldSelector('spec.nodeName=x'), /field label not supported/);
});
