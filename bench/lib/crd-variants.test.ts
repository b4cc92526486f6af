import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { countKeyword, crdVariant, VARIANTS, variantGroup, without } from './crd-variants.js';
import { REPO } from './paths.js';

const yaml = readFileSync(`${REPO}/crds/corepod.yaml`, 'utf8');
const schemaOf = (variant: (typeof VARIANTS)[number]) => crdVariant(yaml, variant).spec.versions[0]!.schema.openAPIV3Schema;

test('without drops a keyword at any depth but keeps fields of that name', () => {
  const schema = { type: 'object', default: {}, properties: { default: { type: 'string', default: 'x' }, a: { items: { default: 1, type: 'integer' } } } };
  assert.deepEqual(without(schema, ['default']), { type: 'object', properties: { default: { type: 'string' }, a: { items: { type: 'integer' } } } });
  assert.equal(countKeyword(schema, 'default'), 3);
  const list = { type: 'array', 'x-kubernetes-list-map-keys': ['name'], items: { properties: { name: { type: 'string', default: '' }, size: { type: 'integer', default: 1 } } } };
  assert.deepEqual(without(list, ['default']), { ...list, items: { properties: { name: { type: 'string', default: '' }, size: { type: 'integer' } } } });
});

test('each variant lives on its own scratch group with the CorePod names, and cuts only what it says', () => {
  const full = schemaOf('full');
  assert.ok(countKeyword(full, 'x-kubernetes-validations') > 0);
  assert.ok(countKeyword(full, 'default') > 0);
  for (const variant of VARIANTS) {
    const crd = crdVariant(yaml, variant);
    assert.equal(crd.spec.group, variantGroup(variant));
    assert.equal(crd.metadata.name, `corepods.${variant}.writecost.corepod.dev`);
    assert.equal(crd.spec.names.kind, 'CorePod');
    assert.equal(crd.spec.names.shortNames, undefined, 'cpod stays dreamscape.io');
    assert.equal(crd.spec.names.categories, undefined, 'kubectl get all lists only the real CorePods');
  }
  assert.equal(countKeyword(schemaOf('no-cel'), 'x-kubernetes-validations'), 0);
  assert.equal(countKeyword(schemaOf('no-cel'), 'default'), countKeyword(full, 'default'));
  // Only the list-map key the apiserver wants defaulted (imagePullSecrets[].name) keeps its default.
  assert.equal(countKeyword(schemaOf('no-defaults'), 'default'), 1);
  assert.equal(countKeyword(schemaOf('no-defaults'), 'x-kubernetes-validations'), countKeyword(full, 'x-kubernetes-validations'));
  assert.equal(countKeyword(schemaOf('no-cel-no-defaults'), 'default') + countKeyword(schemaOf('no-cel-no-defaults'), 'x-kubernetes-validations'), 1);
  assert.equal(JSON.stringify(schemaOf('schemaless')).length < 1000, true);
});
