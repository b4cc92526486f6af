// The core/v1 schemas the CorePod API reuses (volumes, volume mounts, scheduling and DNS fields of
// a Pod, the Service fields), generated from Kubernetes' own OpenAPI (crds/generate-core-v1.ts
// trims it into crds/core-v1-openapi.json) and turned here into CRD structural schema, so that
// `kubectl explain corepod.spec.tolerations` reads like a Pod's.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type OpenApiNode = { [key: string]: unknown };
export interface CoreV1Document {
  /** Where the schemas come from: the Kubernetes module and its file. */
  source: string;
  schemas: Record<string, OpenApiNode>;
}

const CORE = 'io.k8s.api.core.v1.';

/** The Pod fields a CorePod spec carries under core/v1's own names and schemas, passed through to its pods. */
export const POD_PASS_THROUGH_FIELDS = [
  'imagePullSecrets',
  'nodeSelector',
  'tolerations',
  'affinity',
  'topologySpreadConstraints',
  'priorityClassName',
  'runtimeClassName',
  'hostAliases',
  'dnsPolicy',
  'dnsConfig',
] as const;

/** The fields taken from core/v1, per definition; everything they reach comes along. */
export const CORE_V1_FIELDS: Record<string, string[]> = {
  [`${CORE}PodSpec`]: ['volumes', ...POD_PASS_THROUGH_FIELDS],
  [`${CORE}Container`]: ['volumeMounts'],
  [`${CORE}ServiceSpec`]: ['type', 'externalTrafficPolicy', 'loadBalancerClass'],
};

/** Markers a CRD schema may carry; Kubernetes' patch-strategy markers are for strategic merge only. */
const STRUCTURAL = new Set([
  'description',
  'type',
  'format',
  'properties',
  'items',
  'required',
  'enum',
  'additionalProperties',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
]);

/** Keywords kept from Kubernetes' OpenAPI: what a structural schema can say, and the default and $ref/allOf/oneOf to resolve. */
const KEPT = new Set([...STRUCTURAL, 'default', '$ref', 'allOf', 'oneOf']);

const refName = (ref: string) => ref.replace('#/components/schemas/', '');

function trimNode(node: OpenApiNode, reach: (name: string) => void): OpenApiNode {
  const out: OpenApiNode = {};
  for (const [key, value] of Object.entries(node)) {
    if (!KEPT.has(key)) continue;
    if (key === '$ref') reach(refName(value as string));
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value as Record<string, OpenApiNode>).map(([name, child]) => [name, trimNode(child, reach)]));
    } else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object')) out[key] = trimNode(value as OpenApiNode, reach);
    else if (key === 'allOf' || key === 'oneOf') out[key] = (value as OpenApiNode[]).map((branch) => trimNode(branch, reach));
    else out[key] = value;
  }
  return out;
}

/** Kubernetes' api__v1_openapi.json cut down to CORE_V1_FIELDS and the definitions they reach. */
export function trimCoreV1(openapi: { components: { schemas: Record<string, OpenApiNode> } }, source: string): CoreV1Document {
  const all = openapi.components.schemas;
  const schemas: Record<string, OpenApiNode> = {};
  const pending: string[] = [];
  const reach = (name: string) => {
    if (!(name in schemas) && !pending.includes(name)) pending.push(name);
  };
  for (const [definition, fields] of Object.entries(CORE_V1_FIELDS)) {
    const full = all[definition];
    if (!full) throw new Error(`${source} has no ${definition}`);
    const properties = full.properties as Record<string, OpenApiNode>;
    const missing = fields.filter((f) => !(f in properties));
    if (missing.length > 0) throw new Error(`${definition} in ${source} has no ${missing.join(', ')}`);
    schemas[definition] = trimNode({ description: full.description, type: 'object', properties: Object.fromEntries(fields.map((f) => [f, properties[f]])) }, reach);
  }
  while (pending.length > 0) {
    const name = pending.shift()!;
    const full = all[name];
    if (!full) throw new Error(`${source} has no ${name}`);
    // Taken before it is trimmed, so that a definition reached from inside itself is not queued again.
    schemas[name] = {};
    schemas[name] = trimNode(full, reach);
  }
  const sorted = Object.fromEntries(
    Object.keys(schemas)
      .sort()
      .map((name) => [name, schemas[name]!]),
  );
  return { source, schemas: sorted };
}

