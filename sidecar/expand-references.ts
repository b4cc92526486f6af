// `$(VAR_NAME)` references, as Kubernetes expands them in a container's command, args and env
// values: a port of k8s.io/kubernetes third_party/forked/golang/expansion (v1.37). `$$` is a literal
// `$` (so `$$(VAR)` stays `$(VAR)`), a reference to an undefined variable stays as written, and
// anything else after a `$` is kept as it is. Expansion is a single pass: an expanded value is not
// expanded again.

/** The value of a variable, or undefined when it is not defined. */
export type Lookup = (name: string) => string | undefined;

/** A Lookup over environments searched in order, as expansion.MappingFuncFor. */
export function lookupIn(...environments: readonly Readonly<Record<string, string | undefined>>[]): Lookup {
  return (name) => {
    for (const environment of environments) {
      if (Object.hasOwn(environment, name) && environment[name] !== undefined) return environment[name];
    }
    return undefined;
  };
}

export function expandReferences(input: string, lookup: Lookup): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    let advance: number;
    if (next === '$') {
      out += '$';
      advance = 1;
    } else if (next === '(') {
      const closer = input.indexOf(')', cursor + 2);
      if (closer === -1) {
        out += '$(';
        advance = 1;
      } else {
        const name = input.slice(cursor + 2, closer);
        out += lookup(name) ?? `$(${name})`;
        advance = closer - cursor;
      }
    } else {
      // The operator and the whole character after it (a surrogate pair counts as one).
      const width = (input.codePointAt(cursor + 1) ?? 0) > 0xffff ? 2 : 1;
      out += input.slice(cursor, cursor + 1 + width);
      advance = width;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/**
 * A program's environment: `base` (what it inherits), then each of its variables in order, whose
 * value may reference the variables defined before it, as in a container. A variable with
 * `literal: false` (a value the kubelet resolved from a Secret, ConfigMap or the downward API) is
 * taken as it is: Kubernetes expands only `value`.
 */
export function programEnvironment(base: Readonly<Record<string, string>>, variables: readonly { name: string; value: string; literal?: boolean }[]): Record<string, string> {
  const env: Record<string, string> = { ...base };
  for (const variable of variables) {
    const value = variable.literal === false ? variable.value : expandReferences(variable.value, lookupIn(env));
    // Defined, not assigned: "__proto__" is a valid variable name.
    Object.defineProperty(env, variable.name, { value, enumerable: true, writable: true, configurable: true });
  }
  return env;
}

/** The command with its references expanded from the program's environment. */
export function expandCommand(command: readonly string[], env: Readonly<Record<string, string>>): string[] {
  const lookup = lookupIn(env);
  return command.map((argument) => expandReferences(argument, lookup));
}

/**
 * The text that expands to `parts` joined, where `{ reference }` stands for `$(reference)`: a
 * literal `$` is doubled when what follows it would otherwise make it an operator (`$`, `(` or a
 * reference).
 */
export function joinReferences(parts: readonly (string | { reference: string })[]): string {
  const units = parts.flatMap<string | { reference: string }>((part) => (typeof part === 'string' ? [...part] : [part]));
  let out = '';
  for (const [i, unit] of units.entries()) {
    if (typeof unit !== 'string') {
      if (unit.reference.includes(')')) throw new Error(`a reference name cannot hold ")": ${unit.reference}`);
      out += `$(${unit.reference})`;
      continue;
    }
    const next = units[i + 1];
    out += unit === '$' && next !== undefined && (typeof next !== 'string' || next === '$' || next === '(') ? '$$' : unit;
  }
  return out;
}
