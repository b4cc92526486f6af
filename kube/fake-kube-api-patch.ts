// The patch formats of the fake apiserver (fake-kube-api.ts): JSON merge patch (RFC 7386), JSON
// patch (RFC 6902, all six operations) and the field set server-side apply gives up. Pure.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** RFC 7386: objects merge key by key, null removes a key, anything else (arrays too) replaces. */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

export class PatchError extends Error {}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchError(`invalid JSON pointer "${path}"`);
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The container of the last token of `tokens`, and that token. */
function parentOf(document: Json, tokens: string[], path: string): { parent: JsonObject | Json[]; last: string } {
  let node: Json = document;
  for (const token of tokens.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(node) ? node[arrayIndex(node, token, path, false)] : isObject(node) ? node[token] : undefined;
    if (next === undefined) throw new PatchError(`path "${path}" does not exist`);
    node = next;
  }
  if (!Array.isArray(node) && !isObject(node)) throw new PatchError(`path "${path}" does not exist`);
  return { parent: node, last: tokens[tokens.length - 1]! };
}

function arrayIndex(array: Json[], token: string, path: string, insert: boolean): number {
  if (insert && token === '-') return array.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchError(`invalid array index "${token}" in "${path}"`);
  const index = Number(token);
  if (index > array.length || (!insert && index === array.length)) throw new PatchError(`array index ${index} out of range in "${path}"`);
  return index;
}

function read(document: Json, path: string): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return document;
  const { parent, last } = parentOf(document, tokens, path);
  const value = Array.isArray(parent) ? parent[arrayIndex(parent, last, path, false)] : parent[last];
  if (value === undefined) throw new PatchError(`path "${path}" does not exist`);
  return value;
}

function remove(document: Json, path: string): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) throw new PatchError('cannot remove the whole document');
  const { parent, last } = parentOf(document, tokens, path);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, last, path, false), 1)[0]!;
  if (!(last in parent)) throw new PatchError(`path "${path}" does not exist`);
  const value = parent[last]!;
  delete parent[last];
  return value;
}

function add(document: Json, path: string, value: Json, replace: boolean): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(document, tokens, path);
  if (Array.isArray(parent)) {
    const index = arrayIndex(parent, last, path, !replace);
    parent.splice(index, replace ? 1 : 0, value);
  } else {
    if (replace && !(last in parent)) throw new PatchError(`path "${path}" does not exist`);
    parent[last] = value;
  }
  return document;
}

/** RFC 6902; the document is not modified (the patch applies to a copy, all or nothing). */
export function jsonPatch(document: Json, operations: unknown): Json {
  if (!Array.isArray(operations)) throw new PatchError('a JSON patch is an array of operations');
  let doc = structuredClone(document);
  for (const raw of operations as Operation[]) {
    if (!isObject(raw) || typeof raw.path !== 'string') throw new PatchError(`invalid operation ${JSON.stringify(raw)}`);
    const needsValue = ['add', 'replace', 'test'].includes(raw.op);
    if (needsValue && !('value' in raw)) throw new PatchError(`operation "${raw.op}" needs a value`);
    switch (raw.op) {
      case 'add':
        doc = add(doc, raw.path, structuredClone(raw.value!), false);
        break;
      case 'replace':
        doc = add(doc, raw.path, structuredClone(raw.value!), true);
        break;
      case 'remove':
        remove(doc, raw.path);
        break;
      case 'move': {
        if (typeof raw.from !== 'string') throw new PatchError('"move" needs "from"');
        if (raw.path.startsWith(`${raw.from}/`)) throw new PatchError(`cannot move "${raw.from}" into itself`);
        doc = add(doc, raw.path, remove(doc, raw.from), false);
        break;
      }
      case 'copy':
        if (typeof raw.from !== 'string') throw new PatchError('"copy" needs "from"');
        doc = add(doc, raw.path, structuredClone(read(doc, raw.from)), false);
        break;
      case 'test':
        if (JSON.stringify(canonical(read(doc, raw.path))) !== JSON.stringify(canonical(raw.value!))) {
          throw new PatchError(`testing value ${raw.path} failed`);
        }
        break;
      default:
        throw new PatchError(`unknown operation "${String(raw.op)}"`);
    }
  }
  return doc;
}

function canonical(value: Json): Json {
  if (Array.isArray(value)) return value.map(canonical);
  if (isObject(value))
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical(value[k]!)]),
    );
  return value;
}

/** Paths of the leaves of an object (arrays and scalars are leaves, as in an atomic list). */
export function leafPaths(value: Json, prefix: string[] = []): string[][] {
  if (!isObject(value) || (Object.keys(value).length === 0 && prefix.length > 0)) return [prefix];
  return Object.entries(value).flatMap(([key, child]) => leafPaths(child, [...prefix, key]));
}

export function valueAt(value: Json | undefined, path: string[]): Json | undefined {
  let node = value;
  for (const key of path) node = isObject(node) ? node[key] : undefined;
  return node;
}

/** Removes the value at path and then any objects it leaves empty. */
export function removeAt(value: JsonObject, path: string[]): void {
  const [head, ...rest] = path;
  if (head === undefined || !(head in value)) return;
  if (rest.length === 0) {
    delete value[head];
    return;
  }
  const child = value[head];
  if (!isObject(child)) return;
  removeAt(child, rest);
  if (Object.keys(child).length === 0) delete value[head];
}
