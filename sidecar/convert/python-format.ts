// supervisord's "%(name)s" expansion: Python's printf-style formatting with a mapping.

export type Expansions = Record<string, string | number>;

export class FormatError extends Error {
  /** The name that has no expansion, when that is the problem. */
  readonly missing: string | undefined;
  constructor(message: string, missing?: string) {
    super(message);
    this.missing = missing;
  }
}

/** One `%(name)…` conversion as written. */
export interface Conversion {
  name: string;
  flags: string;
  width: number | undefined;
  precision: number | undefined;
  type: string;
}

const SPEC = /%(?:\(([^)]*)\))?([-#0 +]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])?/g;

function pad(text: string, flags: string, width: number | undefined, numeric: boolean): string {
  if (width === undefined || text.length >= width) return text;
  if (flags.includes('-')) return text.padEnd(width);
  if (numeric && flags.includes('0')) {
    const sign = text.startsWith('-') ? '-' : '';
    return sign + text.slice(sign.length).padStart(width - sign.length, '0');
  }
  return text.padStart(width);
}

/**
 * Expands `%(name)s` / `%(name)d` (with flags and width) and `%%` in `text`. Unknown names, an
 * unnamed conversion such as a bare "%s" and malformed specifiers are errors, as in supervisord.
 */
export function expandPercent(text: string, expansions: Expansions): string {
  return text.replace(SPEC, (whole, name: string | undefined, flags: string, width: string | undefined, precision: string | undefined, type: string | undefined) => {
    if (whole === '%%') return '%';
    if (type === undefined) throw new FormatError(`incomplete format "${whole}" (write %% for a literal %)`);
    if (name === undefined) throw new FormatError(`unnamed conversion "${whole}" (write %% for a literal %)`);
    if (!Object.hasOwn(expansions, name)) {
      throw new FormatError(`%(${name}) cannot be expanded; available: ${Object.keys(expansions).sort().join(', ')}`, name);
    }
    const value = expansions[name]!;
    const w = width === undefined ? undefined : Number(width);
    switch (type) {
      case 's': {
        const text = String(value);
        return pad(precision === undefined ? text : text.slice(0, Number(precision)), flags, w, false);
      }
      case 'r':
      case 'a':
        return pad(typeof value === 'number' ? String(value) : `'${value}'`, flags, w, false);
      case 'd':
      case 'i':
      case 'u': {
        const number = typeof value === 'number' ? value : Number.NaN;
        if (!Number.isFinite(number)) throw new FormatError(`%(${name})${type} needs a number, "${value}" is text`);
        return pad(String(Math.trunc(number)), flags, w, true);
      }
      default:
        throw new FormatError(`unsupported conversion "${whole}"`);
    }
  });
}

/**
 * Like expandPercent, but a conversion for which `defer` returns parts is replaced by them (text
 * and `{ reference }`s to be resolved later) instead of being expanded.
 */
export function expandPercentDeferring(
  text: string,
  expansions: Expansions,
  defer: (conversion: Conversion) => (string | { reference: string })[] | undefined,
): (string | { reference: string })[] {
  const parts: (string | { reference: string })[] = [];
  let last = 0;
  for (const match of text.matchAll(SPEC)) {
    const [whole, name, flags, width, precision, type] = match;
    parts.push(text.slice(last, match.index));
    last = match.index + whole.length;
    const deferred =
      name !== undefined && type !== undefined && type !== '%'
        ? defer({ name, flags: flags ?? '', width: width === undefined ? undefined : Number(width), precision: precision === undefined ? undefined : Number(precision), type })
        : undefined;
    if (deferred) parts.push(...deferred);
    else parts.push(expandPercent(whole, expansions));
  }
  parts.push(text.slice(last));
  return parts;
}
