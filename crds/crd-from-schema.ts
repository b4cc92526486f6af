// Translates the zod CorePod schema into the CustomResourceDefinition the apiserver accepts:
// a structural OpenAPI v3 schema (no $schema, const, additionalProperties: false, unions of
// types), with the x-kubernetes-* extensions the schema sets through .meta().
import { z } from 'zod';
import { stringify } from 'yaml';
import { CORE_V1_META, CorePod, GROUP, KIND, PLURAL, SHORT_NAMES, SINGULAR, VERSION } from './corepod-schema.js';
import { coreV1Field } from './core-v1.js';

export type OpenApiSchema = { [key: string]: unknown };

/** Keywords a structural schema may carry; anything else in the zod output is a generator bug. */
const ALLOWED = new Set([
  'type',
  'properties',
  'required',
  'items',
  'description',
  'default',
  'enum',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'format',
  'minProperties',
  'maxProperties',
  'additionalProperties',
  'nullable',
]);

/** Formats kube-openapi validates; zod's own (starts_with, ...) are dropped, the pattern stays. */
const KNOWN_FORMATS = new Set([
  'uri',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'cidr',
  'mac',
  'uuid',
  'uuid3',
  'uuid4',
  'uuid5',
  'date',
  'date-time',
  'duration',
  'byte',
  'password',
  'int32',
  'int64',
  'float',
  'double',
]);

const SAFE_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);

const ROOT_FIELDS: Record<string, OpenApiSchema> = {
  apiVersion: {
    type: 'string',
    description:
      'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.',
  },
  kind: {
    type: 'string',
    description:
      'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. In CamelCase.',
  },
};

export class SchemaTranslationError extends Error {}

function isObject(value: unknown): value is OpenApiSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Translates one node of zod's OpenAPI 3.0 output into a structural-schema node. */
export function toStructural(node: OpenApiSchema, path: string): OpenApiSchema {
  if (typeof node[CORE_V1_META] === 'string') return fromCoreV1(node, path);
  const out: OpenApiSchema = {};
  const intOrString = node['x-kubernetes-int-or-string'] === true;
  const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-kubernetes-')) {
      out[key] = value;
    } else if (key === 'anyOf' || key === 'oneOf') {
      if (!Array.isArray(value)) throw new SchemaTranslationError(`${path}: ${key} is not a list`);
      if (intOrString) Object.assign(out, intOrStringConstraints(value.filter(isObject), path));
      else if (preserve && value.some((branch) => isObject(branch) && branch.type === 'object')) {
        // A union with an object branch (a name or {name, condition}) stays untyped: any value
        // passes the apiserver, the operator's validation (the zod schema) checks it.
      } else if (preserve) out.enum = enumOfScalars(value.filter(isObject), path);
      else {
        throw new SchemaTranslationError(`${path}: a union of types is not structural; mark it x-kubernetes-int-or-string or x-kubernetes-preserve-unknown-fields with a CEL rule`);
      }
    } else if (key === 'properties') {
      if (!isObject(value)) throw new SchemaTranslationError(`${path}: properties is not an object`);
      out.properties = Object.fromEntries(Object.entries(value).map(([name, child]) => [name, toStructural(child as OpenApiSchema, `${path}.${name}`)]));
    } else if (key === 'items') {
      out.items = toStructural(value as OpenApiSchema, `${path}[*]`);
    } else if (key === 'additionalProperties') {
      if (isObject(value) && Object.keys(value).length > 0) out.additionalProperties = toStructural(value, `${path}.*`);
      // false is the apiserver's pruning default; {} (any value) is handled by the caller.
    } else if (key === 'format') {
      if (KNOWN_FORMATS.has(String(value))) out.format = value;
    } else if ((key === 'minimum' || key === 'maximum') && SAFE_BOUNDS.has(value as number)) {
      // zod's z.int() bounds; Kubernetes integers are int64 already.
    } else if (ALLOWED.has(key)) {
      out[key] = value;
    } else {
      throw new SchemaTranslationError(`${path}: keyword "${key}" has no structural-schema equivalent`);
    }
  }
  if (!intOrString && !preserve && out.type === undefined) {
    throw new SchemaTranslationError(`${path}: no type`);
  }
  return out;
}

