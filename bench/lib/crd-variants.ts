// Variants of the CorePod CRD on scratch API groups, to find where the apiserver's CPU per write
// goes (issue 17, item 2): the same schema with its CEL rules, its defaults or both left out, and a
// schema-less floor. Pure: the CRD documents only; bench/write-cost.ts installs them.
import { parse } from 'yaml';

export type CrdDocument = {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { group: string; names: Record<string, unknown>; versions: { schema: { openAPIV3Schema: Record<string, unknown> } }[] } & Record<string, unknown>;
} & Record<string, unknown>;

export const VARIANTS = ['full', 'no-cel', 'no-defaults', 'no-cel-no-defaults', 'schemaless'] as const;
export type Variant = (typeof VARIANTS)[number];

/** Where each variant lives: <variant>.writecost.corepod.dev, far from dreamscape.io. */
export const variantGroup = (variant: Variant) => `${variant}.writecost.corepod.dev`;

/**
 * A copy of a schema tree without the given keywords, at any depth; a list-map key keeps its
 * default (the apiserver requires one, or `required`, there).
 */
export function without(schema: unknown, keywords: readonly string[]): unknown {
  if (Array.isArray(schema)) return schema.map((item) => without(item, keywords));
  if (typeof schema !== 'object' || schema === null) return schema;
  const node = schema as { 'x-kubernetes-list-map-keys'?: string[]; items?: { properties?: Record<string, { default?: unknown }> } };
  const cut = cutKeywords(schema, keywords) as typeof node;
  for (const key of node['x-kubernetes-list-map-keys'] ?? []) {
    const original = node.items?.properties?.[key];
    const kept = cut.items?.properties?.[key];
    if (original && kept && 'default' in original) kept.default = original.default;
  }
  return cut;
}

function cutKeywords(schema: object, keywords: readonly string[]): unknown {
  return Object.fromEntries(
    Object.entries(schema)
      // `properties` maps field names to schemas: a field named like a keyword (a `default` field) stays.
      .filter(([key]) => !keywords.includes(key))
      .map(([key, value]) => [
        key,
        key === 'properties' ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, without(v, keywords)])) : without(value, keywords),
      ]),
  );
}

/** How many times a keyword occurs in a schema tree (as a keyword, not a field name). */
export function countKeyword(schema: unknown, keyword: string): number {
  if (Array.isArray(schema)) return schema.reduce((n: number, item) => n + countKeyword(item, keyword), 0);
  if (typeof schema !== 'object' || schema === null) return 0;
  return Object.entries(schema).reduce((n, [key, value]) => {
    if (key === 'properties') return n + Object.values(value as object).reduce((m: number, v) => m + countKeyword(v, keyword), 0);
    return n + (key === keyword ? 1 : 0) + countKeyword(value, keyword);
  }, 0);
}

const SCHEMALESS = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  },
};

/** The CorePod CRD (crds/corepod.yaml's text) moved to the variant's group, its schema cut as the variant says. */
export function crdVariant(corePodYaml: string, variant: Variant): CrdDocument {
  const crd = parse(corePodYaml) as CrdDocument;
  const group = variantGroup(variant);
  crd.metadata = { name: `${crd.spec.names.plural as string}.${group}`, labels: { 'app.kubernetes.io/part-of': 'corepod-write-cost' } };
  crd.spec.group = group;
  // No short name or category: `kubectl get cpod` and `kubectl get all` must keep meaning dreamscape.io's.
  delete crd.spec.names.shortNames;
  delete crd.spec.names.categories;
  for (const version of crd.spec.versions) {
    const schema = version.schema.openAPIV3Schema;
    version.schema.openAPIV3Schema =
      variant === 'full'
        ? schema
        : variant === 'schemaless'
          ? SCHEMALESS
          : (without(schema, variant === 'no-cel' ? ['x-kubernetes-validations'] : variant === 'no-defaults' ? ['default'] : ['x-kubernetes-validations', 'default']) as Record<
              string,
              unknown
            >);
  }
  return crd;
}