export function coreV1Json(document: CoreV1Document): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const CORE_V1_FILE = `${repoRoot}crds/core-v1-openapi.json`;

let loaded: CoreV1Document | undefined;
function committed(): CoreV1Document {
  loaded ??= JSON.parse(readFileSync(CORE_V1_FILE, 'utf8')) as CoreV1Document;
  return loaded;
}

/**
 * A definition as structural schema: $refs resolved, allOf of one $ref merged with the field's own
 * description, Quantity and IntOrString as x-kubernetes-int-or-string, defaults dropped (the
 * apiserver defaults the Pod, not the CorePod) except on the keys of list-maps, which need one.
 */
function structural(node: OpenApiNode, schemas: Record<string, OpenApiNode>, trail: string[]): OpenApiNode {
  if (typeof node.$ref === 'string') {
    const name = refName(node.$ref);
    if (trail.includes(name)) throw new Error(`recursive core/v1 schema: ${[...trail, name].join(' -> ')}`);
    const target = schemas[name];
    if (!target) throw new Error(`core/v1 schema ${name} is not in ${CORE_V1_FILE}: run \`make crds\``);
    const { $ref: _ref, ...rest } = node;
    return { ...structural(target, schemas, [...trail, name]), ...structural(rest, schemas, trail) };
  }
  if (Array.isArray(node.allOf) && node.allOf.length === 1) {
    const { allOf, ...rest } = node;
    return { ...structural(allOf[0] as OpenApiNode, schemas, trail), ...structural(rest, schemas, trail) };
  }
  if (Array.isArray(node.oneOf)) {
    const types = (node.oneOf as OpenApiNode[]).map((b) => b.type).sort();
    if (types.join() !== 'number,string' && types.join() !== 'integer,string') throw new Error(`core/v1 union of ${types.join()} at ${trail.join(' -> ')}`);
    return { ...(typeof node.description === 'string' ? { description: node.description } : {}), 'x-kubernetes-int-or-string': true };
  }
  const out: OpenApiNode = {};
  for (const [key, value] of Object.entries(node)) {
    if (!STRUCTURAL.has(key)) continue;
    if (key === 'format' && value === 'int-or-string') continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value as Record<string, OpenApiNode>).map(([name, child]) => [name, structural(child, schemas, trail)]));
    } else if (key === 'items') {
      const items = structural(value as OpenApiNode, schemas, trail);
      const mapKeys = node['x-kubernetes-list-map-keys'];
      if (Array.isArray(mapKeys)) keepKeyDefaults(items, value as OpenApiNode, mapKeys as string[], schemas);
      out.items = items;
    } else if (key === 'additionalProperties') out.additionalProperties = typeof value === 'object' ? structural(value as OpenApiNode, schemas, trail) : value;
    else out[key] = value;
  }
  return out;
}

/** A list-map's keys must be required or defaulted: put Kubernetes' defaults back on the optional ones. */
function keepKeyDefaults(items: OpenApiNode, source: OpenApiNode, keys: string[], schemas: Record<string, OpenApiNode>): void {
  const definition = typeof source.$ref === 'string' ? schemas[refName(source.$ref)] : source;
  const required = new Set((items.required as string[] | undefined) ?? []);
  const properties = items.properties as Record<string, OpenApiNode>;
  for (const key of keys) {
    if (required.has(key)) continue;
    const fallback = (definition?.properties as Record<string, OpenApiNode> | undefined)?.[key]?.default;
    if (fallback === undefined) throw new Error(`list-map key ${key} is neither required nor defaulted`);
    properties[key] = { ...properties[key], default: fallback };
  }
}

/** The structural schema of one field of a core/v1 definition (e.g. PodSpec.tolerations), with its description. */
export function coreV1Field(definition: string, field: string, document: CoreV1Document = committed()): OpenApiNode {
  const parent = document.schemas[definition];
  const node = (parent?.properties as Record<string, OpenApiNode> | undefined)?.[field];
  if (!node) throw new Error(`${definition}.${field} is not in ${CORE_V1_FILE}: add it to CORE_V1_FIELDS and run \`make crds\``);
  return structural(node, document.schemas, [definition]);
}
