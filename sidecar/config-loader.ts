// Reads a CorePod (YAML or JSON; or just its spec) and validates it with the shared zod schema.
// Every error names its path from the document root. Quantities are resolved to bytes here, so the
// supervisor process never loads zod or yaml (together ~15 MB of resident memory); JSON (the
// operator's ConfigMap) is read without yaml.
import fs from 'node:fs';
import { quantityToBytes, validateCorePod, validateSpec, type CorePodSpec, type ValidationError } from '../crds/corepod-schema.js';

export interface LoadedConfig {
  /** metadata.name, or undefined for a bare spec. */
  name: string | undefined;
  /** metadata.generation: the CorePod generation this spec is (the operator's ConfigMap says it). */
  generation?: number;
  spec: CorePodSpec;
}

export type LoadResult = { ok: true; config: LoadedConfig } | { ok: false; errors: ValidationError[] };

export type ParseResult = { ok: true; value: unknown } | { ok: false; errors: ValidationError[] };

/**
 * The document as JSON when it is JSON without a repeated key, as the operator's ConfigMap is: the
 * validating child of every pod start then never loads the YAML parser. Anything else (YAML, broken
 * JSON, a key twice) is left to the YAML parser, which reads JSON the same and says what is wrong.
 */
export function parseJsonConfig(text: string): { ok: true; value: unknown } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return hasRepeatedKey(text) ? undefined : { ok: true, value };
}

/** Whether an object of valid JSON text names a key twice (JSON.parse keeps the last; YAML refuses it). */
export function hasRepeatedKey(json: string): boolean {
  const objects: (Set<string> | undefined)[] = [];
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '{') objects.push(new Set());
    else if (c === '[') objects.push(undefined);
    else if (c === '}' || c === ']') objects.pop();
    else if (c === '"') {
      let end = i + 1;
      while (json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      let next = end + 1;
      while (json[next] === ' ' || json[next] === '\n' || json[next] === '\r' || json[next] === '\t') next++;
      const keys = objects.at(-1);
      if (json[next] === ':' && keys) {
        const raw = json.slice(i, end + 1);
        const key = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        if (keys.has(key)) return true;
        keys.add(key);
      }
      i = end;
    }
  }
  return false;
}

/** Parses a CorePod document, YAML or JSON; errors name their line and column. */
export async function parseConfig(text: string): Promise<ParseResult> {
  return parseJsonConfig(text) ?? (await import('./config-yaml.js')).parseYamlConfig(text);
}

/** Validates a parsed document: a whole CorePod, or a bare spec (an object with `programs`). */
export function validateConfig(value: unknown): LoadResult {
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (isObject && !('apiVersion' in value) && !('kind' in value) && 'programs' in value) {
    const result = validateSpec(value);
    return result.ok ? { ok: true, config: { name: undefined, spec: resolveQuantities(result.value) } } : result;
  }
  const result = validateCorePod(value);
  if (!result.ok) return result;
  const { generation } = result.value.metadata as { generation?: unknown };
  return {
    ok: true,
    config: { name: result.value.metadata.name, ...(Number.isInteger(generation) ? { generation: generation as number } : {}), spec: resolveQuantities(result.value.spec) },
  };
}

export async function loadConfigFile(file: string): Promise<LoadResult> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    return { ok: false, errors: [{ path: file, message: `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}` }] };
  }
  const parsed = await parseConfig(text);
  return parsed.ok ? validateConfig(parsed.value) : parsed;
}

/** The spec with every byte quantity ("200Mi") as a number of bytes. */
export function resolveQuantities(spec: CorePodSpec): CorePodSpec {
  return {
    ...spec,
    programs: spec.programs.map((program) => ({
      ...program,
      logs: { ...program.logs, maxBytes: quantityToBytes(program.logs.maxBytes) },
      ...(program.memory ? { memory: { ...program.memory, limit: quantityToBytes(program.memory.limit) } } : {}),
    })),
  };
}

export function formatErrors(errors: readonly ValidationError[]): string {
  return errors.map((error) => `${error.path}: ${error.message}`).join('\n');
}
