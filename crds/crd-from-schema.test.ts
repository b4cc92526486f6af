import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { corePodCrd, corePodCrdYaml, toStructural, undescribedFields, SchemaTranslationError, type OpenApiSchema } from './crd-from-schema.js';

type Node = OpenApiSchema & { properties?: Record<string, Node>; items?: Node };

function walk(node: Node, path: string, visit: (node: Node, path: string) => void): void {
  visit(node, path);
  for (const [name, child] of Object.entries(node.properties ?? {})) walk(child, `${path}.${name}`, visit);
  if (node.items) walk(node.items, `${path}[]`, visit);
}

const schema = (): Node => {
  const crd = corePodCrd() as { spec: { versions: { schema: { openAPIV3Schema: Node } }[] } };
  return crd.spec.versions[0]!.schema.openAPIV3Schema;
};

test('the schema is structural: a type on every node, no JSON-Schema-only keywords', () => {
  walk(schema(), '', (node, path) => {
    for (const banned of ['$schema', 'const', 'anyOf', 'oneOf', 'allOf', 'not', '$ref', '$defs']) {
      assert.equal(node[banned], undefined, `${path} has ${banned}`);
    }
    assert.notEqual(node.additionalProperties, false, `${path} has additionalProperties: false`);
    const typed = node.type !== undefined || node['x-kubernetes-int-or-string'] || node['x-kubernetes-preserve-unknown-fields'];
    assert.ok(typed, `${path} has no type`);
  });
});

test('every field has a description', () => {
  assert.deepEqual(undescribedFields(schema()), []);
});

test('defaults, list-map keys, int-or-string and CEL rules come through', () => {
  const root = schema();
  const spec = root.properties!.spec!;
  const programs = spec.properties!.programs!;
  assert.equal(spec.properties!.replicas!.default, 1);
  assert.equal(programs['x-kubernetes-list-type'], 'map');
  assert.deepEqual(programs['x-kubernetes-list-map-keys'], ['name']);
  const rules = (programs['x-kubernetes-validations'] as { rule: string }[]).map((r) => r.rule);
  assert.deepEqual(rules, ['self.all(p, self.exists_one(q, q.name == p.name))']);
  // A dependency is a name or {name, condition}: untyped, so no CEL rule can read dependsOn.
  const dependency = programs.items!.properties!.dependsOn!.items!;
  assert.equal(dependency.type, undefined);
  assert.equal(dependency['x-kubernetes-preserve-unknown-fields'], true);
  assert.equal(dependency.anyOf, undefined);
  const maxBytes = programs.items!.properties!.logs!.properties!.maxBytes!;
  assert.deepEqual(maxBytes, {
    default: '50Mi',
    description: 'Size at which a log file is rotated.',
    minimum: 0,
    pattern: '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$',
    'x-kubernetes-int-or-string': true,
  });
  const autorestart = programs.items!.properties!.autorestart!;
  assert.equal(autorestart.type, undefined);
  assert.equal(autorestart['x-kubernetes-preserve-unknown-fields'], true);
  assert.equal(autorestart.default, true);
  assert.deepEqual(autorestart.enum, [true, false, 'unexpected']);
  const specRules = spec['x-kubernetes-validations'] as { rule: string; fieldPath: string }[];
  assert.deepEqual(
    specRules.map((r) => [r.rule, r.fieldPath]),
    [
      ['!has(self.securityContext) || self.programs.all(p, !has(p.user))', '.securityContext'],
      ["!has(self.dnsPolicy) || self.dnsPolicy != 'None' || has(self.dnsConfig)", '.dnsConfig'],
      ['self.programs.all(p, !has(p.volumeMounts) || p.volumeMounts.all(m, has(self.volumes) && self.volumes.exists(v, v.name == m.name)))', '.programs'],
    ],
  );
  assert.deepEqual(spec.properties!.securityContext!.required, ['runAsUser']);
  assert.equal(spec.properties!.securityContext!.properties!.runAsUser!.minimum, 1);
  const conditions = root.properties!.status!.properties!.conditions!;
  assert.deepEqual(conditions['x-kubernetes-list-map-keys'], ['type']);
});

