// The YAML reading of a CorePod document (config-loader.ts tries JSON first): every error names its
// line and column; aliases are resolved within bounds.
import { parseDocument } from 'yaml';
import type { ParseResult } from './config-loader.js';

export function parseYamlConfig(text: string): ParseResult {
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
