import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CORE_V1_FIELDS, coreV1Field, trimCoreV1, type CoreV1Document } from './core-v1.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const CORE = 'io.k8s.api.core.v1.';

/** A miniature api__v1_openapi.json with the shapes the real one has. */
function openapi() {
  const podSpec = Object.fromEntries(CORE_V1_FIELDS[`${CORE}PodSpec`]!.map((field) => [field, { type: 'string', description: field }]));
  return {
    components: {
      schemas: {
        [`${CORE}PodSpec`]: {
          description: 'PodSpec',
          properties: {
            ...podSpec,
            hostNetwork: { type: 'boolean' },
            hostAliases: {
              description: 'HostAliases of the pod.',
              type: 'array',
              items: ref(`${CORE}HostAlias`),
              'x-kubernetes-list-type': 'map',
              'x-kubernetes-list-map-keys': ['ip'],
              'x-kubernetes-patch-merge-key': 'ip',
            },
            affinity: { allOf: [ref(`${CORE}Affinity`)], description: "The pod's scheduling constraints", default: {} },
          },
        },
        [`${CORE}HostAlias`]: {
          description: 'HostAlias',
          type: 'object',
          properties: { ip: { type: 'string', default: '' }, hostnames: { type: 'array', items: { type: 'string', default: '' } } },
        },
        [`${CORE}Affinity`]: { description: 'Affinity', type: 'object', properties: { size: ref('io.k8s.apimachinery.pkg.api.resource.Quantity') } },
        'io.k8s.apimachinery.pkg.api.resource.Quantity': { description: 'Quantity', oneOf: [{ type: 'string' }, { type: 'number' }] },
        [`${CORE}Container`]: { properties: { volumeMounts: { type: 'array', items: { type: 'string' } }, image: { type: 'string' } } },
        [`${CORE}ServiceSpec`]: { properties: { type: { type: 'string' }, externalTrafficPolicy: { type: 'string' }, loadBalancerClass: { type: 'string' } } },
        [`${CORE}Unused`]: { type: 'object' },
      },
    },
  };
}

test('trimming keeps the listed fields and what they reach, nothing else', () => {
  const document = trimCoreV1(openapi(), 'test');
  assert.deepEqual(Object.keys(document.schemas), [
    `${CORE}Affinity`,
    `${CORE}Container`,
    `${CORE}HostAlias`,
    `${CORE}PodSpec`,
    `${CORE}ServiceSpec`,
    'io.k8s.apimachinery.pkg.api.resource.Quantity',
  ]);
  const podSpec = document.schemas[`${CORE}PodSpec`]!.properties as Record<string, unknown>;
  assert.equal(podSpec.hostNetwork, undefined, 'a Pod field the CorePod does not take');
  assert.deepEqual(Object.keys(document.schemas[`${CORE}Container`]!.properties as object), ['volumeMounts']);
});

test('a field as structural schema: $ref and allOf resolved, its own description first, Quantity int-or-string, no patch markers, list-map keys defaulted', () => {
  const document: CoreV1Document = trimCoreV1(openapi(), 'test');
  assert.deepEqual(coreV1Field(`${CORE}PodSpec`, 'affinity', document), {
    description: "The pod's scheduling constraints",
    type: 'object',
    properties: { size: { description: 'Quantity', 'x-kubernetes-int-or-string': true } },
  });
  assert.deepEqual(coreV1Field(`${CORE}PodSpec`, 'hostAliases', document), {
    description: 'HostAliases of the pod.',
    type: 'array',
    items: { description: 'HostAlias', type: 'object', properties: { ip: { type: 'string', default: '' }, hostnames: { type: 'array', items: { type: 'string' } } } },
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['ip'],
  });
});

test('a missing field or definition is an error naming it', () => {
  const broken = openapi();
  delete (broken.components.schemas[`${CORE}ServiceSpec`]!.properties as Record<string, unknown>).loadBalancerClass;
  assert.throws(() => trimCoreV1(broken, 'test'), /io\.k8s\.api\.core\.v1\.ServiceSpec in test has no loadBalancerClass/);
  const document = trimCoreV1(openapi(), 'test');
  assert.throws(() => coreV1Field(`${CORE}PodSpec`, 'hostNetwork', document), /PodSpec\.hostNetwork is not in .*core-v1-openapi\.json: add it to CORE_V1_FIELDS/);
});
