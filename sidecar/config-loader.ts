// Reads a CorePod (YAML or JSON; or just its spec) and validates it with the shared zod schema.
// Every error names its path from the document root. Quantities are resolved to bytes here, so the
// supervisor process never loads zod or yaml (together ~15 MB of resident memory).
import fs from 'node:fs';
import { parseDocument } from 'yaml';
import { quantityToBytes, validateCorePod, validateSpec, type CorePodSpec, type ValidationError } from '../crds/corepod-schema.js';

export interface LoadedConfig {
  /** metadata.name, or undefined for a bare spec. */
  name: string | undefined;
  /** metadata.generation: the CorePod generation this spec is (the operator's ConfigMap says it). */
  generation?: number;
  spec: CorePodSpec;
}

export type LoadResult = { ok: true; config: LoadedConfig } | { ok: false; errors: ValidationError[] };

export function parseConfig(text: string): { ok: true; value: unknown } | { ok: false; errors: ValidationError[] } {
  // logLevel error: a YAML warning (a collection as a key, …) is no process warning; the key is
  // refused by the schema like any unknown field.
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true, logLevel: 'error' });
  if (document.errors.length > 0) {
    return {
      ok: false,
      errors: document.errors.map((error) => {
        const at = error.linePos?.[0];
        const message = (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, '');
        return { path: at ? `line ${at.line}, column ${at.col}` : '(document)', message };
      }),
    };
  }
  try {
    return { ok: true, value: document.toJS() };
  } catch (error) {
    // Aliases are resolved here: one without its anchor, or so many that they would blow the
    // document up (a "billion laughs"), is refused like a syntax error.
    return { ok: false, errors: [{ path: '(document)', message: (error as Error).message }] };
  }
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

export function loadConfigFile(file: string): LoadResult {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    return { ok: false, errors: [{ path: file, message: `cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}` }] };
  }
  const parsed = parseConfig(text);
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