test('names, printer columns and the status subresource', () => {
  const crd = parse(corePodCrdYaml()) as {
    metadata: { name: string };
    spec: { names: { shortNames: string[]; plural: string }; versions: { subresources: unknown; additionalPrinterColumns: { name: string; jsonPath: string }[] }[] };
  };
  assert.equal(crd.metadata.name, 'corepods.dreamscape.io');
  assert.deepEqual(crd.spec.names.shortNames, ['cpod']);
  const version = crd.spec.versions[0]!;
  assert.deepEqual(version.subresources, {
    status: {},
    scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
  });
  assert.deepEqual(
    version.additionalPrinterColumns.map((c) => [c.name, c.jsonPath]),
    [
      ['Ready', '.status.readyProcesses'],
      ['Phase', '.status.phase'],
      ['Restarts', '.status.restarts'],
      ['Age', '.metadata.creationTimestamp'],
    ],
  );
});

test('the translator refuses what it cannot express structurally', () => {
  assert.throws(() => toStructural({ anyOf: [{ type: 'string' }, { type: 'boolean' }], description: 'd' }, 'x'), SchemaTranslationError);
  assert.throws(() => toStructural({ type: 'object', patternProperties: {} }, 'x'), /patternProperties/);
  assert.throws(() => toStructural({ description: 'no type' }, 'x'), /no type/);
  assert.throws(() => toStructural({ type: 'string', const: 'a' }, 'x'), /const/);
  assert.deepEqual(toStructural({ type: 'string', format: 'starts_with', pattern: '^/' }, 'x'), { type: 'string', pattern: '^/' });
  assert.deepEqual(toStructural({ type: 'object', additionalProperties: false, properties: {} }, 'x'), { type: 'object', properties: {} });
});

test("core/v1 fields carry Kubernetes' own schema and description, with the CorePod's bounds and rules on top", () => {
  const spec = schema().properties!.spec!;
  const volumes = spec.properties!.volumes!;
  assert.match(String(volumes.description), /^List of volumes that can be mounted by containers belonging to the pod/);
  assert.equal(volumes['x-kubernetes-list-type'], 'map');
  assert.deepEqual(volumes['x-kubernetes-list-map-keys'], ['name']);
  assert.equal(volumes.maxItems, 64);
  const volume = volumes.items!;
  assert.deepEqual(volume.required, ['name']);
  assert.equal(volume.properties!.name!.maxLength, 63);
  assert.equal((volume['x-kubernetes-validations'] as unknown[]).length, 1);
  for (const source of ['secret', 'configMap', 'persistentVolumeClaim', 'emptyDir', 'projected', 'csi', 'ephemeral', 'image']) {
    assert.equal(volume.properties![source]!.type, 'object', source);
  }
  assert.deepEqual(volume.properties!.emptyDir!.properties!.sizeLimit!['x-kubernetes-int-or-string'], true, 'Quantity is int-or-string');
  const mounts = spec.properties!.programs!.items!.properties!.volumeMounts!;
  assert.deepEqual(mounts['x-kubernetes-list-map-keys'], ['mountPath']);
  assert.equal(mounts.items!.properties!.mountPath!.pattern, '^\\/');
  const text = JSON.stringify([volumes, mounts]);
  assert.doesNotMatch(text, /x-kubernetes-patch|\$ref|allOf|oneOf|"default":""/, 'no strategic-merge markers, references or Pod defaults');
});

test('the CRD fits the last-applied annotation of a client-side kubectl apply (262144 bytes)', () => {
  const crd = parse(corePodCrdYaml());
  assert.ok(JSON.stringify(crd).length < 262_144 - 4096, `${JSON.stringify(crd).length} bytes`);
});
