// supervisord's "%(name)s" expansion: Python's printf-style formatting with a mapping.

export type Expansions = Record<string, string | number>;

export class FormatError extends Error {}

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
      throw new FormatError(`%(${name}) cannot be expanded; available: ${Object.keys(expansions).sort().join(', ')}`);
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
 * Like expandPercent, but a plain `%(name)s` whose name `defer` accepts is not expanded: it is
 * returned as `{ reference: name }` between the expanded text.
 */
export function expandPercentDeferring(text: string, expansions: Expansions, defer: (name: string) => boolean): (string | { reference: string })[] {
  const parts: (string | { reference: string })[] = [];
  let last = 0;
  for (const match of text.matchAll(SPEC)) {
    const [whole, name, flags, width, precision, type] = match;
    parts.push(text.slice(last, match.index));
    last = match.index + whole.length;
    if (name !== undefined && type === 's' && flags === '' && width === undefined && precision === undefined && defer(name)) parts.push({ reference: name });
    else parts.push(expandPercent(whole, expansions));
  }
  parts.push(text.slice(last));
  return parts;
}