/** What the zod schema adds to a core/v1 schema: bounds (CEL needs them for its cost estimate) and rules. */
const OVERLAID = new Set(['minItems', 'maxItems', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum', 'enum']);

/** The core/v1 schema the node names, with the bounds and CEL rules the zod schema sets on it. */
function fromCoreV1(node: OpenApiSchema, path: string): OpenApiSchema {
  const field = node[CORE_V1_META] as string;
  const dot = field.lastIndexOf('.');
  const { [CORE_V1_META]: _field, description, ...own } = node;
  const schema = overlay(toStructural(own, path), coreV1Field(field.slice(0, dot), field.slice(dot + 1)), path);
  // Where the CorePod's meaning differs from the Pod's, its own description wins.
  return typeof description === 'string' ? { ...schema, description } : schema;
}

function overlay(own: OpenApiSchema, core: OpenApiSchema, path: string): OpenApiSchema {
  if (own.type !== undefined && core.type !== undefined && own.type !== core.type) {
    throw new SchemaTranslationError(`${path}: the zod schema says ${String(own.type)}, core/v1 says ${String(core.type)}`);
  }
  const out: OpenApiSchema = { ...core };
  for (const [key, value] of Object.entries(own)) {
    if (OVERLAID.has(key) && !SAFE_BOUNDS.has(value as number)) out[key] = value;
    if (key === 'x-kubernetes-validations') out[key] = [...((core[key] as unknown[] | undefined) ?? []), ...(value as unknown[])];
  }
  if (isObject(own.properties)) {
    const coreProperties = isObject(core.properties) ? core.properties : {};
    out.properties = { ...coreProperties };
    for (const [name, child] of Object.entries(own.properties)) {
      const target = coreProperties[name];
      if (!isObject(target)) throw new SchemaTranslationError(`${path}.${name}: not a field of the core/v1 schema`);
      (out.properties as OpenApiSchema)[name] = overlay(child as OpenApiSchema, target, `${path}.${name}`);
    }
  }
  if (isObject(own.items) && isObject(core.items)) out.items = overlay(own.items, core.items, `${path}[*]`);
  return out;
}

/**
 * An int-or-string node may not carry types in its branches, so the branches' constraints move to
 * the node itself: kube-openapi applies minimum/maximum only to numbers and pattern only to strings.
 */
function intOrStringConstraints(branches: OpenApiSchema[], path: string): OpenApiSchema {
  const merged: OpenApiSchema = {};
  for (const branch of branches) {
    if (branch.type !== 'integer' && branch.type !== 'string') {
      throw new SchemaTranslationError(`${path}: int-or-string branch of type ${String(branch.type)}`);
    }
    for (const [key, value] of Object.entries(branch)) {
      if (key === 'type' || ((key === 'minimum' || key === 'maximum') && SAFE_BOUNDS.has(value as number))) continue;
      if (!['minimum', 'maximum', 'pattern', 'minLength', 'maxLength'].includes(key)) {
        throw new SchemaTranslationError(`${path}: int-or-string branch keyword "${key}"`);
      }
      if (key in merged) throw new SchemaTranslationError(`${path}: int-or-string branches both set "${key}"`);
      merged[key] = value;
    }
  }
  return merged;
}

/**
 * An untyped (preserve-unknown-fields) union of scalars becomes an enum of all its values, checked
 * by the apiserver without a type: true | false | "unexpected".
 */
function enumOfScalars(branches: OpenApiSchema[], path: string): unknown[] {
  return branches.flatMap((branch) => {
    if (branch.type === 'boolean' && branch.enum === undefined) return [true, false];
    if (Array.isArray(branch.enum)) return branch.enum;
    throw new SchemaTranslationError(`${path}: an untyped union needs enumerable branches (boolean or enum)`);
  });
}

/** Paths of schema nodes that lack a description (kubectl explain shows it for every field). */
export function undescribedFields(node: OpenApiSchema, path = ''): string[] {
  const missing: string[] = [];
  // metadata is the apiserver's ObjectMeta: kubectl explain describes it from there.
  if (path === 'metadata') return [];
  if (path !== '' && typeof node.description !== 'string') missing.push(path);
  const properties = isObject(node.properties) ? node.properties : {};
  for (const [name, child] of Object.entries(properties)) {
    missing.push(...undescribedFields(child as OpenApiSchema, path === '' ? name : `${path}.${name}`));
  }
  if (isObject(node.items)) {
    for (const inner of undescribedFields(node.items, `${path}[]`)) if (inner !== `${path}[]`) missing.push(inner);
  }
  return missing;
}

/** The OpenAPI v3 schema of the CorePod kind, as it goes into the CRD. */
export function corePodOpenApiSchema(): OpenApiSchema {
  const json = z.toJSONSchema(CorePod, { io: 'input', target: 'openapi-3.0', unrepresentable: 'throw' }) as OpenApiSchema;
  const properties = { ...(json.properties as Record<string, OpenApiSchema>) };
  const metadata = properties.metadata as OpenApiSchema;
  const nameSchema = (metadata.properties as Record<string, OpenApiSchema>).name as OpenApiSchema;
  // The apiserver owns ObjectMeta; a CRD may only restrict metadata.name (and generateName).
  // It takes no description either; the name must be a DNS label because it names the owned objects.
  properties.metadata = {
    type: 'object',
    properties: { name: { type: 'string', maxLength: nameSchema.maxLength, pattern: nameSchema.pattern } },
  };
  properties.apiVersion = ROOT_FIELDS.apiVersion!;
  properties.kind = ROOT_FIELDS.kind!;
  const schema = toStructural({ ...json, properties, required: ['spec'] }, '');
  delete schema.$schema;
  const missing = undescribedFields(schema);
  if (missing.length > 0) throw new SchemaTranslationError(`fields without a description: ${missing.join(', ')}`);
  return schema;
}

export function corePodCrd(): OpenApiSchema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${PLURAL}.${GROUP}`,
      labels: { 'app.kubernetes.io/name': 'corepod', 'app.kubernetes.io/part-of': 'corepod' },
    },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { kind: KIND, listKind: `${KIND}List`, plural: PLURAL, singular: SINGULAR, shortNames: SHORT_NAMES, categories: ['all', 'corepod'] },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } },
          additionalPrinterColumns: [
            { name: 'Ready', type: 'string', jsonPath: '.status.readyProcesses', description: 'Ready processes out of all.' },
            { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Summary of the state.' },
            { name: 'Restarts', type: 'integer', jsonPath: '.status.restarts', description: 'Restarts of all processes.' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: { openAPIV3Schema: corePodOpenApiSchema() },
        },
      ],
    },
  };
}

export function corePodCrdYaml(): string {
  const header = '# Generated by `make crds` from crds/corepod-schema.ts (crds/generate-crd.ts). Do not edit.';
  return `${header}\n${stringify(corePodCrd(), { lineWidth: 0 })}`;
}
